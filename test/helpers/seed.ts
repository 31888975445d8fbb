/**
 * The seed of the fuzz and property tests. Fixed by default, so a run in CI
 * replays the same lines and a failure there is reproducible; set
 * OBROL_FUZZ_SEED (or FUZZ_SEED) to a number to replay a run, or to `random`
 * to draw a new seed. Print it when a test fails with reportSeedOnFailure().
 */
import type { TestContext } from 'vitest';

export const DEFAULT_FUZZ_SEED = 1_234_567;

export function fuzzSeed(env: Record<string, string | undefined> = process.env): number {
  const asked = env.OBROL_FUZZ_SEED ?? env.FUZZ_SEED;
  if (asked === undefined || asked === '') return DEFAULT_FUZZ_SEED;
  if (asked === 'random') return Math.floor(Math.random() * 0x7fffffff);
  const seed = Number(asked);
  if (!Number.isSafeInteger(seed)) throw new Error(`OBROL_FUZZ_SEED/FUZZ_SEED must be an integer or "random", not ${JSON.stringify(asked)}`);
  return seed;
}

/** How to replay a run with `seed`. */
export function seedNote(seed: number): string {
  return `fuzz seed ${seed} (OBROL_FUZZ_SEED=${seed} replays it)`;
}

/** Print the seed to stderr if the current test fails (call from a test or a beforeEach). */
export function reportSeedOnFailure(ctx: TestContext, seed: number): void {
  ctx.onTestFailed(() => {
    process.stderr.write(`${seedNote(seed)}\n`);
  });
}
