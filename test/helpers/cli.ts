/**
 * End-to-end plumbing: the BUILT command (dist/cli/main.js, fresh because
 * `npm test` builds first) run as a child process, and telnet-client sessions
 * that talk to it the way a person at a telnet prompt would.
 *
 * - runCli(args): run a command to completion (with a timeout), collect its output.
 * - startCli(options): start the server with a temp YAML config on a free port and
 *   resolve once it logs `listening`; its JSON log lines are parsed as they arrive.
 * - TelnetUser: a telnet-client connection read line by line with nextData().
 * - cleanupCli(): in afterEach; kills (by PID) every process still running and
 *   closes every telnet session and temp folder this module opened.
 *
 * Every wait is on output, bounded by a timeout; nothing sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Telnet } from 'telnet-client';
import { stringify } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_PATH = join(REPO_ROOT, 'dist/cli/main.js');

// Generous: a 2-core CI machine running several test files at once can take seconds to start node.
const DEFAULT_TIMEOUT_MS = 10_000;

const processes = new Set<ChildProcess>();
const telnets = new Set<TelnetUser>();
const tempDirs = new Set<string>();

function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` (npm test does it first)`);
}

/** A TCP port nothing listens on right now: bind port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (!address || typeof address === 'string') return reject(new Error('no port from the probe listener'));
      probe.close(() => resolvePort(address.port));
    });
  });
}

/** A fresh temp folder, removed by cleanupCli(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-e2e-'));
  tempDirs.add(dir);
  return dir;
}

/**
 * Write a config file (an object, written as YAML, or YAML text) into a temp
 * folder and return its path. An object gets `server.motd_file: null` unless it
 * sets one, so the test does not depend on a MOTD next to the temp file, and
 * `websocket: null` unless it has a websocket section, so that servers do not
 * all try to open the default WebSocket port 8097 (text is written as it is).
 * The server's data file (store.path, default data/obrol.db) is relative to
 * the config file, so it lands in the same temp folder, never in the repository.
 */
