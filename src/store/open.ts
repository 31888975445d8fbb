/**
 * Open the store the config names. A file that cannot be used stops the
 * server at start with a StoreOpenError naming the file and the cause.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import type { StoreConfig } from '../config/schema.js';
import { MemoryStore } from './memory.js';
import { openSqlite, type SqliteOptions } from './sqlite.js';
import { StoreOpenError, type Store } from './types.js';

/** The data file's absolute path: relative to the config file's folder, or the working folder without one. */
export function storePath(config: StoreConfig, configFile: string | null): string {
  if (isAbsolute(config.path)) return config.path;
  return resolve(configFile === null ? process.cwd() : dirname(configFile), config.path);
}

export function openStore(config: StoreConfig, configFile: string | null, options: SqliteOptions = {}): Store {
  if (config.backend === 'memory') return new MemoryStore();
  const file = storePath(config, configFile);
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new StoreOpenError(file, `its folder ${folder} is missing and cannot be made (${(err as Error).message})`);
  }
  return openSqlite(file, options);
}
