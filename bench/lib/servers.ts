/**
 * Starting and stopping the servers under test: Obrol from the built dist,
 * Debian's ngIRCd and InspIRCd from /usr/sbin, each with its benchmark config
 * from bench/, on 127.0.0.1 and a free port, with the hard open-files limit,
 * pinned to the server core when pinning is on. The runner installs nothing;
 * a missing server is reported with the apt-get line that installs it.
 *
 * Obrol also runs as a network over Redis, each with a private redis-server
 * (loopback, a free port, no persistence) started here: `obrol-2w` is one
 * `obrol --workers 2 --redis ...` (a primary and two worker processes sharing
 * one port), `obrol-2n` two single-node `obrol --redis ...` processes on two
 * ports. Their CPU and RSS are the sum over every process of the server: the
 * primary, the workers (or both nodes) and the redis-server.
 *
 * Every process started here is killed by its PID in stop(), and
 * stopAllServers() ends the ones still running (the CLI calls it on SIGINT
 * and on the way out).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, childPids, openFilesLimit, which, type Pinning } from './proc.js';

export type ServerKind = 'obrol' | 'ngircd' | 'inspircd' | 'obrol-2w' | 'obrol-2n' | 'obrol-nohist' | 'obrol-node';
/** The servers of the single-process cases (the default of --servers). */
export const SERVER_KINDS: ServerKind[] = ['obrol', 'ngircd', 'inspircd'];
/** Every kind --servers accepts: also Obrol as a network over Redis (the multi-process cases). */
export const ALL_SERVER_KINDS: ServerKind[] = ['obrol', 'obrol-nohist', 'obrol-node', 'obrol-2w', 'obrol-2n', 'ngircd', 'inspircd'];
export const SERVER_LABELS: Record<ServerKind, string> = {
  obrol: 'Obrol',
  ngircd: 'ngIRCd',
  inspircd: 'InspIRCd',
  'obrol-2w': 'Obrol 2w',
  'obrol-2n': 'Obrol 2 nodes',
  'obrol-nohist': 'Obrol no history',
  'obrol-node': 'Obrol node transport',
};
/** Kinds of several processes, which cannot be pinned to the one server core. */
export const MULTI_PROCESS_KINDS: ServerKind[] = ['obrol-2w', 'obrol-2n'];
/** The labels of the servers under test (their failures fail the command). */
export const isObrolLabel = (label: string): boolean => label.startsWith('Obrol');

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BENCH = join(REPO, 'bench');

export interface ServerHandle {
  kind: ServerKind;
  label: string;
  host: string;
  port: number;
  /** Every port, when the server is several processes listening apart (obrol-2n: node A, node B). */
  ports: number[];
  /** The main process (Obrol's primary, or node A). */
  pid: number;
  /** Every process whose CPU and RSS count as the server's, read now (workers may have been restarted). */
  pids(): number[];
  /** Where the clients ended up (obrol-2w: sockets per worker), for the report; '' when there is nothing to say. */
  describe(): string;
  /** The command line that started it (for RESULTS.md). */
  command: string;
  /** Open-files limit the server runs with. */
  nofile: number;
  /** Registrations in flight while a scenario sets up its clients (not measured): what the server's listen backlog takes. */
  setupWindow: number;
  /** The server's own version string (--version, package.json). */
  binaryVersion: string;
  stop(): Promise<void>;
  /** The last lines the server printed (Obrol) or logged (InspIRCd). */
  output(): string;
}

const live = new Set<ServerHandle>();

