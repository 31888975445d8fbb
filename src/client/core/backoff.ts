/**
 * Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so many clients cut off at once do
 * not come back in step, while the delay still grows.
 */
export interface BackoffOptions {
  /** First delay before jitter (default 1 s). */
  baseMs?: number;
  /** Cap before jitter (default 60 s). */
  maxMs?: number;
  /** Random source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** The delay before reconnect attempt `attempt` (0 for the first). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
