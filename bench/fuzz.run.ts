/**
 * The long fuzz run as a vitest file, run by `npm run fuzz` (never in CI: the
 * main vitest config only includes test/**\/*.test.ts; the short form is
 * test/hostile/fuzz.test.ts). Parameters from the environment: FUZZ_LINES
 * (default 300000), FUZZ_SEED (default random; printed, to replay a run),
 * FUZZ_CONNECTIONS (fuzzed connections, default 6), FUZZ_BATCH (lines between
 * synchronisations, default 500), FUZZ_UTF8_ONLY (0 to turn server.utf8_only off),
 * FUZZ_CONFIG (more configuration as JSON with dotted keys, e.g.
 * '{"limits.targets":1,"server.casemapping":"ascii"}' or a "classes" list with
 * flood control).
 */
import { expect, it } from 'vitest';
import { runFuzz } from './fuzz.js';

const env = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

const lines = env('FUZZ_LINES') ?? 300_000;

it(`survives ${lines} fuzz lines`, async () => {
  const report = await runFuzz({
    lines,
    seed: env('FUZZ_SEED'),
    connections: env('FUZZ_CONNECTIONS'),
    batch: env('FUZZ_BATCH'),
    utf8Only: env('FUZZ_UTF8_ONLY') !== 0,
    overrides: process.env.FUZZ_CONFIG ? (JSON.parse(process.env.FUZZ_CONFIG) as Record<string, unknown>) : {},
    log: (line) => process.stdout.write(`[fuzz] ${line}\n`),
  });
  expect(report.linesSent).toBe(lines);
  expect(report.problems).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(report.errorLogs).toEqual([]);
  expect(report.unhandled).toEqual([]);
  expect(report.serverAlive).toBe(true);
  expect(report.sessionsAtEnd).toBe(report.clientsOpenAtEnd);
});
