/**
 * The benchmark scenarios, runner side: each takes a running server (its
 * address, and its PID when we can read its CPU and RSS from /proc), forks
 * the generator workers, drives them through the phases, and turns their
 * counters into figures. See bench/README.md (Benchmarks) for what each
 * figure means.
 */
import os from 'node:os';
import { Histogram, type HistogramData } from './lib/histogram.js';
import type { ConnectReport, Counters, FanoutSender, JoinReport, MarkReport, MixedCommand } from './lib/ipc.js';
import { WorkerPool } from './lib/pool.js';
import { cpuSeconds, openFilesLimit, rssKiB, type Pinning } from './lib/proc.js';
import { prng } from './lib/prng.js';

export type ScenarioName = 'connect' | 'fanout' | 'privmsg' | 'churn' | 'mixed' | 'crossnode';
/** The single-process scenarios (`all`). */
export const SCENARIOS: ScenarioName[] = ['connect', 'fanout', 'privmsg', 'churn', 'mixed'];

export interface Target {
  host: string;
  port: number;
  /** The server's PID, for CPU and RSS from /proc; null: those figures are n/a. */
  pid: number | null;
  /** A server of several processes: all of them, read at the start of each measurement (CPU and RSS are their sum). */
  pids?: () => number[];
  /** A server listening on several ports (one per node): client g connects to ports[g % ports.length]. */
  ports?: number[];
  /** Where the clients ended up, for the notes (obrol-2w: sockets per worker). */
  describe?: () => string;
  /** The server's open-files limit, when known (caps the clients of connect). */
  nofile?: number;
  /** Registrations in flight while setting up the clients of fanout, privmsg and mixed (default 1000). */
  setupWindow?: number;
}

export interface RunEnv {
  target: Target;
  pinning: Pinning;
  /** Worker processes; default: enough for the open-files limit, at least one per generator core. */
  workers?: number;
  /** A counter that makes nicks and source addresses of this run unique. */
  runIndex: number;
  log: (line: string) => void;
}

export interface GeneratorCpu {
  /** The measured window, s. */
  windowS: number;
  /** Each worker's CPU over the window, % of one core. */
  workersPct: number[];
  /** All workers together, % of one core. */
  totalPct: number;
  /** Cores the generator may use. */
  cores: number;
  /** The runner process (this one), % of one core. */
  runnerPct: number;
  /** A worker above 90% of a core, or all of them above 90% of the generator's cores: the figures may be generator-bound. */
  saturated: boolean;
}

export interface RunResult {
  figures: Record<string, number>;
  generator: GeneratorCpu | null;
  notes: string[];
  errors: Record<string, number>;
  samples: string[];
}

export type Better = 'higher' | 'lower' | 'zero' | 'info';

export interface FigureDef {
  key: string;
  label: string;
  better: Better;
  /** Decimals shown. */
  digits: number;
}

// ------------------------------------------------------------------ parameters

export interface ConnectParams {
  clients: number;
  /** Registrations in flight at once (all workers together); not used when rate is set. */
  window: number;
  /** Open loop: connections started per second (all workers together), whatever the server's pace; 0: the window. */
  rate: number;
  /** Seconds the clients stay connected and idle after the last registration. */
  hold: number;
  /** Clients per loopback source address. */
  perAddress: number;
  /** Seconds allowed for all registrations. */
  timeout: number;
}

export interface FanoutParams {
  channels: number;
  members: number;
  senders: number;
  mode: 'closed' | 'open';
  /** Closed loop: messages in flight per sender. */
  window: number;
  /** Open loop: messages per second, all senders together. */
  rate: number;
  duration: number;
  warmup: number;
  /** Bytes of message text. */
  size: number;
}

export interface PrivmsgParams {
  pairs: number;
  /** Messages in flight per pair. */
  window: number;
  duration: number;
  warmup: number;
  size: number;
}

export interface ChurnParams {
  /** Connect-register-join-part-quit loops running at once (all workers together). */
  concurrency: number;
  /** Channels the loops JOIN and PART (shared, so others see the JOIN and PART). */
  channels: number;
  duration: number;
  warmup: number;
  /** Seconds idle before each RSS reading. */
  settle: number;
}

/**
 * Delivery latency between two nodes: P channels of two members, the sender
 * connected to node A and the receiver to node B (on a server of one port,
 * both to it: the same-node baseline), the senders together sending a fixed,
 * modest rate (open loop). The fanout machinery with 2 members and 1 sender.
 */
export interface CrossnodeParams {
  /** Sender-receiver pairs (each a channel of two). */
  pairs: number;
  /** Messages per second, all senders together. */
  rate: number;
  duration: number;
  warmup: number;
  size: number;
}

/**
 * A network's day in miniature: stable clients in small and large channels
 * talking (channel messages, mostly in the small ones, and direct messages
 * between random pairs), while churners JOIN and PART small channels and now
 * and then change nick; every stream at a fixed rate (open loop). The layout
 * and every choice come from the seed.
 */
export interface MixedParams {
  /** Clients in all: stable ones and churners. */
  clients: number;
  churners: number;
  smallChannels: number;
  /** Members of a small channel: uniform in [min, max]. */
  smallMembers: [number, number];
  largeChannels: number;
  largeMembers: [number, number];
  /** Channel messages per second, all channels together. */
  channelRate: number;
  /** The share of them sent to the large channels. */
  largeShare: number;
  /** Direct messages (PRIVMSG to a nick) per second. */
  directRate: number;
  /** Churner JOINs per second (each followed by its PART holdS later). */
  joinRate: number;
  holdS: number;
  /** Churner NICK changes per second. */
  nickRate: number;
  duration: number;
  warmup: number;
  size: number;
  seed: number;
}

