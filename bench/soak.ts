/**
 * Soak test: does the server's memory come back after a long churn of
 * clients? Starts the BUILT server (dist/cli/main.js) as a child process with
 * --expose-gc, connects a population of raw-socket clients from many loopback
 * addresses, and then, for a number of minutes, lets random clients leave
 * (PRIVMSG, PART, QUIT) and reconnect (NICK/USER, JOIN, PRIVMSG) at a bounded
 * rate, keeping the population near its size. The server's RSS (VmRSS from
 * /proc) and heap (STATS z as an operator; the server runs gc() first) are
 * measured with no clients, with the population connected and idle before
 * and after the churn, and after everyone has left.
 *
 * Not part of CI: run with `npm run soak` (SOAK_CLIENTS, SOAK_MINUTES, ...).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { hashPassword } from '../src/config/password.js';
import { TestClient } from '../test/helpers/client.js';

export interface SoakOptions {
  /** The population kept connected. */
  clients: number;
  /** How long the churn lasts. */
  minutes: number;
  /** Clients leaving and reconnecting per second during the churn. */
  rate?: number;
  /** Channels the clients spread over. */
  channels?: number;
  /** Channels each client joins. */
  channelsPerClient?: number;
  /** Loopback source addresses the clients spread over (250 per /24, from 127.10.0.1). */
  addresses?: number;
  /** Connections being opened or closed at once, at most. */
  maxInFlight?: number;
  /**
   * Churn before the "before" measurement, for at least this long and until
   * `warmupLeaves` clients have left: JIT, WHOWAS and the hash tables reach
   * their working size. V8 Maps and Sets that churn keep deleted slots until
   * they rehash, so a table of 10000 entries settles at twice the capacity it
   * had when filled once; one turnover of the population gets there.
   */
  warmupSeconds?: number;
  /** Default: the population size, and at least 1500 (more than WHOWAS holds). */
  warmupLeaves?: number;
  /** Churn rounds, each of `minutes` and followed by a measurement (more rounds show a trend). */
  rounds?: number;
  /** Idle time before each measurement. */
  settleSeconds?: number;
  /** The server entry point (default: dist/cli/main.js of this repository). */
  serverEntry?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The server's memory at one point. */
export interface Sample {
  label: string;
  /** Clients connected (not counting the operator). */
  clients: number;
  /** VmRSS from /proc/<pid>/status, MiB. */
  rssMiB: number;
  /** From STATS z, after gc(), MiB. */
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  /** The other STATS z lines: table sizes. */
  tables: string;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  options: Required<Omit<SoakOptions, 'log' | 'serverEntry'>>;
  samples: Sample[];
  /** Heap used (after gc) during the churn, sampled every 30 s, with the operator's PING round trip then. */
  churnHeap: Array<{ atSeconds: number; heapUsedMiB: number; rssMiB: number; clients: number; pingMs: number }>;
  /** During the churn, ms: connect() to TCP established, connect() to 001, QUIT to close. */
  establishMs: Percentiles;
  /** connect() to the first byte from the server (the notice it sends on accepting). */
  firstByteMs: Percentiles;
  registerMs: Percentiles;
  quitMs: Percentiles;
  /** This (client) process's event loop delay during the churn, ms: is the client keeping up? */
  clientLoopDelayMs: Percentiles;
  /** Heap used, full population after the (last) churn vs before it, percent. */
  heapGrowthPct: number;
  rssGrowthPct: number;
  /** During the measured churn: ticks of 100 ms, clients that left, connections made. */
  cycles: number;
  leaves: number;
  connections: number;
  /** Over the whole run (population, warm-up, churn): connections made and registered. */
  totalConnections: number;
  registrations: number;
  errors: Record<string, number>;
  /** The first few error details (ERROR lines, socket errors). */
  errorSamples: string[];
  churnSeconds: number;
  /** CPU used during the churn, percent of one core. */
  serverCpuPct: number;
  clientCpuPct: number;
  /** Lines the server logged at warn or above. */
  serverWarnings: string[];
  table: string;
}

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SERVER_NAME = 'soak.local';
const OPER_PASSWORD = 'soak-oper-password';
const PING = Buffer.from('PING :');
const WELCOME = ' 001 ';
const REGISTER_TIMEOUT_MS = 60_000;
const TICK_MS = 100;
const CLK_TCK = 100;

