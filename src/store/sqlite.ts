/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL. A commit is in the
 * WAL file when its call returns, so it survives the process crashing; the
 * WAL is fsynced at checkpoints, not at each commit, so a power loss or OS
 * crash can lose the last commits (never corrupt the file). History appends
 * are queued and committed once per event-loop turn in one transaction.
 *
 * Several worker processes of one machine may share the file: WAL lets
 * readers run beside the one writer, and busy_timeout makes a writer wait
 * for another's transaction instead of failing at once.
 *
 * better-sqlite3 is synchronous; the async methods commit before they resolve.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { afterOutput } from '../net/connection.js';
import { MIGRATIONS } from './migrations.js';
import { sortTargets } from './order.js';
import {
  StoreOpenError,
  type AccountRecord,
  type AccountStore,
  type ChannelRegistration,
  type ChannelStore,
  type CreateResult,
  type HistoryEntry,
  type HistoryRef,
  type HistoryStore,
  type MarkerStore,
  type MetadataStore,
  type Store,
} from './types.js';

type DB = Database.Database;

/** better-sqlite3 (and its native addon) is loaded on the first open: a server on the memory store never maps it. */
const require = createRequire(import.meta.url);
let sqlite: typeof Database | null = null;
type Row = Record<string, unknown>;

/** How long a writer waits for another process's transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** Larger than any seq: a time ref sits after every entry of its millisecond. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export interface SqliteOptions {
  /** Told when a queued history batch could not be committed (the batch is lost). */
  onError?: (err: Error) => void;
  /** How long a writer waits for another process's transaction (default 5 s; tests shorten it). */
  busyTimeoutMs?: number;
  /**
   * How long stored messages may wait to be committed (default COMMIT_DELAY_MS).
   * 0: at the end of every turn, for nodes of a network that share the file
   * (another node must find a message in history as soon as it is delivered,
   * e.g. to REDACT it).
   */
  commitDelayMs?: number;
}

/** In plain words, what a SQLite error at open means. */
export function openFailure(err: unknown, busyTimeoutMs = BUSY_TIMEOUT_MS): string {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return `it is not a valid SQLite database, or it is corrupt (${message})`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return `it is locked by another process (still busy after ${busyTimeoutMs / 1000} s)`;
  if (code.startsWith('SQLITE_READONLY')) return `it is read-only: this process cannot write to it or to its folder (${message})`;
  if (code.startsWith('SQLITE_CANTOPEN')) return `it cannot be opened (missing folder or no permission: ${message})`;
  if (code === 'SQLITE_FULL') return 'the disk is full';
  if (code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) return `permission denied (${message})`;
  return code !== '' ? `${message} (${code})` : message;
}

/**
 * Open (creating if missing) and migrate the file; every failure is a
 * StoreOpenError. The caller has made the folder.
 */
export function openSqlite(file: string, options: SqliteOptions = {}): SqliteStore {
  let db: DB | null = null;
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  try {
    sqlite ??= require('better-sqlite3') as typeof Database;
    db = new sqlite(file);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Reads the header: a file that is not a database fails here.
    db.pragma('journal_mode = WAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreOpenError(file, `it is corrupt (quick_check: ${String(check)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 16 MiB of page cache (the default is 2): history's indexes stay in memory
    // instead of being read back from the OS for every commit. Grows only with use.
    db.pragma('cache_size = -16384');
    migrate(db, file);
    return new SqliteStore(db, file, options);
  } catch (err) {
    db?.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(file, openFailure(err, busyTimeoutMs));
  }
}

/**
 * Apply the steps the file lacks, in one IMMEDIATE transaction, which also
 * proves the file writable when there is nothing to apply. The version is
 * read inside it: workers opening a new file at once migrate it once.
 */
function migrate(db: DB, file: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StoreOpenError(file, `it was written by a newer Obrol (schema version ${version}; this build knows up to ${MIGRATIONS.length}): upgrade Obrol or restore a backup`);
    }
    for (let step = version; step < MIGRATIONS.length; step++) db.exec(MIGRATIONS[step] as string);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
    // Nothing to apply still takes the write lock: a read-only or locked file fails here, at start.
    else db.prepare('DELETE FROM accounts WHERE 0').run();
  }).immediate();
}

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const json = (value: unknown): string => JSON.stringify(value);
const parse = <T>(text: unknown): T => JSON.parse(text as string) as T;
const parseOrNull = <T>(text: unknown): T | null => (text === null ? null : parse<T>(text));

