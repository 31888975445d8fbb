/**
 * Three real `obrol` processes forming one network over a private
 * redis-server (cluster.node_timeout 1 s), with faults injected: kill -9 of
 * a node, a Redis restart that loses every key, a node stopped with SIGSTOP
 * for longer than the timeout. Checked from the clients' side: no nick held
 * twice, no message lost, repeated or reordered between clients outside the
 * failure window, and the right QUITs (once each, with the two server names).
 *
 * Every wait is bounded: on lines (TestClient.expect) or by polling
 * (waitFor, namesConverge) with a deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli } from '../helpers/cli.js';
import { TestClient } from '../helpers/client.js';
import { messagesFrom, names, namesConverge, quitsOf, startNetwork, stopNetworks, waitFor, type Network } from '../helpers/cluster.js';

afterEach(async () => {
  await cleanupCli();
  await stopNetworks();
});

const SERVERS = ['a.obrol.test', 'b.obrol.test', 'c.obrol.test'];
const CHANNEL = '#net';
/** node_timeout (1 s) plus a margin for a loaded 2-core machine. */
const SPLIT_BOUND_MS = 5000;

/** Register `nick` on `port` and join CHANNEL; resolves once the JOIN is echoed. */
async function joined(port: number, nick: string): Promise<TestClient> {
  const client = await TestClient.register(port, nick);
  client.send(`JOIN ${CHANNEL}`);
  await client.expect(new RegExp(`^:${nick}!\\S+ JOIN :?${CHANNEL}`));
  await client.expect(/ 366 /);
  return client;
}

/** A client for each [node, nick], registered and joined to CHANNEL, one after the other. */
async function clientsOn(network: Network, plan: Array<[node: number, nick: string]>): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  // One at a time: the channel is created once, by the first.
  for (const [node, nick] of plan) clients.push(await joined((network.nodes[node] as { port: number }).port, nick));
  return clients;
}

/** Send `count` numbered PRIVMSGs from each sender, all at once; wait until every other client has all of them; check order and count. */
async function exchange(senders: TestClient[], receivers: TestClient[], tag: string, count: number, timeoutMs = 15_000): Promise<void> {
  const before = new Map<TestClient, Map<string, number>>();
  for (const r of receivers) before.set(r, new Map(senders.map((s) => [s.nick, messagesFrom(r, s.nick, CHANNEL).length])));
  for (const sender of senders) {
    let batch = '';
    for (let n = 1; n <= count; n++) batch += `PRIVMSG ${CHANNEL} :${tag} ${sender.nick} ${n}\r\n`;
    sender.write(batch);
  }
  const expected = (sender: TestClient) => Array.from({ length: count }, (_, k) => `${tag} ${sender.nick} ${k + 1}`);
  const got = (r: TestClient, s: TestClient) => messagesFrom(r, s.nick, CHANNEL).slice(before.get(r)?.get(s.nick) ?? 0);
  try {
    await waitFor(() => receivers.every((r) => senders.every((s) => s === r || got(r, s).length >= count)), `${tag}: every message delivered`, timeoutMs);
  } catch (err) {
    const summary = receivers.map((r) => `${r.nick}: ${senders.map((s) => `${s.nick}=${s === r ? '-' : got(r, s).length}`).join(' ')}`).join('\n');
    throw new Error(`${(err as Error).message}\n${summary}`);
  }
  // What each receiver's node had already sent them arrives before these PONGs; a repeat still on the
  // bus could come later, so the check for duplicates below is as good as this round trip, no better.
  await Promise.all(receivers.map((r) => r.sync()));
  for (const r of receivers) {
    for (const s of senders) {
      if (s === r) continue;
      expect(got(r, s), `${r.nick} receiving ${s.nick}'s ${tag} messages`).toEqual(expected(s));
    }
  }
}