export type ScenarioParams =
  | { scenario: 'connect'; params: ConnectParams }
  | { scenario: 'fanout'; params: FanoutParams }
  | { scenario: 'privmsg'; params: PrivmsgParams }
  | { scenario: 'churn'; params: ChurnParams }
  | { scenario: 'mixed'; params: MixedParams }
  | { scenario: 'crossnode'; params: CrossnodeParams };

// ------------------------------------------------------------------ figures

const latencyFigures = (what: string): FigureDef[] => [
  { key: 'p50', label: `${what} latency p50 (ms)`, better: 'lower', digits: 2 },
  { key: 'p99', label: `${what} latency p99 (ms)`, better: 'lower', digits: 2 },
  { key: 'p999', label: `${what} latency p99.9 (ms)`, better: 'lower', digits: 2 },
  { key: 'max', label: `${what} latency max (ms)`, better: 'lower', digits: 2 },
];

export const FIGURES: Record<ScenarioName, FigureDef[]> = {
  connect: [
    { key: 'registered', label: 'clients registered', better: 'higher', digits: 0 },
    { key: 'failed', label: 'clients failed', better: 'zero', digits: 0 },
    { key: 'regsPerSec', label: 'registrations/s', better: 'higher', digits: 0 },
    { key: 'regsPerCpuSec', label: 'registrations per server-CPU-s', better: 'higher', digits: 0 },
    { key: 'regP50', label: 'registration latency p50 (ms, connect to 376/422)', better: 'lower', digits: 1 },
    { key: 'regP90', label: 'registration latency p90 (ms)', better: 'lower', digits: 1 },
    { key: 'regP99', label: 'registration latency p99 (ms)', better: 'lower', digits: 1 },
    { key: 'regP999', label: 'registration latency p99.9 (ms)', better: 'lower', digits: 1 },
    { key: 'regMax', label: 'registration latency max (ms)', better: 'lower', digits: 1 },
    { key: 'reg001P50', label: 'connect to 001 p50 (ms)', better: 'lower', digits: 1 },
    { key: 'reg001P99', label: 'connect to 001 p99 (ms)', better: 'lower', digits: 1 },
    { key: 'rssEmptyMiB', label: 'server RSS at start, no clients (MiB)', better: 'lower', digits: 1 },
    { key: 'rssFullMiB', label: 'server RSS, all clients idle (MiB)', better: 'lower', digits: 1 },
    { key: 'rssPerClientKiB', label: 'server RSS per idle client (KiB)', better: 'lower', digits: 2 },
    { key: 'idleCpuPct', label: 'server CPU while idle (% of a core)', better: 'lower', digits: 2 },
    { key: 'dropped', label: 'clients dropped while idle', better: 'zero', digits: 0 },
  ],
  fanout: [
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
    { key: 'messagesPerSec', label: 'messages sent/s', better: 'higher', digits: 0 },
    { key: 'deliveriesPerCpuSec', label: 'deliveries per server-CPU-s', better: 'higher', digits: 0 },
    { key: 'serverCpuPct', label: 'server CPU (% of a core)', better: 'info', digits: 1 },
    { key: 'rssMiB', label: 'server RSS at the end of the window (MiB)', better: 'lower', digits: 1 },
    ...latencyFigures('delivery'),
    { key: 'lost', label: 'lost', better: 'zero', digits: 0 },
    { key: 'reordered', label: 'reordered', better: 'zero', digits: 0 },
  ],
  privmsg: [
    { key: 'roundTripsPerSec', label: 'round trips/s', better: 'higher', digits: 0 },
    { key: 'roundTripsPerCpuSec', label: 'round trips per server-CPU-s', better: 'higher', digits: 0 },
    { key: 'serverCpuPct', label: 'server CPU (% of a core)', better: 'info', digits: 1 },
    { key: 'rssMiB', label: 'server RSS at the end of the window (MiB)', better: 'lower', digits: 1 },
    ...latencyFigures('round-trip'),
    { key: 'lost', label: 'lost', better: 'zero', digits: 0 },
    { key: 'reordered', label: 'reordered', better: 'zero', digits: 0 },
  ],
  mixed: [
    { key: 'deliveriesPerSec', label: 'deliveries/s (channel, direct, JOIN/PART/NICK)', better: 'info', digits: 0 },
    { key: 'deliveriesPerCpuSec', label: 'deliveries per server-CPU-s', better: 'higher', digits: 0 },
    { key: 'serverCpuPct', label: 'server CPU (% of a core)', better: 'lower', digits: 1 },
    { key: 'chanP50', label: 'channel delivery latency p50 (ms)', better: 'lower', digits: 2 },
    { key: 'chanP99', label: 'channel delivery latency p99 (ms)', better: 'lower', digits: 2 },
    { key: 'chanMax', label: 'channel delivery latency max (ms)', better: 'lower', digits: 2 },
    { key: 'dmP50', label: 'direct delivery latency p50 (ms)', better: 'lower', digits: 2 },
    { key: 'dmP99', label: 'direct delivery latency p99 (ms)', better: 'lower', digits: 2 },
    { key: 'dmMax', label: 'direct delivery latency max (ms)', better: 'lower', digits: 2 },
    { key: 'rssMiB', label: 'server RSS at the end of the window (MiB)', better: 'lower', digits: 1 },
    { key: 'lost', label: 'lost', better: 'zero', digits: 0 },
    { key: 'reordered', label: 'reordered', better: 'zero', digits: 0 },
  ],
  crossnode: [
    ...latencyFigures('delivery'),
    { key: 'messagesPerSec', label: 'messages sent/s', better: 'info', digits: 0 },
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'info', digits: 0 },
    { key: 'serverCpuPct', label: 'server CPU (% of a core)', better: 'info', digits: 1 },
    { key: 'rssMiB', label: 'server RSS at the end of the window (MiB)', better: 'lower', digits: 1 },
    { key: 'lost', label: 'lost', better: 'zero', digits: 0 },
    { key: 'reordered', label: 'reordered', better: 'zero', digits: 0 },
  ],
  churn: [
    { key: 'cyclesPerSec', label: 'cycles/s', better: 'higher', digits: 0 },
    { key: 'cyclesPerCpuSec', label: 'cycles per server-CPU-s', better: 'higher', digits: 0 },
    { key: 'serverCpuPct', label: 'server CPU (% of a core)', better: 'info', digits: 1 },
    { key: 'cycleP50', label: 'cycle time p50 (ms)', better: 'lower', digits: 1 },
    { key: 'cycleP99', label: 'cycle time p99 (ms)', better: 'lower', digits: 1 },
    { key: 'rssStartMiB', label: 'server RSS at start (MiB)', better: 'lower', digits: 1 },
    { key: 'rssBeforeMiB', label: 'server RSS after warm-up (MiB)', better: 'lower', digits: 1 },
    { key: 'rssAfterMiB', label: 'server RSS after churn (MiB)', better: 'lower', digits: 1 },
    { key: 'rssGrowthPct', label: 'RSS growth over the churn (%)', better: 'lower', digits: 1 },
    { key: 'errors', label: 'failed cycles', better: 'zero', digits: 0 },
  ],
};

