/**
 * Flood control (src/server/dispatcher.ts): every command costs units from a
 * per-client bucket of flood_burst units, refilled at flood_rate per second.
 * Commands beyond the bucket wait, in order, and are never dropped; only
 * waiting lines past the class's recvq_bytes end the link ("Excess Flood").
 * Operators and classes with flood_rate 0 are exempt. Timings are measured
 * with Date.now() around awaited reads; lower bounds follow from the bucket
 * arithmetic (the bucket never holds more than flood_burst), so they hold on
 * any machine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';

const PASSWORD = 'flood-oper-password-1';
let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

interface FloodSettings {
  flood_burst: number;
  flood_rate: number;
  recvq_bytes?: number;
}

/** One class for everyone (all test clients come from 127.0.0.1), with generous connection limits. */
function floodConfig(flood: FloodSettings, extra: ConfigInput = {}): ConfigInput {
  return {
    ...extra,
    classes: [
      {
        name: 'c',
        hosts: ['*'],
        max_per_ip: 1000,
        max_per_cidr: 1000,
        connects_per_minute: 100_000,
        recvq_bytes: 65_536,
        ...flood,
      },
    ],
  };
}

function tokens(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, k) => `${prefix}${String(k + 1).padStart(3, '0')}`);
}

/** Write one PING per token in a single write (so they reach the server together); returns when. */
function sendPings(c: TestClient, list: string[]): number {
  c.write(list.map((t) => `PING ${t}\r\n`).join(''));
  return Date.now();
}

function pong(token: string): string {
  return `:obrol.local PONG obrol.local :${token}`;
}

/** The PONGs received so far whose token starts with `prefix`, as tokens, in arrival order. */
function pongTokens(c: TestClient, prefix: string): string[] {
  return c.received.filter((l) => l.startsWith(`:obrol.local PONG obrol.local :${prefix}`)).map((l) => l.slice(l.lastIndexOf(':') + 1));
}

