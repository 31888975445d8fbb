/**
 * A private redis-server for tests: started on a free loopback port in a temp
 * folder, with nothing persisted, so `restart()` really loses the data (as a
 * Redis without persistence does when it crashes). Only the PID started here
 * is ever signalled.
 *
 *   const redis = await startRedis();
 *   ... new Redis(redis.url) ...
 *   await redis.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** Every redis-server this process started and has not seen exit: killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stop the server (SIGTERM, then wait for it to exit) and remove its folder. */
  stop(): Promise<void>;
  /** Stop and start again on the same port: every key is gone. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered, as with a hung or partitioned server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL, and wait for the exit; stop() or restart() may follow. */
  kill(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} is missing: these tests start their own redis-server; install the Debian package redis-server (apt-get install redis-server), or set REDIS_SERVER to the binary`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'obrol-redis-'));
  // Another process may take the free port between the probe and the bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const first = await launch(port, dir);
      return handle(port, dir, first);
    } catch (err) {
      lastError = err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function handle(port: number, dir: string, first: ChildProcess): TestRedis {
  let child: ChildProcess | null = first;
  let paused = false;
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    if (paused) running.kill('SIGCONT');
    paused = false;
    running.kill(signal);
    await withTimeout(exited, STOP_TIMEOUT_MS, `redis-server (pid ${running.pid}) did not exit after ${signal}`);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt('SIGTERM');
      child = await launch(port, dir);
    },
    pause() {
      if (!child) throw new Error('redis-server is not running');
      child.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (!child) throw new Error('redis-server is not running');
      child.kill('SIGCONT');
      paused = false;
    },
    kill: () => halt('SIGKILL'),
  };
}

/** Start redis-server on `port` and resolve once it answers PING; reject (and kill it) otherwise. */
async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${REDIS_SERVER}: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before answering PING:\n${output.slice(-2000)}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (await Promise.race([ping(port), exited])) return child;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`);
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), exited]);
    }
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
}

/** Whether something on `port` answers PING with +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
