/**
 * The generator's worker processes: forked from bench/worker.ts (run through
 * tsx), optionally pinned to the generator's cores, driven by request/answer
 * messages. Every worker is killed by its PID in stop().
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, InitCommand, Request, Response } from './ipc.js';
import { pinProcess } from './proc.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('../worker.ts', import.meta.url));

interface Pending {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
}

export class WorkerPool {
  private nextId = 1;
  private readonly pending: Array<Map<number, Pending>>;
  private stopped = false;

  private constructor(readonly children: ChildProcess[]) {
    this.pending = children.map(() => new Map());
    children.forEach((child, w) => {
      child.on('message', (msg: Response) => {
        const p = this.pending[w]!.get(msg.id);
        if (!p) return;
        this.pending[w]!.delete(msg.id);
        if (msg.ok) p.resolve(msg.data);
        else p.reject(new Error(`worker ${w}: ${msg.error}`));
      });
      child.on('exit', (code, signal) => {
        const err = new Error(`worker ${w} (pid ${child.pid}) exited (${signal ?? code})`);
        for (const p of this.pending[w]!.values()) p.reject(err);
        this.pending[w]!.clear();
      });
    });
  }

  get size(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid ?? -1);
  }

  /** Fork n workers, pin them (cpus: a taskset list, or null), and send each its init. */
  static async start(n: number, cpus: string | null, init: Omit<InitCommand, 'type' | 'worker' | 'workers'>): Promise<WorkerPool> {
    const children: ChildProcess[] = [];
    for (let w = 0; w < n; w++) {
      children.push(
        fork(WORKER, [], {
          cwd: REPO,
          execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    }
    const pool = new WorkerPool(children);
    try {
      if (cpus) for (const child of children) pinProcess(child.pid!, cpus);
      await pool.all((w) => ({ type: 'init', worker: w, workers: n, ...init }), 30_000);
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  request<T>(w: number, cmd: Command, timeoutMs = 600_000): Promise<T> {
    const child = this.children[w]!;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.stopped || child.exitCode !== null || child.signalCode !== null) return reject(new Error(`worker ${w} is not running`));
      const timer = setTimeout(() => {
        this.pending[w]!.delete(id);
        reject(new Error(`worker ${w}: no answer to ${cmd.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending[w]!.set(id, {
        resolve: (data) => {
          clearTimeout(timer);
          resolve(data as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      child.send({ id, cmd } satisfies Request);
    });
  }

  all<T>(cmd: (w: number) => Command, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.children.map((_, w) => this.request<T>(w, cmd(w), timeoutMs)));
  }

  /** Kill every worker (SIGKILL after 2 s) and wait for them to exit. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
            const kill = setTimeout(() => {
              try {
                process.kill(child.pid!, 'SIGKILL');
              } catch {
                /* gone */
              }
            }, 2000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            try {
              process.kill(child.pid, 'SIGTERM');
            } catch {
              clearTimeout(kill);
              resolve();
            }
          }),
      ),
    );
  }
}