// ------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ms = (us: number) => us / 1000;

function nickPrefix(runIndex: number): string {
  // two characters: a letter and the run counter in base 36
  return `b${(runIndex % 36).toString(36)}`;
}

function addressOctet(runIndex: number): number {
  // 127.<10..249>.x.y: a fresh block per run, away from 127.0.0.1
  return 10 + (runIndex % 240);
}

/** Worker processes for a number of clients: the open-files limit per worker, at least one per generator core. */
export function workersFor(clients: number, env: RunEnv): number {
  if (env.workers) return env.workers;
  const soft = openFilesLimit('self').soft;
  const perWorker = Number.isFinite(soft) ? Math.max(100, soft - 256) : 10_000;
  return Math.max(Math.ceil(clients / perWorker), Math.min(env.pinning.generatorCores, Math.max(1, os.availableParallelism() - 1)));
}

/** The server's CPU and RSS: its one process, or the sum over all of them (Obrol over Redis: primary, workers or nodes, and redis-server). */
class ServerMeter {
  private cpu0 = NaN;
  private t0 = 0;
  private measured: number[] = [];
  constructor(private readonly target: Target) {}
  private pids(): number[] {
    if (this.target.pids) return this.target.pids();
    return this.target.pid === null ? [] : [this.target.pid];
  }
  private static cpu(pids: number[]): number {
    return pids.length === 0 ? NaN : pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }
  start(): void {
    this.measured = this.pids();
    this.cpu0 = ServerMeter.cpu(this.measured);
    this.t0 = performance.now();
  }
  /** [server CPU seconds, wall seconds] since start(); the CPU is NaN if one of the processes went away meanwhile. */
  end(): [number, number] {
    const cpu = ServerMeter.cpu(this.measured) - this.cpu0;
    return [cpu, (performance.now() - this.t0) / 1000];
  }
  rssMiB(): number {
    const pids = this.pids();
    return pids.length === 0 ? NaN : pids.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024;
  }
}

function generatorCpu(starts: MarkReport[], ends: MarkReport[], runnerUs: number, env: RunEnv): GeneratorCpu {
  const windowS = Math.max(1e-3, (Math.max(...ends.map((m) => m.at)) - Math.min(...starts.map((m) => m.at))) / 1000);
  const workersPct = ends.map((e, i) => ((e.cpuUs - starts[i]!.cpuUs) / 1e6 / windowS) * 100);
  const totalPct = workersPct.reduce((a, b) => a + b, 0);
  const cores = Math.min(env.pinning.generatorCores, workersPct.length);
  return {
    windowS,
    workersPct,
    totalPct,
    cores,
    runnerPct: (runnerUs / 1e6 / windowS) * 100,
    saturated: workersPct.some((p) => p > 90) || totalPct > 90 * cores,
  };
}

function mergeErrors(into: Record<string, number>, samples: string[], from: { errors: Record<string, number>; samples: string[] }): void {
  for (const [k, v] of Object.entries(from.errors)) into[k] = (into[k] ?? 0) + v;
  for (const s of from.samples) if (samples.length < 10) samples.push(s);
}

function sumCounters(list: Counters[]): Counters {
  const out: Counters = { sent: 0, done: 0, received: 0, reordered: 0, gaps: 0, duplicates: 0, errors: {}, samples: [], outstanding: 0 };
  for (const c of list) {
    out.sent += c.sent;
    out.done += c.done;
    out.received += c.received;
    out.reordered += c.reordered;
    out.gaps += c.gaps;
    out.duplicates += c.duplicates;
    out.outstanding! += c.outstanding ?? 0;
    mergeErrors(out.errors, out.samples, c);
    if (c.kinds) {
      out.kinds ??= {};
      for (const [k, v] of Object.entries(c.kinds)) out.kinds[k] = (out.kinds[k] ?? 0) + v;
    }
    if (c.sentPerChannel) {
      out.sentPerChannel ??= [];
      c.sentPerChannel.forEach((n, i) => (out.sentPerChannel![i] = (out.sentPerChannel![i] ?? 0) + n));
    }
  }
  return out;
}

function mergeHistograms(list: Array<HistogramData | undefined>): Histogram {
  const h = new Histogram();
  for (const d of list) if (d) h.add(d);
  return h;
}

function latencyOf(h: Histogram): Record<string, number> {
  return { p50: ms(h.percentile(0.5)), p99: ms(h.percentile(0.99)), p999: ms(h.percentile(0.999)), max: ms(h.count ? h.max : NaN) };
}

