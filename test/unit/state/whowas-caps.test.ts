/**
 * WHOWAS history keeps at most WHOWAS_PER_NICK entries per nick (Hardening II,
 * item 4), so one user changing nick back and forth cannot push everyone else
 * out of the history; and the queue behind it stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { WHOWAS_PER_NICK, WhowasHistory, type WhowasEntry } from '../../../src/state/whowas.js';

function entry(nick: string, at: number): WhowasEntry {
  return { nick, username: 'u', host: 'h', realname: 'R', server: 'obrol.local', at };
}

describe('WhowasHistory per-nick cap', () => {
  it('keeps the newest perNick entries of a nick, the oldest dropped first', () => {
    const h = new WhowasHistory(100, 3);
    for (let k = 1; k <= 5; k++) h.record('a', entry('a', k));
    expect(h.lookup('a', 0).map((e) => e.at)).toEqual([5, 4, 3]);
    expect(h.size).toBe(3);
  });

  it('one nick recorded over and over does not push other nicks out', () => {
    const h = new WhowasHistory(50);
    h.record('bystander', entry('bystander', 0));
    for (let k = 1; k <= 10_000; k++) h.record(k % 2 === 0 ? 'a' : 'b', entry('x', k));
    expect(h.lookup('bystander', 0)).toHaveLength(1);
    expect(h.lookup('a', 0)).toHaveLength(WHOWAS_PER_NICK);
    expect(h.size).toBe(1 + 2 * WHOWAS_PER_NICK);
  });

  it('still evicts the oldest live entry across nicks when full', () => {
    const h = new WhowasHistory(3, 2);
    h.record('a', entry('a', 1));
    h.record('a', entry('a', 2));
    h.record('a', entry('a', 3)); // drops a@1
    h.record('b', entry('b', 4));
    h.record('c', entry('c', 5)); // full: evicts a@2, the oldest live one
    expect(h.lookup('a', 0).map((e) => e.at)).toEqual([3]);
    expect(h.lookup('b', 0).map((e) => e.at)).toEqual([4]);
    expect(h.lookup('c', 0).map((e) => e.at)).toEqual([5]);
    expect(h.size).toBe(3);
  });

  it('the queue of entries stays bounded when only the per-nick cap drops them', () => {
    const h = new WhowasHistory(1000, 2);
    for (let k = 0; k < 100_000; k++) h.record('a', entry('a', k));
    const queue = (h as unknown as { order: unknown[] }).order;
    expect(queue.length).toBeLessThan(2 * 2 + 1024 + 1);
    expect(h.lookup('a', 0).map((e) => e.at)).toEqual([99_999, 99_998]);
  });
});
