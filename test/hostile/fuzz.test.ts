/**
 * The fuzzer of bench/fuzz.ts in its short form (the long one is `npm run
 * fuzz`): 20000 generated lines (commands, mutations, random bytes) over
 * several connections of a live server. The seed is fixed (see
 * test/helpers/seed.ts: OBROL_FUZZ_SEED=random draws one) and printed when the
 * test fails.
 */
import { expect, it } from 'vitest';
import { formatReport, runFuzz } from '../../bench/fuzz.js';
import { fuzzSeed, reportSeedOnFailure, seedNote } from '../helpers/seed.js';

const LINES = 20_000;

it(`survives ${LINES} fuzz lines: replies well formed, state consistent, server alive`, async (ctx) => {
  const seed = fuzzSeed();
  reportSeedOnFailure(ctx, seed);
  const report = await runFuzz({ lines: LINES, seed });
  const summary = [seedNote(seed), ...formatReport(report)].join('\n');
  expect(report.linesSent, summary).toBe(LINES);
  expect(report.problems, summary).toEqual([]);
  expect(report.violations, summary).toEqual([]);
  expect(report.errorLogs, summary).toEqual([]);
  expect(report.unhandled, summary).toEqual([]);
  expect(report.serverAlive, summary).toBe(true);
  expect(report.sessionsAtEnd, summary).toBe(report.clientsOpenAtEnd);
  // The lines reached the handlers: every verb was dispatched but those that stop the server (never sent by the operator).
  expect(report.verbsNeverDispatched.sort(), summary).toEqual(['DIE', 'RESTART']);
  expect(report.linesReceived, summary).toBeGreaterThan(LINES / 2);
}, 120_000);