async function startPool(env: RunEnv, workers: number, perAddress: number): Promise<WorkerPool> {
  return WorkerPool.start(workers, env.pinning.enabled ? env.pinning.generatorCpus : null, {
    host: env.target.host,
    port: env.target.port,
    ...(env.target.ports && env.target.ports.length > 1 ? { ports: env.target.ports } : {}),
    nickPrefix: nickPrefix(env.runIndex),
    addressOctet: addressOctet(env.runIndex),
    perAddress,
  });
}

/**
 * Connect and register the given clients (gids per worker), for a scenario's
 * setup (not measured): a client whose connection the server reset is tried
 * again, twice at most (ngIRCd resets some when its listen backlog is full).
 * Throws unless all of them registered.
 */
async function connectAll(pool: WorkerPool, gids: number[][], window: number, timeoutS: number, env: RunEnv): Promise<void> {
  const perWorker = Math.max(1, Math.ceil(window / pool.size));
  let pending = gids;
  for (let attempt = 1; ; attempt++) {
    const reports = await pool.all<ConnectReport>((w) => ({ type: 'connect', gids: pending[w]!, window: perWorker, timeoutMs: timeoutS * 1000 }), timeoutS * 1000 + 60_000);
    const failed = reports.reduce((n, r) => n + r.failed, 0);
    const retry = reports.map((r) => r.failedGids);
    const retriable = retry.reduce((n, l) => n + l.length, 0);
    if (failed > 0 && (retriable < failed || attempt === 3)) {
      const errors: Record<string, number> = {};
      const samples: string[] = [];
      for (const r of reports) mergeErrors(errors, samples, r);
      throw new Error(`${failed} of ${gids.flat().length} clients did not register${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${JSON.stringify(errors)} ${samples.slice(0, 3).join(' | ')}`);
    }
    if (failed === 0) break;
    env.log(`  ${failed} connections failed (${Object.keys(reports[0]!.errors).join(', ')}): trying them again`);
    pending = retry;
  }
  env.log(`  ${gids.flat().length} clients registered`);
}

/** Wait until the counters stop moving or reach the goal. */
async function drain(pool: WorkerPool, done: (c: Counters) => boolean, stallMs: number, maxMs: number): Promise<Counters> {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = sumCounters(await pool.all<Counters>(() => ({ type: 'counters' })));
    if (done(c)) return c;
    const progress = c.done + c.received;
    if (progress !== last) {
      last = progress;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs || Date.now() - started > maxMs) return c;
    await sleep(100);
  }
}

async function measure(pool: WorkerPool, meter: ServerMeter, seconds: number): Promise<{ starts: MarkReport[]; ends: MarkReport[]; serverCpuS: number; wallS: number; runnerUs: number }> {
  const runner0 = process.cpuUsage();
  meter.start();
  const starts = await pool.all<MarkReport>(() => ({ type: 'mark', phase: 'start' }));
  await sleep(seconds * 1000);
  const ends = await pool.all<MarkReport>(() => ({ type: 'mark', phase: 'end' }));
  const [serverCpuS, wallS] = meter.end();
  const r = process.cpuUsage(runner0);
  return { starts, ends, serverCpuS, wallS, runnerUs: r.user + r.system };
}

// ------------------------------------------------------------------ connect

export async function runConnect(env: RunEnv, p: ConnectParams): Promise<RunResult> {
  const notes: string[] = [];
  let clients = p.clients;
  if (env.target.nofile !== undefined && Number.isFinite(env.target.nofile) && clients > env.target.nofile - 64) {
    clients = env.target.nofile - 64;
    notes.push(`${p.clients} clients asked; capped at ${clients}: the server's open-files limit is ${env.target.nofile} (ulimit -Hn)`);
  }
  const workers = workersFor(clients, env);
  const addresses = Math.ceil(clients / p.perAddress);
  const how = p.rate > 0 ? `open loop: ${p.rate} connections/s started whatever the server's pace` : `${p.window} registrations in flight`;
  notes.push(`${clients} clients from ${addresses} source address${addresses === 1 ? '' : 'es'} (${p.perAddress} per address), ${workers} worker${workers === 1 ? '' : 's'}, ${how}`);
  const pool = await startPool(env, workers, p.perAddress);
  const meter = new ServerMeter(env.target);
  try {
    const rssEmpty = meter.rssMiB();
    const gids: number[][] = Array.from({ length: workers }, () => []);
    for (let g = 0; g < clients; g++) gids[g % workers]!.push(g);
    const runner0 = process.cpuUsage();
    meter.start();
    const starts = await pool.all<MarkReport>(() => ({ type: 'mark', phase: 'start' }));
    const t0 = Date.now();
    const perWorker = Math.max(1, Math.ceil(p.window / workers));
    // open loop: each worker starts rate/W connections a second, the workers interleaved; the timeout counts after the last start
    const timeoutMs = (p.rate > 0 ? clients / p.rate + p.timeout : p.timeout) * 1000;
    const reports = await pool.all<ConnectReport>(
      (w) => ({ type: 'connect', gids: gids[w]!, window: perWorker, ...(p.rate > 0 ? { rate: p.rate / workers, phase: w / workers } : {}), timeoutMs }),
      timeoutMs + 60_000,
    );
    const ends = await pool.all<MarkReport>(() => ({ type: 'mark', phase: 'end' }));
    const [serverCpuS] = meter.end();
    const runner = process.cpuUsage(runner0);
    const registered = reports.reduce((n, r) => n + r.registered, 0);
    const failed = reports.reduce((n, r) => n + r.failed, 0);
    const lastAt = Math.max(...reports.map((r) => r.lastAt));
    const errors: Record<string, number> = {};
    const samples: string[] = [];
    for (const r of reports) mergeErrors(errors, samples, r);
    const lat = mergeHistograms(reports.map((r) => r.latency));
    const lat001 = mergeHistograms(reports.map((r) => r.latency001));
    const late = reports.reduce((n, r) => n + r.lateStarts, 0);
    if (p.rate > 0 && late > 0) notes.push(`${late} connections started more than 10 ms behind schedule (generator lagging)`);
    env.log(`  ${registered} registered, ${failed} failed in ${((lastAt - t0) / 1000).toFixed(1)} s`);
    // idle: every client connected, answering PING
    await sleep(1000);
    meter.start();
    await sleep(p.hold * 1000);
    const [idleCpuS, idleWallS] = meter.end();
    const rssFull = meter.rssMiB();
    const after = sumCounters(await pool.all<Counters>(() => ({ type: 'counters' })));
    mergeErrors(errors, samples, after);
    const dropped = Object.entries(after.errors).reduce((n, [, v]) => n + v, 0);
    await pool.all(() => ({ type: 'close' }));
    return {
      figures: {
        registered,
        failed,
        regsPerSec: registered > 0 ? registered / ((lastAt - t0) / 1000) : 0,
        regsPerCpuSec: registered / serverCpuS,
        regP50: ms(lat.percentile(0.5)),
        regP90: ms(lat.percentile(0.9)),
        regP99: ms(lat.percentile(0.99)),
        regP999: ms(lat.percentile(0.999)),
        regMax: ms(lat.count ? lat.max : NaN),
        reg001P50: ms(lat001.percentile(0.5)),
        reg001P99: ms(lat001.percentile(0.99)),
        rssEmptyMiB: rssEmpty,
        rssFullMiB: rssFull,
        rssPerClientKiB: ((rssFull - rssEmpty) * 1024) / registered,
        idleCpuPct: (idleCpuS / idleWallS) * 100,
        dropped,
      },
      generator: generatorCpu(starts, ends, runner.user + runner.system, env),
      notes,
      errors,
      samples,
    };
  } finally {
    await pool.stop();
  }
}

