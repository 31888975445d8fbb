/**
 * Runs the NameDirectory contract against each implementation: in memory, and
 * in a private redis-server (one per file, a fresh key prefix per test).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDirectory, type NameDirectory } from '../../src/bus/directory.js';
import { RedisDirectory } from '../../src/bus/redisdirectory.js';
import { redisKeys } from '../../src/bus/rediskeys.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { directoryContract } from './directory.suite.js';

const TIMEOUT_MS = 500;

directoryContract('MemoryDirectory', {
  async make(count) {
    const shared = new MemoryDirectory();
    return { nodes: Array.from({ length: count }, () => shared), close: () => shared.close() };
  },
});

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function openRedis(count: number, prefix = `test:${randomUUID()}:`): RedisDirectory[] {
  return Array.from({ length: count }, (_, i) => new RedisDirectory({ url: redis.url, keyPrefix: prefix, timeoutMs: TIMEOUT_MS, nodeId: `n${i + 1}` }));
}

directoryContract('RedisDirectory', {
  async make(count) {
    const nodes = openRedis(count);
    return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
  },
  outage: {
    timeoutMs: TIMEOUT_MS,
    stop: () => redis.kill(),
    start: () => redis.restart(),
    pause: () => redis.pause(),
    resume: () => redis.resume(),
  },
});

describe('RedisDirectory', () => {
  const opened: Array<NameDirectory | Redis> = [];
  afterEach(async () => {
    for (const each of opened.splice(0)) await (each instanceof Redis ? each.quit() : each.close());
  });

  it('keeps the claims of a node whose lease is live (it came back and claimed again)', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a] = openRedis(1, prefix) as [RedisDirectory];
    const raw = new Redis(redis.url);
    opened.push(a, raw);
    await a.claimNick('alice', { node: 'n1', user: 'n1/1' });
    await raw.set(redisKeys(prefix).lease('n1'), 'run', 'PX', 10_000);
    expect(await a.releaseNode('n1')).toBe('alive');
    expect(await a.holderOfNick('alice')).toEqual({ node: 'n1', user: 'n1/1' });
    await raw.del(redisKeys(prefix).lease('n1'));
    expect(await a.releaseNode('n1')).toBe('ok');
    expect(await a.holderOfNick('alice')).toBeNull();
  });

  it('keeps every key under its prefix, so networks sharing a Redis do not meet', async () => {
    const [a] = openRedis(1, 'net-a:') as [RedisDirectory];
    const [b] = openRedis(1, 'net-b:') as [RedisDirectory];
    const raw = new Redis(redis.url);
    opened.push(a, b, raw);
    expect(await a.claimNick('alice', { node: 'n1', user: 'n1/1' })).toBe('ok');
    expect(await b.claimNick('alice', { node: 'n9', user: 'n9/1' })).toBe('ok');
    expect(await a.claimChannel('#c', 'n1')).toBe('created');
    expect((await raw.keys('*')).filter((k) => !k.startsWith('net-a:') && !k.startsWith('net-b:') && !k.startsWith('test:'))).toEqual([]);
    await a.releaseNode('n1');
    await b.releaseNode('n9');
  });
});
