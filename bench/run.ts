/**
 * The benchmark runner: for every case, `rounds` rounds, and in each round
 * every server in turn (A B C A B C ...), each run on a freshly started
 * server. Or, with a target, the same cases against a server that is already
 * running (then CPU and RSS need its PID).
 */
import os from 'node:os';
import { CLUSTER_UNPINNED, type CaseSpec } from './cases.js';
import { machine, planPinning, type Machine, type Pinning } from './lib/proc.js';
import { MULTI_PROCESS_KINDS, probe, startServer, stopAllServers, SERVER_LABELS, type ProbeResult, type ServerKind } from './lib/servers.js';
import { runScenario, type RunResult, type Target } from './scenarios.js';

export interface ExternalTarget {
  host: string;
  port: number;
  pid: number | null;
  label: string;
}

export interface BenchOptions {
  cases: CaseSpec[];
  /** Servers to start (ignored with a target). */
  servers: ServerKind[];
  target?: ExternalTarget;
  rounds: number;
  pin: boolean;
  workers?: number;
  /** The command line, for RESULTS.md. */
  commandLine: string;
  log?: (line: string) => void;
  /** Stop at the first failed run (default: record the failure and go on). */
  failFast?: boolean;
}

export interface ServerInfo {
  label: string;
  /** From --version / package.json (servers we start). */
  binaryVersion: string;
  /** From the server itself: 004 and 351. */
  probe: ProbeResult | null;
  /** How it was started (the last run's command line, with its port). */
  command: string;
  nofile: number;
}

export interface RunRecord {
  server: string;
  round: number;
  result: RunResult | null;
  error: string | null;
  seconds: number;
  /** The machine's 1-minute load average when the run started (other work on the machine shows here). */
  load1?: number;
}

export interface CaseRecord {
  spec: CaseSpec;
  /** How this case's servers and generator were pinned. */
  pinning: Pinning;
  runs: RunRecord[];
}

export interface BenchResult {
  machine: Machine;
  pinning: Pinning;
  startedAt: string;
  seconds: number;
  commandLine: string;
  rounds: number;
  servers: ServerInfo[];
  cases: CaseRecord[];
}

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const pinning = planPinning(opts.pin && !opts.target);
  const serverInfo = new Map<string, ServerInfo>();
  // A case's servers: its own list (multi-process cases) within those asked for, else all of them.
  const serversOf = (spec: CaseSpec): ServerKind[] => (spec.servers ? spec.servers.filter((k) => opts.servers.includes(k)) : opts.servers);
  // A case with a server of several processes runs unpinned for all its servers, even when it does not say so.
  const unpinnedWhy = (spec: CaseSpec): string | undefined =>
    spec.unpinned ?? (serversOf(spec).some((k) => MULTI_PROCESS_KINDS.includes(k)) ? CLUSTER_UNPINNED : undefined);
  const kinds = opts.target ? [] : opts.servers.filter((k) => opts.cases.some((c) => serversOf(c).includes(k)));
  const labels = opts.target ? [opts.target.label] : kinds.map((k) => SERVER_LABELS[k]);
  for (const label of labels) serverInfo.set(label, { label, binaryVersion: '', probe: null, command: '', nofile: NaN });
  const cases: CaseRecord[] = opts.cases.map((spec) => ({
    spec,
    pinning: unpinnedWhy(spec) !== undefined && pinning.enabled ? { ...planPinning(false), reason: unpinnedWhy(spec)! } : pinning,
    runs: [],
  }));
  let runIndex = Math.floor(Math.random() * 1000);
  log(`pinning: ${pinning.reason}`);
  try {
    for (const record of cases) {
      if (record.pinning.reason !== pinning.reason) log(`${record.spec.id}: ${record.pinning.reason}`);
      for (let round = 1; round <= opts.rounds; round++) {
        const order = opts.target ? [null] : serversOf(record.spec);
        for (const kind of order) {
          const label = kind ? SERVER_LABELS[kind] : opts.target!.label;
          const info = serverInfo.get(label)!;
          const t0 = Date.now();
          const load1 = os.loadavg()[0];
          log(`${record.spec.id} round ${round}/${opts.rounds}: ${label}`);
          let handle = null;
          try {
            let host: string;
            let port: number;
            let pid: number | null;
            let nofile: number | undefined;
            let extra: Pick<Target, 'pids' | 'ports' | 'describe' | 'setupWindow'> = {};
            if (kind) {
              handle = await startServer(kind, record.pinning, (line) => log(`  ${line}`));
              ({ host, port, pid } = handle);
              nofile = handle.nofile;
              extra = { pids: handle.pids, ports: handle.ports, describe: handle.describe, setupWindow: handle.setupWindow };
              info.binaryVersion = handle.binaryVersion;
              info.command = handle.command;
              info.nofile = handle.nofile;
            } else {
              ({ host, port, pid } = opts.target!);
            }
            const p = await probe(host, port, `bp${(runIndex % 1000).toString(36)}`);
            info.probe ??= p;
            const result = await runScenario({ target: { host, port, pid, nofile, ...extra }, pinning: record.pinning, workers: opts.workers, runIndex: runIndex++, log }, record.spec.run);
            const secs = (Date.now() - t0) / 1000;
            record.runs.push({ server: label, round, result, error: null, seconds: secs, load1 });
            log(`  done in ${secs.toFixed(1)} s: ${summarise(result)}`);
          } catch (err) {
            const message = (err as Error).message;
            record.runs.push({ server: label, round, result: null, error: message.split('\n').slice(0, 4).join(' '), seconds: (Date.now() - t0) / 1000, load1 });
            log(`  FAILED: ${message}`);
            if (handle) log(`  server output: ${handle.output().slice(-1500)}`);
            if (opts.failFast) throw err;
          } finally {
            if (handle) await handle.stop();
          }
        }
      }
    }
  } finally {
    await stopAllServers();
  }
  return {
    machine: machine(),
    pinning,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    commandLine: opts.commandLine,
    rounds: opts.rounds,
    servers: [...serverInfo.values()],
    cases,
  };
}

function summarise(r: RunResult): string {
  const f = r.figures;
  const keys = ['regsPerSec', 'rssPerClientKiB', 'deliveriesPerSec', 'deliveriesPerCpuSec', 'roundTripsPerSec', 'cyclesPerSec', 'p50', 'p99', 'lost', 'reordered', 'rssGrowthPct', 'failed', 'errors'];
  const parts = keys.filter((k) => k in f).map((k) => `${k} ${Number.isInteger(f[k]) ? f[k] : f[k]!.toFixed(2)}`);
  if (r.generator) parts.push(`generator ${r.generator.totalPct.toFixed(0)}% (${r.generator.workersPct.map((p) => p.toFixed(0)).join('+')})${r.generator.saturated ? ' SATURATED' : ''}`);
  return parts.join(', ');
}
