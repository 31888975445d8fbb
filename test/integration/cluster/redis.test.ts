/**
 * Nodes in one process over a real redis-server (test/helpers/redis.ts): the
 * Redis bus carries the events, the directory makes nicks and channel
 * founders unique across nodes, the lease notices a node that stops
 * heartbeating. Each test has its own key prefix on the file's redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import type { TestServer } from '../../helpers/server.js';
import { until } from '../../helpers/until.js';

const fx = useFixture();
let redis: TestRedis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** `count` nodes (a.obrol.test ...) on one key prefix of the file's Redis. */
async function network(count: number): Promise<TestServer[]> {
  const prefix = `t${process.pid}-${++prefixes}:`;
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${String.fromCharCode(97 + i)}.obrol.test`;
    nodes.push(await fx.server({ config: { server: { name }, cluster: { redis: redis.url, key_prefix: prefix, node_timeout: 1 } } }));
  }
  // Every node hears every other (its lease seen, its burst read) before the test talks to them.
  await until(() => nodes.every((n) => n.server.registry.nodes.size === count - 1 || count === 1), 'every node knowing the others', 5000);
  return nodes;
}

/** Send NICK and USER on `at` and wait for 001, or return the refusal line (433 or 437). */
async function tryRegister(at: TestServer, nick: string): Promise<{ client: TestClient; refused: string | null }> {
  const c = await fx.connect(at);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick}`);
  const line = await c.expect(/ (001|433|437) /, 5000);
  c.nick = nick;
  return { client: c, refused: / 001 /.test(line) ? null : line };
}

async function register(at: TestServer, nick: string): Promise<TestClient> {
  const { client, refused } = await tryRegister(at, nick);
  if (refused !== null) throw new Error(`${nick} refused: ${refused}`);
  await client.expect(/ (376|422) /);
  return client;
}

async function join(c: TestClient, channel: string): Promise<string> {
  c.send(`JOIN ${channel}`);
  return c.expect(new RegExp(` 353 ${c.nick} . ${channel} `), 5000);
}

