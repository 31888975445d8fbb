/**
 * How the server holds up around its edges: the shutdown grace
 * (timeouts.shutdown_grace), a command handler that fails (thrown or
 * rejected), and a REHASH whose new file is invalid (nothing of it applies,
 * classes included, and nobody is dropped).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMANDS } from '../../../src/commands/index.js';
import type { CommandSpec } from '../../../src/commands/spec.js';
import { hashPassword } from '../../../src/config/password.js';
import { TestClient } from '../../helpers/client.js';
import { startServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';

const S = ':obrol.local';
const PASSWORD = 'lifecycle-oper-password';
const TEST_VERBS = ['BOOM', 'BOOMLATER'];
let hash = '';
let servers: TestServer[] = [];
let clients: TestClient[] = [];
let tempDirs: string[] = [];

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

afterEach(async () => {
  for (const verb of TEST_VERBS) (COMMANDS as Map<string, CommandSpec>).delete(verb);
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
    const srv = await server({ config: { timeouts: { shutdown_grace: 1 } } });
    const stubborn = await registerStubborn(srv, 'stubborn');
    const start = Date.now();
    const stopped = srv.stop();
    expect(await stubborn.expect(/^ERROR/)).toBe('ERROR :Closing link: (stubborn@127.0.0.1) [Server shutting down]');
    await stopped;
    const took = Date.now() - start;
    // It did wait (the socket was still open), but no longer than the grace (plus slack).
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2500);
  });

  it('stop() returns as soon as every client has gone, well before the grace', async () => {
    const srv = await server({ config: { timeouts: { shutdown_grace: 10 } } });
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    const start = Date.now();
    await srv.stop();
    expect(Date.now() - start).toBeLessThan(3000);
    for (const c of [alice, bob]) {
      await c.waitClosed();
      expect(c.received.at(-1)).toBe(`ERROR :Closing link: (${c.nick}@127.0.0.1) [Server shutting down]`);
    }
  });
});

describe('a failing command', () => {
  function install(): void {
    const table = COMMANDS as Map<string, CommandSpec>;
    table.set('BOOM', {
      verb: 'BOOM',
      minParams: 0,
      penalty: 1000,
      handle: (ctx) => {
        ctx.notice('about to fail');
        throw new Error('kaboom');
      },
    });
    table.set('BOOMLATER', {
      verb: 'BOOMLATER',
      minParams: 0,
      penalty: 1000,
      handle: () => Promise.reject(new Error('kaboom later')),
    });
  }

  it('a handler that throws: 400 to the caller only, who stays connected; the error is logged with the connection and verb', async () => {
    install();
    const srv = await server({ captureLogs: true });
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    await join(alice, '#c');
    await join(bob, '#c');
    await alice.sync();
    alice.send('BOOM');
    alice.send('PRIVMSG #c :still here');
    // What the handler queued before it threw is sent, then the error numeric; the next line runs.
    expect(await alice.sync()).toEqual([
      `${S} NOTICE alice :about to fail`,
      `${S} 400 alice BOOM :Internal error while processing the command`,
    ]);
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :still here');
    bob.send('PRIVMSG #c :hello alice');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :hello alice');
    expect(bob.received.some((l) => / 400 |about to fail/.test(l))).toBe(false);
    expect(alice.closed).toBe(false);
    expect(srv.server.registry.checkInvariants()).toEqual([]);

    // Logged once, at error level, with alice's connection id and the verb.
    const connect = srv.logs.find((r) => r.event === 'connect' && r.port === alice.socket.localPort);
    expect(connect?.conn).toEqual(expect.any(String));
    const errors = srv.logs.filter((r) => r.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ conn: connect?.conn, command: 'BOOM', msg: 'command failed' });
    expect((errors[0]?.err as { message?: string } | undefined)?.message).toBe('kaboom');
  });

  it('a handler whose promise rejects: 400, and the lines that waited behind it still run, in order', async () => {
    install();
    const srv = await server({ captureLogs: true });
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    await join(alice, '#c');
    await join(bob, '#c');
    await alice.sync();
    alice.write('BOOMLATER\r\nPRIVMSG #c :one\r\nBOOM\r\nPRIVMSG #c :two\r\n');
    expect(await alice.sync()).toEqual([
      `${S} 400 alice BOOMLATER :Internal error while processing the command`,
      `${S} NOTICE alice :about to fail`,
      `${S} 400 alice BOOM :Internal error while processing the command`,
    ]);
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :one');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :two');
    const connect = srv.logs.find((r) => r.event === 'connect' && r.port === alice.socket.localPort);
    const errors = srv.logs.filter((r) => r.level === 50).map((r) => [r.conn, r.command, (r.err as { message?: string }).message]);
    expect(errors).toEqual([
      [connect?.conn, 'BOOMLATER', 'kaboom later'],
      [connect?.conn, 'BOOM', 'kaboom'],
    ]);
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
    const srv = await server({ configPath: path, config: { classes: undefined } });
    const boss = await register(srv, 'boss');
    boss.send(`OPER boss ${PASSWORD}`);
    await boss.expect(/ 381 /);
    const bob = await register(srv, 'bob');
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
    // bob is still under flood control: 20 PINGs (10 units) with at most 5 at once, then 5 per second.
    const start = Date.now();
    let batch = '';
    for (let k = 1; k <= 20; k++) batch += `PING q${k}\r\n`;
    bob.write(batch);
    expect(await bob.expect(/:q20$/, 5000)).toBe(`${S} PONG obrol.local :q20`);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    // Nobody was dropped.
    bob.send('PRIVMSG #c :after the failed rehash');
    expect(await boss.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :after the failed rehash');
    expect(boss.closed || bob.closed).toBe(false);
    expect(srv.server.connectionCount).toBe(2);
  });
});
