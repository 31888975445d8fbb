/**
 * A clock that moves only when a test says so: flood control, keepalives
 * and timeouts tested without waiting and without wall-clock bounds.
 */
import type { Clock, TimerHandle } from '../../src/server/clock.js';

interface Timer {
  at: number;
  fn: () => void;
  /** Repeat period for intervals; 0 for one-shot timers. */
  every: number;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private timers: Timer[] = [];

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.time + Math.max(0, ms), fn, every: 0, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.time + ms, fn, every: Math.max(1, ms), cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearInterval(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }

  /** Timers waiting (not cancelled). */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Move time forward by `ms`, running every timer that falls due, in order of due time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.reduce<Timer | null>((soonest, t) => (t.at <= end && (soonest === null || t.at < soonest.at) ? t : soonest), null);
      if (next === null) break;
      this.time = Math.max(this.time, next.at);
      if (next.every > 0) next.at += next.every;
      else next.cancelled = true;
      next.fn();
    }
    this.time = end;
  }
}