class SqliteAccounts implements AccountStore {
  private readonly get;
  private readonly certfpsOf;
  private readonly insert;
  private readonly update;
  private readonly dropCertfps;
  private readonly addCertfp;
  private readonly remove;
  private readonly dropMarkers;
  private readonly dropMetadata;
  private readonly byCertfp;
  private readonly alwaysOn;
  private readonly count;

  constructor(private readonly db: DB) {
    this.get = db.prepare('SELECT * FROM accounts WHERE folded = ?');
    this.certfpsOf = db.prepare('SELECT certfp FROM account_certfps WHERE account = ? ORDER BY position').pluck();
    const columns = '(folded, name, password_hash, scram, email, verified, verify_code, registered_at, always_on, channels)';
    const values = '(@folded, @name, @passwordHash, @scram, @email, @verified, @verifyCode, @registeredAt, @alwaysOn, @channels)';
    this.insert = db.prepare(`INSERT INTO accounts ${columns} VALUES ${values} ON CONFLICT (folded) DO NOTHING`);
    this.update = db.prepare(
      'UPDATE accounts SET name = @name, password_hash = @passwordHash, scram = @scram, email = @email, verified = @verified, ' +
        'verify_code = @verifyCode, registered_at = @registeredAt, always_on = @alwaysOn, channels = @channels WHERE folded = @folded',
    );
    this.dropCertfps = db.prepare('DELETE FROM account_certfps WHERE account = ?');
    this.addCertfp = db.prepare('INSERT INTO account_certfps (account, position, certfp) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM accounts WHERE folded = ?');
    this.dropMarkers = db.prepare('DELETE FROM read_markers WHERE account = ?');
    this.dropMetadata = db.prepare('DELETE FROM account_metadata WHERE account = ?');
    this.byCertfp = db.prepare('SELECT account FROM account_certfps WHERE lower(certfp) = lower(?) ORDER BY account LIMIT 1').pluck();
    this.alwaysOn = db.prepare('SELECT * FROM accounts WHERE always_on = 1 ORDER BY folded');
    this.count = db.prepare('SELECT count(*) FROM accounts').pluck();
  }

  private record(row: Row): AccountRecord {
    return {
      name: row.name as string,
      passwordHash: row.password_hash as string,
      scram: parseOrNull(row.scram),
      email: row.email as string | null,
      verified: row.verified === 1,
      verifyCode: row.verify_code as string | null,
      registeredAt: row.registered_at as number,
      certfps: this.certfpsOf.all(row.folded) as string[],
      alwaysOn: row.always_on === 1,
      channels: parse<string[]>(row.channels),
    };
  }

  private params(folded: string, record: AccountRecord) {
    return {
      folded,
      name: record.name,
      passwordHash: record.passwordHash,
      scram: record.scram === null ? null : json(record.scram),
      email: record.email,
      verified: record.verified ? 1 : 0,
      verifyCode: record.verifyCode,
      registeredAt: record.registeredAt,
      alwaysOn: record.alwaysOn ? 1 : 0,
      channels: json(record.channels),
    };
  }

  private writeCertfps(folded: string, certfps: readonly string[]): void {
    this.dropCertfps.run(folded);
    certfps.forEach((certfp, position) => this.addCertfp.run(folded, position, certfp));
  }

  async getAccount(folded: string): Promise<AccountRecord | null> {
    const row = this.get.get(folded) as Row | undefined;
    return row === undefined ? null : this.record(row);
  }

  async createAccount(folded: string, record: AccountRecord): Promise<CreateResult> {
    return this.db.transaction((): CreateResult => {
      if (this.insert.run(this.params(folded, record)).changes === 0) return 'exists';
      this.writeCertfps(folded, record.certfps);
      // A new account starts clean, whatever was set under its name before.
      this.dropBelongings(folded);
      return 'ok';
    }).immediate();
  }

