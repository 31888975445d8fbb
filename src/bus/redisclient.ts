/**
 * How Obrol connects to Redis, the same for the bus, the lease and the
 * directory: fail fast instead of queueing without bound. A command sent
 * while the connection is down fails at the next failed reconnect attempt
 * (maxRetriesPerRequest 0) rather than waiting for Redis to return, and one
 * that Redis does not answer (hung, SIGSTOPped, partitioned) fails after
 * commandTimeoutMs; each caller then decides what a failure means.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

/** ioredis is loaded with the first client: a server without cluster.redis never pays for it (about 20 MB of RSS). */
const require = createRequire(import.meta.url);
let ioredis: typeof import('ioredis') | null = null;

export interface RedisClientOptions {
  /** Shown by CLIENT LIST, e.g. "obrol:node1:bus-read". */
  name: string;
  /** Fail a command Redis has not answered after this long; omit for blocking reads. */
  commandTimeoutMs?: number;
  /** Connection errors (each failed reconnect attempt); the default drops them, since callers see failed commands. */
  onError?: (err: Error) => void;
}

/** Longest wait between reconnect attempts: short, so a restarted Redis is found again within a second. */
const MAX_RECONNECT_DELAY_MS = 500;

export function redisClient(url: string, options: RedisClientOptions): Redis {
  ioredis ??= require('ioredis') as typeof import('ioredis');
  const client = new ioredis.Redis(url, {
    connectionName: options.name.replace(/\s/g, '_'),
    maxRetriesPerRequest: 0,
    // A command cut off by a dropped connection fails; it is not silently sent again later.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
    connectTimeout: 2000,
    ...(options.commandTimeoutMs !== undefined ? { commandTimeout: options.commandTimeoutMs } : {}),
  });
  // Without a listener ioredis prints every failed reconnect to the console.
  client.on('error', options.onError ?? (() => {}));
  return client;
}

/** Close a client, politely if it can (QUIT), else by dropping the socket. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    } catch {
      // QUIT failed: disconnect below.
    }
  }
  client.disconnect();
}

/** A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after Redis forgot it (a restart). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * By source (EVAL) where the call must not depend on the script being
   * loaded: an EVALSHA that times out waiting for a hung server cannot fall
   * back to EVAL, so its NOSCRIPT would leave it undone.
   */
  runBySource(client: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return client.eval(this.source, keys.length, ...keys, ...args);
  }

  async run(client: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