describe('e2e: three nodes over Redis, with faults', { timeout: 40_000 }, () => {
  it('baseline: every message once and in order, NAMES agree, one nick one holder', async () => {
    const network = await startNetwork(SERVERS);
    const clients = await clientsOn(network, [
      [0, 'a1'],
      [1, 'b1'],
      [2, 'c1'],
      [0, 'a2'],
      [1, 'b2'],
      [2, 'c2'],
    ]);
    const everyone = clients.map((c) => c.nick);
    await namesConverge(clients, CHANNEL, everyone);

    await exchange(clients, clients, 'base', 200);
    expect(await Promise.all(clients.map((c) => names(c, CHANNEL)))).toEqual(clients.map(() => [...everyone].sort()));

    // The same new nick on two nodes at once: one 001, one 433.
    const racers = await Promise.all([TestClient.connect(network.nodes[0]!.port), TestClient.connect(network.nodes[1]!.port)]);
    for (const r of racers) r.write('NICK racer\r\nUSER racer 0 * :racer\r\n');
    const outcomes = await Promise.all(racers.map((r) => r.expect(/ (001|433) /, 5000)));
    const codes = outcomes.map((line) => line.split(' ')[1]).sort();
    expect(codes, outcomes.join('\n')).toEqual(['001', '433']);

    // And on all three nodes at once, for a few nicks: exactly one 001 per nick.
    const nicks = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const sockets = await Promise.all(nicks.flatMap((nick) => network.nodes.map(async (node) => ({ nick, client: await TestClient.connect(node.port) }))));
    for (const { nick, client } of sockets) client.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
    const answers = await Promise.all(sockets.map(async ({ nick, client }) => ({ nick, line: await client.expect(/ (001|433|437) /, 5000) })));
    for (const nick of nicks) {
      const mine = answers.filter((a) => a.nick === nick).map((a) => a.line);
      expect(mine.filter((line) => / 001 /.test(line)), mine.join('\n')).toHaveLength(1);
      expect(mine.filter((line) => / 433 /.test(line)), mine.join('\n')).toHaveLength(2);
    }
  });

  it('kill -9 of a node: its users QUIT once each on the others, with both server names; their nicks are free again', async () => {
    const network = await startNetwork(SERVERS);
    const [a1, b1, c1, c2] = await clientsOn(network, [
      [0, 'a1'],
      [1, 'b1'],
      [2, 'c1'],
      [2, 'c2'],
    ]);
    const survivors = [a1!, b1!];
    await namesConverge([a1!, b1!, c1!], CHANNEL, ['a1', 'b1', 'c1', 'c2']);

    const killedAt = Date.now();
    network.nodes[2]!.server.signal('SIGKILL');
    const tookMs = await waitFor(
      () => survivors.every((s) => ['c1', 'c2'].every((nick) => quitsOf(s, nick).length > 0)),
      'the dead node users to QUIT on both survivors',
      SPLIT_BOUND_MS + 2000,
    );
    expect(tookMs, 'time from kill -9 to the last QUIT seen').toBeLessThan(SPLIT_BOUND_MS);
    expect(Date.now() - killedAt).toBeLessThan(SPLIT_BOUND_MS + 500);
    await Promise.all(survivors.map((s) => s.sync()));
    for (const s of survivors) {
      const here = s === a1 ? 'a.obrol.test' : 'b.obrol.test';
      for (const nick of ['c1', 'c2']) {
        const quits = quitsOf(s, nick);
        expect(quits, `${s.nick} sees ${nick} quit once`).toHaveLength(1);
        expect(quits[0]).toMatch(new RegExp(`^:${nick}!\\S+ QUIT :${here.replace(/\./g, '\\.')} c\\.obrol\\.test$`));
      }
    }
    await namesConverge(survivors, CHANNEL, ['a1', 'b1']);

    // The dead node's nicks can be taken on the survivors.
    const newC1 = await TestClient.register(network.nodes[0]!.port, 'c1');
    const newC2 = await TestClient.register(network.nodes[1]!.port, 'c2');
    expect(newC1.received.some((l) => / 001 c1 /.test(l))).toBe(true);
    expect(newC2.received.some((l) => / 001 c2 /.test(l))).toBe(true);

    // Messages between the survivors after the split: all delivered, in order.
    await exchange(survivors, survivors, 'after-kill', 100);
    for (const s of survivors) for (const nick of ['c1', 'c2']) expect(quitsOf(s, nick).filter((l) => /c\.obrol\.test$/.test(l)), `${s.nick} sees ${nick} quit`).toHaveLength(1);
  });

  it('Redis restarts and loses every key: chat on one node goes on, new nicks get 437, then the network heals', async () => {
    const network = await startNetwork(SERVERS);
    const [a1, a2, b1, c1] = await clientsOn(network, [
      [0, 'a1'],
      [0, 'a2'],
      [1, 'b1'],
      [2, 'c1'],
    ]);
    const everyone = [a1!, a2!, b1!, c1!];
    await namesConverge(everyone, CHANNEL, ['a1', 'a2', 'b1', 'c1']);

    // The redis-server is killed (it persists nothing, so SIGTERM would lose the same data) and started again below.
    await network.redis.kill();

    // Chat between two clients of one node goes on.
    await exchange([a1!, a2!], [a1!, a2!], 'outage', 50);

    // A registration while Redis is away: the nick cannot be checked, so 437, and the client stays unregistered.
    const newbie = await TestClient.connect(network.nodes[1]!.port);
    newbie.write('NICK newbie\r\nUSER newbie 0 * :newbie\r\n');
    const answer = await newbie.expect(/ (001|433|437) /, 5000);
    expect(answer).toMatch(/^:b\.obrol\.test 437 \S+ newbie /);

    const marks = network.nodes.map((node) => node.server.logs.length);
    await network.redis.restart();
    const back = Date.now();

    // Every node finds the stream gone (a gap for each other node: their users quit here) and its lease
    // gone (selfLost: it drops the others, claims its nicks again and bursts). Until both have happened
    // on every node, messages between nodes may be lost: that is the failure window.
    await Promise.all(
      network.nodes.map(async (node, k) => {
        await node.server.waitForLog('lease-lost', 10_000, marks[k]);
        await waitFor(() => node.server.logs.slice(marks[k]).filter((r) => r.event === 'bus-gap').length >= 2, `${node.name} to report both gaps`, 10_000);
      }),
    );
    await namesConverge(everyone, CHANNEL, ['a1', 'a2', 'b1', 'c1'], 10_000);
    const healMs = Date.now() - back;
    expect(healMs, 'time for the network to heal after Redis returned').toBeLessThan(10_000);

    // Nicks stay unique: a1 is held on a.obrol.test, so b.obrol.test refuses it.
    const copy = await TestClient.connect(network.nodes[1]!.port);
    copy.write('NICK a1\r\nUSER copy 0 * :copy\r\n');
    expect(await copy.expect(/ (001|433|437) /, 5000)).toMatch(/^:b\.obrol\.test 433 \S+ a1 /);
    // The nick refused during the outage was never claimed: it can be registered now, here from another node.
    const later = await TestClient.connect(network.nodes[2]!.port);
    later.write('NICK newbie\r\nUSER newbie 0 * :newbie\r\n');
    expect(await later.expect(/ (001|433|437) /, 5000)).toMatch(/^:c\.obrol\.test 001 newbie /);

    // Messages between nodes flow again, every one once and in order.
    await exchange([a1!, b1!, c1!], everyone, 'healed', 100);
  });

  it('a node stopped (SIGSTOP) past the timeout: its users QUIT, then it rejoins; a nick taken meanwhile collides', async () => {
    const network = await startNetwork(SERVERS);
    const [a1, b1, c1, c2] = await clientsOn(network, [
      [0, 'a1'],
      [1, 'b1'],
      [2, 'c1'],
      [2, 'c2'],
    ]);
    const others = [a1!, b1!];
    await namesConverge([a1!, b1!, c1!, c2!], CHANNEL, ['a1', 'b1', 'c1', 'c2']);
    const nodeC = network.nodes[2]!.server;

    nodeC.signal('SIGSTOP');
    const tookMs = await waitFor(
      () => others.every((s) => ['c1', 'c2'].every((nick) => quitsOf(s, nick).length > 0)),
      'the stopped node users to QUIT on the others',
      SPLIT_BOUND_MS + 2000,
    );
    expect(tookMs, 'time from SIGSTOP to the last QUIT seen').toBeLessThan(SPLIT_BOUND_MS);
    for (const s of others) {
      const here = s === a1 ? 'a\\.obrol\\.test' : 'b\\.obrol\\.test';
      for (const nick of ['c1', 'c2']) {
        const quits = quitsOf(s, nick);
        expect(quits, `${s.nick} sees ${nick} quit once`).toHaveLength(1);
        expect(quits[0]).toMatch(new RegExp(`^:${nick}!\\S+ QUIT :${here} c\\.obrol\\.test$`));
      }
    }

    // While it is stopped, c1's nick is free: someone on a.obrol.test takes it.
    const thief = await joined(network.nodes[0]!.port, 'c1');
    await namesConverge([a1!, b1!, thief], CHANNEL, ['a1', 'b1', 'c1']);

    const mark = nodeC.logs.length;
    const resumedAt = Date.now();
    nodeC.signal('SIGCONT');
    await nodeC.waitForLog('lease-lost', 10_000, mark);

    // Its own c1 lost the nick: disconnected with a nick collision.
    await c1!.waitClosed(SPLIT_BOUND_MS);
    expect(c1!.received.filter((l) => /^ERROR /.test(l)), c1!.received.slice(-5).join('\n')).toEqual([expect.stringMatching(/Nick collision/)]);

    // c2 is back on the others (a JOIN), and NAMES converge everywhere.
    for (const s of others) await s.expect(/^:c2!\S+ JOIN :?#net/, SPLIT_BOUND_MS);
    await namesConverge([a1!, b1!, c2!, thief], CHANNEL, ['a1', 'b1', 'c1', 'c2'], SPLIT_BOUND_MS);
    expect(Date.now() - resumedAt, 'time from SIGCONT to NAMES agreeing').toBeLessThan(SPLIT_BOUND_MS + 1000);

    // Exactly one c1 network-wide: every node says it is on a.obrol.test, and no node lets anyone else take it.
    for (const s of [a1!, b1!, c2!]) {
      s.send('WHOIS c1');
      expect(await s.expect(/ (312|401) /)).toMatch(new RegExp(` 312 ${s.nick} c1 a\\.obrol\\.test `));
    }
    for (const node of network.nodes) {
      const copy = await TestClient.connect(node.port);
      copy.write('NICK c1\r\nUSER copy 0 * :copy\r\n');
      expect(await copy.expect(/ (001|433|437) /, 5000), `registering c1 on ${node.name}`).toMatch(/ 433 \S+ c1 /);
      copy.close();
    }

    // Chat flows again, every message once and in order.
    await exchange([a1!, b1!, c2!, thief], [a1!, b1!, c2!, thief], 'resumed', 100);
    // The old c1's disconnect on c.obrol.test quit no one else: each QUIT was seen once, at the split.
    for (const s of others) for (const nick of ['c1', 'c2']) expect(quitsOf(s, nick), `${s.nick} sees ${nick} quit`).toHaveLength(1);
    expect(thief.closed).toBe(false);
  });
});

/**
 * Two faults these tests once found (a refused client stuck on its nick, a
 * user of another node hidden by a client here that had only sent NICK),
 * kept as tests of the fixed behaviour.
 */
describe('e2e: nick claims around registration', { timeout: 30_000 }, () => {
  // After a 437 the client is `*` again, so NICK with the same nick is a new attempt.
  it('after a 437 during a Redis outage, NICK with the same nick once Redis is back registers', async () => {
    // One node is enough: the directory is what cannot be asked.
    const network = await startNetwork(['a.obrol.test']);
    await network.redis.kill();
    const client = await TestClient.connect(network.nodes[0]!.port);
    client.write('NICK retry\r\nUSER retry 0 * :retry\r\n');
    expect(await client.expect(/ (001|433|437) /, 5000)).toMatch(/ 437 \S+ retry /);
    const mark = network.nodes[0]!.server.logs.length;
    await network.redis.restart();
    await network.nodes[0]!.server.waitForLog('lease-lost', 10_000, mark);
    client.send('NICK retry');
    expect(await client.expect(/ (001|433|437) /, 2000)).toMatch(/ 001 retry /);
  });

  // The directory gave the nick to the other node's user: the client here that had only sent NICK gives it up (433).
  it('a user registered elsewhere is known here although an unregistered connection here sent NICK first', async () => {
    const network = await startNetwork(['a.obrol.test', 'b.obrol.test']);
    const [a, b] = [network.nodes[0]!, network.nodes[1]!];
    const watcher = await TestClient.register(a.port, 'watcher');
    const early = await TestClient.connect(a.port);
    early.send('NICK ghost');
    await early.sync();
    const ghost = await TestClient.register(b.port, 'ghost');
    expect(ghost.received.some((l) => / 001 ghost /.test(l))).toBe(true);
    expect(await early.expect(/ 433 /, 5000)).toMatch(/ 433 \* ghost /);
    await waitFor(
      async () => {
        watcher.send('WHOIS ghost');
        return / 311 /.test(await watcher.expect(/ (311|401) /));
      },
      'a.obrol.test to know ghost (registered on b.obrol.test)',
      2000,
    );
  });
});