describe('flood control: burst, delay, order', () => {
  it('a burst within flood_burst is answered at once', async () => {
    // 20 units, 2 per second: registration's NICK (3 units) leaves 17.
    const srv = await fx.server({ config: floodConfig({ flood_burst: 20, flood_rate: 2 }) });
    const alice = await fx.register(srv, 'alice');
    const list = tokens('burst', 30); // PING costs half a unit: 15 units in all
    const sent = sendPings(alice, list);
    expect(await alice.expect((l) => l.endsWith(':burst030'))).toBe(pong('burst030'));
    // Without the burst these would trickle in over 7.5 seconds.
    expect(Date.now() - sent).toBeLessThan(1500);
    expect(pongTokens(alice, 'burst')).toEqual(list);
  });

  it('beyond flood_burst commands are delayed, never dropped, and answered in order', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 5, flood_rate: 10 }) });
    const alice = await fx.register(srv, 'alice');
    const list = tokens('f', 40); // 20 units: at most 5 at once, then 10 per second
    const sent = sendPings(alice, list);
    // The first few come back at once.
    expect(await alice.expect((l) => l.endsWith(':f001'))).toBe(pong('f001'));
    const first = Date.now() - sent;
    expect(await alice.expect((l) => l.endsWith(':f040'), 6000)).toBe(pong('f040'));
    const last = Date.now() - sent;
    // The bucket holds at most 5 units, so the last PING waited for at least 15 more: 1.5 s.
    expect(last).toBeGreaterThanOrEqual(1400);
    expect(first).toBeLessThan(last - 1000);
    expect(pongTokens(alice, 'f')).toEqual(list);
    expect(alice.closed).toBe(false);
  });

  it('commands cost different amounts: NICK costs 3 units', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 5, flood_rate: 10 }) });
    const alice = await fx.register(srv, 'alice');
    // Six nick changes: 18 units; with at most 5 in the bucket, the last waits
    // for 13 more (1.3 s). Were NICK one unit like PRIVMSG, it would wait 0.1 s.
    const start = Date.now();
    alice.write(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => `NICK ${n}\r\n`).join(''));
    expect(await alice.expect(/ NICK :n6$/, 6000)).toBe(':n5!alice@127.0.0.1 NICK :n6');
    expect(Date.now() - start).toBeGreaterThanOrEqual(1200);
    expect(alice.received.filter((l) => / NICK :/.test(l))).toEqual([
      ':alice!alice@127.0.0.1 NICK :n1',
      ':n1!alice@127.0.0.1 NICK :n2',
      ':n2!alice@127.0.0.1 NICK :n3',
      ':n3!alice@127.0.0.1 NICK :n4',
      ':n4!alice@127.0.0.1 NICK :n5',
      ':n5!alice@127.0.0.1 NICK :n6',
    ]);
  });

  it('order holds across different commands while they wait: PRIVMSGs and PINGs interleaved, then a free QUIT', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 5, flood_rate: 20 }) });
    const alice = await fx.withCaps(srv, 'alice', 'echo-message');
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    expect(await alice.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#c');
    const n = 20; // 20 × (1 + 0.5) = 30 units: about 1.25 s of waiting
    let batch = '';
    for (let k = 1; k <= n; k++) batch += `PRIVMSG #c :m${k}\r\nPING p${k}\r\n`;
    // QUIT costs nothing, but still waits for its turn behind the flood.
    batch += 'QUIT :done\r\n';
    const sent = Date.now();
    alice.write(batch);
    expect(await bob.expect(/ QUIT /, 6000)).toBe(':alice!alice@127.0.0.1 QUIT :Quit: done');
    // They did wait: 30 units with at most 5 in the bucket take 1.25 s.
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1100);
    const expected: string[] = [];
    for (let k = 1; k <= n; k++) expected.push(`:alice!alice@127.0.0.1 PRIVMSG #c :m${k}`);
    expect(bob.received.filter((l) => /^:alice!\S+ PRIVMSG /.test(l))).toEqual(expected);
    // Alice's own view (echo-message): each message, then its PONG, then the ERROR.
    await alice.waitClosed();
    const mine = alice.received.filter((l) => /^(:alice!\S+ PRIVMSG |:obrol\.local PONG |ERROR )/.test(l));
    const interleaved: string[] = [];
    for (let k = 1; k <= n; k++) interleaved.push(`:alice!alice@127.0.0.1 PRIVMSG #c :m${k}`, pong(`p${k}`));
    expect(mine).toEqual([...interleaved, 'ERROR :Closing link: (alice@127.0.0.1) [Quit: done]']);
  });
});

describe('flood control: Excess Flood', () => {
  it('waiting lines under recvq_bytes are all answered; past it the client gets ERROR [Excess Flood] and peers see the QUIT', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 10, flood_rate: 10, recvq_bytes: 1024 }) });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    // 40 lines of 24 bytes ("PING under-padding-001"): 960 bytes, under 1024 even if all waited.
    const under = tokens('under-padding-', 40);
    sendPings(alice, under);
    expect(await alice.expect((l) => l.endsWith(':under-padding-040'), 6000)).toBe(pong('under-padding-040'));
    expect(pongTokens(alice, 'under-padding-')).toEqual(under);
    expect(alice.closed).toBe(false);

    // 200 such lines at once: far more than 1024 bytes would have to wait.
    const over = tokens('over-padding-x', 200);
    sendPings(alice, over);
    expect(await alice.expect(/^ERROR/)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Excess Flood]');
    await alice.waitClosed();
    expect(await bob.expect(/ QUIT /)).toBe(':alice!alice@127.0.0.1 QUIT :Excess Flood');
    // What was answered before the link closed is the start of the flood, in order.
    const answered = pongTokens(alice, 'over-padding-x');
    expect(answered).toEqual(over.slice(0, answered.length));
    expect(answered.length).toBeLessThan(200);
    expect(alice.received.at(-1)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Excess Flood]');
  });
});

