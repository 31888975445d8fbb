/**
 * Keepalive and the ways a connection ends: PING/PONG and ping timeouts,
 * the registration timeout, QUIT, a dropped socket, and a client that
 * half-closes right after sending (`printf ... | nc -q1`).
 * The timeout tests run on a manual clock (test/helpers/clock.ts) with
 * 1-second config timeouts: the keepalive sweep runs once a second of the
 * clock's time, so each PING and each timeout is checked at the exact second
 * it is due, with no real waiting. Waits are awaited reads, never sleeps.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { TestClient } from '../helpers/client.js';
import { ManualClock } from '../helpers/clock.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sessionOf, until } from '../helpers/until.js';

const S = ':obrol.local';

let servers: TestServer[] = [];
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function server(config?: ConfigInput, clock?: ManualClock): Promise<TestServer> {
  const srv = await startServer({ ...(config ? { config } : {}), ...(clock ? { clock } : {}) });
  servers.push(srv);
  return srv;
}

async function connect(srv: TestServer): Promise<TestClient> {
  const c = await TestClient.connect(srv.port);
  clients.push(c);
  return c;
}

async function register(srv: TestServer, nick: string): Promise<TestClient> {
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

/** A connection that has not registered, once the server has taken it (its welcome NOTICE came). */
async function connectAndWait(srv: TestServer): Promise<TestClient> {
  const c = await connect(srv);
  await c.expect(/NOTICE \* :\*\*\* Welcome/);
  return c;
}

