/**
 * Time as the server sees it: the current time and timers. The system clock
 * is the default; tests give a manual clock they advance by hand, so flood
 * control, keepalives and timeouts are tested without waiting.
 */

/** A timer started by a Clock: only ever given back to that clock. */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` once after `ms`; the timer never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
  /** Run `fn` every `ms`; never keeps the process alive on its own. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(timer: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout),
};