/** Is this server available here? If not, what to apt-get install. */
export function availability(kind: ServerKind): { ok: boolean; why: string } {
  if (kind === 'obrol' || kind === 'obrol-2w' || kind === 'obrol-2n' || kind === 'obrol-nohist' || kind === 'obrol-node') {
    const entry = join(REPO, 'dist/cli/main.js');
    if (!existsSync(entry)) return { ok: false, why: 'dist/cli/main.js is missing: run npm run build (npm run bench does)' };
    if (MULTI_PROCESS_KINDS.includes(kind) && !which('redis-server')) return { ok: false, why: 'redis-server is not installed: apt-get update && apt-get install -y redis-server' };
    return { ok: true, why: '' };
  }
  return which(kind) ? { ok: true, why: '' } : { ok: false, why: `${kind} is not installed: apt-get update && apt-get install -y ${kind}` };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function versionOf(kind: ServerKind): string {
  if (kind === 'obrol-2w' || kind === 'obrol-2n') {
    const r = spawnSync(which('redis-server')!, ['--version'], { encoding: 'utf8' });
    return `${versionOf('obrol')}, ${(r.stdout || '').split(' ').slice(0, 3).join(' ')}`;
  }
  if (kind === 'obrol-nohist' || kind === 'obrol-node') return versionOf('obrol');
  if (kind === 'obrol') {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const git = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    const dirty = spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
    const commit = git.status === 0 ? git.stdout.trim() : 'unknown';
    return `obrol ${pkg.version} (commit ${commit}${dirty.stdout?.trim() ? ', src/ modified' : ''})`;
  }
  const r = spawnSync(which(kind)!, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').split('\n')[0]!.trim();
}

function dropPrivileges(): string[] {
  if (process.getuid?.() !== 0) return [];
  const irc = spawnSync('id', ['-u', 'irc'], { encoding: 'utf8' });
  if (irc.status !== 0) throw new Error('running as root and there is no user "irc" to run ngircd/inspircd as (inspircd refuses root)');
  return ['setpriv', '--reuid=irc', '--regid=irc', '--init-groups', '--'];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One process of a server: spawned through taskset (when pinning), sh (for the open-files limit) and exec, so its PID is the program's. */
interface Proc {
  pid: number;
  command: string;
  exited(): boolean;
  output(): string;
  /** SIGTERM, SIGKILL after graceMs, and wait for the exit. */
  stop(graceMs: number): Promise<void>;
}

function spawnProc(argv: string[], pinning: Pinning, keepOutput: boolean): Proc {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const full = [...(pinning.enabled ? ['taskset', '-c', pinning.serverCpus] : []), 'sh', '-c', script, 'sh', ...argv];
  const stdio = keepOutput ? 'pipe' : 'ignore';
  const child: ChildProcess = spawn(full[0]!, full.slice(1), { cwd: REPO, stdio: ['ignore', stdio, stdio] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const pid = child.pid!;
  return {
    pid,
    command: full.map(shellQuote).join(' '),
    exited: () => exited,
    output: () => output,
    stop: async (graceMs) => {
      if (exited) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const killer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, graceMs);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** SIGKILL the given PIDs that are still running as this checkout's Obrol (cluster workers left behind by a killed primary). */
function killLeftoverWorkers(pids: number[]): void {
  for (const pid of pids) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(join(REPO, 'dist/cli/main.js'))) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Sockets a process holds open (the listeners included). */
function socketCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return NaN;
  }
}

/**
 * Obrol 2w is ready when both workers take connections: open a few probe
 * connections at a time until each worker holds one more socket than before.
 * Returns each worker's socket count once the probes are closed (the baseline
 * for describe()).
 */
async function bothWorkersAccepting(primary: number, port: number, hasExited: () => boolean, timeoutMs: number): Promise<Map<number, number>> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('it exited');
    const workers = childPids(primary);
    if (workers.length >= 2) {
      const before = workers.map(socketCount);
      const probes = await Promise.all(
        Array.from({ length: 4 }, () => new Promise<Socket>((resolve) => {
          const s = connect({ host: '127.0.0.1', port });
          s.once('connect', () => resolve(s));
          s.once('error', () => resolve(s));
        })),
      );
      await sleep(300);
      const ok = workers.every((pid, i) => socketCount(pid) > before[i]!);
      for (const s of probes) s.destroy();
      if (ok) {
        await sleep(500);
        return new Map(workers.map((pid) => [pid, socketCount(pid)]));
      }
    }
    await sleep(250);
  }
  throw new Error(`the 2 workers did not both take connections within ${timeoutMs} ms`);
}

export async function startServer(kind: ServerKind, pinning: Pinning, log: (line: string) => void = () => {}): Promise<ServerHandle> {
  const avail = availability(kind);
  if (!avail.ok) throw new Error(avail.why);
  const dir = mkdtempSync(join(tmpdir(), `obrol-bench-${kind}-`));
  const label = SERVER_LABELS[kind];
  const obrol = (port: number, extra: string[], env: string[] = []) => [
    ...(env.length > 0 ? ['env', ...env] : []),
    process.execPath,
    join(REPO, 'dist/cli/main.js'),
    '--config',
    join(BENCH, 'obrol.bench.yaml'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...extra,
  ];
  // Obrol as `npm start` runs it: accounts and history in a SQLite file (here the run's temp folder).
  // obrol-nohist: the same server keeping nothing, to show what history costs.
  const dataFile = [`OBROL_STORE__BACKEND=sqlite`, `OBROL_STORE__PATH=${join(dir, 'obrol.db')}`];
  const noHistory = ['OBROL_STORE__BACKEND=memory', 'OBROL_HISTORY__ENABLED=false'];
  // obrol-node: the same server on Node's own sockets (net), not the native transport that `auto` picks where it can.
  const nodeTransport = [...dataFile, 'OBROL_LISTEN__TRANSPORT=node'];
  // Started in this order, stopped in the reverse one (Obrol before its Redis).
  const procs: Proc[] = [];
  const ports: number[] = [];
  let redis: Proc | null = null;
  let logFile: string | null = null;
  const stopAll = async () => {
    for (const p of [...procs].reverse()) {
      const workers = p === procs[procs.length - 1] && kind === 'obrol-2w' ? childPids(p.pid) : [];
      await p.stop(p === redis ? 5000 : 20_000);
      killLeftoverWorkers(workers);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const handle: ServerHandle = {
    kind,
    label,
    host: '127.0.0.1',
    port: NaN,
    ports,
    pid: NaN,
    pids: () => [],
    describe: () => '',
    command: '',
    nofile: NaN,
    // ngIRCd listens with a backlog of 10: a thousand connects at once overflow it, and some are reset
    setupWindow: kind === 'ngircd' ? 100 : 1000,
    binaryVersion: versionOf(kind),
    output: () => {
      if (logFile && existsSync(logFile)) return readFileSync(logFile, 'utf8').slice(-4096);
      return procs.map((p) => p.output()).join('\n');
    },
    stop: async () => {
      live.delete(handle);
      await stopAll();
    },
  };
  live.add(handle);
  try {
    if (kind === 'obrol' || kind === 'obrol-nohist' || kind === 'obrol-node') {
      ports.push(await freePort());
      procs.push(spawnProc(obrol(ports[0]!, [], kind === 'obrol' ? dataFile : kind === 'obrol-node' ? nodeTransport : noHistory), pinning, true));
    } else if (kind === 'obrol-2w' || kind === 'obrol-2n') {
      const redisPort = await freePort();
      redis = spawnProc([which('redis-server')!, '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], pinning, true);
      procs.push(redis);
      await waitForPort(redisPort, () => redis!.exited(), 20_000);
      const url = `redis://127.0.0.1:${redisPort}`;
      if (kind === 'obrol-2w') {
        ports.push(await freePort());
        procs.push(spawnProc(obrol(ports[0]!, ['--redis', url, '--workers', '2'], dataFile), pinning, true));
      } else {
        for (let n = 0; n < 2; n++) {
          ports.push(await freePort());
          procs.push(spawnProc(obrol(ports[n]!, ['--redis', url], [`OBROL_STORE__PATH=${join(dir, `obrol-${n}.db`)}`]), pinning, true));
        }
      }
    } else {
      ports.push(await freePort());
      const port = ports[0]!;
      const template = readFileSync(join(BENCH, `${kind}.bench.conf`), 'utf8');
      const confPath = join(dir, `${kind}.conf`);
      writeFileSync(confPath, template.replaceAll('@PORT@', String(port)).replaceAll('@DIR@', dir));
      mkdirSync(join(dir, 'conf.d'));
      const runas = dropPrivileges();
      if (runas.length > 0) {
        const uid = Number(spawnSync('id', ['-u', 'irc'], { encoding: 'utf8' }).stdout.trim());
        const gid = Number(spawnSync('id', ['-g', 'irc'], { encoding: 'utf8' }).stdout.trim());
        for (const p of [dir, confPath, join(dir, 'conf.d')]) chownSync(p, uid, gid);
      }
      // ngIRCd's console log can grow by gigabytes (a write-error loop): it goes nowhere.
      const argv = kind === 'ngircd' ? [...runas, which('ngircd')!, '--nodaemon', '--config', confPath] : [...runas, which('inspircd')!, '--nofork', '--config', confPath];
      if (kind === 'inspircd') logFile = join(dir, 'inspircd.log');
      procs.push(spawnProc(argv, pinning, false));
    }
    const main = procs[procs.length - (kind === 'obrol-2n' ? 2 : 1)]!;
    handle.port = ports[0]!;
    handle.pid = main.pid;
    handle.command = procs.map((p) => p.command).join(' ; ');
    const all = procs.map((p) => p.pid);
    handle.pids = kind === 'obrol-2w' ? () => [main.pid, ...childPids(main.pid), ...(redis ? [redis.pid] : [])] : () => all;
    for (const port of ports) await waitForPort(port, () => procs.some((p) => p.exited()), 20_000);
    handle.nofile = openFilesLimit(main.pid).soft;
    if (kind === 'obrol-2w') {
      // The primary accepts as soon as one worker listens: wait until both take connections.
      const base = await bothWorkersAccepting(main.pid, ports[0]!, () => procs.some((p) => p.exited()), 30_000);
      handle.describe = () => {
        const now = childPids(main.pid);
        if (now.join() !== [...base.keys()].join()) return 'a worker was restarted during the run';
        return `clients per worker (sockets beyond those at start): ${now.map((pid) => socketCount(pid) - base.get(pid)!).join(' / ')}`;
      };
    }
    log(`${label} pid${procs.length > 1 ? 's' : ''} ${handle.pids().join(', ')} on 127.0.0.1:${ports.join(', ')} (open files ${handle.nofile})`);
  } catch (err) {
    const out = handle.output();
    await handle.stop();
    throw new Error(`${label} did not start: ${(err as Error).message}\n${handle.command || procs.map((p) => p.command).join(' ; ')}\n${out.slice(-2000)}`);
  }
  return handle;
}

async function waitForPort(port: number, hasExited: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('it exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`127.0.0.1:${port} did not accept connections within ${timeoutMs} ms`);
}

/** Stop every server this process started and has not stopped yet. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((h) => h.stop()));
}

/** Synchronous last resort (process 'exit'): SIGKILL what is left, by PID. */
export function killAllServersNow(): void {
  for (const h of live) {
    for (const pid of h.pids()) {
      if (!alive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  live.clear();
}

export interface ProbeResult {
  /** The version field of 004 RPL_MYINFO. */
  myinfo: string;
  /** 351 RPL_VERSION, without the nick. */
  version: string;
  /** Milliseconds from connect to 001. */
  registerMs: number;
}

/** Register one client, ask VERSION, quit: the server's own idea of its version, and a readiness check. */
export function probe(host: string, port: number, nick = 'benchprb', timeoutMs = 15_000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect({ host, port });
    const result: ProbeResult = { myinfo: '', version: '', registerMs: NaN };
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`probe of ${host}:${port}: no answer to VERSION within ${timeoutMs} ms (got: ${buf.slice(-500)})`));
    }, timeoutMs);
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(`NICK ${nick}\r\nUSER ${nick} 0 * :bench probe\r\n`);
    s.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const parts = line.split(' ');
        const verb = line.startsWith(':') ? parts[1] : parts[0];
        if (verb === 'PING') s.write(`PONG ${parts.slice(line.startsWith(':') ? 2 : 1).join(' ')}\r\n`);
        if (verb === '001') {
          result.registerMs = Date.now() - started;
          s.write('VERSION\r\n');
        }
        if (verb === '004') result.myinfo = parts[4] ?? '';
        if (verb === '351' || verb === '402' || verb === '421') {
          result.version = verb === '351' ? parts.slice(3).join(' ') : '';
          clearTimeout(timer);
          s.end('QUIT :probe done\r\n');
          setTimeout(() => s.destroy(), 1000).unref();
          resolve(result);
          return;
        }
      }
    });
  });
}
