/**
 * The SQLite schema, as numbered steps. Step N (1-based) moves a file from
 * `PRAGMA user_version` N-1 to N; openSqlite() applies the missing ones in one
 * transaction. Never edit a released step: add a new one.
 *
 * JSON goes in TEXT columns where a structure is only ever read whole
 * (SCRAM keys, a channel's lists, a message's params and tags).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: accounts, channel registrations, history, read markers, account metadata.
  `
  CREATE TABLE accounts (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    scram TEXT,
    email TEXT,
    verified INTEGER NOT NULL,
    verify_code TEXT,
    registered_at INTEGER NOT NULL,
    always_on INTEGER NOT NULL,
    channels TEXT NOT NULL
  );
  CREATE INDEX accounts_always_on ON accounts (always_on) WHERE always_on = 1;

  -- position keeps the order of the record's certfps list.
  CREATE TABLE account_certfps (
    account TEXT NOT NULL REFERENCES accounts (folded) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    certfp TEXT NOT NULL,
    PRIMARY KEY (account, position)
  );
  CREATE INDEX account_certfps_certfp ON account_certfps (lower(certfp));

  CREATE TABLE channels (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    founder TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    topic TEXT,
    topic_set_by TEXT,
    topic_set_at INTEGER NOT NULL,
    modes TEXT NOT NULL,
    key TEXT,
    user_limit INTEGER,
    lists TEXT NOT NULL,
    amodes TEXT NOT NULL
  );

  -- seq (the rowid) orders entries of the same millisecond by arrival.
  CREATE TABLE history (
    seq INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    time INTEGER NOT NULL,
    msgid TEXT NOT NULL,
    command TEXT NOT NULL,
    source TEXT NOT NULL,
    account TEXT,
    params TEXT NOT NULL,
    tags TEXT,
    lines TEXT,
    peer_a TEXT,
    peer_b TEXT
  );
  CREATE INDEX history_target_time ON history (target, time, seq);
  -- One event (a QUIT, a NICK) is recorded with one msgid in every channel it reached.
  CREATE UNIQUE INDEX history_msgid ON history (msgid, target);
  CREATE INDEX history_peer_a ON history (peer_a, time) WHERE peer_a IS NOT NULL;
  CREATE INDEX history_peer_b ON history (peer_b, time) WHERE peer_b IS NOT NULL;
  CREATE INDEX history_time ON history (time);

  -- Markers and metadata are keyed by account name but not tied to a row by a
  -- foreign key: deleting or creating an account clears them (sqlite.ts).
  CREATE TABLE read_markers (
    account TEXT NOT NULL,
    target TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account, target)
  ) WITHOUT ROWID;

  CREATE TABLE account_metadata (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account, key)
  ) WITHOUT ROWID;
  `,
  // 2: no index on history's time alone. Every stored message paid for a fourth
  // B-tree; pruning by age walks the oldest rows by seq instead (sqlite.ts).
  `
  DROP INDEX history_time;
  `,
];
