/**
 * `obrol backup FILE`: an online copy of the data file, made with SQLite's
 * backup API through a read-only connection, so it runs beside a server
 * that is writing (WAL: readers never block the writer).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openFailure } from './sqlite.js';

export class BackupError extends Error {}

export async function backupDataFile(source: string, dest: string): Promise<{ file: string; bytes: number }> {
  const file = resolve(dest);
  const folder = dirname(file);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new BackupError(`cannot write ${file}: no such folder ${folder}`);
  if (file === resolve(source)) throw new BackupError(`${file} is the data file itself: name another file`);
  if (!existsSync(source)) throw new BackupError(`there is no data file at ${source} (has the server run with this configuration?)`);
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    // Reads the header: a file that is not a database fails here, not halfway through.
    db.pragma('user_version');
  } catch (err) {
    throw new BackupError(`cannot read the data file ${source}: ${openFailure(err)}`);
  }
  try {
    // In one step: a step-by-step backup starts over whenever the server writes, and a busy server writes every turn.
    await db.backup(file, { progress: () => 0x7fffffff });
  } catch (err) {
    throw new BackupError(`cannot copy ${source} to ${file}: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  return { file, bytes: statSync(file).size };
}