  async updateAccount(folded: string, record: AccountRecord): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (this.update.run(this.params(folded, record)).changes === 0) return false;
      this.writeCertfps(folded, record.certfps);
      return true;
    }).immediate();
  }

  private dropBelongings(folded: string): void {
    this.dropMarkers.run(folded);
    this.dropMetadata.run(folded);
  }

  async deleteAccount(folded: string): Promise<boolean> {
    // Certfps go by ON DELETE CASCADE; markers and metadata in the same transaction.
    return this.db.transaction((): boolean => {
      if (this.remove.run(folded).changes === 0) return false;
      this.dropBelongings(folded);
      return true;
    }).immediate();
  }

  async findByCertfp(certfp: string): Promise<{ folded: string; record: AccountRecord } | null> {
    const folded = this.byCertfp.get(certfp) as string | undefined;
    if (folded === undefined) return null;
    const row = this.get.get(folded) as Row | undefined;
    return row === undefined ? null : { folded, record: this.record(row) };
  }

  async alwaysOnAccounts(): Promise<Array<{ folded: string; record: AccountRecord }>> {
    return (this.alwaysOn.all() as Row[]).map((row) => ({ folded: row.folded as string, record: this.record(row) }));
  }

  async countAccounts(): Promise<number> {
    return this.count.get() as number;
  }
}

class SqliteChannels implements ChannelStore {
  private readonly get;
  private readonly list;
  private readonly save;
  private readonly remove;

  constructor(db: DB) {
    this.get = db.prepare('SELECT * FROM channels WHERE folded = ?');
    this.list = db.prepare('SELECT * FROM channels ORDER BY folded');
    this.save = db.prepare(
      'INSERT OR REPLACE INTO channels (folded, name, founder, registered_at, topic, topic_set_by, topic_set_at, modes, key, user_limit, lists, amodes) ' +
        'VALUES (@folded, @name, @founder, @registeredAt, @topic, @topicSetBy, @topicSetAt, @modes, @key, @limit, @lists, @amodes)',
    );
    this.remove = db.prepare('DELETE FROM channels WHERE folded = ?');
  }

  private registration(row: Row): ChannelRegistration {
    return {
      name: row.name as string,
      founder: row.founder as string,
      registeredAt: row.registered_at as number,
      topic: row.topic as string | null,
      topicSetBy: row.topic_set_by as string | null,
      topicSetAt: row.topic_set_at as number,
      modes: row.modes as string,
      key: row.key as string | null,
      limit: row.user_limit as number | null,
      lists: parse(row.lists),
      amodes: parse(row.amodes),
    };
  }

  async getChannel(folded: string): Promise<ChannelRegistration | null> {
    const row = this.get.get(folded) as Row | undefined;
    return row === undefined ? null : this.registration(row);
  }

  async listChannels(): Promise<Array<{ folded: string; registration: ChannelRegistration }>> {
    return (this.list.all() as Row[]).map((row) => ({ folded: row.folded as string, registration: this.registration(row) }));
  }

  async saveChannel(folded: string, registration: ChannelRegistration): Promise<void> {
    this.save.run({ ...registration, folded, lists: json(registration.lists), amodes: json(registration.amodes) });
  }

  async deleteChannel(folded: string): Promise<boolean> {
    return this.remove.run(folded).changes > 0;
  }
}

/** History rows kept for another try when the file stayed locked (SQLITE_BUSY); past this a batch is dropped (and logged). */
const MAX_REQUEUED = 100_000;

/** A row to insert, made at append() so later changes to the caller's entry do not leak in. */
interface HistoryRow {
  target: string;
  time: number;
  msgid: string;
  command: string;
  source: string;
  account: string | null;
  params: string;
  tags: string | null;
  lines: string | null;
  peerA: string | null;
  peerB: string | null;
}

/** How long a stored message may wait to be committed, and how many rows commit at once. */
const COMMIT_DELAY_MS = 50;
const COMMIT_ROWS = 2000;

/** A position in a target's (time, seq) order. */
type Key = [number, number];

class SqliteHistory implements HistoryStore {
  private queue: HistoryRow[] = [];
  private scheduled = false;
  private commitTimer: NodeJS.Timeout | null = null;
  /** Batches committed (tests check that a turn's appends are one transaction). */
  commits = 0;
  private readonly insert;
  private readonly writeBatch;
  private readonly keyOf;
  private readonly findOne;
  private readonly removeOne;
  private readonly pruneAge;
  private readonly allTargets;
  private readonly pruneCount;
  private readonly newest;
  private readonly newestAfter;
  private readonly older;
  private readonly newer;
  private readonly atOrNewer;
  private readonly channelTimes;
  private readonly peerTimes;

