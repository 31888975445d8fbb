/**
 * Retention: every minute, on the server's clock, drop history older than
 * history.max_age and beyond history.max_per_target per conversation. Off
 * the message path: an append never prunes. One run at a time; a failure is
 * logged and the next run tries again.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, TimerHandle } from '../server/clock.js';
import type { HistoryStore } from '../store/types.js';

export const RETENTION_INTERVAL_MS = 60_000;

export class HistoryRetention {
  private timer: TimerHandle | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly history: HistoryStore,
    /** Read at each run, so REHASH changes apply at the next. */
    private readonly config: () => Config,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer === null) this.timer = this.clock.setInterval(() => void this.run(), RETENTION_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
  }

  /** Prune now; resolves with how many entries went (0 when a run is already going or nothing is bounded). */
  run(): Promise<number> {
    if (this.running !== null) return Promise.resolve(0);
    const { max_age, max_per_target } = this.config().history;
    if (max_age === 0 && max_per_target === 0) return Promise.resolve(0);
    const olderThan = max_age === 0 ? 0 : this.clock.now() - max_age * 1000;
    const run = this.history
      .flush()
      .then(() => this.history.prune(olderThan, max_per_target))
      .then(
        (removed) => {
          if (removed > 0) this.log.debug({ event: 'history-pruned', removed }, 'old history removed');
          return removed;
        },
        (err: unknown) => {
          this.log.warn({ err, event: 'history-prune-failed' }, 'pruning history failed; will try again');
          return 0;
        },
      )
      .finally(() => {
        this.running = null;
      });
    this.running = run;
    return run;
  }
}
