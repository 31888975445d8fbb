/**
 * `obrol --workers N`: N server processes on one machine, one per core, made
 * with Node's cluster module. The primary process only starts, restarts and
 * signals the workers; the workers share the listening sockets (the primary
 * hands each new connection to the next worker) and each is a node of one
 * network over Redis, so a user on one worker chats with users on another.
 *
 * Signals go to the primary: SIGTERM and SIGINT stop every worker gracefully
 * (each tells the network its users are leaving), SIGHUP reloads the
 * configuration in every worker. An operator's REHASH or DIE in one worker is
 * passed on to the others through the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';

/** What a worker asks of the primary. */
export type WorkerRequest = { type: 'rehash' } | { type: 'die' };

/** A crashed worker is started again after this long, doubling up to a minute while it keeps crashing. */
const RESTART_DELAY_MS = 500;
const RESTART_DELAY_MAX_MS = 60_000;
/** A worker that ran this long before exiting was healthy: the delay starts over. */
const HEALTHY_AFTER_MS = 30_000;
/** How long workers get to stop before they are killed. */
const STOP_GRACE_MS = 15_000;

/** The number of workers a setting asks for: `auto` is one per core. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** In a worker: ask the primary to pass an operator's REHASH or DIE on to every worker. */
export function tellPrimary(request: WorkerRequest): void {
  if (cluster.isWorker && process.send) process.send(request);
}

/**
 * Run the primary: start `count` workers, keep them running, pass signals on.
 * `env` is added to each worker's environment (settings all workers must share).
 */
export function runPrimary(count: number, logger: Logger, env: Record<string, string> = {}): void {
  const workers = new Map<Worker, { index: number; startedAt: number }>();
  const delays = new Map<number, number>();
  let stopping = false;

  const start = (index: number): void => {
    const worker = cluster.fork({ ...env, OBROL_WORKER: String(index) });
    workers.set(worker, { index, startedAt: Date.now() });
    worker.on('message', (request: WorkerRequest) => {
      if (request?.type === 'rehash') {
        logger.info({ event: 'rehash-all', worker: index }, 'an operator reloaded the configuration: reloading every worker');
        for (const other of workers.keys()) if (other !== worker) other.process.kill('SIGHUP');
      } else if (request?.type === 'die') {
        stopAll(`an operator's DIE in worker ${index}`);
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const info = workers.get(worker);
    workers.delete(worker);
    if (info === undefined) return;
    if (stopping) {
      if (workers.size === 0) {
        logger.info({ event: 'stopped' }, 'every worker has stopped');
        process.exit(0);
      }
      return;
    }
    const ranFor = Date.now() - info.startedAt;
    const previous = ranFor > HEALTHY_AFTER_MS ? 0 : (delays.get(info.index) ?? 0);
    const delay = previous === 0 ? RESTART_DELAY_MS : Math.min(previous * 2, RESTART_DELAY_MAX_MS);
    delays.set(info.index, delay);
    logger.error({ event: 'worker-exit', worker: info.index, code, signal, restart_in_ms: delay }, `worker ${info.index} exited: starting it again`);
    setTimeout(() => {
      if (!stopping) start(info.index);
    }, delay).unref();
  });

  const stopAll = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'stopping', reason: why }, `${why}: stopping every worker`);
    for (const worker of workers.keys()) worker.process.kill('SIGTERM');
    if (workers.size === 0) process.exit(0);
    setTimeout(() => {
      for (const worker of workers.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info({ event: 'signal', signal: 'SIGHUP' }, 'SIGHUP: reloading the configuration in every worker');
    for (const worker of workers.keys()) worker.process.kill('SIGHUP');
  });

  logger.info({ event: 'workers', count }, `starting ${count} workers`);
  for (let index = 1; index <= count; index++) start(index);
}
