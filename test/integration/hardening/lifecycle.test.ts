/**
 * How the server holds up around its edges: the shutdown grace
 * (timeouts.shutdown_grace) and a REHASH whose new file is invalid (nothing
 * of it applies, classes included, and nobody is dropped). A command handler
 * that fails is in faults.test.ts.
 *
 * The servers run on a manual clock (test/helpers/clock.ts): the grace and
 * the flood-control refill pass only when the test advances it, so how long
 * something waits is checked exactly, with no real waiting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../../src/config/password.js';
import { TestClient } from '../../helpers/client.js';
import { ManualClock } from '../../helpers/clock.js';
import { nextTurn } from '../../helpers/memorylink.js';
import { startServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';
import { sessionOf, until } from '../../helpers/until.js';

const S = ':obrol.local';
const PASSWORD = 'lifecycle-oper-password';
let hash = '';
let servers: TestServer[] = [];
let clients: TestClient[] = [];
let tempDirs: string[] = [];

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs = [];
});

async function server(options: TestServerOptions): Promise<TestServer> {
  const srv = await startServer(options);
  servers.push(srv);
  return srv;
}

async function register(srv: TestServer, nick: string): Promise<TestClient> {
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

/** A registered client whose socket stays open after the server ends its side (allowHalfOpen). */
async function registerStubborn(srv: TestServer, nick: string): Promise<TestClient> {
  const c = await TestClient.connect(srv.port, '127.0.0.1', { allowHalfOpen: true });
  clients.push(c);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick}`);
  await c.expect(/ (376|422) /);
  c.nick = nick;
  return c;
}

describe('shutdown grace', () => {
  it('stop() waits for a client that keeps its socket open only as long as shutdown_grace', async () => {
    const clock = new ManualClock();
    const srv = await server({ clock, config: { timeouts: { shutdown_grace: 1 } } });
    const stubborn = await registerStubborn(srv, 'stubborn');
    let stopped = false;
    const stopping = srv.stop().then(() => {
      stopped = true;
    });
    expect(await stubborn.expect(/^ERROR/)).toBe('ERROR :Closing link: (stubborn@127.0.0.1) [Server shutting down]');
    // It waits: the socket is still open, and the grace has not passed.
    await nextTurn();
    expect(stopped).toBe(false);
    clock.advance(999);
    await nextTurn();
    expect(stopped).toBe(false);
    expect(stubborn.closed).toBe(false);
    // The grace is over: stop() returns (within the same turn), with the socket still open.
    clock.advance(1);
    await nextTurn();
    expect(stopped).toBe(true);
    await stopping;
  });

  it('stop() returns as soon as every client has gone, without waiting for the grace', async () => {
    // The clock never moves: were stop() to wait for the grace, it would never return.
    const srv = await server({ clock: new ManualClock(), config: { timeouts: { shutdown_grace: 10 } } });
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    let stopped = false;
    void srv.stop().then(() => {
      stopped = true;
    });
    await until(() => stopped, 'stop() to return');
    for (const c of [alice, bob]) {
      await c.waitClosed();
      expect(c.received.at(-1)).toBe(`ERROR :Closing link: (${c.nick}@127.0.0.1) [Server shutting down]`);
    }
  });
});

describe('REHASH with an invalid file', () => {
  it('keeps the old classes too: no new limits for new connections, no move for connected ones, nobody dropped', async () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'obrol-lifecycle-'));
    tempDirs.push(dir);
    const path = joinPath(dir, 'obrol.yaml');
    const write = (strict: Record<string, number>, extra: Record<string, unknown> = {}) =>
      writeFileSync(
        path,
        stringify({
          server: { motd_file: null },
          classes: [
            { name: 'trusted', hosts: ['127.0.0.2/32'], flood_rate: 0 },
            { name: 'strict', hosts: ['*'], connects_per_minute: 1000, max_per_cidr: 1000, ...strict },
          ],
          opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.*'] }],
          ...extra,
        }),
      );
    write({ max_per_ip: 2, flood_burst: 5, flood_rate: 5 });
    // `classes: undefined` takes away the test helper's own class, so the file's apply.
    const clock = new ManualClock();
    const srv = await server({ clock, configPath: path, config: { classes: undefined } });
    // Registering (4 units) leaves too little for OPER or JOIN until the bucket refills.
    const boss = await register(srv, 'boss');
    clock.advance(1000);
    boss.send(`OPER boss ${PASSWORD}`);
    await boss.expect(/ 381 /);
    const bob = await register(srv, 'bob');
    clock.advance(1000);
    await join(boss, '#c');
    await join(bob, '#c');

    // The new classes would lift both limits, but another key is invalid: nothing applies.
    write({ max_per_ip: 10, flood_rate: 0 }, { limits: { topic_length: 'lots' } });
    boss.send('REHASH');
    await boss.expect(/ 382 /);
    expect(await boss.expect(/REHASH failed/)).toBe(`${S} NOTICE boss :*** REHASH failed: the previous configuration stays in force`);

    // Still two per address: a third connection from 127.0.0.1 is refused.
    const third = await TestClient.connect(srv.port);
    clients.push(third);
    expect(await third.expect(/^ERROR/)).toBe('ERROR :Closing link: (unknown@127.0.0.1) [Too many connections from your address]');
    // bob is still under flood control: 20 PINGs (10 units) with at most 5 at
    // once (10 PINGs), the other 10 waiting for the refill at 5 per second.
    clock.advance(1000); // bob's bucket is full again
    const waiting = sessionOf(srv, 'bob').backlog;
    let batch = '';
    for (let k = 1; k <= 20; k++) batch += `PING q${k}\r\n`;
    bob.write(batch);
    await until(() => waiting.length === 10, `10 of bob's PINGs waiting (now ${waiting.length})`);
    expect(await bob.expect(/:q10$/)).toBe(`${S} PONG obrol.local :q10`);
    // One PING per 100 ms: the last one runs after exactly 1 s.
    clock.advance(999);
    expect(waiting.length).toBe(1);
    clock.advance(1);
    expect(waiting.length).toBe(0);
    expect(await bob.expect(/:q20$/)).toBe(`${S} PONG obrol.local :q20`);
    expect(bob.received.filter((l) => / PONG obrol\.local :q\d+$/.test(l))).toHaveLength(20);
    // Nobody was dropped.
    clock.advance(1000); // bob's bucket holds a unit again
    bob.send('PRIVMSG #c :after the failed rehash');
    expect(await boss.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :after the failed rehash');
    expect(boss.closed || bob.closed).toBe(false);
    expect(srv.server.connectionCount).toBe(2);
  });
});