export function writeConfig(config: Record<string, unknown> | string, dir = tempDir(), name = 'obrol.yaml'): string {
  let text: string;
  if (typeof config === 'string') {
    text = config;
  } else {
    const server = { motd_file: null, ...((config.server as Record<string, unknown> | undefined) ?? {}) };
    // Real addresses in lines, like the in-process test servers, unless a test asks otherwise.
    const cloak = { enabled: false, ...((config.cloak as Record<string, unknown> | undefined) ?? {}) };
    text = stringify({ websocket: null, ...config, server, cloak });
  }
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The environment for a child: this one without OBROL_* (so the host's settings never leak in), plus `extra`. */
/** This process's environment without OBROL_* (so no override leaks into a child), plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OBROL_')) env[key] = value;
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli/main.js ...args` to completion; fail if it takes longer than the timeout. */
export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, env: childEnv(options.env), stdio: 'pipe' });
  processes.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`obrol ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      processes.delete(child);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

export type LogRecord = Record<string, unknown> & { event?: string; msg?: string; conn?: string };
type LogMatcher = (record: LogRecord) => boolean;

/** A running `obrol` server process. */
export class CliServer {
  /** Every JSON log record written to stdout so far. */
  readonly logs: LogRecord[] = [];
  /** stdout lines that were not JSON (there should be none when stdout is a pipe). */
  readonly otherStdout: string[] = [];
  stderr = '';
  private partial = '';
  private waiters = new Set<() => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly configPath: string | null,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        try {
          this.logs.push(JSON.parse(line) as LogRecord);
        } catch {
          this.otherStdout.push(line);
        }
      }
      this.wake();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    child.once('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      processes.delete(child);
      this.wake();
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the server process has no pid');
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitInfo !== null;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolve when `done()` returns a value (checked on every output and on exit); fail after the timeout. */
  private waitUntil<T>(done: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        let value: T | undefined;
        try {
          value = done();
        } catch (err) {
          finish();
          reject(err as Error);
          return;
        }
        if (value !== undefined) {
          finish();
          resolveWait(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The output so far, for failure messages. */
  describe(): string {
    const logs = this.logs.slice(-15).map((record) => JSON.stringify(record));
    return `exit: ${JSON.stringify(this.exitInfo)}\nlast log lines:\n${logs.join('\n') || '(none)'}\nstderr:\n${this.stderr || '(none)'}`;
  }

  /**
   * The first log record (from index `from` on) that matches; fails if the
   * process exits first or the timeout passes.
   */
  waitForLog(matcher: LogMatcher | string, timeoutMs = DEFAULT_TIMEOUT_MS, from = 0): Promise<LogRecord> {
    const match: LogMatcher = typeof matcher === 'string' ? (record) => record.event === matcher : matcher;
    return this.waitUntil(
      () => {
        const found = this.logs.slice(from).find(match);
        if (found) return found;
        if (this.exitInfo) throw new Error(`the server exited before logging ${String(matcher)}\n${this.describe()}`);
        return undefined;
      },
      `a log line ${String(matcher)}`,
      timeoutMs,
    );
  }

  /** Resolve with the exit code and signal once the process has exited. */
  waitForExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.waitUntil(() => this.exitInfo ?? undefined, 'the server to exit', timeoutMs);
  }

  /** Send a signal by PID. */
  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** SIGTERM and wait for the exit; SIGKILL if it does not come in time. */
  async stop(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGTERM');
    try {
      return await this.waitForExit(timeoutMs);
    } catch (err) {
      this.kill();
      throw err;
    }
  }

  /** SIGKILL by PID, if still running. */
  kill(): void {
    if (!this.exitInfo && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export interface StartOptions {
  /** Config file contents (object or YAML text); the port is chosen here unless `args` sets --port. */
  config?: Record<string, unknown> | string;
  /** Use this config file as it is (no port is added to it). */
  configPath?: string;
  /** Extra command-line arguments. */
  args?: string[];
  env?: Record<string, string>;
  /** Port to listen on; default: a free one, passed in the config file. */
  port?: number;
  timeoutMs?: number;
}

/**
 * Start `node dist/cli/main.js --config <temp file>` on a free port and wait
 * for its `listening` log line. The port goes into the config file's
 * listen.port (so the file, not a flag, is what the server reads).
 */
export async function startCli(options: StartOptions = {}): Promise<CliServer> {
  assertBuilt();
  const port = options.port ?? (await freePort());
  let configPath = options.configPath ?? null;
  if (!configPath) {
    const base = options.config ?? {};
    if (typeof base === 'string') {
      configPath = writeConfig(base);
    } else {
      const listen = { host: '127.0.0.1', port, ...((base.listen as Record<string, unknown> | undefined) ?? {}) };
      configPath = writeConfig({ ...base, listen });
    }
  }
  const child = spawn(process.execPath, [CLI_PATH, '--config', configPath, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.add(child);
  const server = new CliServer(child, port, configPath);
  const listening = await server.waitForLog('listening', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (listening.port !== port) throw new Error(`server listens on ${String(listening.port)}, expected ${port}\n${server.describe()}`);
  return server;
}

/**
 * One telnet-client session to the server, read a line at a time with
 * nextData(). Unconsumed lines are kept, so expect() can skip over lines that
 * do not match (they are consumed with the match, as in TestClient).
 */
export class TelnetUser {
  readonly telnet = new Telnet();
  /** Every complete line received (without CRLF). */
  readonly received: string[] = [];
  private pending: string[] = [];
  private partial = '';
  private ended = false;
  private waiters = new Set<() => void>();
  private syncCounter = 0;
  nick = '';

  private constructor() {
    telnets.add(this);
    this.telnet.on('error', () => {});
    // Normally the end is seen as nextData() === null, after every line before
    // it. A close without an end (reset, destroy) ends the session once the
    // lines already queued have been read.
    this.telnet.on('close', () =>
      setImmediate(() => {
        this.ended = true;
        this.wake();
      }),
    );
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<TelnetUser> {
    const user = new TelnetUser();
    await user.telnet.connect({
      host,
      port,
      negotiationMandatory: false,
      // No shell prompt and no login: a plain line session read with nextData().
      shellPrompt: null,
      disableLogon: true,
      encoding: 'utf8',
      // IRC lines end in CRLF both ways.
      irs: '\r\n',
      ors: '\r\n',
      // Do not let send() wait for an answer; expect() does the reading.
      sendTimeout: 0,
      timeout: 10_000,
    });
    void user.readLoop();
    return user;
  }

  /** Connect, send NICK and USER as typed at a telnet prompt, and wait for the end of the MOTD (376) or 422. */
  static async register(port: number, nick: string, username = nick.toLowerCase()): Promise<TelnetUser> {
    const user = await TelnetUser.connect(port);
    user.send(`NICK ${nick}`);
    user.send(`USER ${username} 0 * :${nick} at a telnet prompt`);
    await user.expect(new RegExp(`^:\\S+ 001 ${nick} `));
    await user.expect(new RegExp(`^:\\S+ (376|422) ${nick} `));
    user.nick = nick;
    return user;
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      const data = await this.telnet.nextData();
      if (data === null) {
        this.ended = true;
        this.wake();
        return;
      }
      // nextData() gives one line at a time, or the incomplete tail of a chunk.
      const text = this.partial + data;
      const lines = text.split('\r\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        this.received.push(line);
        this.pending.push(line);
      }
      if (lines.length > 0) this.wake();
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Write one line (CRLF added). Replies are read with expect(). */
  send(line: string): void {
    // With sendTimeout 0, the promise only settles when some data arrives; nothing waits on it.
    this.telnet.send(line).catch(() => {});
  }

  /**
   * The first unconsumed line that matches; it and the lines before it are
   * consumed. Fails on timeout, or if the connection ends first.
   */
  expect(matcher: RegExp | string | ((line: string) => boolean), timeoutMs = DEFAULT_TIMEOUT_MS, consume = true): Promise<string> {
    const match = (line: string) =>
      typeof matcher === 'function' ? matcher(line) : typeof matcher === 'string' ? line === matcher : matcher.test(line);
    return new Promise((resolveLine, reject) => {
      const check = () => {
        const index = this.pending.findIndex(match);
        if (index >= 0) {
          const line = this.pending[index] as string;
          if (consume) this.pending = this.pending.slice(index + 1);
          finish();
          resolveLine(line);
        } else if (this.ended) {
          finish();
          reject(new Error(`${this.nick || 'telnet'}: connection ended while waiting for ${String(matcher)}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.nick || 'telnet'}: timed out after ${timeoutMs} ms waiting for ${String(matcher)}\n${this.tail()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolve once the server has closed the connection. */
  waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return new Promise((resolveClosed, reject) => {
      const check = () => {
        if (!this.ended) return;
        finish();
        resolveClosed();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.nick || 'telnet'}: connection still open after ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /**
   * PING round trip: the unconsumed lines that arrived before the PONG
   * (consumed), so a test can assert what did NOT arrive.
   */
  async sync(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    const token = `sync-${++this.syncCounter}`;
    const isPong = (line: string) => / PONG /.test(line) && line.endsWith(token);
    this.send(`PING ${token}`);
    await this.expect(isPong, timeoutMs, false);
    const index = this.pending.findIndex(isPong);
    const before = this.pending.slice(0, index);
    this.pending = this.pending.slice(index + 1);
    return before;
  }

  private tail(): string {
    return `unconsumed:\n${this.pending.join('\n') || '(none)'}\nlast received:\n${this.received.slice(-10).join('\n') || '(none)'}`;
  }

  /** Drop the connection (no QUIT). */
  async close(): Promise<void> {
    telnets.delete(this);
    if (!this.ended) await this.telnet.destroy();
  }

  /** Send QUIT and wait for the server to close the connection. */
  async quit(reason = 'bye'): Promise<void> {
    this.send(`QUIT :${reason}`);
    await this.waitClosed();
  }
}

/** For afterEach: close telnet sessions, SIGKILL (by PID) any process still running, remove temp folders. */
export async function cleanupCli(): Promise<void> {
  for (const user of [...telnets]) await user.close().catch(() => {});
  for (const child of [...processes]) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
    processes.delete(child);
  }
  for (const dir of [...tempDirs]) {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}
