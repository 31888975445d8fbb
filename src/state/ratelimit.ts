/**
 * A token bucket per key whose charges have a size: a change a user
 * broadcasts costs as many units as it has recipients, so the same budget
 * allows many changes seen by a few peers or few seen by many.
 *
 * Pure: the caller passes the time (Unix seconds, fractions allowed), so tests
 * move a clock instead of waiting. Keys are objects (users) held weakly, so a
 * user who leaves takes their bucket with them.
 */
export interface BucketPolicy {
  /** Units available at once (and the most a full bucket holds). */
  burst: number;
  /** Units refilled per second; 0: no limit. */
  ratePerSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class CostLimiter<K extends object> {
  private readonly buckets = new WeakMap<K, Bucket>();

  /**
   * Charge `cost` units to `key` at time `now`. Allowed when the bucket holds
   * the cost, or is full for a cost bigger than the whole burst; the charge
   * may then leave it in debt, repaid at the refill rate, so a change seen by
   * N recipients always costs N. Returns 0 when allowed (and charged), else
   * the whole seconds to wait before the same charge would be allowed.
   */
  charge(key: K, cost: number, policy: BucketPolicy, now: number): number {
    if (policy.ratePerSecond <= 0 || cost <= 0) return 0;
    return this.take(key, cost, Math.min(cost, policy.burst), policy, now);
  }

  /**
   * Seconds until `key` could be charged anything at all (0 if now): a cheap
   * check before working out what a charge would cost. Charges nothing.
   */
  waitForAny(key: K, policy: BucketPolicy, now: number): number {
    if (policy.ratePerSecond <= 0) return 0;
    return this.take(key, 0, Math.min(1, policy.burst), policy, now);
  }

  private take(key: K, cost: number, needed: number, policy: BucketPolicy, now: number): number {
    const { burst, ratePerSecond: rate } = policy;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: burst, at: now }));
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    bucket.at = now;
    if (bucket.tokens < needed) return Math.max(1, Math.ceil((needed - bucket.tokens) / rate));
    bucket.tokens -= cost;
    return 0;
  }
}
