/**
 * `obrol --workers 2 --redis URL`: the built command as an operator runs it.
 * Two worker processes share the port (the primary hands connections out in
 * turn), so two clients land on different workers and chat across them;
 * SIGHUP and an operator's REHASH reach both workers; a killed worker is
 * started again and its users quit on the other; SIGTERM stops everything
 * with exit 0.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import { cleanupCli, runCli, startCli, type CliServer, type LogRecord } from '../helpers/cli.js';
import { TestClient } from '../helpers/client.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let operHash: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  [redis, operHash] = await Promise.all([startRedis(), hashPassword('s3cret')]);
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanupCli();
});

let prefixes = 0;

/** The primary with two workers, once both workers listen and have seen each other. */
async function startWorkers(): Promise<CliServer> {
  const server = await startCli({
    config: {
      log: { level: 'info' },
      cluster: { node_timeout: 1, key_prefix: `w${process.pid}-${++prefixes}:` },
      websocket: null,
      opers: [{ name: 'admin', password: operHash, hosts: ['*'] }],
    },
    args: ['--workers', '2', '--redis', redis.url],
  });
  await waitForCount(server, (r) => r.event === 'node-up', 2);
  await waitForCount(server, (r) => r.event === 'listening' && r.kind === 'plain', 2);
  return server;
}

/** Wait until `count` log records match (from any process of the server). */
async function waitForCount(server: CliServer, match: (record: LogRecord) => boolean, count: number, timeoutMs = 10_000): Promise<LogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.logs.filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`${found.length} of ${count} log records\n${server.describe()}`);
    await server.waitForLog(() => true, Math.max(1, deadline - Date.now()), server.logs.length).catch(() => undefined);
  }
}

async function connect(server: CliServer, nick: string): Promise<TestClient> {
  const client = await TestClient.register(server.port, nick);
  clients.push(client);
  return client;
}

/** A worker's log record of a reload done (not the REHASH command's own record). */
function reloaded(record: LogRecord): boolean {
  return record.event === 'rehash' && record.msg === 'configuration reloaded';
}

/** The worker process a nick registered on (its log record's pid). */
function pidOf(server: CliServer, nick: string): unknown {
  return server.logs.find((r) => r.event === 'registered' && r.nick === nick)?.pid;
}

describe('obrol --workers 2 over Redis', () => {
  it('refuses workers without Redis, naming the key', async () => {
    const result = await runCli(['--workers', '2', '--port', '0']);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/cluster\.workers: 2 workers need cluster\.redis/);
  });

  it('spreads clients over both workers, which chat as one server', async () => {
    const server = await startWorkers();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    await waitForCount(server, (r) => r.event === 'registered', 2);
    expect(pidOf(server, 'alice')).not.toBe(pidOf(server, 'bob'));
    alice.send('JOIN #both');
    await alice.expect(/ 366 alice #both /);
    bob.send('JOIN #both');
    expect(await bob.expect(/ 353 /)).toMatch(/ 353 bob = #both :@alice bob$/);
    await alice.expect(/^:bob!bob@\S+ JOIN :?#both$/);
    for (let n = 0; n < 20; n++) bob.send(`PRIVMSG #both :n${n}`);
    for (let n = 0; n < 20; n++) expect(await alice.expect(/ PRIVMSG /)).toMatch(new RegExp(`^:bob!bob@\\S+ PRIVMSG #both :n${n}$`));
    // One server to its clients: both workers' users are its own.
    alice.send('LUSERS');
    expect(await alice.expect(/ 251 /)).toMatch(/There are 2 users and 0 invisible on 1 servers$/);
    expect(await alice.expect(/ 265 /)).toMatch(/ 265 alice :Current local users 2, max 2$/);

    // SIGHUP to the primary reloads both workers; so does one operator's REHASH.
    const before = server.logs.filter((r) => reloaded(r)).length;
    server.signal('SIGHUP');
    const reloads = await waitForCount(server, (r) => reloaded(r), before + 2);
    expect(new Set(reloads.slice(before).map((r) => r.pid)).size).toBe(2);
    alice.send('OPER admin s3cret');
    await alice.expect(/ 381 /);
    const now = server.logs.filter((r) => reloaded(r)).length;
    alice.send('REHASH');
    await alice.expect(/ 382 /);
    const more = await waitForCount(server, (r) => reloaded(r), now + 2);
    expect(new Set(more.slice(now).map((r) => r.pid)).size).toBe(2);

    // SIGTERM: every worker stops its clients gracefully, and the primary exits 0.
    server.signal('SIGTERM');
    await alice.expect(/^ERROR :Closing link: .*\[Server shutting down\]$/);
    await bob.expect(/^ERROR :Closing link: .*\[Server shutting down\]$/);
    expect(await server.waitForExit(15_000)).toEqual({ code: 0, signal: null });
  });

  it('starts a killed worker again; its users quit for the other worker', async () => {
    const server = await startWorkers();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    alice.send('JOIN #c');
    await alice.expect(/ 366 /);
    bob.send('JOIN #c');
    await alice.expect(/bob.* JOIN/);
    const bobPid = pidOf(server, 'bob') as number;
    process.kill(bobPid, 'SIGKILL');
    expect(await alice.expect(/ QUIT /, 8000)).toMatch(/^:bob!bob@\S+ QUIT :\S+ \S+$/);
    const restarted = await server.waitForLog((r) => r.event === 'worker-exit', 5000);
    expect(restarted.signal).toBe('SIGKILL');
    // The new worker joins the network, and its clients chat with alice's.
    await waitForCount(server, (r) => r.event === 'listening' && r.kind === 'plain', 3);
    const carol = await connect(server, 'bob');
    carol.send('JOIN #c');
    await alice.expect(/^:bob!bob@\S+ JOIN :?#c$/, 8000);
    expect((await server.stop(15_000)).code).toBe(0);
  });
});