/** Answer the keepalive PING that has come, and wait until the server has read the answer. */
async function answer(srv: TestServer, c: TestClient, line = 'PONG :obrol.local'): Promise<void> {
  const session = sessionOf(srv, c.nick);
  expect(await c.expect(/PING|ERROR/)).toBe('PING :obrol.local');
  c.send(line);
  await until(() => session.pingSentAt === 0, `the server to read ${c.nick}'s ${line}`);
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

const FAST_PINGS: ConfigInput = { timeouts: { ping_interval: 1, ping_timeout: 1 } };

describe('keepalive PING', () => {
  it('an idle client gets PING :obrol.local; answering with PONG keeps it connected', async () => {
    const clock = new ManualClock();
    const srv = await server(FAST_PINGS, clock);
    const c = await register(srv, 'alice');
    const session = sessionOf(srv, 'alice');
    // One second of silence is not more than ping_interval; two are.
    clock.advance(1000);
    expect(session.pingSentAt).toBe(0);
    clock.advance(1000);
    await answer(srv, c);
    // Unanswered, that PING would end the link 2 s later; answered, the next
    // keepalive PING comes then instead.
    clock.advance(2000);
    await answer(srv, c, 'PONG obrol.local');
    expect(await c.sync()).toEqual([]);
    expect(c.closed).toBe(false);
    expect(c.received.some((l) => l.startsWith('ERROR'))).toBe(false);
  });

  it('any line counts as an answer, not only PONG', async () => {
    const clock = new ManualClock();
    const srv = await server(FAST_PINGS, clock);
    const c = await register(srv, 'alice');
    clock.advance(2000);
    expect(await c.expect(/PING/)).toBe('PING :obrol.local');
    c.send('LUSERS');
    await c.expect(/ 266 /); // read (and answered) before the clock moves on
    clock.advance(2000);
    expect(await c.expect(/PING|ERROR/)).toBe('PING :obrol.local');
    expect(c.closed).toBe(false);
  });

  it('without an answer: ERROR with Ping timeout, the socket closes, peers see exactly one QUIT', async () => {
    const clock = new ManualClock();
    const srv = await server(FAST_PINGS, clock);
    const peer = await register(srv, 'peer');
    const victim = await register(srv, 'victim');
    for (const ch of ['#one', '#two']) {
      await join(peer, ch);
      await join(victim, ch);
    }
    // Both are asked after two seconds of silence; only the peer answers.
    clock.advance(2000);
    await answer(srv, peer);
    expect(await victim.expect(/PING/)).toBe('PING :obrol.local');
    // The ping timeout is one second: it passes at the sweep after that, not before.
    clock.advance(1000);
    expect(srv.server.registry.findUser('victim')).toBeDefined();
    clock.advance(1000);
    expect(srv.server.registry.findUser('victim')).toBeUndefined();
    // Four seconds since the victim last said anything.
    expect(await victim.expect(/^ERROR/)).toBe('ERROR :Closing link: (victim@127.0.0.1) [Ping timeout: 4 seconds]');
    await victim.waitClosed();

    const quit = ':victim!victim@127.0.0.1 QUIT :Ping timeout: 4 seconds';
    expect(await peer.expect(/ QUIT /)).toBe(quit);
    await peer.sync();
    expect(peer.received.filter((l) => l.includes(' QUIT '))).toEqual([quit]);
    expect(peer.closed).toBe(false);
  });
});

describe('registration timeout', () => {
  it('closes a connection that does not register in time with ERROR; registered users stay', async () => {
    const clock = new ManualClock();
    const srv = await server({ timeouts: { registration: 1 } }, clock);
    const registered = await register(srv, 'early');
    const silent = await connectAndWait(srv);
    const nickOnly = await connectAndWait(srv);
    nickOnly.send('NICK halfway');
    expect(await nickOnly.sync()).toEqual([]); // the NICK has been read
    // One second is not more than the timeout; at the next sweep it is.
    clock.advance(1000);
    expect(srv.server.connectionCount).toBe(3);
    clock.advance(1000);
    expect(srv.server.connectionCount).toBe(1);
    expect(await silent.expect(/^ERROR/)).toBe('ERROR :Closing link: (*@127.0.0.1) [Registration timed out]');
    await silent.waitClosed();
    expect(await nickOnly.expect(/^ERROR/)).toBe('ERROR :Closing link: (*@127.0.0.1) [Registration timed out]');
    await nickOnly.waitClosed();
    expect(nickOnly.received.some((l) => / 001 /.test(l))).toBe(false);
    // The registered client has been connected as long and is fine.
    expect(await registered.sync()).toEqual([]);
    expect(registered.closed).toBe(false);
    // The unregistered client's nick was released.
    registered.send('NICK halfway');
    expect(await registered.sync()).toEqual([':early!early@127.0.0.1 NICK :halfway']);
  });

  it('a client that gave USER only is dropped too, with its username in ERROR', async () => {
    const clock = new ManualClock();
    const srv = await server({ timeouts: { registration: 1 } }, clock);
    const c = await connectAndWait(srv);
    c.send('USER lazy 0 * :Lazy');
    expect(await c.sync()).toEqual([]); // the USER has been read
    clock.advance(2000);
    expect(await c.expect(/^ERROR/)).toBe('ERROR :Closing link: (lazy@127.0.0.1) [Registration timed out]');
    await c.waitClosed();
  });
});

describe('QUIT', () => {
  it('with a reason: peers in several shared channels see one QUIT :Quit: reason; the quitter gets ERROR then close', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    const stranger = await register(srv, 'stranger');
    for (const ch of ['#a', '#b', '#c']) {
      await join(alice, ch);
      await join(bob, ch);
    }
    await join(stranger, '#elsewhere');
    alice.drain();
    bob.send('QUIT :gone fishing');
    expect(await bob.expect(/^ERROR/)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Quit: gone fishing]');
    await bob.waitClosed();
    expect(bob.received.at(-1)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Quit: gone fishing]');
    expect(await alice.sync()).toEqual([':bob!bob@127.0.0.1 QUIT :Quit: gone fishing']);
    expect(await stranger.sync()).toEqual([]);
    // bob is gone: his nick is free and the channels hold only alice.
    alice.send('NAMES #a');
    expect(await alice.sync()).toEqual([`${S} 353 alice = #a :@alice`, `${S} 366 alice #a :End of /NAMES list`]);
  });

  it('without a reason: QUIT :Client Quit', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    await join(alice, '#a');
    await join(bob, '#a');
    await join(alice, '#b');
    await join(bob, '#b');
    alice.drain();
    bob.send('QUIT');
    expect(await bob.expect(/^ERROR/)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Client Quit]');
    await bob.waitClosed();
    expect(await alice.sync()).toEqual([':bob!bob@127.0.0.1 QUIT :Client Quit']);
  });

  it('QUIT before registration closes with ERROR and tells nobody', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const c = await connect(srv);
    c.send('NICK newbie');
    c.send('QUIT :changed my mind');
    expect(await c.expect(/^ERROR/)).toBe('ERROR :Closing link: (*@127.0.0.1) [Quit: changed my mind]');
    await c.waitClosed();
    expect(await alice.sync()).toEqual([]);
  });

  it('a client that drops the socket produces a QUIT for its peers', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    await join(alice, '#a');
    await join(bob, '#a');
    await join(alice, '#b');
    await join(bob, '#b');
    alice.drain();
    bob.close();
    const quit = await alice.expect(/ QUIT /);
    expect(quit).toMatch(/^:bob!bob@127\.0\.0\.1 QUIT :(Connection closed|Connection reset by peer)$/);
    await alice.sync();
    expect(alice.received.filter((l) => l.includes(' QUIT '))).toEqual([quit]);
  });
});