// ------------------------------------------------------------------ fanout

/**
 * Members: client g = c*K + m is member m of channel c, owned by worker g % W;
 * members 0..S-1 of each channel send. A sender's message counts as delivered
 * (for the closed loop's window) when its witness receives it: the first
 * non-sending member of the channel in the same worker, so the acknowledgement
 * never leaves the process. Loss and order are checked at every member.
 */
export function fanoutLayout(channels: number, members: number, senders: number, workers: number): { owner: (g: number) => number; senders: FanoutSender[] } {
  const owner = (g: number) => g % workers;
  const list: FanoutSender[] = [];
  for (let c = 0; c < channels; c++) {
    for (let s = 0; s < senders; s++) {
      const g = c * members + s;
      const w = owner(g);
      let witness = -1;
      for (let m = senders; m < members && witness < 0; m++) if (owner(c * members + m) === w) witness = c * members + m;
      for (let m = 0; m < senders && witness < 0; m++) if (m !== s && owner(c * members + m) === w) witness = c * members + m;
      if (witness < 0) throw new Error(`fanout: channel ${c} has no second member in worker ${w}; use more members or fewer workers (--workers)`);
      list.push({ gid: g, channel: c, index: s, witness });
    }
  }
  return { owner, senders: list };
}

export async function runFanout(env: RunEnv, p: FanoutParams): Promise<RunResult> {
  if (p.members < 2 || p.senders < 1 || p.senders > p.members) throw new Error('fanout needs at least 2 members and 1..members senders');
  const clients = p.channels * p.members;
  let workers = workersFor(clients, env);
  // each worker needs a second member of every channel it has a sender in
  while (workers > 1 && p.members < 2 * workers) workers--;
  const layout = fanoutLayout(p.channels, p.members, p.senders, workers);
  const notes: string[] = [
    `${p.channels} channel${p.channels === 1 ? '' : 's'} x ${p.members} members, ${p.senders} sender${p.senders === 1 ? '' : 's'} each, ${p.mode} loop` +
      (p.mode === 'closed' ? ` (${p.window} in flight per sender)` : ` at ${p.rate} messages/s (${Math.round(p.rate * (p.members - 1))} deliveries/s offered)`) +
      `, ${p.size}-byte texts, ${workers} worker${workers === 1 ? '' : 's'}`,
  ];
  const pool = await startPool(env, workers, 1000);
  const meter = new ServerMeter(env.target);
  try {
    const gids: number[][] = Array.from({ length: workers }, () => []);
    for (let g = 0; g < clients; g++) gids[layout.owner(g)]!.push(g);
    await connectAll(pool, gids, env.target.setupWindow ?? 1000, 300, env);
    if (env.target.describe?.()) notes.push(env.target.describe());
    const names = Array.from({ length: p.channels }, (_, c) => `#f${c}`);
    const joins = await pool.all<JoinReport>(
      (w) => ({ type: 'join', joins: gids[w]!.map((g) => [g, names[Math.floor(g / p.members)]!] as [number, string]), window: 50, timeoutMs: 300_000 }),
      360_000,
    );
    const joinFailed = joins.reduce((n, r) => n + r.failed, 0);
    if (joinFailed > 0) throw new Error(`${joinFailed} JOINs failed: ${joins.flatMap((r) => r.samples).slice(0, 3).join(' | ')}`);
    await pool.all(() => ({ type: 'quiesce', quietMs: 500, maxMs: 60_000 }), 120_000);
    env.log(`  joined; ${p.mode} loop for ${p.warmup} + ${p.duration} s`);
    await pool.all((w) => ({
      type: 'fanout',
      mode: p.mode,
      window: p.window,
      ratePerSender: p.rate / (p.channels * p.senders),
      size: p.size,
      sendersPerChannel: p.senders,
      members: gids[w]!.map((g) => [g, Math.floor(g / p.members)] as [number, number]),
      senders: layout.senders.filter((s) => layout.owner(s.gid) === w),
      channelNames: names,
    }));
    await sleep(p.warmup * 1000);
    const m = await measure(pool, meter, p.duration);
    const rss = meter.rssMiB();
    const stopped = sumCounters(await pool.all<Counters>(() => ({ type: 'stop', timeoutMs: 1000 })));
    const expected = (stopped.sentPerChannel ?? []).reduce((n, sent) => n + sent * (p.members - 1), 0);
    const final = await drain(pool, (c) => c.done >= expected, 5000, 120_000);
    const startSum = sumCounters(m.starts.map((s) => s.counters));
    const endSum = sumCounters(m.ends.map((s) => s.counters));
    const deliveries = endSum.done - startSum.done;
    const sent = endSum.sent - startSum.sent;
    const lat = mergeHistograms(m.ends.map((e) => e.latency));
    const late = m.ends.reduce((n, e) => n + (e.lateSends ?? 0), 0);
    if (p.mode === 'open') {
      const achieved = sent / m.wallS;
      notes.push(`open loop: ${Math.round(achieved)} of ${p.rate} messages/s sent` + (late > 0 ? `; ${late} sends were more than 10 ms late (generator lagging)` : ''));
    }
    const errors: Record<string, number> = {};
    const samples: string[] = [];
    mergeErrors(errors, samples, final);
    await pool.all(() => ({ type: 'close' }));
    return {
      figures: {
        deliveriesPerSec: deliveries / m.wallS,
        messagesPerSec: sent / m.wallS,
        deliveriesPerCpuSec: deliveries / m.serverCpuS,
        serverCpuPct: (m.serverCpuS / m.wallS) * 100,
        rssMiB: rss,
        ...latencyOf(lat),
        lost: Math.max(0, expected - final.done),
        reordered: final.reordered + final.duplicates,
      },
      generator: generatorCpu(m.starts, m.ends, m.runnerUs, env),
      notes,
      errors,
      samples,
    };
  } finally {
    await pool.stop();
  }
}

