/**
 * The server password check at registration shares OPER's server-wide limit
 * on password checks (scrypt): at most `concurrency` run at once, at most
 * `maxWaiting` wait, and past that a check is refused without running.
 */
import { describe, expect, it } from 'vitest';
import { OperGuard } from '../../../src/commands/operguard.js';

/** A check that finishes when the test says so. */
function gate(): { check: () => Promise<boolean>; open: (ok: boolean) => void; started: () => number } {
  const waiters: Array<(ok: boolean) => void> = [];
  let started = 0;
  return {
    check: () => {
      started++;
      return new Promise((resolve) => waiters.push(resolve));
    },
    open: (ok) => waiters.shift()?.(ok),
    started: () => started,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('OperGuard.limit', () => {
  it('runs at most `concurrency` checks at once, queues a bounded number, refuses past that', async () => {
    const guard = new OperGuard({ concurrency: 2, maxWaiting: 3 });
    const g = gate();
    const outcomes = Array.from({ length: 6 }, () => guard.limit(g.check));
    await tick();
    expect(g.started()).toBe(2);
    expect(guard.load).toEqual({ running: 2, waiting: 3 });
    // The sixth was refused at once, without running.
    expect(await outcomes[5]).toBe('refused');
    g.open(true);
    await tick();
    expect(g.started()).toBe(3);
    for (let k = 0; k < 4; k++) {
      g.open(k % 2 === 0);
      await tick();
    }
    expect(await Promise.all(outcomes.slice(0, 5))).toEqual([true, true, false, true, false]);
    expect(guard.load).toEqual({ running: 0, waiting: 0 });
  });

  it('shares the limit with OPER attempts', async () => {
    const guard = new OperGuard({ concurrency: 1, maxWaiting: 1, sleep: () => Promise.resolve() });
    const g = gate();
    const oper = guard.attempt('127.0.0.1', 'boss', { firstMs: 0, maxMs: 0 }, g.check);
    const pass = guard.limit(g.check);
    expect(await guard.limit(g.check)).toBe('refused');
    await tick();
    expect(g.started()).toBe(1);
    g.open(true);
    expect(await oper).toBe('ok');
    await tick();
    g.open(false);
    expect(await pass).toBe(false);
  });

  it('a check that throws frees its slot', async () => {
    const guard = new OperGuard({ concurrency: 1 });
    await expect(guard.limit(() => Promise.reject(new Error('scrypt broke')))).rejects.toThrow('scrypt broke');
    expect(guard.load).toEqual({ running: 0, waiting: 0 });
    expect(await guard.limit(() => Promise.resolve(true))).toBe(true);
  });
});
