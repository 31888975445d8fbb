/**
 * The fuzzer of bench/fuzz.ts in its short form (the long one is `npm run
 * fuzz`): 20000 generated lines (commands, mutations, random bytes) over
 * several connections of a live server. The seed is random and printed; set
 * FUZZ_SEED to replay a run.
 */
import { expect, it } from 'vitest';
import { formatReport, runFuzz } from '../../bench/fuzz.js';

const LINES = 20_000;

it(`survives ${LINES} fuzz lines: replies well formed, state consistent, server alive`, async () => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff);
  process.stdout.write(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)\n`);
  const report = await runFuzz({ lines: LINES, seed });
  const summary = formatReport(report).join('\n');
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
