/**
 * NodeLease against a private redis-server, with a one-second node timeout:
 * nodes see each other come and go, a node whose lease lapsed learns it on
 * waking, and a Redis outage is reported as it starts and ends.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeLease } from '../../src/bus/lease.js';
import { RedisDirectory } from '../../src/bus/redisdirectory.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const NODE_TIMEOUT_MS = 1000;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Node {
  id: string;
  lease: NodeLease;
  directory: RedisDirectory;
  /** What the watch heard, in order: "up b", "down b", "selfLost", "backendDown", "backendUp". */
  log: string[];
}

let keyPrefix = '';
const nodes: Node[] = [];
beforeEach(() => {
  keyPrefix = `test:${randomUUID()}:`;
});
afterEach(async () => {
  for (const node of nodes.splice(0)) {
    await node.lease.close();
    await node.directory.close();
  }
});

async function start(...ids: string[]): Promise<Node[]> {
  const started = ids.map((id) => {
    const log: string[] = [];
    const directory = new RedisDirectory({ url: redis.url, keyPrefix, nodeId: id, timeoutMs: 500 });
    const lease = new NodeLease({
      url: redis.url,
      nodeId: id,
      keyPrefix,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
      directory,
      watch: {
        nodeUp: (other) => log.push(`up ${other}`),
        nodeDown: (other) => log.push(`down ${other}`),
        selfLost: () => log.push('selfLost'),
        backendDown: () => log.push('backendDown'),
        backendUp: () => log.push('backendUp'),
      },
    });
    return { id, lease, directory, log };
  });
  nodes.push(...started);
  await Promise.all(started.map((node) => node.lease.ready));
  for (const node of started) {
    const others = ids.filter((id) => id !== node.id);
    await until(() => others.every((other) => node.lease.liveNodes().has(other)), `${node.id} to see ${others.join(', ')}`);
  }
  return started;
}

describe('NodeLease', () => {
  it('tells every node of the others as they come up', async () => {
    const [a, b, c] = (await start('a', 'b', 'c')) as [Node, Node, Node];
    expect(a.log.sort()).toEqual(['up b', 'up c']);
    expect(b.log.sort()).toEqual(['up a', 'up c']);
    expect(c.log.sort()).toEqual(['up a', 'up b']);
  });

  it('a node that stops heartbeating is reported down by the others within twice the timeout, and its names are freed', async () => {
    const [a, b, c] = (await start('a', 'b', 'c')) as [Node, Node, Node];
    expect(await a.directory.claimNick('alice', { node: 'a', user: 'a/1' })).toBe('ok');
    expect(await a.directory.claimChannel('#a', 'a')).toBe('created');
    expect(await b.directory.claimNick('bob', { node: 'b', user: 'b/1' })).toBe('ok');

    const stopped = Date.now();
    a.lease.suspend();
    await until(() => b.log.includes('down a') && c.log.includes('down a'), 'b and c to see a go', 2 * NODE_TIMEOUT_MS + 500);
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(NODE_TIMEOUT_MS - 400);
    await until(() => !b.lease.liveNodes().has('a'), 'a to leave b\'s live nodes');

    // Released by b and c (whoever is first; the other finds nothing left).
    let holder = await b.directory.holderOfNick('alice');
    const deadline = Date.now() + 2000;
    while (holder !== null && Date.now() < deadline) holder = await b.directory.holderOfNick('alice');
    expect(holder).toBeNull();
    expect(await c.directory.claimChannel('#a', 'c')).toBe('created');
    expect(await c.directory.holderOfNick('bob')).toEqual({ node: 'b', user: 'b/1' });
    expect(b.log.filter((line) => line.startsWith('down'))).toEqual(['down a']);
  });

  it('a node whose lease lapsed gets selfLost when it wakes, rejoins, and is seen again', async () => {
    const [a, b] = (await start('a', 'b')) as [Node, Node];
    a.lease.suspend();
    await until(() => b.log.includes('down a'), 'b to see a go', 2 * NODE_TIMEOUT_MS + 500);
    a.lease.resume();
    await until(() => a.log.includes('selfLost'), 'a to learn its lease lapsed');
    await until(() => b.log.filter((line) => line === 'up a').length === 2, 'b to see a again');
    // After selfLost a forgot every node and learns of b anew.
    await until(() => a.log.at(-1) === 'up b', 'a to see b again');
    expect(a.log).toEqual(['up b', 'selfLost', 'up b']);
    expect(b.log).toEqual(['up a', 'down a', 'up a']);
    // Its new claims stay, even against a late release from a survivor.
    expect(await a.directory.claimNick('alice', { node: 'a', user: 'a/1' })).toBe('ok');
    expect(await b.directory.releaseNode('a')).toBe('alive');
    expect(await b.directory.holderOfNick('alice')).toEqual({ node: 'a', user: 'a/1' });
  });

  it('a node that leaves is reported down at once, not after the timeout', async () => {
    const [a, b] = (await start('a', 'b')) as [Node, Node];
    nodes.splice(nodes.indexOf(a), 1);
    const left = Date.now();
    await a.lease.close();
    await a.directory.close();
    await until(() => b.log.includes('down a'), 'b to see a leave');
    expect(Date.now() - left).toBeLessThan(NODE_TIMEOUT_MS);
  });

  it('reports a Redis outage as it starts and ends; a restart that lost every lease is selfLost, never a node down', async () => {
    const [a, b] = (await start('a', 'b')) as [Node, Node];
    await redis.kill();
    await until(() => a.log.includes('backendDown') && b.log.includes('backendDown'), 'both to see Redis go', 5000);
    await redis.restart();
    await until(() => a.log.includes('backendUp') && b.log.includes('backendUp'), 'both to see Redis back', 5000);
    await until(() => a.log.at(-1) === 'up b' && b.log.at(-1) === 'up a', 'both to see each other again', 5000);
    for (const [node, other] of [[a, 'b'], [b, 'a']] as const) {
      expect(node.log.slice(0, 4)).toEqual([`up ${other}`, 'backendDown', 'backendUp', 'selfLost']);
      expect(node.log.filter((line) => line.startsWith('down'))).toEqual([]);
    }
  });
});