// ------------------------------------------------------------------ privmsg

export async function runPrivmsg(env: RunEnv, p: PrivmsgParams): Promise<RunResult> {
  const clients = 2 * p.pairs;
  const workers = workersFor(clients, env);
  const notes = [`${p.pairs} pairs, ${p.window} message${p.window === 1 ? '' : 's'} in flight per pair, ${p.size}-byte texts, ${workers} worker${workers === 1 ? '' : 's'}`];
  const pool = await startPool(env, workers, 1000);
  const meter = new ServerMeter(env.target);
  try {
    // pair i: clients 2i (initiator) and 2i+1 (responder), both in worker i % W
    const gids: number[][] = Array.from({ length: workers }, () => []);
    const pairs: Array<Array<[number, number, number]>> = Array.from({ length: workers }, () => []);
    for (let i = 0; i < p.pairs; i++) {
      gids[i % workers]!.push(2 * i, 2 * i + 1);
      pairs[i % workers]!.push([2 * i, 2 * i + 1, i]);
    }
    await connectAll(pool, gids, env.target.setupWindow ?? 1000, 300, env);
    if (env.target.describe?.()) notes.push(env.target.describe());
    await pool.all(() => ({ type: 'quiesce', quietMs: 300, maxMs: 30_000 }), 60_000);
    await pool.all((w) => ({ type: 'privmsg', pairs: pairs[w]!, window: p.window, size: p.size }));
    await sleep(p.warmup * 1000);
    const m = await measure(pool, meter, p.duration);
    const rss = meter.rssMiB();
    await pool.all<Counters>(() => ({ type: 'stop', timeoutMs: 1000 }));
    const final = await drain(pool, (c) => (c.outstanding ?? 0) === 0, 5000, 60_000);
    const startSum = sumCounters(m.starts.map((s) => s.counters));
    const endSum = sumCounters(m.ends.map((s) => s.counters));
    const trips = endSum.done - startSum.done;
    const errors: Record<string, number> = {};
    const samples: string[] = [];
    mergeErrors(errors, samples, final);
    await pool.all(() => ({ type: 'close' }));
    return {
      figures: {
        roundTripsPerSec: trips / m.wallS,
        roundTripsPerCpuSec: trips / m.serverCpuS,
        serverCpuPct: (m.serverCpuS / m.wallS) * 100,
        rssMiB: rss,
        ...latencyOf(mergeHistograms(m.ends.map((e) => e.latency))),
        lost: final.outstanding ?? 0,
        reordered: final.reordered + final.duplicates,
      },
      generator: generatorCpu(m.starts, m.ends, m.runnerUs, env),
      notes,
      errors,
      samples,
    };
  } finally {
    await pool.stop();
  }
}

// ------------------------------------------------------------------ mixed

/**
 * The mixed workload's channels: small ones first (indices 0..small-1), then
 * the large ones, each with distinct members drawn from the stable clients
 * (gids 0..stable-1). Churners (gids stable..clients-1) are in none of them
 * at the start.
 */
export function mixedLayout(p: MixedParams): { members: number[][]; channelsOf: number[][] } {
  const rand = prng(p.seed);
  const stable = p.clients - p.churners;
  const sizes: number[] = [];
  const pick = ([lo, hi]: [number, number]) => Math.min(stable, lo + Math.floor(rand() * (hi - lo + 1)));
  for (let c = 0; c < p.smallChannels; c++) sizes.push(pick(p.smallMembers));
  for (let c = 0; c < p.largeChannels; c++) sizes.push(pick(p.largeMembers));
  const ids = Array.from({ length: stable }, (_, i) => i);
  const members = sizes.map((k) => {
    // a partial Fisher-Yates shuffle: k distinct stable clients
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (stable - i));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    return ids.slice(0, k).sort((a, b) => a - b);
  });
  const channelsOf: number[][] = Array.from({ length: stable }, () => []);
  members.forEach((list, c) => list.forEach((g) => channelsOf[g]!.push(c)));
  return { members, channelsOf };
}

