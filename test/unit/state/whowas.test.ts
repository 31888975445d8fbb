import { describe, expect, it } from 'vitest';
import { WhowasHistory, type WhowasEntry } from '../../../src/state/whowas.js';

function entry(nick: string, at: number): WhowasEntry {
  return { nick, username: 'u', host: 'h', realname: 'R', server: 'obrol.local', at };
}

describe('WhowasHistory', () => {
  it('returns entries newest first', () => {
    const h = new WhowasHistory(10);
    h.record('alice', entry('alice', 1));
    h.record('alice', entry('Alice', 2));
    h.record('bob', entry('bob', 3));
    h.record('alice', entry('ALICE', 4));
    expect(h.lookup('alice', 0).map((e) => e.at)).toEqual([4, 2, 1]);
    expect(h.lookup('bob', 0).map((e) => e.nick)).toEqual(['bob']);
    expect(h.lookup('carol', 0)).toEqual([]);
  });

  it('limits the answer; 0 or less means all', () => {
    const h = new WhowasHistory(10);
    for (let k = 1; k <= 5; k++) h.record('a', entry('a', k));
    expect(h.lookup('a', 2).map((e) => e.at)).toEqual([5, 4]);
    expect(h.lookup('a', 0)).toHaveLength(5);
    expect(h.lookup('a', -1)).toHaveLength(5);
    expect(h.lookup('a', 99)).toHaveLength(5);
  });

  it('evicts the oldest entry across all nicks when full', () => {
    const h = new WhowasHistory(3);
    h.record('a', entry('a', 1));
    h.record('b', entry('b', 2));
    h.record('a', entry('a', 3));
    h.record('c', entry('c', 4));
    expect(h.size).toBe(3);
    expect(h.lookup('a', 0).map((e) => e.at)).toEqual([3]);
    h.record('d', entry('d', 5));
    expect(h.lookup('b', 0)).toEqual([]);
    expect(h.lookup('a', 0).map((e) => e.at)).toEqual([3]);
    h.record('e', entry('e', 6));
    expect(h.lookup('a', 0)).toEqual([]);
    expect(['c', 'd', 'e'].map((n) => h.lookup(n, 0).length)).toEqual([1, 1, 1]);
  });

  it('a capacity of 0 records nothing', () => {
    const h = new WhowasHistory(0);
    h.record('a', entry('a', 1));
    expect(h.size).toBe(0);
    expect(h.lookup('a', 0)).toEqual([]);
  });

  it('does not hand out its internal list', () => {
    const h = new WhowasHistory(5);
    h.record('a', entry('a', 1));
    h.lookup('a', 0).pop();
    expect(h.lookup('a', 0)).toHaveLength(1);
  });

  it('compacts its queue so memory stays bounded under churn', () => {
    const h = new WhowasHistory(10);
    for (let k = 0; k < 10_000; k++) h.record(`n${k % 37}`, entry(`n${k % 37}`, k));
    expect(h.size).toBe(10);
    // The newest ten entries, nothing older.
    const all = Array.from({ length: 37 }, (_, k) => h.lookup(`n${k}`, 0)).flat();
    expect(all.map((e) => e.at).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => 9990 + k));
    // White-box: the eviction queue is compacted rather than growing with every record.
    const queue = (h as unknown as { order: unknown[] }).order;
    expect(queue.length).toBeLessThan(2100);
  });
});
