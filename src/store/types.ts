/**
 * What Obrol keeps across restarts: accounts, channel registrations, message
 * history, read markers and account metadata. Each is an async interface so
 * an embedded file store (SQLite, the default) and the in-memory one used by
 * unit tests are interchangeable; both pass test/contract/store.suite.ts.
 *
 * Names given to a store are already casefolded by the caller (the server's
 * casemapping); a record keeps the name as its owner spelled it.
 *
 * Durability: a write the protocol answers (REGISTER, SET PASSWORD, a
 * channel registration) resolves after it is committed. History appends are
 * queued and committed together once per event-loop turn (one transaction),
 * so a crash loses at most the messages of the turn in progress.
 */

/** Salted SCRAM-SHA-256 keys (RFC 5802/7677), derived when the password is set. */
export interface ScramCredentials {
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

export interface AccountRecord {
  /** The account name as registered (its casefolded form is the key). */
  name: string;
  /** An scrypt hash in the format of config/password.ts. */
  passwordHash: string;
  scram: ScramCredentials | null;
  email: string | null;
  /** false until VERIFY (when e-mail verification is on). */
  verified: boolean;
  /** The code VERIFY expects, while unverified. */
  verifyCode: string | null;
  /** Unix milliseconds. */
  registeredAt: number;
  /** SHA-256 fingerprints (lowercase hex) that log in with SASL EXTERNAL. */
  certfps: string[];
  /** Stay present in channels while no connection is attached. */
  alwaysOn: boolean;
  /** The channels an always-on account is in (names as spelled), restored on restart. */
  channels: string[];
}

export type CreateResult = 'ok' | 'exists';

export interface AccountStore {
  getAccount(folded: string): Promise<AccountRecord | null>;
  /** Committed when it resolves 'ok'; starts with no read markers or metadata. */
  createAccount(folded: string, record: AccountRecord): Promise<CreateResult>;
  /** Replace the record of an existing account; false if there is none. */
  updateAccount(folded: string, record: AccountRecord): Promise<boolean>;
  /** Also drops the account's read markers and metadata. False if there was none. */
  deleteAccount(folded: string): Promise<boolean>;
  /** The account holding `certfp` (compared case-insensitively); the first by folded name if several do. */
  findByCertfp(certfp: string): Promise<{ folded: string; record: AccountRecord } | null>;
  /** Every account with always-on set (restored at start), by folded name. */
  alwaysOnAccounts(): Promise<Array<{ folded: string; record: AccountRecord }>>;
  countAccounts(): Promise<number>;
}

export interface ChannelRegistration {
  /** The channel name as registered. */
  name: string;
  /** The founder's account, casefolded. */
  founder: string;
  /** Unix milliseconds. */
  registeredAt: number;
  topic: string | null;
  topicSetBy: string | null;
  /** Unix seconds, as RPL_TOPICWHOTIME. */
  topicSetAt: number;
  /** Flag modes as letters, e.g. "nt". */
  modes: string;
  key: string | null;
  limit: number | null;
  /** List modes (b, e, I): the masks with who set them and when (Unix seconds). */
  lists: Record<string, Array<{ mask: string; setBy: string; setAt: number }>>;
  /** Auto-modes by account (casefolded account -> status mode letters, e.g. "o", "v"). */
  amodes: Record<string, string>;
}

export interface ChannelStore {
  getChannel(folded: string): Promise<ChannelRegistration | null>;
  /** Every registration, by folded name. */
  listChannels(): Promise<Array<{ folded: string; registration: ChannelRegistration }>>;
  /** Create or replace; committed when it resolves. */
  saveChannel(folded: string, registration: ChannelRegistration): Promise<void>;
  deleteChannel(folded: string): Promise<boolean>;
}

/**
 * One entry of a conversation's history: a message (PRIVMSG, NOTICE,
 * TAGMSG, possibly multiline) or an event (JOIN, PART, QUIT, KICK, NICK,
 * TOPIC, MODE) for draft/event-playback.
 */
export interface HistoryEntry {
  msgid: string;
  /** Unix milliseconds. */
  time: number;
  /**
   * The conversation: a casefolded channel name, or for direct messages a
   * key naming both sides (history/keys.ts).
   */
  target: string;
  command: string;
  /** nick!user@host of the sender. */
  source: string;
  /** The sender's account, for account-tag. */
  account: string | null;
  /** The parameters as sent, target first. For a multiline message, the first line's text. */
  params: string[];
  /** Client-only tags and other tags to replay (not time/msgid/account/batch). */
  tags: Array<[string, string]> | null;
  /** draft/multiline: every line of the message, with whether it continues the previous one. */
  lines: Array<{ text: string; concat: boolean }> | null;
  /** The two sides of a direct message (casefolded account or nick), for TARGETS; null for channels. */
  peers: [string, string] | null;
}

/**
 * A point in a conversation: a msgid, or an instant (Unix ms).
 *
 * Entries of a target are ordered by time, then by arrival (two entries of
 * one millisecond keep the order they were appended in). "Older than" and
 * "newer than" a ref are strict: a msgid ref never includes its own entry,
 * and an instant includes no entry of exactly that millisecond. A msgid that
 * is not in the target makes every query on it answer [].
 */
export type HistoryRef = { msgid: string } | { time: number };

/**
 * Every query first commits what is queued, so a client reads its own
 * writes. Results are copies, oldest first; a limit of 0 or less gives [].
 */
export interface HistoryStore {
  /**
   * Queue entries; they are committed with the rest of this turn's. Never
   * throws. An entry whose (target, msgid) is already stored is ignored.
   */
  append(entries: readonly HistoryEntry[]): void;
  /** Resolves once everything appended so far is committed; rejects if that failed (the entries are lost). */
  flush(): Promise<void>;
  /** The newest `limit` entries of `target`, oldest first; with `after`, only those newer than it. */
  latest(target: string, limit: number, after?: HistoryRef): Promise<HistoryEntry[]>;
  /** Up to `limit` entries older than `ref`, oldest first (the ones closest to ref). */
  before(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]>;
  /** Up to `limit` entries newer than `ref`, oldest first. */
  after(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]>;
  /**
   * Up to `limit` entries around `ref`, oldest first: floor(limit/2) older
   * than it and the rest from it on (a msgid's own entry, or an instant's
   * entries at or after it); when one side has too few, the other fills in.
   */
  around(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]>;
  /**
   * Entries strictly between the two refs, up to `limit`, oldest first.
   * When `from` is earlier than `to`, the oldest ones after `from`; when it
   * is later, the newest ones before `from`: either way the ones closest to `from`.
   */
  between(target: string, from: HistoryRef, to: HistoryRef, limit: number): Promise<HistoryEntry[]>;
  /**
   * The latest entry time, strictly within (from, to) in either order, of
   * each of `channels` that has one and of each direct conversation with
   * `peer` as one side (peerName: the other side). Sorted by that time,
   * oldest first (ties by target), the first `limit`.
   */
  targets(channels: readonly string[], peer: string | null, from: number, to: number, limit: number): Promise<Array<{ target: string; peerName: string | null; time: number }>>;
  /** The entry with this msgid (any one of them, if one event was recorded in several targets). */
  find(msgid: string): Promise<HistoryEntry | null>;
  /** Remove one entry (draft/message-redaction); false if it was not there. */
  remove(target: string, msgid: string): Promise<boolean>;
  /** Drop entries older than `olderThan` (Unix ms, 0: none), and all but the newest `keepPerTarget` of each target (0: no bound). Returns how many went. */
  prune(olderThan: number, keepPerTarget: number): Promise<number>;
}

/**
 * Markers and metadata are kept by account name: deleting the account drops
 * them, and creating an account starts it with none.
 */
export interface MarkerStore {
  /** `timestamp=...` values by casefolded target. */
  markers(account: string): Promise<Map<string, string>>;
  setMarker(account: string, target: string, value: string): Promise<void>;
}

export interface MetadataStore {
  accountMetadata(account: string): Promise<Map<string, string>>;
  /** null deletes. */
  setAccountMetadata(account: string, key: string, value: string | null): Promise<void>;
}

/** Everything a server keeps, from one backing store. */
export interface Store {
  readonly kind: 'sqlite' | 'memory';
  /** The database file, or null in memory. */
  readonly path: string | null;
  readonly accounts: AccountStore;
  readonly channels: ChannelStore;
  readonly history: HistoryStore;
  readonly markers: MarkerStore;
  readonly metadata: MetadataStore;
  /** Write an online copy to `file` (sqlite only; memory refuses). */
  backup(file: string): Promise<void>;
  /** Commit what is queued and close. */
  close(): Promise<void>;
}

/** Why the store could not be opened; `file` and `reason` go into the start-up message. */
export class StoreOpenError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot open the data file ${file}: ${reason}`);
    this.name = 'StoreOpenError';
  }
}