type SlotState = 'waiting' | 'connecting' | 'registered' | 'leaving';

interface Slot {
  index: number;
  address: string;
  state: SlotState;
  socket: Socket | null;
  channels: number[];
  /** Text seen while registering, to find 001 across chunk boundaries. */
  carry: string;
  /** The last bytes of the previous chunk, to find a PING split across chunks. */
  tail: Buffer | null;
  /** The last chunk received, for the ERROR line when the server closes the connection. */
  last: Buffer | null;
  startedAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function readRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

function readCpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function openFilesLimit(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  return Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? NaN);
}

function pct(after: number, before: number): number {
  return before === 0 ? 0 : ((after - before) / before) * 100;
}

function shuffleInto(count: number, from: number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, from)) picked.add(Math.floor(Math.random() * from));
  return [...picked];
}

/** A source address for client `k`: 127.10.<block>.<1..250>. */
function sourceAddress(k: number): string {
  return `127.10.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

export async function runSoak(input: SoakOptions): Promise<SoakResult> {
  const options = {
    clients: input.clients,
    minutes: input.minutes,
    rate: input.rate ?? 100,
    channels: input.channels ?? 50,
    channelsPerClient: input.channelsPerClient ?? 2,
    addresses: input.addresses ?? 1000,
    maxInFlight: input.maxInFlight ?? 200,
    warmupSeconds: input.warmupSeconds ?? 20,
    warmupLeaves: input.warmupLeaves ?? Math.max(1500, input.clients),
    settleSeconds: input.settleSeconds ?? 5,
    rounds: input.rounds ?? 1,
  };
  const log = input.log ?? (() => {});
  const entry = input.serverEntry ?? joinPath(REPO, 'dist/cli/main.js');

  const clientLimit = openFilesLimit('self');
  if (clientLimit < options.clients + 200) {
    throw new Error(`open files limit of this process is ${clientLimit}: too low for ${options.clients} clients (raise ulimit -n)`);
  }

  const dir = mkdtempSync(joinPath(tmpdir(), 'obrol-soak-'));
  const port = await freePort();
  const configPath = joinPath(dir, 'obrol.yaml');
  writeFileSync(
    configPath,
    stringify({
      server: { name: SERVER_NAME, motd_file: null },
      listen: { host: '127.0.0.1', port },
      websocket: null,
      limits: { max_clients: options.clients * 2 + 1000, who_results: 100 },
      classes: [
        {
          name: 'soak',
          hosts: ['127.0.0.0/8'],
          max_per_ip: 1_000_000,
          max_per_cidr: 1_000_000,
          connects_per_minute: 1_000_000,
          throttle_seconds: 0,
          flood_rate: 0,
        },
        { name: 'default', hosts: ['*'] },
      ],
      cloak: { enabled: true, secret: randomBytes(24).toString('hex') },
      opers: [{ name: 'soak', password: await hashPassword(OPER_PASSWORD), hosts: ['*@127.0.0.1'] }],
      log: { level: 'warn', format: 'json' },
    }),
  );

  // `exec` keeps the pid: /proc/<pid> is the server's own.
  const child: ChildProcess = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" --expose-gc "$1" --config "$2"', process.execPath, entry, configPath], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serverWarnings: string[] = [];
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    const lines = output.split('\n');
    output = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '' && serverWarnings.length < 50) serverWarnings.push(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => (exited = true));
  const pid = child.pid as number;

  const slots: Slot[] = [];
  const stopTimers: Array<() => void> = [];
  let oper: TestClient | null = null;
  try {
    await waitForPort(port, () => exited, serverWarnings);
    log(`server pid ${pid} on port ${port}, open files limit ${openFilesLimit(pid)} (client side ${clientLimit})`);
    oper = await TestClient.register(port, 'soakoper');
    oper.send(`OPER soak ${OPER_PASSWORD}`);
    await oper.expect(/ 381 /, 10_000);

    const operClient = oper;
    // The operator is idle between measurements, which can be minutes apart: keep it from a ping timeout.
    const keepalive = setInterval(() => operClient.send('PING :keepalive'), 30_000);
    keepalive.unref();
    stopTimers.push(() => clearInterval(keepalive));
    const stats = async (): Promise<{ heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; statsRss: number; connections: number; tables: string }> => {
      operClient.send('STATS z');
      const lines: string[] = [];
      for (;;) {
        const line = await operClient.expect(/ (249|219) /, 60_000);
        if (/ 219 /.test(line)) break;
        lines.push(line.slice(line.indexOf(' :') + 2));
      }
      const memory = /rss ([\d.]+) MiB, heap used ([\d.]+) MiB of ([\d.]+) MiB, external ([\d.]+) MiB/.exec(lines[0] ?? '');
      const connections = /connections (\d+)/.exec(lines[1] ?? '');
      if (!memory || !connections) throw new Error(`unexpected STATS z reply:\n${lines.join('\n')}`);
      return {
        statsRss: Number(memory[1]),
        heapUsedMiB: Number(memory[2]),
        heapTotalMiB: Number(memory[3]),
        externalMiB: Number(memory[4]),
        connections: Number(connections[1]),
        tables: lines.slice(1).join('; '),
      };
    };
    /** Three STATS z (each after a gc) a second apart: the median heap, and RSS at the end. */
    const measure = async (label: string): Promise<Sample> => {
      await sleep(options.settleSeconds * 1000);
      const runs = [];
      for (let k = 0; k < 3; k++) {
        runs.push(await stats());
        await sleep(1000);
      }
      runs.sort((a, b) => a.heapUsedMiB - b.heapUsedMiB);
      const mid = runs[1] as (typeof runs)[number];
      const sample: Sample = {
        label,
        clients: mid.connections - 1,
        rssMiB: readRssMiB(pid),
        heapUsedMiB: mid.heapUsedMiB,
        heapTotalMiB: mid.heapTotalMiB,
        externalMiB: mid.externalMiB,
        tables: mid.tables,
      };
      log(`${label}: ${sample.clients} clients, RSS ${sample.rssMiB.toFixed(1)} MiB, heap ${sample.heapUsedMiB} MiB [${sample.tables}]`);
      return sample;
    };

    const samples: Sample[] = [];
    samples.push(await measure('empty, start'));

    // ---- the client population ----
    const counts = { waiting: 0, connecting: 0, registered: 0, leaving: 0 };
    const errors: Record<string, number> = {};
    const errorSamples: string[] = [];
    let connections = 0;
    let registrations = 0;
    let leaves = 0;
    let nickCounter = 0;
    const queue: Slot[] = [];
    const channelName = (k: number) => `#soak${k}`;

    const setState = (slot: Slot, state: SlotState) => {
      counts[slot.state]--;
      slot.state = state;
      counts[state]++;
    };
    const fail = (kind: string, detail: string) => {
      errors[kind] = (errors[kind] ?? 0) + 1;
      if (errorSamples.length < 10) errorSamples.push(`${kind}: ${detail}`);
    };
    let reconnecting = true;
    /** Latencies during the measured churn: connect to 001, QUIT to close. */
    let recording = false;
    const registerMs: number[] = [];
    const quitMs: number[] = [];
    const establishMs: number[] = [];
    const firstByteMs: number[] = [];
    const requeue = (slot: Slot) => {
      slot.socket = null;
      setState(slot, 'waiting');
      if (reconnecting) queue.push(slot);
      pump();
    };

    const open = (slot: Slot) => {
      setState(slot, 'connecting');
      slot.carry = '';
      slot.tail = null;
      slot.last = null;
      slot.startedAt = Date.now();
      connections++;
      const nick = `s${(nickCounter++).toString(36)}`;
      const socket = connect({ host: '127.0.0.1', port, localAddress: slot.address });
      slot.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (recording) establishMs.push(Date.now() - slot.startedAt);
      });
      socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :soak client\r\n`);
      let first = true;
      socket.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          if (recording) firstByteMs.push(Date.now() - slot.startedAt);
        }
        if (slot.state === 'connecting') {
          slot.carry = (slot.carry + chunk.toString('latin1')).slice(-4096);
          if (!slot.carry.includes(WELCOME)) return;
          slot.carry = '';
          registrations++;
          if (recording) registerMs.push(Date.now() - slot.startedAt);
          setState(slot, 'registered');
          slot.channels = shuffleInto(options.channelsPerClient, options.channels);
          socket.write(`JOIN ${slot.channels.map(channelName).join(',')}\r\nPRIVMSG ${channelName(slot.channels[0] as number)} :hello from ${nick}\r\n`);
          pump();
          return;
        }
        // Keepalive: answer the server's PING, also when it is split across two chunks.
        const hasPing = chunk.indexOf(PING) >= 0 || (slot.tail !== null && Buffer.concat([slot.tail, chunk.subarray(0, 8)]).indexOf(PING) >= 0);
        slot.tail = chunk.subarray(-8);
        slot.last = chunk;
        if (hasPing) socket.write(`PONG :${SERVER_NAME}\r\n`);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (slot.state !== 'leaving') fail(`socket ${err.code ?? 'error'}`, `${slot.address}: ${err.message}`);
      });
      socket.on('close', () => {
        if (slot.state === 'leaving' && recording) quitMs.push(Date.now() - slot.startedAt);
        if (slot.state !== 'leaving') {
          const kind = slot.state === 'connecting' ? 'closed while registering' : 'closed while idle';
          const error = /ERROR :[^\r\n]*/.exec(slot.carry || (slot.last?.toString('latin1') ?? ''))?.[0] ?? '';
          fail(kind, `${slot.address} ${error}`);
        }
        requeue(slot);
      });
    };

    /** Start queued connections while fewer than maxInFlight are opening or closing. */
    const pump = () => {
      while (queue.length > 0 && counts.connecting + counts.leaving < options.maxInFlight) open(queue.shift() as Slot);
    };

    const leave = (slot: Slot) => {
      const socket = slot.socket;
      if (!socket) return;
      setState(slot, 'leaving');
      slot.startedAt = Date.now();
      leaves++;
      const [first, second] = slot.channels as [number, number | undefined];
      socket.write(`PRIVMSG ${channelName(first)} :leaving now\r\nPART ${channelName(second ?? first)} :bye\r\nQUIT :churn\r\n`);
    };

    // Registration deadline: a client still registering after a minute counts as an error and is retried.
    const watchdog = setInterval(() => {
      const now = Date.now();
      for (const slot of slots) {
        if ((slot.state === 'connecting' || slot.state === 'leaving') && now - slot.startedAt > REGISTER_TIMEOUT_MS) {
          if (slot.state === 'connecting') fail('registration timeout', slot.address);
          else fail('quit timeout', slot.address);
          slot.startedAt = now;
          slot.socket?.destroy();
        }
      }
    }, 5000);
    watchdog.unref();
    stopTimers.push(() => clearInterval(watchdog));

    const populated = async (what: string, limitMs = 300_000) => {
      const deadline = Date.now() + limitMs;
      while (counts.registered < options.clients) {
        if (Date.now() > deadline) throw new Error(`${what}: only ${counts.registered} of ${options.clients} clients registered`);
        await sleep(200);
      }
    };

    for (let k = 0; k < options.clients; k++) {
      const slot: Slot = { index: k, address: sourceAddress(k % options.addresses), state: 'waiting', socket: null, channels: [], carry: '', tail: null, last: null, startedAt: 0 };
      counts.waiting++;
      slots.push(slot);
      queue.push(slot);
    }
    const connectStart = Date.now();
    pump();
    await populated('connecting the population');
    log(`${options.clients} clients registered in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`);
    samples.push(await measure('full, cold'));

    let cycles = 0;
    /** Churn for `seconds`, and (for the warm-up) until at least `minLeaves` clients have left. */
    const churn = async (seconds: number, onTick?: () => Promise<void>, minLeaves = 0) => {
      let budget = 0;
      const perTick = (options.rate * TICK_MS) / 1000;
      const end = Date.now() + seconds * 1000;
      const leavesAtStart = leaves;
      while (Date.now() < end || leaves - leavesAtStart < minLeaves) {
        await sleep(TICK_MS);
        cycles++;
        budget = Math.min(budget + perTick, perTick * 10);
        // Bounded: no new leaves while the connections in flight are at their limit.
        while (budget >= 1 && counts.connecting + counts.leaving + queue.length < options.maxInFlight) {
          const slot = slots[Math.floor(Math.random() * slots.length)] as Slot;
          budget--;
          if (slot.state === 'registered') leave(slot);
        }
        if (onTick) await onTick();
      }
    };

    const warmupStart = Date.now();
    await churn(options.warmupSeconds, undefined, options.warmupLeaves);
    log(`warm-up: ${leaves} clients left and came back in ${((Date.now() - warmupStart) / 1000).toFixed(1)} s`);
    await populated('after the warm-up', 120_000);
    samples.push(await measure('full, before churn'));

    // ---- the churn, in rounds, each followed by a measurement with the population idle ----
    const churnHeap: SoakResult['churnHeap'] = [];
    const churnStart = Date.now();
    const cpuStart = readCpuTicks(pid);
    const clientCpuStart = process.cpuUsage();
    const cyclesStart = cycles;
    const connectionsStart = connections;
    const leavesStart = leaves;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    let churnMs = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const roundStart = Date.now();
      let nextSample = roundStart + 30_000;
      let sampling: Promise<void> | null = null;
      recording = true;
      loopDelay.enable();
      await churn(options.minutes * 60, async () => {
        if (Date.now() < nextSample || sampling) return;
        nextSample += 30_000;
          sampling = (async () => {
          const pingStart = Date.now();
          await operClient.sync(60_000);
          const pingMs = Date.now() - pingStart;
          const s = await stats();
          const point = { atSeconds: Math.round((churnMs + Date.now() - roundStart) / 1000), heapUsedMiB: s.heapUsedMiB, rssMiB: readRssMiB(pid), clients: s.connections - 1, pingMs };
          churnHeap.push(point);
          log(`churn ${point.atSeconds} s: ${point.clients} clients, heap ${point.heapUsedMiB} MiB, RSS ${point.rssMiB.toFixed(1)} MiB, ${connections - connectionsStart} connections, operator PING ${pingMs} ms`);
          sampling = null;
        })();
      });
      if (sampling) await sampling;
      recording = false;
      churnMs += Date.now() - roundStart;
      await populated('after the churn', 120_000);
      samples.push(await measure(options.rounds === 1 ? 'full, after churn' : `full, after churn round ${round}`));
    }
    loopDelay.disable();
    // CPU over the whole churn phase, measurements included: they are idle time for both sides.
    const phaseSeconds = (Date.now() - churnStart) / 1000;
    const churnSeconds = churnMs / 1000;
    const churned = { cycles: cycles - cyclesStart, leaves: leaves - leavesStart, connections: connections - connectionsStart };
    const serverCpuPct = ((readCpuTicks(pid) - cpuStart) / CLK_TCK / phaseSeconds) * 100;
    const clientCpu = process.cpuUsage(clientCpuStart);
    const clientCpuPct = ((clientCpu.user + clientCpu.system) / 1e6 / phaseSeconds) * 100;
    log(`churn done: ${churned.cycles} cycles, ${churned.connections} connections in ${churnSeconds.toFixed(0)} s`);

    // ---- everyone leaves, at most maxInFlight at a time ----
    reconnecting = false;
    queue.length = 0;
    const leaveDeadline = Date.now() + 300_000;
    for (const slot of slots) {
      while (counts.leaving >= options.maxInFlight && Date.now() < leaveDeadline) await sleep(20);
      if (slot.state === 'registered') leave(slot);
    }
    while (counts.leaving + counts.connecting > 0 && Date.now() < leaveDeadline) await sleep(200);
    for (let k = 0; k < 100; k++) {
      if ((await stats()).connections === 1) break;
      await sleep(500);
    }
    samples.push(await measure('empty, end'));
    clearInterval(watchdog);

    const before = samples[2] as Sample;
    const after = samples.at(-2) as Sample;
    const result: SoakResult = {
      options,
      samples,
      churnHeap,
      heapGrowthPct: pct(after.heapUsedMiB, before.heapUsedMiB),
      rssGrowthPct: pct(after.rssMiB, before.rssMiB),
      ...churned,
      totalConnections: connections,
      registrations,
      establishMs: percentiles(establishMs),
      firstByteMs: percentiles(firstByteMs),
      registerMs: percentiles(registerMs),
      quitMs: percentiles(quitMs),
      clientLoopDelayMs: {
        count: loopDelay.count,
        p50: Math.round(loopDelay.percentile(50) / 1e6),
        p90: Math.round(loopDelay.percentile(90) / 1e6),
        p99: Math.round(loopDelay.percentile(99) / 1e6),
        max: Math.round(loopDelay.max / 1e6),
      },
      errors,
      errorSamples,
      churnSeconds,
      serverCpuPct,
      clientCpuPct,
      serverWarnings,
      table: '',
    };
    result.table = formatTable(result);
    return result;
  } finally {
    for (const stop of stopTimers) stop();
    for (const slot of slots) slot.socket?.destroy();
    oper?.close();
    await stopServer(child, () => exited);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, exited: () => boolean, output: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited()) throw new Error(`the server exited:\n${output.join('\n')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = connect({ host: '127.0.0.1', port }, () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the server did not listen on port ${port}:\n${output.join('\n')}`);
    await sleep(100);
  }
}

async function stopServer(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited()) return;
  child.kill('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (!exited() && Date.now() < deadline) await sleep(100);
  if (!exited()) child.kill('SIGKILL');
}

function formatTable(r: SoakResult): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['point', 'clients', 'RSS MiB', 'heap used MiB', 'heap total MiB', 'external MiB']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...r.samples.map((s) =>
      row([s.label, String(s.clients), s.rssMiB.toFixed(1), s.heapUsedMiB.toFixed(1), s.heapTotalMiB.toFixed(1), s.externalMiB.toFixed(1)]),
    ),
  ];
  const emptyStart = r.samples[0] as Sample;
  const before = r.samples[2] as Sample;
  const after = r.samples.at(-2) as Sample;
  const emptyEnd = r.samples.at(-1) as Sample;
  const errorText = Object.entries(r.errors).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
  lines.push(
    '',
    `growth, full after vs before churn: heap ${signed(r.heapGrowthPct)}, RSS ${signed(r.rssGrowthPct)}`,
    `growth, empty end vs empty start: heap ${signed(pct(emptyEnd.heapUsedMiB, emptyStart.heapUsedMiB))}, RSS ${signed(pct(emptyEnd.rssMiB, emptyStart.rssMiB))}`,
    `tables before: ${before.tables}`,
    `tables after:  ${after.tables}`,
    `tables at end: ${emptyEnd.tables}`,
    `heap during churn (MiB, every 30 s): ${r.churnHeap.map((p) => p.heapUsedMiB.toFixed(1)).join(', ') || '-'}`,
    `operator PING round trip during churn (ms, every 30 s): ${r.churnHeap.map((p) => p.pingMs).join(', ') || '-'}`,
    `client event loop delay during churn: ${formatPercentiles(r.clientLoopDelayMs)}`,
    `churn: ${r.churnSeconds.toFixed(0)} s, ${r.cycles} cycles of 100 ms, ${r.leaves} clients left, ${r.connections} connections made (${r.totalConnections} in the whole run, ${r.registrations} registered)`,
    `latency during churn: connect to established ${formatPercentiles(r.establishMs)}`,
    `  connect to the first byte (the server's notice on accepting) ${formatPercentiles(r.firstByteMs)}`,
    `  connect to 001 ${formatPercentiles(r.registerMs)}`,
    `  QUIT to close ${formatPercentiles(r.quitMs)}`,
    `CPU during the churn phase: server ${r.serverCpuPct.toFixed(0)}% of a core, client ${r.clientCpuPct.toFixed(0)}%`,
    `errors: ${errorText}`,
  );
  return lines.join('\n');
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

function formatPercentiles(p: Percentiles): string {
  return `p50 ${p.p50} ms, p90 ${p.p90} ms, p99 ${p.p99} ms, max ${p.max} ms (${p.count})`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;
}