  constructor(
    private readonly db: DB,
    private readonly onError: (err: Error) => void,
    private readonly commitDelayMs: number,
  ) {
    // Bound by position: by name, better-sqlite3 looks each parameter up in the row object.
    this.insert = db.prepare('INSERT OR IGNORE INTO history (target, time, msgid, command, source, account, params, tags, lines, peer_a, peer_b) VALUES (?,?,?,?,?,?,?,?,?,?,?)');
    this.writeBatch = db.transaction((rows: HistoryRow[]) => {
      for (const r of rows) this.insert.run(r.target, r.time, r.msgid, r.command, r.source, r.account, r.params, r.tags, r.lines, r.peerA, r.peerB);
    });
    this.keyOf = db.prepare('SELECT time, seq FROM history WHERE target = ? AND msgid = ?').raw();
    this.findOne = db.prepare('SELECT * FROM history WHERE msgid = ? LIMIT 1');
    this.removeOne = db.prepare('DELETE FROM history WHERE target = ? AND msgid = ?');
    // Pruning by age goes target by target through (target, time, seq), so no
    // index on time alone has to be kept up on every append. The targets are
    // found by skipping from one to the next in that index, not by reading it all.
    this.allTargets = db
      .prepare(
        'WITH RECURSIVE t(target) AS (SELECT min(target) FROM history UNION ALL SELECT (SELECT min(target) FROM history WHERE target > t.target) FROM t WHERE t.target IS NOT NULL) SELECT target FROM t WHERE target IS NOT NULL',
      )
      .pluck();
    this.pruneAge = db.prepare('DELETE FROM history WHERE target = ? AND time < ?');
    this.pruneCount = db.prepare(
      'DELETE FROM history WHERE seq IN (SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY target ORDER BY time DESC, seq DESC) AS n FROM history) WHERE n > ?)',
    );
    const select = 'SELECT * FROM history WHERE target = ?';
    this.newest = db.prepare(`${select} ORDER BY time DESC, seq DESC LIMIT ?`);
    this.newestAfter = db.prepare(`${select} AND (time, seq) > (?, ?) ORDER BY time DESC, seq DESC LIMIT ?`);
    this.older = db.prepare(`${select} AND (time, seq) < (?, ?) AND (time, seq) > (?, ?) ORDER BY time DESC, seq DESC LIMIT ?`);
    this.newer = db.prepare(`${select} AND (time, seq) > (?, ?) AND (time, seq) < (?, ?) ORDER BY time, seq LIMIT ?`);
    this.atOrNewer = db.prepare(`${select} AND (time, seq) >= (?, ?) ORDER BY time, seq LIMIT ?`);
    this.channelTimes = db.prepare(
      'SELECT target, max(time) AS time FROM history WHERE target IN (SELECT value FROM json_each(?)) AND time > ? AND time < ? GROUP BY target',
    );
    this.peerTimes = db.prepare(
      'SELECT target, peer_a, peer_b, max(time) AS time FROM history WHERE (peer_a = @peer OR peer_b = @peer) AND time > @lo AND time < @hi GROUP BY target',
    );
  }

  /** The store is closed: later appends are dropped (nothing could commit them). */
  closed = false;

  append(entries: readonly HistoryEntry[]): void {
    if (this.closed) return;
    try {
      for (const entry of entries) {
        this.queue.push({
          target: entry.target,
          time: entry.time,
          msgid: entry.msgid,
          command: entry.command,
          source: entry.source,
          account: entry.account,
          params: json(entry.params),
          tags: entry.tags === null ? null : json(entry.tags),
          lines: entry.lines === null ? null : json(entry.lines),
          peerA: entry.peers?.[0] ?? null,
          peerB: entry.peers?.[1] ?? null,
        });
      }
    } catch (err) {
      this.onError(err as Error);
    }
    this.schedule();
  }

