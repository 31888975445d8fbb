/**
 * Brute-force protection for OPER, one per server:
 * - back-off per address and per oper name: each attempt waits until the
 *   failures before it allow, the wait doubling per failure up to a cap, and
 *   what is remembered is forgotten after a quiet period;
 * - at most `concurrency` password checks (scrypt) run at once, server-wide;
 *   more wait in a bounded queue, and past the bound are refused at once.
 * The guard knows nothing of oper blocks: names that exist and names that do
 * not are counted alike, so timing tells nothing about which exist. The
 * server password check at registration shares the limit (limit()).
 */

export interface Backoff {
  /** Wait after the first failure, in ms; doubles with each further one. 0: no back-off. */
  firstMs: number;
  /** Longest wait; an attempt that would wait longer is refused at once. */
  maxMs: number;
}

export interface OperGuardOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Password checks running at once. */
  concurrency?: number;
  /** Attempts that may be waiting (for their back-off or a free check) at once. */
  maxWaiting?: number;
  /** An address or name with no attempt for this long starts afresh. */
  forgetMs?: number;
  /** Addresses, and names, remembered at most; the least recent go first. */
  maxTracked?: number;
}

/** ok: the check passed; failed: it did not; refused: it was not run (too many waiting, or too long a wait). */
export type OperOutcome = 'ok' | 'failed' | 'refused';

interface Failures {
  count: number;
  /** When the next attempt may run (ms). */
  nextAt: number;
  /** Last attempt (ms). */
  lastAt: number;
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function backoffDelay(failures: number, backoff: Backoff): number {
  if (failures <= 0 || backoff.firstMs <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** (failures - 1));
}

export class OperGuard {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly forgetMs: number;
  private readonly maxTracked: number;
  private readonly byAddress = new Map<string, Failures>();
  private readonly byName = new Map<string, Failures>();
  private running = 0;
  private waiting = 0;
  private readonly queue: Array<() => void> = [];

  constructor(options: OperGuardOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.concurrency = options.concurrency ?? 2;
    this.maxWaiting = options.maxWaiting ?? 32;
    this.forgetMs = options.forgetMs ?? 10 * 60_000;
    this.maxTracked = options.maxTracked ?? 10_000;
  }

  /** Checks running now, and attempts waiting (for tests and STATS). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting };
  }

  /**
   * Run `check` for an attempt from `address` as `name` once back-off and a
   * free check slot allow. A success forgets the address's and name's failures.
   */
  async attempt(address: string, name: string, backoff: Backoff, check: () => Promise<boolean>): Promise<OperOutcome> {
    const now = this.now();
    this.forget(this.byAddress, now);
    this.forget(this.byName, now);
    const byAddress = this.track(this.byAddress, address, now);
    const byName = this.track(this.byName, name, now);
    // A name's back-off delays an attempt but never refuses it (at most maxMs): else anyone
    // failing on purpose for someone else's account or oper name would lock its owner out.
    // Only the caller's own address can earn a refusal.
    if (this.waiting >= this.maxWaiting || byAddress.nextAt - now > backoff.maxMs) return 'refused';
    const start = Math.max(now, byAddress.nextAt, Math.min(byName.nextAt, now + backoff.maxMs));
    // Counted as a failure before it runs, so attempts sent at once (from
    // several connections) line up one back-off apart instead of all running now.
    for (const failures of [byAddress, byName]) {
      failures.count++;
      failures.nextAt = start + backoffDelay(failures.count, backoff);
    }
    const ok = await this.slot(start - now, check);
    if (!ok) return 'failed';
    this.byAddress.delete(address);
    this.byName.delete(name);
    return 'ok';
  }

  /**
   * Run another password check (the server password at registration) under
   * the same server-wide limit, without back-off: 'refused' when too many
   * already wait.
   */
  async limit<T>(check: () => Promise<T>): Promise<T | 'refused'> {
    if (this.running >= this.concurrency && this.waiting >= this.maxWaiting) return 'refused';
    return this.slot(0, check);
  }

  /** Run `check` in one of the `concurrency` slots, after `delayMs`, waiting (counted in `waiting`) until one is free. */
  private async slot<T>(delayMs: number, check: () => Promise<T>): Promise<T> {
    if (delayMs <= 0 && this.running < this.concurrency) this.running++;
    else {
      this.waiting++;
      try {
        if (delayMs > 0) await this.sleep(delayMs);
        await this.acquire();
      } finally {
        this.waiting--;
      }
    }
    try {
      return await check();
    } finally {
      this.release();
    }
  }

  private track(map: Map<string, Failures>, key: string, now: number): Failures {
    const failures = map.get(key) ?? { count: 0, nextAt: 0, lastAt: now };
    // Re-inserted, so the map stays in order of last attempt.
    map.delete(key);
    map.set(key, failures);
    failures.lastAt = now;
    if (map.size > this.maxTracked) map.delete(map.keys().next().value as string);
    return failures;
  }

  private forget(map: Map<string, Failures>, now: number): void {
    for (const [key, failures] of map) {
      if (now - failures.lastAt < this.forgetMs) break;
      if (failures.nextAt <= now) map.delete(key);
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  /** Hand the slot to the next waiter, or free it. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}
