/**
 * Hostile input against a live server, as properties (fast-check): whatever
 * bytes clients send, the server does not crash, every line it sends is well
 * formed (CRLF, UTF-8, 512-byte body, 8191-byte tags, parsable, no 400 from a
 * handler that threw), and its state stays consistent (Registry
 * .checkInvariants: every member of a channel is a user listing it, no empty
 * channel, the nick index matches the users, counters right).
 *
 * One server per property; its clients persist across runs (a client the
 * server closed is re-opened in its role), so later runs meet the state
 * earlier ones left. After each run every client is synchronised with PING
 * round trips before anything is checked.
 *
 * The seed is fixed (see test/helpers/seed.ts: OBROL_FUZZ_SEED=random draws
 * one) and printed when a property fails.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { serializeBody } from '../../src/protocol/serialize.js';
import {
  checkServerLine,
  COMMAND_LINES,
  Fleet,
  FUZZ_CAPS,
  framedArb,
  fuzzLineArb,
  mutatedLineArb,
  operLineArb,
  rawBytesArb,
  RESET_BYTES,
  SEED_CORPUS,
  splitChunks,
  tagSectionArb,
  taggedLineArb,
  WireClient,
  type Role,
} from '../helpers/fuzzlines.js';
import { fuzzSeed, reportSeedOnFailure } from '../helpers/seed.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { COMMANDS } from '../../src/commands/index.js';
import { parseLine } from '../../src/protocol/parse.js';

const OPER = { name: 'propertyoperator', password: 'property-oper-pw' };
let operHash = '';

const unhandled: string[] = [];
const onUnhandled = (err: unknown) => {
  unhandled.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  operHash = await hashPassword(OPER.password);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

let servers: TestServer[] = [];
let fleets: Fleet[] = [];
let extraClients: WireClient[] = [];
let testClients: TestClient[] = [];

afterEach(async () => {
  for (const fleet of fleets) fleet.close();
  for (const client of extraClients) client.close();
  for (const client of testClients) client.close();
  testClients = [];
  fleets = [];
  extraClients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

const SEED = fuzzSeed();
beforeEach((ctx) => reportSeedOnFailure(ctx, SEED));

/** fast-check settings: a handful of runs, no shrinking (the server's state moves on between runs). */
const RUNS = { numRuns: 60, endOnFailure: true, seed: SEED } as const;

const CONTROL: Role = { name: 'control', register: true };

async function setup(roles: Role[], config: ConfigInput = {}): Promise<{ srv: TestServer; fleet: Fleet; control: number }> {
  const srv = await startServer({ captureLogs: true, config: { opers: [{ name: OPER.name, password: operHash, hosts: ['*@127.0.0.1'] }], ...config } });
  servers.push(srv);
  const fleet = new Fleet(srv.port, [...roles, CONTROL]);
  fleets.push(fleet);
  await fleet.open();
  return { srv, fleet, control: roles.length };
}

/**
 * Synchronise everyone, then list everything wrong: malformed lines, state
 * invariants, handler errors in the log, unhandled rejections, a silent control
 * client, sessions the server kept for closed clients. Re-opens closed clients.
 */
async function settle(srv: TestServer, fleet: Fleet, control: number): Promise<string[]> {
  await fleet.syncAll(); // everything written so far has been handled
  const answered = await fleet.syncAll(); // and every close it caused has been seen
  const problems = [...fleet.allProblems(), ...srv.server.registry.checkInvariants()];
  for (const record of srv.logs) if ((record.level as number) >= 50) problems.push(`error logged: ${JSON.stringify(record).slice(0, 500)}`);
  srv.logs.length = 0;
  problems.push(...unhandled);
  if (!answered.includes(control)) problems.push('the control client got no PONG');
  if (srv.server.connectionCount !== answered.length) problems.push(`${srv.server.connectionCount} sessions for ${answered.length} open clients`);
  await fleet.reconnectClosed();
  return problems;
}

