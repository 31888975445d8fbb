/**
 * Retention: a timer on the server's clock prunes history by age and by
 * count per conversation, about once a minute, never on append.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { HistoryRetention, RETENTION_INTERVAL_MS } from '../../../src/history/retention.js';
import { MemoryStore } from '../../../src/store/memory.js';
import type { HistoryEntry } from '../../../src/store/types.js';
import { ManualClock } from '../../helpers/clock.js';

const silent = pino({ level: 'silent' });

function entry(target: string, msgid: string, time: number): HistoryEntry {
  return { msgid, time, target, command: 'PRIVMSG', source: 'a!a@h', account: null, params: [target, msgid], tags: null, lines: null, peers: null };
}

/** Let the prune (a few promise turns) finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(history: Record<string, unknown>) {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const config = loadConfig({ overrides: Object.fromEntries(Object.entries(history).map(([k, v]) => [`history.${k}`, v])) }).config;
  const retention = new HistoryRetention(clock, store.history, () => config, silent);
  return { clock, store, retention };
}

const ids = async (store: MemoryStore, target: string) => (await store.history.latest(target, 100)).map((e) => e.msgid);

describe('history retention', () => {
  it('drops entries older than max_age at the next run, each minute', async () => {
    const { clock, store, retention } = setup({ max_age: 3600, max_per_target: 0 });
    const now = clock.now();
    store.history.append([entry('#c', 'old', now - 2 * 3600_000), entry('#c', 'new', now - 60_000)]);
    retention.start();
    // Nothing happens before the minute is up: appending never prunes.
    clock.advance(RETENTION_INTERVAL_MS - 1);
    await settle();
    expect(await ids(store, '#c')).toEqual(['old', 'new']);
    clock.advance(1);
    await settle();
    expect(await ids(store, '#c')).toEqual(['new']);
    // An hour later the other one has aged out too (each run prunes by the time it starts).
    clock.advance(3600_000);
    await settle();
    clock.advance(RETENTION_INTERVAL_MS);
    await settle();
    expect(await ids(store, '#c')).toEqual([]);
    retention.stop();
    expect(clock.pending).toBe(0);
  });

  it('keeps the newest max_per_target of each conversation', async () => {
    const { clock, store, retention } = setup({ max_age: 0, max_per_target: 2 });
    const now = clock.now();
    store.history.append([1, 2, 3].map((k) => entry('#a', `a${k}`, now + k)));
    store.history.append([entry('#b', 'b1', now)]);
    expect(await retention.run()).toBe(1);
    expect(await ids(store, '#a')).toEqual(['a2', 'a3']);
    expect(await ids(store, '#b')).toEqual(['b1']);
  });

  it('with neither bound, never prunes', async () => {
    const { clock, store, retention } = setup({ max_age: 0, max_per_target: 0 });
    store.history.append([entry('#a', 'a1', 0)]);
    retention.start();
    clock.advance(10 * RETENTION_INTERVAL_MS);
    await settle();
    expect(await ids(store, '#a')).toEqual(['a1']);
    retention.stop();
  });
});