describe('half-closed clients (printf ... | nc -q1)', () => {
  it('still get their replies before the server closes', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    await join(alice, '#half');
    const c = await connect(srv);
    c.write('NICK carol\r\nUSER carol 0 * :Carol\r\nJOIN #half\r\nPRIVMSG #half :hello from a pipe\r\n');
    c.socket.end();
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 carol :Welcome to the Obrol IRC Network carol!carol@127.0.0.1`);
    await c.expect(/ 376 /);
    expect(await c.expect(/ JOIN /)).toBe(':carol!carol@127.0.0.1 JOIN :#half');
    expect(await c.expect(/ 353 /)).toBe(`${S} 353 carol = #half :@alice carol`);
    expect(await c.expect(/ 366 /)).toBe(`${S} 366 carol #half :End of /NAMES list`);
    expect(await c.expect(/^ERROR/)).toBe('ERROR :Closing link: (carol@127.0.0.1) [Connection closed]');
    await c.waitClosed();

    expect(await alice.expect(/ JOIN /)).toBe(':carol!carol@127.0.0.1 JOIN :#half');
    expect(await alice.expect(/PRIVMSG/)).toBe(':carol!carol@127.0.0.1 PRIVMSG #half :hello from a pipe');
    expect(await alice.expect(/ QUIT /)).toBe(':carol!carol@127.0.0.1 QUIT :Connection closed');
  });
});

describe('half-closed clients, while a command is still running (server password check)', () => {
  let hash = '';
  beforeAll(async () => {
    hash = await hashPassword('letmein');
  });

  it('the right password: the welcome burst and the answer to a later line come before ERROR', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.write('PASS letmein\r\nNICK dora\r\nUSER dora 0 * :Dora\r\nLUSERS\r\n');
    c.socket.end();
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 dora :Welcome to the Obrol IRC Network dora!dora@127.0.0.1`);
    await c.expect(/ 376 /);
    // The line sent after the registration completed is answered too.
    expect(await c.expect(/ 251 /)).toBe(`${S} 251 dora :There are 1 users and 0 invisible on 1 servers`);
    expect(await c.expect(/^ERROR/)).toBe('ERROR :Closing link: (dora@127.0.0.1) [Connection closed]');
    await c.waitClosed();
  });

  it('a wrong password is still answered with 464 and ERROR', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.write('PASS nope\r\nNICK eve\r\nUSER eve 0 * :Eve\r\n');
    c.socket.end();
    await c.waitClosed();
    expect(c.received.slice(1)).toEqual([`${S} 464 eve :Password incorrect`, 'ERROR :Closing link: (eve@127.0.0.1) [Bad password]']);
  });
});
