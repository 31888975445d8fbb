/**
 * The OPER guard with an injected clock and sleep: back-off per address and
 * per name, doubling and capped, forgotten after a quiet period or a success;
 * attempts sent at once line up; at most `concurrency` checks run at once and
 * a bounded number wait.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, OperGuard, type OperGuardOptions } from '../../../src/commands/operguard.js';

const BACKOFF = { firstMs: 1000, maxMs: 8000 };
const fail = () => Promise.resolve(false);
const pass = () => Promise.resolve(true);

/** A guard whose sleeps are recorded and move its clock forward at once. */
function guardWithClock(options: OperGuardOptions = {}): { guard: OperGuard; sleeps: number[]; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const sleeps: number[] = [];
  const guard = new OperGuard({
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    ...options,
  });
  return { guard, sleeps, clock };
}

/** A check that stays pending until `settle` is called; `started` says whether it ran. */
function heldCheck(): { check: () => Promise<boolean>; settle: (ok: boolean) => void; started: () => boolean } {
  let settle: (ok: boolean) => void = () => {};
  let started = false;
  const promise = new Promise<boolean>((resolve) => (settle = resolve));
  return {
    check: () => {
      started = true;
      return promise;
    },
    settle: (ok) => settle(ok),
    started: () => started,
  };
}

/** Let pending promise callbacks run. */
async function flush(): Promise<void> {
  for (let k = 0; k < 10; k++) await Promise.resolve();
}

describe('backoffDelay', () => {
  it('doubles from the first wait and stops at the cap; 0 turns it off', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, BACKOFF))).toEqual([0, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffDelay(5, { firstMs: 0, maxMs: 8000 })).toBe(0);
  });
});

describe('back-off', () => {
  it('per address: failures under any names make the next attempt from that address wait longer each time, up to the cap', async () => {
    const { guard, sleeps } = guardWithClock();
    for (let k = 0; k < 6; k++) expect(await guard.attempt('192.0.2.1', `name${k}`, BACKOFF, fail)).toBe('failed');
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('per name: failures from any addresses make the next attempt for that name wait', async () => {
    const { guard, sleeps } = guardWithClock();
    for (let k = 0; k < 4; k++) expect(await guard.attempt(`192.0.2.${k}`, 'boss', BACKOFF, fail)).toBe('failed');
    expect(sleeps).toEqual([1000, 2000, 4000]);
  });

  it('another address with another name does not wait', async () => {
    const { guard, sleeps } = guardWithClock();
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    await guard.attempt('192.0.2.2', 'other', BACKOFF, fail);
    expect(sleeps).toEqual([]);
  });

  it('waits only what is left of the back-off', async () => {
    const { guard, sleeps, clock } = guardWithClock();
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    clock.now += 600;
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(sleeps).toEqual([400]);
  });

  it('a success forgets the failures of its address and name', async () => {
    const { guard, sleeps } = guardWithClock();
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(await guard.attempt('192.0.2.1', 'boss', BACKOFF, pass)).toBe('ok');
    expect(sleeps).toEqual([1000]);
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(sleeps).toEqual([1000]);
  });

  it('is forgotten after a quiet period', async () => {
    const { guard, sleeps, clock } = guardWithClock({ forgetMs: 60_000 });
    for (let k = 0; k < 3; k++) await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(sleeps).toEqual([1000, 2000]);
    // 50 s later the count is still there: the fourth failure makes the fifth attempt wait 8 s.
    clock.now += 50_000;
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(sleeps).toEqual([1000, 2000, 8000]);
    // After a quiet minute it starts afresh: one failure, then a 1 s wait.
    clock.now += 60_000;
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    await guard.attempt('192.0.2.1', 'boss', BACKOFF, fail);
    expect(sleeps).toEqual([1000, 2000, 8000, 1000]);
  });

  it('attempts sent at once line up one back-off apart, and one that would wait past the cap is refused without a check', async () => {
    const clock = { now: 0 };
    const sleeps: number[] = [];
    const guard = new OperGuard({ now: () => clock.now, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) });
    let checks = 0;
    const counted = () => (checks++, Promise.resolve(false));
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, k) => guard.attempt('192.0.2.1', `n${k}`, BACKOFF, counted)));
    // Starts at 0, 1000, 3000, 7000; the next would wait 15000 > 8000.
    expect(sleeps).toEqual([1000, 3000, 7000]);
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'failed', 'refused', 'refused']);
    expect(checks).toBe(4);
  });

  it("failures for a name from other addresses delay its owner's attempt by at most the cap, never refuse it", async () => {
    const clock = { now: 0 };
    const sleeps: number[] = [];
    const guard = new OperGuard({ now: () => clock.now, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) });
    // An attacker fails for 'alice' from many addresses, at once: her back-off grows past the cap.
    await Promise.all(Array.from({ length: 8 }, (_, k) => guard.attempt(`198.51.100.${k}`, 'alice', BACKOFF, fail)));
    sleeps.length = 0;
    // alice herself, from her own address: delayed by the cap at most, then her check runs.
    expect(await guard.attempt('192.0.2.7', 'alice', BACKOFF, () => Promise.resolve(true))).toBe('ok');
    expect(sleeps).toEqual([BACKOFF.maxMs]);
  });

  it('with the back-off off, nothing waits', async () => {
    const { guard, sleeps } = guardWithClock();
    for (let k = 0; k < 5; k++) await guard.attempt('192.0.2.1', 'boss', { firstMs: 0, maxMs: 8000 }, fail);
    expect(sleeps).toEqual([]);
  });

  it('remembers a bounded number of addresses and names', async () => {
    const { guard, sleeps } = guardWithClock({ maxTracked: 2 });
    await guard.attempt('192.0.2.1', 'a', BACKOFF, fail);
    await guard.attempt('192.0.2.2', 'b', BACKOFF, fail);
    await guard.attempt('192.0.2.3', 'c', BACKOFF, fail);
    // 192.0.2.1 and a were the least recent: forgotten, so no wait.
    await guard.attempt('192.0.2.1', 'a', BACKOFF, fail);
    expect(sleeps).toEqual([]);
  });
});