describe('nodes over a real Redis', () => {
  it('carry a channel conversation between nodes, in order', async () => {
    const [a, b, c] = (await network(3)) as [TestServer, TestServer, TestServer];
    const ann = await register(a, 'ann');
    const bea = await register(b, 'bea');
    const cat = await register(c, 'cat');
    await join(ann, '#talk');
    await join(bea, '#talk');
    await ann.expect(/^:bea!bea@127\.0\.0\.1 JOIN :?#talk$/, 5000);
    expect(await join(cat, '#talk')).toMatch(/:@ann bea cat$/);
    for (let n = 0; n < 100; n++) bea.send(`PRIVMSG #talk :b${n}`);
    for (const peer of [ann, cat]) {
      for (let n = 0; n < 100; n++) expect(await peer.expect(/ PRIVMSG #talk /, 5000)).toBe(`:bea!bea@127.0.0.1 PRIVMSG #talk :b${n}`);
    }
    cat.send('PRIVMSG ann :psst');
    expect(await ann.expect(/ PRIVMSG ann /, 5000)).toBe(':cat!cat@127.0.0.1 PRIVMSG ann :psst');
    for (const node of [a, b, c]) expect(node.server.registry.checkInvariants()).toEqual([]);
  });

  it('let one nick be held once on the whole network', async () => {
    const [a, b] = (await network(2)) as [TestServer, TestServer];
    // Both at once: the directory lets exactly one through.
    const [onA, onB] = await Promise.all([tryRegister(a, 'twin'), tryRegister(b, 'twin')]);
    const refused = [onA.refused, onB.refused].filter((line) => line !== null);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/ 433 \* twin :Nickname is already in use$/);
    // The refused one picks another nick and is welcomed.
    const loser = onA.refused !== null ? onA.client : onB.client;
    loser.send('NICK twin2');
    await loser.expect(/ 001 twin2 /, 5000);
    // A rename onto a nick held on another node is refused too.
    const other = await register(onA.refused !== null ? b : a, 'third');
    other.send('NICK twin');
    await other.expect(/ 433 third twin /, 5000);
  });

  it('take a nick from a client still registering when another node gives it to its user', async () => {
    const [a, b] = (await network(2)) as [TestServer, TestServer];
    const slow = await fx.connect(a);
    slow.send('NICK shared');
    await slow.sync();
    await register(b, 'shared');
    expect(await slow.expect(/ 433 /, 5000)).toBe(':a.obrol.test 433 * shared :Nickname is already in use');
    await until(() => a.server.registry.findUser('shared')?.server === 'b.obrol.test', 'a holding b\'s user under the nick', 5000);
    slow.send('NICK other');
    slow.send('USER other 0 * :other');
    await slow.expect(/ 001 other /, 5000);
  });

  it('make one founder when users of two nodes create a channel at once', async () => {
    const [a, b] = (await network(2)) as [TestServer, TestServer];
    const ann = await register(a, 'ann');
    const ben = await register(b, 'ben');
    const [namesA, namesB] = await Promise.all([join(ann, '#new'), join(ben, '#new')]);
    const founders = [namesA, namesB].filter((line) => / :.*@/.test(line));
    expect(founders.length).toBeLessThanOrEqual(1);
    await until(() => a.server.registry.findChannel('#new')?.members.size === 2 && b.server.registry.findChannel('#new')?.members.size === 2, 'both members on both nodes', 5000);
    const ops = (node: TestServer) => [...(node.server.registry.findChannel('#new')?.members.values() ?? [])].filter((status) => status !== 0).length;
    expect(ops(a)).toBe(1);
    expect(ops(b)).toBe(1);
  });

  it('quit the users of a node that stops heartbeating, free their nicks, and take it back when it returns', async () => {
    const [a, b] = (await network(2)) as [TestServer, TestServer];
    const ann = await register(a, 'ann');
    const ben = await register(b, 'ben');
    await join(ann, '#c');
    await join(ben, '#c');
    await ann.expect(/ben.*JOIN/, 5000);
    // b stops renewing its lease, as a SIGSTOPped process would.
    b.server.lease?.suspend();
    const started = Date.now();
    expect(await ann.expect(/ QUIT /, 6000)).toBe(':ben!ben@127.0.0.1 QUIT :a.obrol.test b.obrol.test');
    expect(Date.now() - started).toBeLessThan(5000);
    // ben's nick is free on a now; taking it means ben collides when b comes back.
    const thief = await register(a, 'ben');
    b.server.lease?.resume();
    await ben.waitClosed(8000);
    expect(ben.drain().join('\n')).toMatch(/Nick collision/);
    await until(() => b.server.registry.findUser('ben')?.server === 'a.obrol.test', 'b learning the new ben', 5000);
    thief.send('WHOIS ben');
    expect(await thief.expect(/ 312 /)).toMatch(/ 312 ben ben a\.obrol\.test /);
  });

  it('refuse new nicks with 437 while Redis is down, keep chat on a node going, and resume', async () => {
    const [a, b] = (await network(2)) as [TestServer, TestServer];
    const ann = await register(a, 'ann');
    const amy = await register(a, 'amy');
    await register(b, 'bob');
    await join(ann, '#local');
    await join(amy, '#local');
    redis.pause();
    try {
      ann.send('PRIVMSG #local :still here');
      expect(await amy.expect(/ PRIVMSG /)).toBe(':ann!ann@127.0.0.1 PRIVMSG #local :still here');
      const { refused } = await tryRegister(a, 'newbie');
      expect(refused).toMatch(/ 437 \* newbie :Nick\/channel is temporarily unavailable/);
    } finally {
      redis.resume();
    }
    const late = await tryRegister(a, 'later');
    expect(late.refused).toBeNull();
    const bob = b.server.registry.findUser('later');
    await until(() => b.server.registry.findUser('later') !== undefined, 'b hearing of the new user', 8000);
    expect(bob === undefined || bob.server === 'a.obrol.test').toBe(true);
  });
});
