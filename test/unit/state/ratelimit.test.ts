import { describe, expect, it } from 'vitest';
import { CostLimiter } from '../../../src/state/ratelimit.js';

const policy = { burst: 100, ratePerSecond: 10 };

describe('CostLimiter', () => {
  it('allows charges while the bucket covers them, then says how long to wait', () => {
    const limiter = new CostLimiter<object>();
    const key = {};
    expect(limiter.charge(key, 60, policy, 0)).toBe(0);
    expect(limiter.charge(key, 40, policy, 0)).toBe(0);
    expect(limiter.charge(key, 30, policy, 0)).toBe(3);
    expect(limiter.charge(key, 30, policy, 2)).toBe(1);
    expect(limiter.charge(key, 30, policy, 3)).toBe(0);
  });

  it('a charge bigger than the burst needs a full bucket and leaves a debt', () => {
    const limiter = new CostLimiter<object>();
    const key = {};
    expect(limiter.charge(key, 300, policy, 0)).toBe(0);
    // 200 units in debt, and a full bucket (100) is needed again: 30 seconds.
    expect(limiter.charge(key, 300, policy, 0)).toBe(30);
    // After 20 seconds the debt is paid and the bucket is empty.
    expect(limiter.charge(key, 1, policy, 20)).toBe(1);
    expect(limiter.charge(key, 300, policy, 29)).toBe(1);
    expect(limiter.charge(key, 300, policy, 30)).toBe(0);
  });

  it('waitForAny says whether anything could be charged, without charging', () => {
    const limiter = new CostLimiter<object>();
    const key = {};
    expect(limiter.waitForAny(key, policy, 0)).toBe(0);
    expect(limiter.charge(key, 150, policy, 0)).toBe(0);
    // 50 in debt: one unit needs 51 more, 5.1 seconds.
    expect(limiter.waitForAny(key, policy, 0)).toBe(6);
    expect(limiter.waitForAny(key, policy, 5.1)).toBe(0);
    expect(limiter.charge(key, 1, policy, 5.1)).toBe(0);
  });

  it('keys have their own buckets; rate 0 and cost 0 are never refused', () => {
    const limiter = new CostLimiter<object>();
    const [a, b] = [{}, {}];
    expect(limiter.charge(a, 100, policy, 0)).toBe(0);
    expect(limiter.charge(b, 100, policy, 0)).toBe(0);
    expect(limiter.charge(a, 0, policy, 0)).toBe(0);
    expect(limiter.charge(a, 1_000_000, { burst: 1, ratePerSecond: 0 }, 0)).toBe(0);
  });
});