describe('password checks at once', () => {
  it('at most `concurrency` run; the others wait their turn, in order', async () => {
    const { guard } = guardWithClock({ concurrency: 2 });
    const held = Array.from({ length: 5 }, () => heldCheck());
    const outcomes = held.map((h, k) => guard.attempt(`192.0.2.${k}`, `n${k}`, BACKOFF, h.check));
    await flush();
    expect(held.map((h) => h.started())).toEqual([true, true, false, false, false]);
    expect(guard.load).toEqual({ running: 2, waiting: 3 });
    held[1]?.settle(false);
    await flush();
    expect(held.map((h) => h.started())).toEqual([true, true, true, false, false]);
    held[0]?.settle(true);
    held[2]?.settle(false);
    await flush();
    expect(held.map((h) => h.started())).toEqual([true, true, true, true, true]);
    held[3]?.settle(false);
    held[4]?.settle(false);
    expect(await Promise.all(outcomes)).toEqual(['ok', 'failed', 'failed', 'failed', 'failed']);
    expect(guard.load).toEqual({ running: 0, waiting: 0 });
  });

  it('past `maxWaiting` waiting attempts, another is refused at once without a check', async () => {
    const { guard } = guardWithClock({ concurrency: 1, maxWaiting: 2 });
    const held = Array.from({ length: 3 }, () => heldCheck());
    const outcomes = held.map((h, k) => guard.attempt(`192.0.2.${k}`, `n${k}`, BACKOFF, h.check));
    await flush();
    expect(guard.load).toEqual({ running: 1, waiting: 2 });
    let extraRan = false;
    const extra = await guard.attempt('192.0.2.9', 'n9', BACKOFF, () => ((extraRan = true), Promise.resolve(true)));
    expect(extra).toBe('refused');
    expect(extraRan).toBe(false);
    for (const h of held) {
      h.settle(false);
      await flush();
    }
    expect(await Promise.all(outcomes)).toEqual(['failed', 'failed', 'failed']);
  });

  it('a check that throws frees its slot', async () => {
    const { guard } = guardWithClock({ concurrency: 1 });
    await expect(guard.attempt('192.0.2.1', 'a', BACKOFF, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await guard.attempt('192.0.2.2', 'b', BACKOFF, pass)).toBe('ok');
    expect(guard.load).toEqual({ running: 0, waiting: 0 });
  });
});
