/**
 * Flood control (src/server/dispatcher.ts): every command costs units from a
 * per-client bucket of flood_burst units, refilled at flood_rate per second.
 * Commands beyond the bucket wait, in order, and are never dropped; only
 * waiting lines past the class's recvq_bytes end the link ("Excess Flood").
 * Operators and classes with flood_rate 0 are exempt.
 *
 * Time is a manual clock (test/helpers/clock.ts) that moves only on
 * clock.advance(): a line answered while it stands still was not delayed, and
 * a waiting line is checked to run at the very millisecond the bucket
 * arithmetic says, with no real waiting. A line held back has no reply to
 * show, so what waits is read from the server's session (its backlog).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { TestClient } from '../../helpers/client.js';
import { ManualClock } from '../../helpers/clock.js';
import { useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';
import { sessionOf, until } from '../../helpers/until.js';

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

/** A server on a manual clock of its own. */
async function floodServer(flood: FloodSettings, extra: ConfigInput = {}): Promise<{ srv: TestServer; clock: ManualClock }> {
  const clock = new ManualClock();
  const srv = await fx.server({ clock, config: floodConfig(flood, extra) });
  return { srv, clock };
}

function tokens(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, k) => `${prefix}${String(k + 1).padStart(3, '0')}`);
}

/** Write one PING per token in a single write (so they reach the server together). */
function sendPings(c: TestClient, list: string[]): void {
  c.write(list.map((t) => `PING ${t}\r\n`).join(''));
}

function pong(token: string): string {
  return `:obrol.local PONG obrol.local :${token}`;
}

/** The PONGs received so far whose token starts with `prefix`, as tokens, in arrival order. */
function pongTokens(c: TestClient, prefix: string): string[] {
  return c.received.filter((l) => l.startsWith(`:obrol.local PONG obrol.local :${prefix}`)).map((l) => l.slice(l.lastIndexOf(':') + 1));
}

/** Resolves once `n` lines wait in a session's backlog: everything written has arrived, and the rest was paid for. */
function untilWaiting(waiting: readonly unknown[], n: number): Promise<void> {
  return until(() => waiting.length === n, `${n} lines waiting (now ${waiting.length})`);
}