/** Write each chunk, letting the server read between them. */
async function writeChunks(client: WireClient | undefined, chunks: readonly Buffer[]): Promise<void> {
  if (!client) return;
  for (const chunk of chunks) {
    client.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const asBuffer = (line: string) => Buffer.from(line);

/** Wait (polling each turn of the event loop, at most 3 s) until `condition` holds: for the server to see a reset. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in 3 s: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('hostile input (properties)', () => {
  it('the generators cover every command in the table', () => {
    const verbs = [...COMMANDS.keys()];
    expect(verbs.filter((verb) => !(verb in COMMAND_LINES))).toEqual([]);
    const seedVerbs = new Set(SEED_CORPUS.map((line) => parseLine(line)).flatMap((r) => (r.ok ? [r.message.command] : [])));
    expect(verbs.filter((verb) => !seedVerbs.has(verb))).toEqual([]);
    // And each generator produces lines of its verb (most of the time: some are deliberately short).
    for (const [verb, arb] of Object.entries(COMMAND_LINES)) {
      const lines = fc.sample(arb, { seed: 1, numRuns: 20 });
      const own = lines.filter((line) => {
        const parsed = parseLine(line);
        return parsed.ok && parsed.message.command === verb;
      });
      expect(own.length, `${verb}: ${JSON.stringify(lines.slice(0, 3))}`).toBeGreaterThan(10);
    }
  });

  it('mixed hostile lines on registered, capable, unregistered and operator connections leave the server sound', async () => {
    const roles: Role[] = [
      { name: 'tagger', register: true, caps: [...FUZZ_CAPS, 'draft/multiline', 'draft/message-redaction'], channels: ['#a', '#b'] },
      { name: 'plain', register: true, channels: ['#a', '#fuzz'], poolNick: true },
      { name: 'anon', register: false },
      { name: 'nego', register: false, caps: ['message-tags', 'labeled-response'] },
      { name: 'oper', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b', '#fuzz'], oper: OPER },
    ];
    const { srv, fleet, control } = await setup(roles);
    const attackers = 4;
    const operIndex = 4;
    const runArb = fc.record({
      writes: fc.array(fc.record({ conn: fc.nat({ max: attackers - 1 }), chunks: framedArb(fuzzLineArb, 10) }), { minLength: 1, maxLength: 6 }),
      oper: framedArb(operLineArb.map(asBuffer), 4),
    });
    await fc.assert(
      fc.asyncProperty(runArb, async ({ writes, oper }) => {
        for (const { conn, chunks } of writes) await writeChunks(fleet.clients[conn], chunks);
        // The operator's lines are well formed, but their line ends are not always CRLF: end with one.
        await writeChunks(fleet.clients[operIndex], [...oper, Buffer.from('\r\n')]);
        expect(await settle(srv, fleet, control)).toEqual([]);
      }),
      RUNS,
    );
    expect(fleet.linesReceived).toBeGreaterThan(0);
  });

  it('hostile lines before registration, then registering, half-closing or resetting, leave the server sound', async () => {
    const { srv, fleet, control } = await setup([{ name: 'member', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b'] }]);
    let n = 0;
    const runArb = fc.record({
      before: framedArb(fc.oneof(fuzzLineArb, mutatedLineArb, rawBytesArb), 10),
      caps: fc.boolean(),
      after: framedArb(fuzzLineArb, 6),
      ending: fc.constantFrom('quit', 'quit', 'half-close', 'reset'),
    });
    await fc.assert(
      fc.asyncProperty(runArb, async ({ before, caps, after, ending }) => {
        const client = await WireClient.connect(srv.port, 'newcomer');
        extraClients.push(client);
        if (caps) client.send('CAP LS 302');
        await writeChunks(client, before);
        // Whatever state the noise left, a clean registration follows (it may fail: nick taken, connection closed).
        client.write(RESET_BYTES);
        client.send(`NICK newcomer${String(++n).padStart(6, '0')}`);
        client.send('USER newcomer 0 * :New Comer');
        if (caps) client.send('CAP END');
        client.send('JOIN #a');
        await writeChunks(client, after);
        if (ending === 'quit') {
          const answer = await client.sync();
          expect(answer === 'pong' || client.errorReason !== null ? [] : ['closed without ERROR']).toEqual([]);
          // Leave by QUIT, so the server has forgotten the newcomer before the checks.
          client.send('QUIT');
          await client.waitClosed();
        } else if (ending === 'half-close') {
          // The server answers what it was sent, then closes with ERROR.
          client.socket.end();
          await client.waitClosed();
          expect(client.errorReason).not.toBeNull();
        } else {
          client.socket.resetAndDestroy();
        }
        await until(() => srv.server.connectionCount === fleet.openCount);
        const problems = await settle(srv, fleet, control);
        expect([...problems, ...client.problems]).toEqual([]);
      }),
      RUNS,
    );
    expect(srv.server.connectionCount).toBe(fleet.openCount);
    expect(srv.server.registry.checkInvariants()).toEqual([]);
  });

  it('odd tag sections from clients with message-tags, labeled-response and batch leave the server sound', async () => {
    const roles: Role[] = [
      { name: 'tagger', register: true, caps: [...FUZZ_CAPS, 'draft/metadata-3', 'account-tag', 'draft/multiline', 'draft/message-redaction'], channels: ['#a', '#b'] },
      { name: 'listener', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b'] },
      { name: 'plain', register: true, channels: ['#a'], poolNick: true },
    ];
    const { srv, fleet, control } = await setup(roles);
    const lineArb = fc.oneof(
      taggedLineArb.map(asBuffer),
      fc.tuple(tagSectionArb, fc.constantFrom('PRIVMSG #a :hi', 'TAGMSG #a', 'PRIVMSG listener :x', 'NOTICE #b :n', 'PING x', 'WHO #a', 'NAMES #a', 'MODE #a')).map(([tags, line]) => asBuffer(tags + line)),
      mutatedLineArb,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ conn: fc.nat({ max: 2 }), chunks: framedArb(lineArb, 8) }), { minLength: 1, maxLength: 5 }), async (writes) => {
        for (const { conn, chunks } of writes) await writeChunks(fleet.clients[conn], chunks);
        expect(await settle(srv, fleet, control)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('with utf8_only off, invalid UTF-8 is relayed as valid UTF-8', async () => {
    const roles: Role[] = [
      { name: 'sender', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b'] },
      { name: 'reader', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b'] },
      { name: 'plain', register: true, channels: ['#a', '#b'] },
    ];
    const { srv, fleet, control } = await setup(roles, { server: { utf8_only: false } });
    const badText = fc.array(fc.oneof(fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)), fc.constantFrom(Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('é'), Buffer.from([0xf8, 0x88]))), { maxLength: 40 });
    const lineArb = fc.oneof(
      fc.tuple(fc.constantFrom('PRIVMSG #a :', 'NOTICE #b :', 'TOPIC #a :', 'AWAY :', 'SETNAME :', 'PART #b :', 'PRIVMSG reader,#a :', '@+x=', 'METADATA * SET avatar :'), badText).map(([head, parts]) => Buffer.concat([Buffer.from(head), ...parts])),
      fuzzLineArb,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ conn: fc.nat({ max: 2 }), chunks: framedArb(lineArb, 8) }), { minLength: 1, maxLength: 5 }), async (writes) => {
        for (const { conn, chunks } of writes) await writeChunks(fleet.clients[conn], chunks);
        // Every member rejoins, so relays keep having an audience.
        for (const client of fleet.clients.slice(0, 3)) client.send('JOIN #a,#b');
        expect(await settle(srv, fleet, control)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('line ends, chunk boundaries, NUL bytes and telnet commands never lose, merge or reorder lines', async () => {
    const srv = await startServer();
    servers.push(srv);
    const client = await WireClient.connect(srv.port, 'framing');
    extraClients.push(client);
    // Registered: an unregistered connection may send only limits.unregistered_lines lines.
    client.send('NICK framing');
    client.send('USER framing 0 * :framing');
    await client.sync();
    const pongs: string[] = [];
    client.onMessage = (command, params) => {
      if (command === 'PONG') pongs.push(params.at(-1) ?? '');
    };
    const noise = fc.constantFrom(
      Buffer.from([0]),
      Buffer.from([0, 0, 0]),
      Buffer.from([0xff, 0xfb, 0x01]), // IAC WILL ECHO
      Buffer.from([0xff, 0xfd, 0x22]), // IAC DO LINEMODE
      Buffer.from([0xff, 0xff]), // an escaped 0xFF (dropped)
      Buffer.from([0xff, 0xf1]), // IAC NOP
      Buffer.from([0xff, 0xfa, 0x18, 0x01, 0x41, 0x42, 0xff, 0xf0]), // IAC SB TTYPE ... IAC SE
    );
    const pingArb = fc.tuple(
      fc.string({ unit: fc.constantFrom(...'abcxyz0129'), minLength: 1, maxLength: 8 }),
      fc.constantFrom('\r\n', '\n', '\r', '\n\r', '\r\n\r\n', '\n\n'),
      fc.array(fc.tuple(fc.nat(), noise), { maxLength: 3 }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pingArb, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), async (pings, sizes) => {
        run++;
        pongs.length = 0;
        const tokens = pings.map(([token], k) => `r${run}n${k}${token}`);
        const bytes = Buffer.concat(
          pings.map(([, end, inserts], k) => {
            // Noise goes between the line's own bytes (never inside other noise).
            const line = Buffer.from(`PING ${tokens[k]}`);
            const at = inserts.map(([pos, extra]) => [pos % (line.length + 1), extra] as const).sort((a, b) => a[0] - b[0]);
            const parts: Buffer[] = [];
            let from = 0;
            for (const [pos, extra] of at) {
              parts.push(line.subarray(from, pos), extra);
              from = pos;
            }
            return Buffer.concat([...parts, line.subarray(from), Buffer.from(end)]);
          }),
        );
        await writeChunks(client, splitChunks(bytes, sizes));
        expect(await client.sync()).toBe('pong');
        expect(pongs.slice(0, -1)).toEqual(tokens);
        expect(client.problems).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('hostile input (regressions found by fuzzing)', () => {
  async function raw(): Promise<{ client: WireClient; lines: string[] }> {
    const srv = await startServer();
    servers.push(srv);
    const client = await WireClient.connect(srv.port, 'regression');
    extraClients.push(client);
    const lines: string[] = [];
    client.onMessage = (command, params, source) => lines.push([source === null ? '' : `:${source}`, command, ...params].join(' ').trim());
    client.send('NICK rex');
    client.send('USER rex 0 * :Rex');
    await client.sync();
    lines.length = 0;
    return { client, lines };
  }

  it('421 for a 500-byte verb is cut to fit 512 bytes (it was 529)', async () => {
    const { client } = await raw();
    const verb = 'A'.repeat(500);
    let reply = '';
    client.onMessage = null;
    const got = client.waitFor((command) => command === '421', '421', 3000);
    client.send(verb);
    reply = (await got) ?? '';
    const head = ':obrol.local 421 rex ';
    expect(reply).toBe(`${head}${'A'.repeat(510 - head.length - 2)} :`);
    expect(Buffer.byteLength(reply)).toBe(510);
    expect(client.problems).toEqual([]);
  });

  it('the ERROR line after a long QUIT reason is cut to fit 512 bytes (it was 548)', async () => {
    const { client } = await raw();
    const got = client.waitFor((command) => command === 'ERROR', 'ERROR', 3000);
    client.send(`QUIT :${'ü'.repeat(240)}`);
    const line = (await got) ?? '';
    const start = 'ERROR :Closing link: (rex@127.0.0.1) [Quit: ';
    expect(line.startsWith(start)).toBe(true);
    expect(line.endsWith(']')).toBe(true);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(510);
    // Cut at a character boundary: the longest run of ü that fits.
    expect(line).toBe(`${start}${'ü'.repeat(Math.floor((510 - Buffer.byteLength(start) - 1) / 2))}]`);
    await client.waitClosed();
    expect(client.problems).toEqual([]);
  });

  it('client-only tags with malformed keys are not relayed (+ü, + and +a` were)', async () => {
    const srv = await startServer();
    servers.push(srv);
    const join = async (nick: string) => {
      const c = await TestClient.connect(srv.port);
      testClients.push(c);
      c.send('CAP LS 302');
      c.send('CAP REQ :message-tags');
      c.send(`NICK ${nick}`);
      c.send(`USER ${nick} 0 * :${nick}`);
      c.send('CAP END');
      await c.expect(/ (376|422) /);
      c.send('JOIN #a');
      await c.expect(/ 366 /);
      return c;
    };
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.sync();
    alice.send('@+ü=x;+ok=1;+=y;+a`=z;+a/b=c;+example.com/k-2=v;+x.=w PRIVMSG #a :hi');
    const line = await bob.expect(/ PRIVMSG #a :hi$/);
    expect(line).toMatch(/^@msgid=[^; ]+;\+ok=1;\+a\/b=c;\+example\.com\/k-2=v :alice!alice@127\.0\.0\.1 PRIVMSG #a :hi$/);
  });

  it('the serializer keeps a body of long middle parameters within 510 bytes', () => {
    const body = serializeBody('obrol.local', '403', ['rex', `#${'é'.repeat(300)}`, 'No such channel']);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(510);
    expect(body.startsWith(':obrol.local 403 rex #éé')).toBe(true);
    expect(body.endsWith(' :')).toBe(true);
    expect(checkServerLine(Buffer.from(body))).toBeNull();
    // Two long middles: both cut, the longest first; each keeps at least one character.
    const two = serializeBody('s', 'X', ['a'.repeat(400), 'b'.repeat(300), 'c'.repeat(5), 'trailing']);
    expect(Buffer.byteLength(two)).toBe(510);
    expect(two).toMatch(/^:s X a+ b+ ccccc :$/);
  });
});