  /**
   * Commit the queue COMMIT_DELAY_MS after its first row, or at the end of
   * the turn that queues COMMIT_ROWS, and always after the turn's output is
   * written: the messages being stored are delivered first. A commit writes
   * every page it touched to the WAL, one per channel at least, so a busy
   * server storing a few rows per turn wrote the same pages turn after turn:
   * measured (100 channels, 200,000 rows), 18 us per row in commits of 50,
   * 8 us in commits of 3,000. Queries, REDACT and a stop commit first, so
   * nothing waits: only a crash loses the last COMMIT_DELAY_MS.
   */
  private schedule(): void {
    if (this.queue.length >= COMMIT_ROWS || this.commitDelayMs === 0) {
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() =>
        afterOutput(() => {
          this.scheduled = false;
          this.commitQueue();
        }),
      );
      return;
    }
    if (this.commitTimer !== null || this.queue.length === 0) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      afterOutput(() => this.commitQueue());
    }, this.commitDelayMs);
    // A stop commits what is queued; the timer alone keeps no process alive.
    this.commitTimer.unref();
  }

  /** Write everything queued in one transaction; a failed batch is reported, dropped and returned. */
  commitQueue(): Error | null {
    if (this.commitTimer !== null) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    if (this.queue.length === 0) return null;
    const rows = this.queue;
    this.queue = [];
    try {
      this.writeBatch.immediate(rows);
      this.commits++;
      return null;
    } catch (err) {
      // Another process held the write lock past busy_timeout: keep the rows for the next turn's commit (bounded, so a lock held for ever cannot grow the queue without end).
      if ((err as { code?: string }).code === 'SQLITE_BUSY' && rows.length + this.queue.length <= MAX_REQUEUED) {
        this.queue = rows.concat(this.queue);
        this.schedule();
      }
      this.onError(err as Error);
      return err as Error;
    }
  }

  /** Rejects if the batch could not be committed (it is dropped; onError was told too). */
  async flush(): Promise<void> {
    const failed = this.commitQueue();
    if (failed !== null) throw failed;
  }

  private entry(row: Row): HistoryEntry {
    const peerA = row.peer_a as string | null;
    return {
      msgid: row.msgid as string,
      time: row.time as number,
      target: row.target as string,
      command: row.command as string,
      source: row.source as string,
      account: row.account as string | null,
      params: parse(row.params),
      tags: parseOrNull(row.tags),
      lines: parseOrNull(row.lines),
      peers: peerA === null ? null : [peerA, row.peer_b as string],
    };
  }

  /**
   * Where a ref sits in (time, seq) order, seen from one side: a msgid is its
   * own entry (null if not in `target`); an instant sits after every entry
   * of that millisecond when looking for newer entries, before them when
   * looking for older ones, so entries at exactly that time are in neither.
   */
  private key(target: string, ref: HistoryRef, side: 'newer' | 'older'): Key | null {
    if ('msgid' in ref) return (this.keyOf.get(target, ref.msgid) as Key | undefined) ?? null;
    return [ref.time, side === 'newer' ? MAX_SEQ : 0];
  }

  private rows(rows: unknown[], reverse: boolean): HistoryEntry[] {
    const entries = (rows as Row[]).map((row) => this.entry(row));
    return reverse ? entries.reverse() : entries;
  }

  async latest(target: string, limit: number, after?: HistoryRef): Promise<HistoryEntry[]> {
    this.commitQueue();
    if (limit <= 0) return [];
    if (after === undefined) return this.rows(this.newest.all(target, limit), true);
    const from = this.key(target, after, 'newer');
    if (from === null) return [];
    return this.rows(this.newestAfter.all(target, ...from, limit), true);
  }

  async before(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    this.commitQueue();
    const upper = this.key(target, ref, 'older');
    if (upper === null || limit <= 0) return [];
    return this.rows(this.older.all(target, ...upper, Number.MIN_SAFE_INTEGER, 0, limit), true);
  }

  async after(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    this.commitQueue();
    const lower = this.key(target, ref, 'newer');
    if (lower === null || limit <= 0) return [];
    return this.rows(this.newer.all(target, ...lower, Number.MAX_SAFE_INTEGER, 0, limit), false);
  }

  async around(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    this.commitQueue();
    // The split point: a msgid's own entry starts the newer half; an instant, its first entry at or after it.
    const at: Key | null = 'msgid' in ref ? this.key(target, ref, 'newer') : [ref.time, 0];
    if (at === null || limit <= 0) return [];
    const older = this.rows(this.older.all(target, ...at, Number.MIN_SAFE_INTEGER, 0, limit), true);
    const newer = this.rows(this.atOrNewer.all(target, ...at, limit), false);
    const takeOlder = Math.min(older.length, Math.max(Math.floor(limit / 2), limit - newer.length));
    return [...older.slice(older.length - takeOlder), ...newer.slice(0, limit - takeOlder)];
  }

  async between(target: string, from: HistoryRef, to: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    this.commitQueue();
    if (limit <= 0) return [];
    const fromNewer = this.key(target, from, 'newer');
    const fromOlder = this.key(target, from, 'older');
    const toNewer = this.key(target, to, 'newer');
    const toOlder = this.key(target, to, 'older');
    if (fromNewer === null || fromOlder === null || toNewer === null || toOlder === null) return [];
    // Forward when `from` is earlier than `to`: the oldest entries after `from`; else the newest before it.
    if (compare(fromOlder, toOlder) <= 0) return this.rows(this.newer.all(target, ...fromNewer, ...toOlder, limit), false);
    return this.rows(this.older.all(target, ...fromOlder, ...toNewer, limit), true);
  }

  async targets(channels: readonly string[], peer: string | null, from: number, to: number, limit: number): Promise<Array<{ target: string; peerName: string | null; time: number }>> {
    this.commitQueue();
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    const found: Array<{ target: string; peerName: string | null; time: number }> = [];
    if (channels.length > 0) {
      for (const row of this.channelTimes.all(json(channels), lo, hi) as Row[]) found.push({ target: row.target as string, peerName: null, time: row.time as number });
    }
    if (peer !== null) {
      for (const row of this.peerTimes.all({ peer, lo, hi }) as Row[]) {
        const other = row.peer_a === peer ? row.peer_b : row.peer_a;
        found.push({ target: row.target as string, peerName: other as string, time: row.time as number });
      }
    }
    return sortTargets(found).slice(0, Math.max(0, limit));
  }

  async find(msgid: string): Promise<HistoryEntry | null> {
    this.commitQueue();
    const row = this.findOne.get(msgid) as Row | undefined;
    return row === undefined ? null : this.entry(row);
  }

  async remove(target: string, msgid: string): Promise<boolean> {
    this.commitQueue();
    return this.removeOne.run(target, msgid).changes > 0;
  }

  async prune(olderThan: number, keepPerTarget: number): Promise<number> {
    this.commitQueue();
    return this.db.transaction(() => {
      let removed = 0;
      if (olderThan > 0) for (const target of this.allTargets.all() as string[]) removed += this.pruneAge.run(target, olderThan).changes;
      if (keepPerTarget > 0) removed += this.pruneCount.run(keepPerTarget).changes;
      return removed;
    }).immediate();
  }
}

