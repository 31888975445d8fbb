/**
 * Runs the Store contract against each implementation: in memory, and
 * SQLite on a fresh file in a temp folder (removed after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { storeContract } from './store.suite.js';

storeContract('MemoryStore', async () => new MemoryStore());

const dir = mkdtempSync(join(tmpdir(), 'obrol-store-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('SqliteStore', async () => openSqlite(join(dir, `store-${++files}.db`)));
