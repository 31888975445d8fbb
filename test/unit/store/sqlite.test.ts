/**
 * What only the SQLite store has: the file survives close and reopen, a
 * turn's appends are one transaction, migrations run once, and openStore()
 * turns every unusable file into a StoreOpenError naming it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openStore, storePath } from '../../../src/store/open.js';
import { openSqlite, SCHEMA_VERSION, SqliteStore } from '../../../src/store/sqlite.js';
import { StoreOpenError, type Store } from '../../../src/store/types.js';
import { account, entry, registration } from '../../contract/store.suite.js';

const dirs: string[] = [];
const stores: Store[] = [];
const others: Database.Database[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-sqlite-'));
  dirs.push(dir);
  return dir;
}
function track<T extends Store>(store: T): T {
  stores.push(store);
  return store;
}
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const db of others.splice(0)) db.close();
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

const sqlite = (path: string) => ({ backend: 'sqlite' as const, path });

describe('SqliteStore: the file', () => {
  it('keeps accounts, channels, history, markers and metadata across close and reopen', async () => {
    const file = join(tempDir(), 'obrol.db');
    const first = openSqlite(file);
    await first.accounts.createAccount('alice', account('Alice', { certfps: ['aabb'], alwaysOn: true, channels: ['#c'] }));
    await first.channels.saveChannel('#c', registration('#C', 'alice'));
    await first.markers.setMarker('alice', '#c', 'timestamp=2024-01-01T00:00:00.000Z');
    await first.metadata.setAccountMetadata('alice', 'avatar', 'a.png');
    // Appended, not flushed: close commits it.
    first.history.append([entry('#c', 'm1', 10), entry('#c', 'm2', 20)]);
    await first.close();

    const again = track(openSqlite(file));
    expect(await again.accounts.getAccount('alice')).toEqual(account('Alice', { certfps: ['aabb'], alwaysOn: true, channels: ['#c'] }));
    expect((await again.accounts.findByCertfp('AABB'))?.folded).toBe('alice');
    expect(await again.channels.getChannel('#c')).toEqual(registration('#C', 'alice'));
    expect(await again.markers.markers('alice')).toEqual(new Map([['#c', 'timestamp=2024-01-01T00:00:00.000Z']]));
    expect(await again.metadata.accountMetadata('alice')).toEqual(new Map([['avatar', 'a.png']]));
    expect(await again.history.latest('#c', 10)).toEqual([entry('#c', 'm1', 10), entry('#c', 'm2', 20)]);
  });

  it('commits a burst of appends in one transaction as soon as it reaches 2,000 rows, without waiting for the timer', async () => {
    const store = track(openSqlite(join(tempDir(), 'obrol.db')));
    for (let n = 0; n < 2_000; n++) store.history.append([entry('#big', `m${n}`, 1_000 + n)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.history.commits).toBe(1);
  });

  it('commits a turn of appends in one transaction, and 10,000 of them quickly', async () => {
    const store = track(openSqlite(join(tempDir(), 'obrol.db')));
    const started = Date.now();
    for (let n = 0; n < 10_000; n++) store.history.append([entry('#big', `m${n}`, 1_000 + n)]);
    expect(store.history.commits).toBe(0);
    await store.history.flush();
    expect(store.history.commits).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((store.db.prepare('SELECT count(*) FROM history').pluck().get() as number)).toBe(10_000);
    // Nothing queued: later turns commit nothing more.
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.history.commits).toBe(1);
  });

  it('commits queued appends within 50 ms without a flush, in one transaction', async () => {
    const file = join(tempDir(), 'obrol.db');
    const store = track(openSqlite(file));
    store.history.append([entry('#c', 'a', 1)]);
    await new Promise((resolve) => setImmediate(resolve));
    store.history.append([entry('#c', 'b', 2)]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.history.commits).toBe(1);
    // Another connection (another worker) sees them.
    const other = new Database(file, { readonly: true });
    others.push(other);
    expect(other.prepare('SELECT msgid FROM history ORDER BY seq').pluck().all()).toEqual(['a', 'b']);
  });

  it('moves a version-1 file to the current schema, keeping its history and dropping the time index', async () => {
    const file = join(tempDir(), 'obrol.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO history (target, time, msgid, command, source, params) VALUES ('#c', 10, 'm1', 'PRIVMSG', 'a!a@h', '[\"#c\",\"hi\"]')").run();
    old.close();
    const store = track(openSqlite(file));
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'history_time'").get()).toBeUndefined();
    expect((await store.history.latest('#c', 10)).map((e) => e.msgid)).toEqual(['m1']);
  });

  it('uses WAL, foreign keys and the current schema version; reopening migrates nothing', async () => {
    const file = join(tempDir(), 'obrol.db');
    const store = openSqlite(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const schema = () => store.db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    const before = schema();
    await store.close();
    const again = track(openSqlite(file));
    expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(again.db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()).toEqual(before);
  });

  it('is migrated once when several processes open a new file at the same moment', async () => {
    const file = join(tempDir(), 'obrol.db');
    const module = resolve(import.meta.dirname, '../../../src/store/sqlite.ts');
    const code = `import(${JSON.stringify(module)}).then(async (m) => { const s = m.openSqlite(${JSON.stringify(file)}); await s.accounts.countAccounts(); await s.close(); console.log('ok'); })`;
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return new Promise<string>((done) => child.once('exit', (status) => done(`${String(status)} ${output.trim()}`)));
    });
    expect(await Promise.all(runs)).toEqual(['0 ok', '0 ok', '0 ok', '0 ok']);
    const store = track(openSqlite(file));
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('reports a failed history batch to onError, and flush rejects; append never throws', async () => {
    const errors: Error[] = [];
    const store = track(openSqlite(join(tempDir(), 'obrol.db'), { onError: (err) => errors.push(err) }));
    store.db.exec('DROP TABLE history');
    store.history.append([entry('#c', 'a', 1)]);
    await expect(store.history.flush()).rejects.toThrow(/no such table: history/);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/no such table: history/);
    // Committed shortly without a flush: only onError hears of it.
    store.history.append([entry('#c', 'b', 2)]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(errors).toHaveLength(2);
    // The failed batches are gone: a flush has nothing left to fail on.
    await store.history.flush();
  });

  it('backs up online to another file', async () => {
    const dir = tempDir();
    const store = track(openSqlite(join(dir, 'obrol.db')));
    await store.accounts.createAccount('alice', account('Alice'));
    store.history.append([entry('#c', 'queued', 1)]);
    await store.backup(join(dir, 'copy.db'));
    const copy = track(openSqlite(join(dir, 'copy.db')));
    expect((await copy.accounts.getAccount('alice'))?.name).toBe('Alice');
    expect((await copy.history.find('queued'))?.msgid).toBe('queued');
  });
});

describe('openStore', () => {
  it('takes a relative path from the config file folder, or the working folder', () => {
    expect(storePath(sqlite('data/obrol.db'), '/etc/obrol/obrol.yaml')).toBe('/etc/obrol/data/obrol.db');
    expect(storePath(sqlite('/var/lib/obrol.db'), '/etc/obrol/obrol.yaml')).toBe('/var/lib/obrol.db');
    expect(storePath(sqlite('data/obrol.db'), null)).toBe(join(process.cwd(), 'data/obrol.db'));
  });

  it('opens memory for the memory backend', () => {
    expect(openStore({ backend: 'memory', path: 'data/obrol.db' }, null).kind).toBe('memory');
  });

  it('makes the missing folders of the file', () => {
    const dir = tempDir();
    const store = track(openStore(sqlite('deep/er/obrol.db'), join(dir, 'obrol.yaml')));
    expect(store).toBeInstanceOf(SqliteStore);
    expect(store.path).toBe(join(dir, 'deep/er/obrol.db'));
    expect(existsSync(join(dir, 'deep/er/obrol.db'))).toBe(true);
  });

  const failure = (run: () => unknown): StoreOpenError => {
    try {
      run();
    } catch (err) {
      expect(err).toBeInstanceOf(StoreOpenError);
      return err as StoreOpenError;
    }
    throw new Error('opened');
  };

  it('refuses a folder that cannot be made', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain-file'), '');
    const err = failure(() => openStore(sqlite('plain-file/obrol.db'), join(dir, 'obrol.yaml')));
    expect(err.file).toBe(join(dir, 'plain-file/obrol.db'));
    expect(err.message).toContain(`cannot open the data file ${join(dir, 'plain-file/obrol.db')}: its folder ${join(dir, 'plain-file')} is missing and cannot be made`);
  });

  it('refuses a file that is not a database', () => {
    const file = join(tempDir(), 'obrol.db');
    writeFileSync(file, 'this is not a SQLite database, only some text that is long enough to have a header'.repeat(20));
    const err = failure(() => openStore(sqlite(file), null));
    expect(err.file).toBe(file);
    expect(err.reason).toMatch(/^it is not a valid SQLite database, or it is corrupt/);
  });

  it('refuses a file written by a newer schema, and leaves it as it was', () => {
    const file = join(tempDir(), 'obrol.db');
    const newer = new Database(file);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    const err = failure(() => openStore(sqlite(file), null));
    expect(err.reason).toBe(`it was written by a newer Obrol (schema version ${SCHEMA_VERSION + 1}; this build knows up to ${SCHEMA_VERSION}): upgrade Obrol or restore a backup`);
    const after = new Database(file);
    others.push(after);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'accounts'").pluck().get()).toBe(0);
  });

  it('refuses a file another process holds locked, after the busy timeout', () => {
    const file = join(tempDir(), 'obrol.db');
    const holder = new Database(file);
    others.push(holder);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('CREATE TABLE held (x); BEGIN EXCLUSIVE; INSERT INTO held VALUES (1)');
    const err = failure(() => openSqlite(file, { busyTimeoutMs: 100 }));
    expect(err.reason).toBe('it is locked by another process (still busy after 0.1 s)');
    holder.exec('ROLLBACK');
  });
});
