/**
 * A smoke run of `npm run bench`: every scenario at its --quick size against
 * the built Obrol (npm test builds first), through the real runner, worker
 * processes and /proc readings. It checks that the benchmark still works and
 * that nothing is lost or reordered, never how fast anything is: speed figures
 * come from `npm run bench` on a quiet machine (bench/RESULTS.md).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/run.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'obrol-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(REPO, 'node_modules/.bin/tsx'), ['bench/cli.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- all --quick --servers obrol', () => {
  it('runs every scenario against Obrol with nothing lost or reordered', { timeout: 180_000 }, async () => {
    const json = join(dir, 'results.json');
    // No pinning: CI machines may not allow taskset, and the figures are not judged here.
    const { code, output } = await runBench(['all', '--quick', '--servers', 'obrol', '--no-pin', '--out=-', '--json', json]);
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    const byCase = new Map(result.cases.map((c) => [c.spec.id, c]));
    expect([...byCase.keys()].sort()).toEqual(['churn-2s', 'connect', 'connect-rate-300', 'fanout-2x20-closed', 'fanout-2x20-open', 'mixed-200', 'privmsg-20'].sort());

    for (const record of result.cases) {
      expect(record.runs, record.spec.id).toHaveLength(1);
      const run = record.runs[0]!;
      expect(run.error, `${record.spec.id}: ${run.error}`).toBeNull();
      const f = run.result!.figures;
      // Every figure read from /proc is there: the runner knew the server's PID.
      expect(Object.values(f).some((v) => Number.isNaN(v)), `${record.spec.id} has n/a figures: ${JSON.stringify(f)}`).toBe(false);
      switch (record.spec.run.scenario) {
        case 'connect':
          expect(f.registered).toBe(300);
          expect(f.failed).toBe(0);
          expect(f.regsPerSec).toBeGreaterThan(0);
          expect(f.rssPerClientKiB).toBeGreaterThan(0);
          expect(f.rssEmptyMiB).toBeGreaterThan(0);
          // the latency distribution is ordered
          expect(f.regP50).toBeLessThanOrEqual(f.regP99!);
          expect(f.regP99).toBeLessThanOrEqual(f.regMax!);
          break;
        case 'mixed':
          expect(f.deliveriesPerCpuSec).toBeGreaterThan(0);
          expect(f.chanP50).toBeGreaterThan(0);
          expect(f.dmP50).toBeGreaterThan(0);
          expect(f.lost).toBe(0);
          expect(f.reordered).toBe(0);
          break;
        case 'fanout':
          expect(f.deliveriesPerSec).toBeGreaterThan(0);
          expect(f.lost).toBe(0);
          expect(f.reordered).toBe(0);
          expect(f.deliveriesPerCpuSec).toBeGreaterThan(0);
          break;
        case 'privmsg':
          expect(f.roundTripsPerSec).toBeGreaterThan(0);
          expect(f.roundTripsPerCpuSec).toBeGreaterThan(0);
          expect(f.lost).toBe(0);
          expect(f.reordered).toBe(0);
          break;
        case 'churn':
          expect(f.cyclesPerSec).toBeGreaterThan(0);
          expect(f.errors).toBe(0);
          expect(f.rssAfterMiB).toBeGreaterThan(0);
          break;
      }
    }
  });

  it('refuses an unknown scenario with a message and a non-zero exit', { timeout: 60_000 }, async () => {
    const { code, output } = await runBench(['teleport']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/teleport/);
  });
});