export async function runMixed(env: RunEnv, p: MixedParams): Promise<RunResult> {
  const stable = p.clients - p.churners;
  if (stable < Math.max(2, p.largeMembers[1], p.smallMembers[1])) throw new Error('mixed: more stable clients than the largest channel are needed');
  const workers = workersFor(p.clients, env);
  const owner = (g: number) => g % workers;
  const { members, channelsOf } = mixedLayout(p);
  const names = members.map((_, c) => (c < p.smallChannels ? `#m${c}` : `#big${c - p.smallChannels}`));
  const memberships = members.reduce((n, m) => n + m.length, 0);
  const notes = [
    `${p.clients} clients: ${stable} stable (in ${memberships} channel memberships, ${(memberships / stable).toFixed(1)} each on average) and ${p.churners} churners; ` +
      `${p.smallChannels} small channels of ${p.smallMembers[0]}-${p.smallMembers[1]} and ${p.largeChannels} large of ${p.largeMembers[0]}-${p.largeMembers[1]} (seed ${p.seed}); ` +
      `${p.channelRate} channel messages/s (${Math.round(p.largeShare * 100)}% to the large ones), ${p.directRate} direct/s, ${p.joinRate} JOIN+PART/s (${p.holdS} s in the channel), ${p.nickRate} NICK/s; ${p.size}-byte texts, ${workers} worker${workers === 1 ? '' : 's'}`,
  ];
  const pool = await startPool(env, workers, 1000);
  const meter = new ServerMeter(env.target);
  try {
    const gids: number[][] = Array.from({ length: workers }, () => []);
    for (let g = 0; g < p.clients; g++) gids[owner(g)]!.push(g);
    await connectAll(pool, gids, env.target.setupWindow ?? 1000, 300, env);
    const joins = await pool.all<JoinReport>(
      (w) => ({
        type: 'join',
        joins: gids[w]!.filter((g) => g < stable && channelsOf[g]!.length > 0).map((g) => [g, channelsOf[g]!.map((c) => names[c]!).join(',')] as [number, string]),
        window: 50,
        timeoutMs: 300_000,
      }),
      360_000,
    );
    const joinFailed = joins.reduce((n, r) => n + r.failed, 0);
    if (joinFailed > 0) throw new Error(`${joinFailed} JOINs failed: ${joins.flatMap((r) => r.samples).slice(0, 3).join(' | ')}`);
    await pool.all(() => ({ type: 'quiesce', quietMs: 500, maxMs: 60_000 }), 120_000);
    env.log(`  joined; mixed workload for ${p.warmup} + ${p.duration} s`);
    // each worker sends its share: in proportion to its memberships (channel messages), stable clients (direct) and churners (JOIN, NICK)
    const smallSlots = (w: number) => gids[w]!.reduce((n, g) => n + (g < stable ? channelsOf[g]!.filter((c) => c < p.smallChannels).length : 0), 0);
    const largeSlots = (w: number) => gids[w]!.reduce((n, g) => n + (g < stable ? channelsOf[g]!.filter((c) => c >= p.smallChannels).length : 0), 0);
    const totalSmall = members.slice(0, p.smallChannels).reduce((n, m) => n + m.length, 0);
    const totalLarge = memberships - totalSmall;
    await pool.all<unknown>(
      (w): MixedCommand => {
        const mine = gids[w]!.filter((g) => g < stable);
        const churners = gids[w]!.filter((g) => g >= stable);
        return {
          type: 'mixed',
          seed: p.seed * 1000 + w + 1,
          size: p.size,
          stable: mine.map((g) => [g, channelsOf[g]!] as [number, number[]]),
          churners,
          stableTotal: stable,
          smallChannels: p.smallChannels,
          channelNames: names,
          rates: {
            small: totalSmall ? (p.channelRate * (1 - p.largeShare) * smallSlots(w)) / totalSmall : 0,
            large: totalLarge ? (p.channelRate * p.largeShare * largeSlots(w)) / totalLarge : 0,
            direct: (p.directRate * mine.length) / stable,
            joins: p.churners ? (p.joinRate * churners.length) / p.churners : 0,
            nicks: p.churners ? (p.nickRate * churners.length) / p.churners : 0,
          },
          holdMs: p.holdS * 1000,
        };
      },
    );
    await sleep(p.warmup * 1000);
    const m = await measure(pool, meter, p.duration);
    const rss = meter.rssMiB();
    const stopped = sumCounters(await pool.all<Counters>(() => ({ type: 'stop', timeoutMs: 1000 })));
    // every stable member but the sender gets every message of its channel; every direct message arrives
    const expectChan = (stopped.sentPerChannel ?? []).reduce((n, sent, c) => n + sent * (members[c]!.length - 1), 0);
    const expectDm = stopped.kinds?.dmSent ?? 0;
    const k = (c: Counters, key: string) => c.kinds?.[key] ?? 0;
    const final = await drain(pool, (c) => k(c, 'chanDone') >= expectChan && k(c, 'dmDone') >= expectDm, 5000, 120_000);
    const startSum = sumCounters(m.starts.map((s) => s.counters));
    const endSum = sumCounters(m.ends.map((s) => s.counters));
    const delta = (key: string) => k(endSum, key) - k(startSum, key);
    const deliveries = delta('chanDone') + delta('chanExtra') + delta('dmDone') + delta('events');
    const late = m.ends.reduce((n, e) => n + (e.lateSends ?? 0), 0);
    notes.push(
      `in the window: ${Math.round((delta('chanSent') + delta('dmSent')) / m.wallS)} messages/s sent (${Math.round(delta('chanSent') / m.wallS)} channel, ${Math.round(delta('dmSent') / m.wallS)} direct), ` +
        `${Math.round(delta('joins') / m.wallS)} JOIN/s, ${Math.round(delta('nicks') / m.wallS)} NICK/s; deliveries/s ${Math.round(delta('chanDone') / m.wallS)} channel to stable members, ${Math.round(delta('chanExtra') / m.wallS)} to churners, ${Math.round(delta('dmDone') / m.wallS)} direct, ${Math.round(delta('events') / m.wallS)} JOIN/PART/NICK lines` +
        (k(final, 'joinSkipped') > 0 ? `; ${k(final, 'joinSkipped')} JOINs skipped (every churner busy)` : '') +
        (late > 0 ? `; ${late} sends more than 10 ms late (generator lagging)` : ''),
    );
    const errors: Record<string, number> = {};
    const samples: string[] = [];
    mergeErrors(errors, samples, final);
    await pool.all(() => ({ type: 'close' }));
    const chan = mergeHistograms(m.ends.map((e) => e.latency));
    const dm = mergeHistograms(m.ends.map((e) => e.latencyDirect));
    return {
      figures: {
        deliveriesPerSec: deliveries / m.wallS,
        deliveriesPerCpuSec: deliveries / m.serverCpuS,
        serverCpuPct: (m.serverCpuS / m.wallS) * 100,
        chanP50: ms(chan.percentile(0.5)),
        chanP99: ms(chan.percentile(0.99)),
        chanMax: ms(chan.count ? chan.max : NaN),
        dmP50: ms(dm.percentile(0.5)),
        dmP99: ms(dm.percentile(0.99)),
        dmMax: ms(dm.count ? dm.max : NaN),
        rssMiB: rss,
        lost: Math.max(0, expectChan - k(final, 'chanDone')) + Math.max(0, expectDm - k(final, 'dmDone')),
        reordered: final.reordered + final.duplicates,
      },
      generator: generatorCpu(m.starts, m.ends, m.runnerUs, env),
      notes,
      errors,
      samples,
    };
  } finally {
    await pool.stop();
  }
}