describe('flood control: exemptions', () => {
  it('an operator is exempt: 200 PINGs after OPER are answered promptly', async () => {
    const srv = await fx.server({ config: 
      floodConfig({ flood_burst: 10, flood_rate: 1 }, { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] }),
     });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    // 100 units at 1 per second would take well over a minute without the exemption.
    const list = tokens('op', 200);
    sendPings(alice, list);
    expect(await alice.expect((l) => l.endsWith(':op200'), 2000)).toBe(pong('op200'));
    expect(pongTokens(alice, 'op')).toEqual(list);
  });

  it('a refused OPER (unknown name) holds the lines after it, within the recvq, and they are answered in order after it', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 1, flood_rate: 0, recvq_bytes: 1024 }, { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] }) });
    const alice = await fx.register(srv, 'alice');
    // An unknown name takes a password check like any other (so its timing
    // tells nothing): the PINGs in the same write wait for it in the recvq.
    const list = tokens('after-oper', 20);
    alice.write(`OPER nobody wrong\r\n${list.map((t) => `PING ${t}\r\n`).join('')}`);
    expect(await alice.expect(/ 464 /)).toBe(':obrol.local 464 alice :Password incorrect');
    expect(await alice.expect((l) => l.endsWith(':after-oper020'), 2000)).toBe(pong('after-oper020'));
    expect(pongTokens(alice, 'after-oper')).toEqual(list);
    expect(alice.closed).toBe(false);
  });

  it('a class with flood_rate 0 has no flood control', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 1, flood_rate: 0 }) });
    const alice = await fx.register(srv, 'alice');
    const list = tokens('z', 200);
    sendPings(alice, list);
    alice.write('NICK n1\r\nNICK n2\r\nNICK n3\r\n');
    expect(await alice.expect(/ NICK :n3$/, 2000)).toBe(':n2!alice@127.0.0.1 NICK :n3');
    expect(pongTokens(alice, 'z')).toEqual(list);
  });
});

describe('flood control and the connection lifecycle', () => {
  it('a PONG stuck behind a flood still counts as an answer: no ping timeout while lines wait', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 5, flood_rate: 10 }, { timeouts: { ping_interval: 1, ping_timeout: 1 } }) });
    const alice = await fx.register(srv, 'alice');
    // Answer keepalive PINGs at once; the answers queue behind the flood.
    const keepalives: number[] = [];
    alice.socket.on('data', (chunk: string) => {
      for (const line of chunk.split('\r\n')) {
        if (line === 'PING :obrol.local') {
          keepalives.push(pongTokens(alice, 'live').length);
          alice.send('PONG :obrol.local');
        }
      }
    });
    // 110 PINGs: 55 units, about 5 s of waiting, far past ping_interval + ping_timeout.
    const list = tokens('live', 110);
    sendPings(alice, list);
    expect(await alice.expect((l) => l.endsWith(':live110') || l.startsWith('ERROR'), 10_000)).toBe(pong('live110'));
    expect(pongTokens(alice, 'live')).toEqual(list);
    // The server did ask while the flood waited (so its answer did wait in line).
    expect(keepalives.length).toBeGreaterThan(0);
    expect(keepalives[0]).toBeLessThan(list.length);
    expect(alice.received.some((l) => l.startsWith('ERROR'))).toBe(false);
    expect(alice.closed).toBe(false);
  });

  it('a client that half-closes with lines still waiting gets all of them answered, then ERROR', async () => {
    const srv = await fx.server({ config: floodConfig({ flood_burst: 5, flood_rate: 10 }) });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    const list = tokens('h', 30); // 15 units: most of them wait
    const sent = sendPings(alice, list);
    alice.socket.end();
    await alice.waitClosed(6000);
    // They did wait (at most 5 units at once, then 10 per second): 1 s at least.
    expect(Date.now() - sent).toBeGreaterThanOrEqual(900);
    expect(pongTokens(alice, 'h')).toEqual(list);
    expect(alice.received.at(-1)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Connection closed]');
    expect(await bob.expect(/ QUIT /)).toBe(':alice!alice@127.0.0.1 QUIT :Connection closed');
  });
});