describe('flood control: burst, delay, order', () => {
  it('a burst within flood_burst is answered at once', async () => {
    // 20 units, 2 per second: registration's NICK and USER (4 units) leave 16.
    const { srv } = await floodServer({ flood_burst: 20, flood_rate: 2 });
    const alice = await fx.register(srv, 'alice');
    const waiting = sessionOf(srv, 'alice').backlog; // the lines held for the bucket
    const list = tokens('burst', 30); // PING costs half a unit: 15 units in all
    sendPings(alice, list);
    // Answered with time standing still; without the burst they would need 7.5 seconds.
    expect(await alice.expect((l) => l.endsWith(':burst030'))).toBe(pong('burst030'));
    expect(pongTokens(alice, 'burst')).toEqual(list);
    expect(waiting.length).toBe(0);
    expect(sessionOf(srv, 'alice').floodTimer).toBeNull();
  });

  it('beyond flood_burst commands are delayed, never dropped, and answered in order', async () => {
    const { srv, clock } = await floodServer({ flood_burst: 5, flood_rate: 10 });
    const alice = await fx.register(srv, 'alice');
    const waiting = sessionOf(srv, 'alice').backlog; // the lines held for the bucket
    clock.advance(500); // the bucket is full again: 5 units
    const list = tokens('f', 40); // 20 units: 5 at once (10 PINGs), then 10 units per second (one PING per 50 ms)
    sendPings(alice, list);
    await untilWaiting(waiting, 30);
    expect(await alice.expect((l) => l.endsWith(':f010'))).toBe(pong('f010'));
    expect(pongTokens(alice, 'f')).toEqual(list.slice(0, 10));
    // The 11th runs once half a unit has come back: 50 ms, not a millisecond sooner.
    clock.advance(49);
    expect(waiting.length).toBe(30);
    clock.advance(1);
    expect(waiting.length).toBe(29);
    expect(await alice.expect((l) => l.endsWith(':f011'))).toBe(pong('f011'));
    // The last one 1.5 s after the burst (30 × 50 ms).
    clock.advance(1449);
    expect(waiting.length).toBe(1);
    clock.advance(1);
    expect(waiting.length).toBe(0);
    expect(await alice.expect((l) => l.endsWith(':f040'))).toBe(pong('f040'));
    expect(pongTokens(alice, 'f')).toEqual(list);
    expect(alice.closed).toBe(false);
  });

  it('commands cost different amounts: NICK costs 3 units', async () => {
    const { srv, clock } = await floodServer({ flood_burst: 5, flood_rate: 10 });
    const alice = await fx.register(srv, 'alice');
    const waiting = sessionOf(srv, 'alice').backlog; // the lines held for the bucket
    clock.advance(500); // the bucket is full again: 5 units
    // Six nick changes, 18 units: n1 at once (2 left), n2 once 1 more unit
    // has come back (100 ms), then one every 3 units (300 ms). Were NICK one
    // unit like PRIVMSG, five would run at once.
    alice.write(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => `NICK ${n}\r\n`).join(''));
    await untilWaiting(waiting, 5);
    expect(await alice.expect(/ NICK :n1$/)).toBe(':alice!alice@127.0.0.1 NICK :n1');
    clock.advance(99);
    expect(waiting.length).toBe(5);
    clock.advance(1);
    expect(waiting.length).toBe(4);
    clock.advance(299);
    expect(waiting.length).toBe(4);
    clock.advance(1);
    expect(waiting.length).toBe(3);
    // n6 at 100 + 4 × 300 = 1300 ms.
    clock.advance(899);
    expect(waiting.length).toBe(1);
    clock.advance(1);
    expect(waiting.length).toBe(0);
    expect(await alice.expect(/ NICK :n6$/)).toBe(':n5!alice@127.0.0.1 NICK :n6');
    expect(alice.received.filter((l) => / NICK :/.test(l))).toEqual([
      ':alice!alice@127.0.0.1 NICK :n1',
      ':n1!alice@127.0.0.1 NICK :n2',
      ':n2!alice@127.0.0.1 NICK :n3',
      ':n3!alice@127.0.0.1 NICK :n4',
      ':n4!alice@127.0.0.1 NICK :n5',
      ':n5!alice@127.0.0.1 NICK :n6',
    ]);
  });

  it('order holds across different commands while they wait: PRIVMSGs and PINGs interleaved, then QUIT', async () => {
    // A burst of 10: registering with capabilities and joining (7 units) fit in it.
    const { srv, clock } = await floodServer({ flood_burst: 10, flood_rate: 20 });
    const alice = await fx.withCaps(srv, 'alice', 'echo-message');
    const waiting = sessionOf(srv, 'alice').backlog; // the lines held for the bucket
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    expect(await alice.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#c');
    clock.advance(1000); // both buckets full again
    const n = 20;
    let batch = '';
    for (let k = 1; k <= n; k++) batch += `PRIVMSG #c :m${k}\r\nPING p${k}\r\n`;
    // QUIT costs half a unit too, and waits for its turn behind the flood.
    batch += 'QUIT :done\r\n';
    alice.write(batch);
    // 20 × (1 + 0.5) + 0.5 = 30.5 units: 10 at once (m1 … m7, p1 … p6), 20.5 more at 20 per second.
    await untilWaiting(waiting, 2 * n + 1 - 13);
    expect(await bob.expect(/ PRIVMSG #c :m7$/)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :m7');
    clock.advance(1024);
    expect(waiting.length).toBe(1); // the QUIT
    clock.advance(1);
    expect(srv.server.registry.findUser('alice')).toBeUndefined();
    expect(await bob.expect(/ QUIT /)).toBe(':alice!alice@127.0.0.1 QUIT :Quit: done');
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
    const { srv, clock } = await floodServer({ flood_burst: 10, flood_rate: 10, recvq_bytes: 1024 });
    const alice = await fx.register(srv, 'alice');
    const waiting = sessionOf(srv, 'alice').backlog; // the lines held for the bucket
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    clock.advance(1000); // the bucket is full again: 10 units
    // 40 lines of 24 bytes ("PING under-padding-001"): 20 run at once, 20 (480 bytes) wait.
    const under = tokens('under-padding-', 40);
    sendPings(alice, under);
    await untilWaiting(waiting, 20);
    clock.advance(1000);
    expect(await alice.expect((l) => l.endsWith(':under-padding-040'))).toBe(pong('under-padding-040'));
    expect(pongTokens(alice, 'under-padding-')).toEqual(under);
    expect(alice.closed).toBe(false);

    // 200 such lines at once, with a full bucket: 20 run, 42 wait (1008
    // bytes), and the next one would take the waiting lines past 1024.
    clock.advance(1000);
    const over = tokens('over-padding-x', 200);
    sendPings(alice, over);
    expect(await alice.expect(/^ERROR/)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Excess Flood]');
    await alice.waitClosed();
    expect(await bob.expect(/ QUIT /)).toBe(':alice!alice@127.0.0.1 QUIT :Excess Flood');
    // What was answered before the link closed is what the bucket paid for, in order.
    expect(pongTokens(alice, 'over-padding-x')).toEqual(over.slice(0, 20));
    expect(alice.received.at(-1)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Excess Flood]');
  });
});

describe('flood control: exemptions', () => {
  it('an operator is exempt: 200 PINGs after OPER are answered with time standing still', async () => {
    const { srv } = await floodServer({ flood_burst: 10, flood_rate: 1 }, { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    // 100 units, with 3 left in the bucket: the clock never moves, so without the exemption they would never all run.
    const list = tokens('op', 200);
    sendPings(alice, list);
    expect(await alice.expect((l) => l.endsWith(':op200'))).toBe(pong('op200'));
    expect(pongTokens(alice, 'op')).toEqual(list);
  });

  it('a refused OPER (unknown name) holds the lines after it, within the recvq, and they are answered in order after it', async () => {
    const { srv } = await floodServer({ flood_burst: 1, flood_rate: 0, recvq_bytes: 1024 }, { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] });
    const alice = await fx.register(srv, 'alice');
    // An unknown name takes a password check like any other (so its timing
    // tells nothing): the PINGs in the same write wait for it in the recvq.
    const list = tokens('after-oper', 20);
    alice.write(`OPER nobody wrong\r\n${list.map((t) => `PING ${t}\r\n`).join('')}`);
    expect(await alice.expect(/ 464 /)).toBe(':obrol.local 464 alice :Password incorrect');
    expect(await alice.expect((l) => l.endsWith(':after-oper020'))).toBe(pong('after-oper020'));
    expect(pongTokens(alice, 'after-oper')).toEqual(list);
    expect(alice.closed).toBe(false);
  });

  it('a class with flood_rate 0 has no flood control', async () => {
    // The clock never moves: everything is answered without any refill.
    const { srv } = await floodServer({ flood_burst: 1, flood_rate: 0 });
    const alice = await fx.register(srv, 'alice');
    const list = tokens('z', 200);
    sendPings(alice, list);
    alice.write('NICK n1\r\nNICK n2\r\nNICK n3\r\n');
    expect(await alice.expect(/ NICK :n3$/)).toBe(':n2!alice@127.0.0.1 NICK :n3');
    expect(pongTokens(alice, 'z')).toEqual(list);
  });
});

describe('flood control and the connection lifecycle', () => {
  it('a PONG stuck behind a flood still counts as an answer: no ping timeout while lines wait', async () => {
    const { srv, clock } = await floodServer({ flood_burst: 5, flood_rate: 10 }, { timeouts: { ping_interval: 1, ping_timeout: 1 } });
    const alice = await fx.register(srv, 'alice');
    const session = sessionOf(srv, 'alice');
    const waiting = session.backlog;
    // Answer keepalive PINGs at once; the answers queue behind the flood.
    alice.socket.on('data', (chunk: string) => {
      for (const line of chunk.split('\r\n')) if (line === 'PING :obrol.local') alice.send('PONG :obrol.local');
    });
    clock.advance(500); // the bucket is full again: 5 units
    // 110 PINGs: 55 units, 5 s of waiting, far past ping_interval + ping_timeout.
    const list = tokens('live', 110);
    sendPings(alice, list);
    await untilWaiting(waiting, 100);
    // A second at a time, as the keepalive sweep runs; each keepalive PING
    // is answered before the clock moves on (an unanswered one times out 2 s later).
    const waitingWhenAsked: number[] = [];
    for (let second = 0; second < 7; second++) {
      clock.advance(1000);
      if (session.pingSentAt !== 0) {
        waitingWhenAsked.push(session.backlog.length);
        // The answer is read at once (it clears the question) though it waits in line to run.
        await until(() => session.pingSentAt === 0, 'the keepalive answer to reach the server');
      }
    }
    expect(await alice.expect((l) => l.endsWith(':live110') || l.startsWith('ERROR'))).toBe(pong('live110'));
    expect(pongTokens(alice, 'live')).toEqual(list);
    // The server did ask while the flood waited (so its answer did wait in line).
    expect(waitingWhenAsked.length).toBeGreaterThan(0);
    expect(waitingWhenAsked[0]).toBeGreaterThan(0);
    expect(alice.received.some((l) => l.startsWith('ERROR'))).toBe(false);
    expect(alice.closed).toBe(false);
  });

  it('a client that half-closes with lines still waiting gets all of them answered, then ERROR', async () => {
    // A burst of 10: registering and joining (6 units) fit in it.
    const { srv, clock } = await floodServer({ flood_burst: 10, flood_rate: 10 });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    clock.advance(1000); // the bucket is full again: 10 units
    const list = tokens('h', 30); // 15 units: 20 PINGs at once, 10 wait (500 ms)
    sendPings(alice, list);
    alice.socket.end();
    const session = sessionOf(srv, 'alice');
    await until(() => session.backlog.length === 10 && session.closeWhenIdle !== null, 'the half-close, with 10 lines waiting');
    // The link stays open while they wait, however long that is.
    clock.advance(499);
    expect(session.backlog.length).toBe(1);
    expect(session.closed).toBe(false);
    clock.advance(1);
    expect(session.closed).toBe(true);
    await alice.waitClosed();
    expect(pongTokens(alice, 'h')).toEqual(list);
    expect(alice.received.at(-1)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Connection closed]');
    expect(await bob.expect(/ QUIT /)).toBe(':alice!alice@127.0.0.1 QUIT :Connection closed');
  });
});
