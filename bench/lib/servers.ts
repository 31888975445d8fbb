/**
 * Starting and stopping the servers under test: Obrol from the built dist,
 * Debian's ngIRCd and InspIRCd from /usr/sbin, each with its benchmark config
 * from bench/, on 127.0.0.1 and a free port, with the hard open-files limit,
 * pinned to the server core when pinning is on. The runner installs nothing;
 * a missing server is reported with the apt-get line that installs it.
 *
 * Every process started here is killed by its PID in stop(), and
 * stopAllServers() ends the ones still running (the CLI calls it on SIGINT
 * and on the way out).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, openFilesLimit, which, type Pinning } from './proc.js';

export type ServerKind = 'obrol' | 'ngircd' | 'inspircd';
export const SERVER_KINDS: ServerKind[] = ['obrol', 'ngircd', 'inspircd'];
export const SERVER_LABELS: Record<ServerKind, string> = { obrol: 'Obrol', ngircd: 'ngIRCd', inspircd: 'InspIRCd' };

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BENCH = join(REPO, 'bench');

export interface ServerHandle {
  kind: ServerKind;
  label: string;
  host: string;
  port: number;
  pid: number;
  /** The command line that started it (for RESULTS.md). */
  command: string;
  /** Open-files limit the server runs with. */
  nofile: number;
  /** The server's own version string (--version, package.json). */
  binaryVersion: string;
  stop(): Promise<void>;
  /** The last lines the server printed (Obrol) or logged (InspIRCd). */
  output(): string;
}

const live = new Set<ServerHandle>();

/** Is this server available here? If not, what to apt-get install. */
export function availability(kind: ServerKind): { ok: boolean; why: string } {
  if (kind === 'obrol') {
    const entry = join(REPO, 'dist/cli/main.js');
    return existsSync(entry) ? { ok: true, why: '' } : { ok: false, why: 'dist/cli/main.js is missing: run npm run build (npm run bench does)' };
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

export async function startServer(kind: ServerKind, pinning: Pinning, log: (line: string) => void = () => {}): Promise<ServerHandle> {
  const avail = availability(kind);
  if (!avail.ok) throw new Error(avail.why);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `obrol-bench-${kind}-`));
  let argv: string[];
  let stdio: 'pipe' | 'ignore' = 'ignore';
  let logFile: string | null = null;
  if (kind === 'obrol') {
    argv = [process.execPath, join(REPO, 'dist/cli/main.js'), '--config', join(BENCH, 'obrol.bench.yaml'), '--host', '127.0.0.1', '--port', String(port)];
    stdio = 'pipe';
  } else {
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
    argv = kind === 'ngircd' ? [...runas, which('ngircd')!, '--nodaemon', '--config', confPath] : [...runas, which('inspircd')!, '--nofork', '--config', confPath];
    if (kind === 'inspircd') logFile = join(dir, 'inspircd.log');
  }
  // Every step execs the next (taskset, sh, setpriv), so the PID we get is the server's.
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const full = [...(pinning.enabled ? ['taskset', '-c', pinning.serverCpus] : []), 'sh', '-c', script, 'sh', ...argv];
  const command = full.map(shellQuote).join(' ');
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
  const handle: ServerHandle = {
    kind,
    label: SERVER_LABELS[kind],
    host: '127.0.0.1',
    port,
    pid,
    command,
    nofile: NaN,
    binaryVersion: versionOf(kind),
    output: () => {
      if (logFile && existsSync(logFile)) return readFileSync(logFile, 'utf8').slice(-4096);
      return output;
    },
    stop: async () => {
      live.delete(handle);
      if (!exited) {
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
        }, 5000);
        await exit;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(handle);
  try {
    await waitForPort(port, () => exited, 20_000);
    handle.nofile = openFilesLimit(pid).soft;
    log(`${handle.label} pid ${pid} on 127.0.0.1:${port} (open files ${handle.nofile})`);
  } catch (err) {
    await handle.stop();
    throw new Error(`${handle.label} did not start: ${(err as Error).message}\n${command}\n${output.slice(-2000)}`);
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
    if (alive(h.pid)) {
      try {
        process.kill(h.pid, 'SIGKILL');
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
