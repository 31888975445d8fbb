/**
 * The soak benchmark as a vitest file, run by `npm run soak` (never in CI:
 * the main vitest config only includes test/**\/*.test.ts). Parameters from
 * the environment: SOAK_CLIENTS (default 10000), SOAK_MINUTES (default 3),
 * SOAK_RATE (leaves and reconnects per second, default 100), SOAK_WARMUP
 * (seconds, default 20) and SOAK_WARMUP_LEAVES (default: SOAK_CLIENTS, at
 * least 1500; the warm-up lasts until both are reached), SOAK_ROUNDS (churn
 * rounds of SOAK_MINUTES each, with a measurement after each, default 1).
 *
 * Passes when the server's heap with the full population idle after the
 * churn is within 5% of what it was before, and no client saw an error.
 */
import { expect, it } from 'vitest';
import { runSoak } from './soak.js';

const env = (name: string, fallback: number): number => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
};

const clients = env('SOAK_CLIENTS', 10_000);
const minutes = env('SOAK_MINUTES', 3);
const rounds = env('SOAK_ROUNDS', 1);

it(`keeps its memory through ${minutes} minutes of churn with ${clients} clients`, async () => {
  const result = await runSoak({
    clients,
    minutes,
    rate: env('SOAK_RATE', 100),
    warmupSeconds: env('SOAK_WARMUP', 20),
    warmupLeaves: env('SOAK_WARMUP_LEAVES', Math.max(1500, clients)),
    rounds,
    log: (line) => process.stdout.write(`[soak] ${line}\n`),
  });
  process.stdout.write(`\n${result.table}\n`);
  if (result.errorSamples.length > 0) process.stdout.write(`error samples:\n  ${result.errorSamples.join('\n  ')}\n`);
  if (result.serverWarnings.length > 0) process.stdout.write(`server log (warn and above):\n  ${result.serverWarnings.join('\n  ')}\n`);

  expect(result.samples.map((s) => s.clients)).toEqual([0, ...Array<number>(2 + rounds).fill(clients), 0]);
  expect(result.connections).toBeGreaterThan(0);
  expect(result.errors).toEqual({});
  expect(Math.abs(result.heapGrowthPct)).toBeLessThan(5);
});