function compare(a: Key, b: Key): number {
  return a[0] - b[0] || a[1] - b[1];
}

class SqliteMarkers implements MarkerStore {
  private readonly all;
  private readonly set;

  constructor(db: DB) {
    this.all = db.prepare('SELECT target, value FROM read_markers WHERE account = ?').raw();
    this.set = db.prepare(
      'INSERT INTO read_markers (account, target, value) VALUES (@account, @name, @value) ON CONFLICT (account, target) DO UPDATE SET value = excluded.value',
    );
  }

  async markers(account: string): Promise<Map<string, string>> {
    return new Map(this.all.all(account) as Array<[string, string]>);
  }

  async setMarker(account: string, target: string, value: string): Promise<void> {
    this.set.run({ account, name: target, value });
  }
}

class SqliteMetadata implements MetadataStore {
  private readonly all;
  private readonly set;
  private readonly remove;

  constructor(db: DB) {
    this.all = db.prepare('SELECT key, value FROM account_metadata WHERE account = ?').raw();
    this.set = db.prepare(
      'INSERT INTO account_metadata (account, key, value) VALUES (@account, @name, @value) ON CONFLICT (account, key) DO UPDATE SET value = excluded.value',
    );
    this.remove = db.prepare('DELETE FROM account_metadata WHERE account = ? AND key = ?');
  }

  async accountMetadata(account: string): Promise<Map<string, string>> {
    return new Map(this.all.all(account) as Array<[string, string]>);
  }

  async setAccountMetadata(account: string, key: string, value: string | null): Promise<void> {
    if (value === null) this.remove.run(account, key);
    else this.set.run({ account, name: key, value });
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly accounts: SqliteAccounts;
  readonly channels: SqliteChannels;
  readonly history: SqliteHistory;
  readonly markers: SqliteMarkers;
  readonly metadata: SqliteMetadata;
  private closed = false;

  /** Use openSqlite(), which migrates and checks the file first. */
  constructor(
    readonly db: DB,
    readonly path: string,
    options: SqliteOptions = {},
  ) {
    this.accounts = new SqliteAccounts(db);
    this.channels = new SqliteChannels(db);
    this.history = new SqliteHistory(db, options.onError ?? (() => {}), options.commitDelayMs ?? COMMIT_DELAY_MS);
    this.markers = new SqliteMarkers(db);
    this.metadata = new SqliteMetadata(db);
  }

  async backup(file: string): Promise<void> {
    this.history.commitQueue();
    await this.db.backup(file);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.history.commitQueue();
    this.history.closed = true;
    this.db.close();
  }
}
