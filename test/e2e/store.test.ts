/**
 * The data file seen from the `obrol` command: the server makes it (and its
 * folder) at start, refuses an unusable one with one line naming it and exit
 * 78, and `obrol backup` copies it while the server runs.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, cleanupCli, CLI_PATH, REPO_ROOT, runCli, startCli, TelnetUser, tempDir, writeConfig } from '../helpers/cli.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

const EXIT_CONFIG = 78;

afterEach(cleanupCli);

/** A config in a fresh temp folder whose store.path is `path` (relative: to that folder). */
function configWithStore(store: Record<string, unknown>): { dir: string; config: string } {
  const dir = tempDir();
  return { dir, config: writeConfig({ listen: { host: '127.0.0.1', port: 0 }, store }, dir) };
}

describe('e2e store: the data file at start', { timeout: 30_000 }, () => {
  it('makes the missing folder and the file next to the config file by default', async () => {
    const server = await startCli();
    const file = join(server.configPath as string, '..', 'data', 'obrol.db');
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'accounts'").pluck().get()).toBe('accounts');
    } finally {
      db.close();
    }
  });

  it('stops with one line naming a file that is not a database, exit 78', async () => {
    const { dir, config } = configWithStore({ path: 'garbage.db' });
    writeFileSync(join(dir, 'garbage.db'), 'not a database at all, just text\n'.repeat(100));
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toMatch(new RegExp(`^obrol: cannot open the data file ${join(dir, 'garbage.db')}: it is not a valid SQLite database, or it is corrupt \\(.*\\)\\n$`));
    expect(result.stdout).not.toContain('"event":"listening"');
  });

  it('stops the primary of several workers once, before any worker starts', async () => {
    const { dir, config } = configWithStore({ path: 'garbage.db' });
    writeFileSync(join(dir, 'garbage.db'), 'not a database at all, just text\n'.repeat(100));
    // Nothing listens on the Redis port: the data file is checked before anything connects.
    const result = await runCli(['--config', config, '--workers', '2', '--redis', 'redis://127.0.0.1:9']);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toMatch(new RegExp(`^obrol: cannot open the data file ${join(dir, 'garbage.db')}: it is not a valid SQLite database`));
    expect(result.stdout).not.toContain('"event":"worker-');
  });

  it('stops on a file from a newer Obrol', async () => {
    const { dir, config } = configWithStore({ path: 'newer.db' });
    const db = new Database(join(dir, 'newer.db'));
    db.pragma('user_version = 999');
    db.close();
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toBe(
      `obrol: cannot open the data file ${join(dir, 'newer.db')}: it was written by a newer Obrol (schema version 999; this build knows up to ${MIGRATIONS.length}): upgrade Obrol or restore a backup\n`,
    );
  });

  it('stops on a folder that cannot be made', async () => {
    const { dir, config } = configWithStore({ path: 'a-file/obrol.db' });
    writeFileSync(join(dir, 'a-file'), '');
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toMatch(new RegExp(`^obrol: cannot open the data file ${join(dir, 'a-file/obrol.db')}: its folder ${join(dir, 'a-file')} is missing and cannot be made \\(.*\\)\\n$`));
  });

  it('stops on a read-only file', async () => {
    const { dir, config } = configWithStore({ path: 'ro.db' });
    const file = join(dir, 'ro.db');
    new Database(file).close();
    chmodSync(file, 0o444);
    // root writes whatever the mode says: run the server as nobody, who can read the folder but not write it.
    const asNobody = process.getuid?.() === 0;
    if (asNobody) chmodSync(dir, 0o755);
    const child = spawn(process.execPath, [CLI_PATH, '--config', config], {
      cwd: REPO_ROOT,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(stderr).toMatch(new RegExp(`^obrol: cannot open the data file ${file}: it is read-only: this process cannot write to it or to its folder \\(.*\\)\\n$`));
    expect(code).toBe(EXIT_CONFIG);
  });
});

describe('e2e store: obrol backup', { timeout: 30_000 }, () => {
  it('copies the data file while the server runs, and names the copy and its size', async () => {
    const server = await startCli();
    const user = await TelnetUser.register(server.port, 'alice');
    const copy = join(tempDir(), 'copy.db');
    const result = await runCli(['backup', copy, '--config', server.configPath as string]);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `wrote ${copy} (${statSync(copy).size} bytes)\n` });
    const db = new Database(copy, { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'history'").pluck().get()).toBe('history');
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    // The server did not notice.
    expect(await user.sync()).toEqual([]);
  });

  it('refuses a missing folder, the memory backend, and a data file that is missing or unreadable', async () => {
    const { dir, config } = configWithStore({ path: 'obrol.db' });
    const missing = await runCli(['backup', join(dir, 'obrol.db.bak'), '--config', config]);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: `obrol backup: there is no data file at ${join(dir, 'obrol.db')} (has the server run with this configuration?)\n` });

    new Database(join(dir, 'obrol.db')).close();
    const noFolder = await runCli(['backup', join(dir, 'nowhere', 'copy.db'), '--config', config]);
    expect(noFolder).toMatchObject({ code: 1, stderr: `obrol backup: cannot write ${join(dir, 'nowhere', 'copy.db')}: no such folder ${join(dir, 'nowhere')}\n` });

    const memory = await runCli(['backup', join(dir, 'copy.db'), '--config', writeConfig({ store: { backend: 'memory' } })]);
    expect(memory).toMatchObject({ code: 1, stderr: 'obrol backup: store.backend is memory: there is no data file to copy\n' });

    const garbage = configWithStore({ path: 'garbage.db' });
    writeFileSync(join(garbage.dir, 'garbage.db'), 'not a database\n'.repeat(100));
    const unreadable = await runCli(['backup', join(garbage.dir, 'copy.db'), '--config', garbage.config]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(new RegExp(`^obrol backup: cannot read the data file ${join(garbage.dir, 'garbage.db')}: it is not a valid SQLite database`));
    expect(existsSync(join(garbage.dir, 'copy.db'))).toBe(false);
  });
});