// ------------------------------------------------------------------ churn

export async function runChurn(env: RunEnv, p: ChurnParams): Promise<RunResult> {
  const workers = workersFor(p.concurrency, env);
  const perWorker = Math.max(1, Math.round(p.concurrency / workers));
  const notes = [`${perWorker * workers} loops at once over ${p.channels} channels, ${workers} worker${workers === 1 ? '' : 's'}; warm-up ${p.warmup} s, settle ${p.settle} s before each RSS reading`];
  const pool = await startPool(env, workers, 1000);
  const meter = new ServerMeter(env.target);
  try {
    const rssStart = meter.rssMiB();
    const errors: Record<string, number> = {};
    const samples: string[] = [];
    const churn = () => pool.all(() => ({ type: 'churn', concurrency: perWorker, channels: p.channels, timeoutMs: 30_000 }));
    // warm-up: JIT, hash tables and WHOWAS reach their working size
    await churn();
    await sleep(p.warmup * 1000);
    const warm = sumCounters(await pool.all<Counters>(() => ({ type: 'stop', timeoutMs: 30_000 }), 60_000));
    mergeErrors(errors, samples, warm);
    await sleep(p.settle * 1000);
    const rssBefore = meter.rssMiB();
    await churn();
    await sleep(500);
    const m = await measure(pool, meter, p.duration);
    const final = sumCounters(await pool.all<Counters>(() => ({ type: 'stop', timeoutMs: 30_000 }), 60_000));
    mergeErrors(errors, samples, final);
    await sleep(p.settle * 1000);
    const rssAfter = meter.rssMiB();
    const startSum = sumCounters(m.starts.map((s) => s.counters));
    const endSum = sumCounters(m.ends.map((s) => s.counters));
    const cycles = endSum.done - startSum.done;
    const lat = mergeHistograms(m.ends.map((e) => e.latency));
    await pool.all(() => ({ type: 'close' }));
    return {
      figures: {
        cyclesPerSec: cycles / m.wallS,
        cyclesPerCpuSec: cycles / m.serverCpuS,
        serverCpuPct: (m.serverCpuS / m.wallS) * 100,
        cycleP50: ms(lat.percentile(0.5)),
        cycleP99: ms(lat.percentile(0.99)),
        rssStartMiB: rssStart,
        rssBeforeMiB: rssBefore,
        rssAfterMiB: rssAfter,
        rssGrowthPct: ((rssAfter - rssBefore) / rssBefore) * 100,
        errors: Object.values(errors).reduce((a, b) => a + b, 0),
      },
      generator: generatorCpu(m.starts, m.ends, m.runnerUs, env),
      notes,
      errors,
      samples,
    };
  } finally {
    await pool.stop();
  }
}

// ------------------------------------------------------------------ crossnode

export async function runCrossnode(env: RunEnv, p: CrossnodeParams): Promise<RunResult> {
  const nodes = env.target.ports?.length ?? 1;
  // Channel c: client 2c sends (port A), client 2c+1 receives (port B); one generator process, one clock.
  const r = await runFanout({ ...env, workers: 1 }, { channels: p.pairs, members: 2, senders: 1, mode: 'open', window: 1, rate: p.rate, duration: p.duration, warmup: p.warmup, size: p.size });
  r.notes = [
    `${p.pairs} sender-receiver pairs (a channel of two each), ${p.rate} messages/s in all, ${p.size}-byte texts, one generator process (send and receive times from one clock); ` +
      (nodes > 1 ? 'senders connected to node A, receivers to node B (two processes, one network over Redis)' : 'senders and receivers on the same process'),
    ...r.notes.filter((n) => n.startsWith('open loop:')),
  ];
  return r;
}

export function runScenario(env: RunEnv, s: ScenarioParams): Promise<RunResult> {
  switch (s.scenario) {
    case 'connect':
      return runConnect(env, s.params);
    case 'fanout':
      return runFanout(env, s.params);
    case 'privmsg':
      return runPrivmsg(env, s.params);
    case 'churn':
      return runChurn(env, s.params);
    case 'mixed':
      return runMixed(env, s.params);
    case 'crossnode':
      return runCrossnode(env, s.params);
  }
}
