/**
 * What RedisBus promises beyond the Bus contract: lost events show as gaps
 * (a sequence jump, a restarted origin, an overflowing send queue), while a
 * dropped connection loses nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../../src/bus/events.js';
import { RedisBus, type RedisBusOptions } from '../../src/bus/redis.js';
import { redisKeys } from '../../src/bus/rediskeys.js';
import { message } from './bus.suite.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const opened: Array<RedisBus | Redis> = [];
afterEach(async () => {
  for (const each of opened.splice(0).reverse()) await (each instanceof Redis ? each.quit() : each.close());
});

let keyPrefix = '';
beforeEach(() => {
  keyPrefix = `test:${randomUUID()}:`;
});

async function bus(nodeId: string, options: Partial<RedisBusOptions> = {}): Promise<RedisBus> {
  const made = new RedisBus({ url: redis.url, nodeId, keyPrefix, blockMs: 200, ...options });
  opened.push(made);
  await made.ready;
  return made;
}


/** Everything `b` hears, events as their text and gaps as "gap ORIGIN", in order. */
function listen(b: RedisBus): string[] {
  const log: string[] = [];
  b.subscribe((event) => log.push(event.type === 'message' ? event.text : event.type));
  b.onGap((origin) => log.push(`gap ${origin}`));
  return log;
}

describe('RedisBus', () => {
  it('reports a jump in an origin\'s sequence as a gap, and drops a repeat', async () => {
    const a = await bus('a');
    const b = await bus('b');
    const log = listen(b);
    a.publish(message('a', 1));
    await until(() => log.includes('m1'), 'm1 at b');
    const raw = new Redis(redis.url);
    opened.push(raw);
    const entry = (seq: number, n: number) => ['o', 'a', 'r', a.runId, 's', String(seq), 'e', JSON.stringify(message('a', n))];
    await raw.xadd(redisKeys(keyPrefix).stream, '*', ...entry(1, 99)); // a repeat of seq 1
    await raw.xadd(redisKeys(keyPrefix).stream, '*', ...entry(5, 5)); // 2 to 4 never came
    await until(() => log.includes('m5'), 'm5 at b');
    expect(log).toEqual(['m1', 'gap a', 'm5']);
  });

  it('loses nothing when every connection drops for a moment', async () => {
    const a = await bus('a');
    const b = await bus('b');
    const log = listen(b);
    for (let n = 0; n < 100; n++) a.publish(message('a', n));
    await until(() => log.length >= 50, 'half the events at b');
    const raw = new Redis(redis.url);
    opened.push(raw);
    // Cuts a's and b's connections (and raw's own, which reconnects).
    await raw.client('KILL', 'TYPE', 'normal').catch(() => {});
    for (let n = 100; n < 200; n++) a.publish(message('a', n));
    await until(() => log.length >= 200, 'all 200 events at b', 10_000);
    expect(log).toEqual(Array.from({ length: 200 }, (_, n) => `m${n}`));
  });

  it('reads on a new connection after Redis stops answering (the old one may be half-open), losing nothing', async () => {
    const a = await bus('a');
    const errors: string[] = [];
    const b = await bus('b', { onError: (err) => errors.push(err.message) });
    const log = listen(b);
    const raw = new Redis(redis.url);
    opened.push(raw);
    const readerId = async () => {
      const list = (await raw.client('LIST')) as string;
      return list.split('\n').find((line) => line.includes(`name=${keyPrefix}b:bus-read`))?.match(/^id=(\d+)/)?.[1];
    };
    a.publish(message('a', 1));
    await until(() => log.includes('m1'), 'm1 at b');
    const before = await readerId();
    expect(before).toBeDefined();
    redis.pause();
    try {
      a.publish(message('a', 2));
      await until(() => errors.includes('Command timed out'), 'b\'s read to time out', 5000);
    } finally {
      redis.resume();
    }
    a.publish(message('a', 3));
    await until(() => log.includes('m3'), 'm3 at b', 5000);
    expect(log).toEqual(['m1', 'm2', 'm3']);
    const after = await readerId();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('drops the oldest queued events past maxQueued while Redis hangs, which receivers see as a gap', async () => {
    const errors: string[] = [];
    const a = await bus('a', { maxQueued: 10, onError: (err) => errors.push(err.message) });
    const b = await bus('b');
    const log = listen(b);
    a.publish(message('a', 0));
    await until(() => log.includes('m0'), 'm0 at b');
    redis.pause();
    try {
      for (let n = 1; n <= 50; n++) a.publish(message('a', n));
    } finally {
      redis.resume();
    }
    await until(() => log.includes('m50'), 'm50 at b', 10_000);
    const received = log.filter((line) => line.startsWith('m')).map((line) => Number(line.slice(1)));
    expect(received).toEqual([...received].sort((x, y) => x - y));
    expect(received.length).toBeLessThanOrEqual(1 + 10 + 1);
    expect(log).toContain('gap a');
    expect(log.indexOf('gap a')).toBeLessThan(log.indexOf('m50'));
    // The sender says so, once.
    expect(errors.filter((message) => message.includes('dropping the oldest'))).toHaveLength(1);
  });

  it('reports a restarted origin (same node id, new run) as a gap', async () => {
    const first = await bus('a');
    const b = await bus('b');
    const log = listen(b);
    first.publish(message('a', 1));
    await until(() => log.includes('m1'), 'm1 at b');
    await first.close();
    const second = await bus('a');
    second.publish(message('a', 2));
    await until(() => log.includes('m2'), 'm2 at b');
    expect(log).toEqual(['m1', 'gap a', 'm2']);
  });

  it('never throws on an event JSON cannot encode; its loss shows as a gap', async () => {
    const b = await bus('b');
    const log = listen(b);
    const errors: Error[] = [];
    const c = await bus('c', { onError: (err) => errors.push(err) });
    c.publish(message('c', 1));
    await until(() => log.includes('m1'), 'm1 at b');
    const unencodable = { ...message('c', 2), text: 10n } as unknown as ClusterEvent;
    expect(() => c.publish(unencodable)).not.toThrow();
    c.publish(message('c', 3));
    await until(() => log.includes('m3'), 'm3 at b');
    expect(log).toEqual(['m1', 'gap c', 'm3']);
    expect(errors.map((e) => e.message).join()).toMatch(/BigInt/);
  });
});
