/**
 * The in-memory store: for unit tests and for `store.backend: memory`
 * (nothing survives a restart). Records are copied in and out, so a caller
 * changing what it got back never changes the store, as with a database.
 */
import type {
  AccountRecord,
  AccountStore,
  ChannelRegistration,
  ChannelStore,
  CreateResult,
  HistoryEntry,
  HistoryRef,
  HistoryStore,
  MarkerStore,
  MetadataStore,
  Store,
} from './types.js';
import { byText, sortTargets } from './order.js';

const copy = <T>(value: T): T => structuredClone(value);

class MemoryAccounts implements AccountStore {
  readonly records = new Map<string, AccountRecord>();
  /** Drops the markers and metadata kept under a name (when it is deleted or created anew). */
  constructor(private readonly onDelete: (folded: string) => void) {}

  async getAccount(folded: string): Promise<AccountRecord | null> {
    const record = this.records.get(folded);
    return record === undefined ? null : copy(record);
  }

  async createAccount(folded: string, record: AccountRecord): Promise<CreateResult> {
    if (this.records.has(folded)) return 'exists';
    this.records.set(folded, copy(record));
    // A new account starts clean, whatever was set under its name before.
    this.onDelete(folded);
    return 'ok';
  }

  async updateAccount(folded: string, record: AccountRecord): Promise<boolean> {
    if (!this.records.has(folded)) return false;
    this.records.set(folded, copy(record));
    return true;
  }

  async deleteAccount(folded: string): Promise<boolean> {
    if (!this.records.delete(folded)) return false;
    this.onDelete(folded);
    return true;
  }

  async findByCertfp(certfp: string): Promise<{ folded: string; record: AccountRecord } | null> {
    const wanted = certfp.toLowerCase();
    // The first account by name holding it, as the SQLite store answers.
    const [found] = [...this.records].filter(([, record]) => record.certfps.some((fp) => fp.toLowerCase() === wanted)).sort(([a], [b]) => byText(a, b));
    return found === undefined ? null : { folded: found[0], record: copy(found[1]) };
  }

  async alwaysOnAccounts(): Promise<Array<{ folded: string; record: AccountRecord }>> {
    return [...this.records].filter(([, record]) => record.alwaysOn).sort(([a], [b]) => byText(a, b)).map(([folded, record]) => ({ folded, record: copy(record) }));
  }

  async countAccounts(): Promise<number> {
    return this.records.size;
  }
}

class MemoryChannels implements ChannelStore {
  private readonly registrations = new Map<string, ChannelRegistration>();

  async getChannel(folded: string): Promise<ChannelRegistration | null> {
    const found = this.registrations.get(folded);
    return found === undefined ? null : copy(found);
  }

  async listChannels(): Promise<Array<{ folded: string; registration: ChannelRegistration }>> {
    return [...this.registrations].sort(([a], [b]) => byText(a, b)).map(([folded, registration]) => ({ folded, registration: copy(registration) }));
  }

  async saveChannel(folded: string, registration: ChannelRegistration): Promise<void> {
    this.registrations.set(folded, copy(registration));
  }

  async deleteChannel(folded: string): Promise<boolean> {
    return this.registrations.delete(folded);
  }
}

/**
 * Entries of one conversation in (time, arrival) order, as the SQLite store
 * orders them by (time, seq).
 */
class MemoryHistory implements HistoryStore {
  private readonly byTarget = new Map<string, HistoryEntry[]>();
  /** target + "\n" + msgid of every entry, so a repeated append is ignored as SQLite's unique index does. */
  private readonly keys = new Set<string>();

  append(entries: readonly HistoryEntry[]): void {
    for (const entry of entries) {
      const key = `${entry.target}\n${entry.msgid}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      let list = this.byTarget.get(entry.target);
      if (list === undefined) this.byTarget.set(entry.target, (list = []));
      // Keep time order even if a clock stepped back: insert after the last entry not newer.
      let at = list.length;
      while (at > 0 && (list[at - 1] as HistoryEntry).time > entry.time) at--;
      list.splice(at, 0, copy(entry));
    }
  }

  async flush(): Promise<void> {}

  private list(target: string): HistoryEntry[] {
    return this.byTarget.get(target) ?? [];
  }

  /**
   * The entries older than `ref` are list[0, older); those newer are
   * list[newer, length). A msgid excludes its own entry; an instant excludes
   * the entries of exactly that millisecond from both. Null: unknown msgid.
   */
  private bounds(list: HistoryEntry[], ref: HistoryRef): { older: number; newer: number } | null {
    if ('msgid' in ref) {
      const at = list.findIndex((entry) => entry.msgid === ref.msgid);
      return at < 0 ? null : { older: at, newer: at + 1 };
    }
    let older = 0;
    while (older < list.length && (list[older] as HistoryEntry).time < ref.time) older++;
    let newer = older;
    while (newer < list.length && (list[newer] as HistoryEntry).time <= ref.time) newer++;
    return { older, newer };
  }

  async latest(target: string, limit: number, after?: HistoryRef): Promise<HistoryEntry[]> {
    const list = this.list(target);
    let start = 0;
    if (after !== undefined) {
      const found = this.bounds(list, after);
      if (found === null) return [];
      start = found.newer;
    }
    return newest(list.slice(start), limit).map(copy);
  }

  async before(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.bounds(list, ref);
    if (found === null) return [];
    return newest(list.slice(0, found.older), limit).map(copy);
  }

  async after(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.bounds(list, ref);
    if (found === null) return [];
    return oldest(list.slice(found.newer), limit).map(copy);
  }

  async around(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.bounds(list, ref);
    if (found === null || limit <= 0) return [];
    // A msgid's own entry, or an instant's first entry at or after it, starts the newer half.
    const at = found.older;
    const takeOlder = Math.min(at, Math.max(Math.floor(limit / 2), limit - (list.length - at)));
    return list.slice(at - takeOlder, at - takeOlder + limit).map(copy);
  }

  async between(target: string, from: HistoryRef, to: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const a = this.bounds(list, from);
    const b = this.bounds(list, to);
    if (a === null || b === null) return [];
    // Forward (from earlier than to): the oldest entries after `from`; backward: the newest before it.
    if (a.older <= b.older) return oldest(list.slice(a.newer, Math.max(a.newer, b.older)), limit).map(copy);
    return newest(list.slice(b.newer, Math.max(b.newer, a.older)), limit).map(copy);
  }

  async targets(channels: readonly string[], peer: string | null, from: number, to: number, limit: number): Promise<Array<{ target: string; peerName: string | null; time: number }>> {
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    const found: Array<{ target: string; peerName: string | null; time: number }> = [];
    const latestIn = (list: HistoryEntry[]): number | null => {
      for (let k = list.length - 1; k >= 0; k--) {
        const time = (list[k] as HistoryEntry).time;
        if (time < hi && time > lo) return time;
      }
      return null;
    };
    for (const channel of new Set(channels)) {
      const time = latestIn(this.list(channel));
      if (time !== null) found.push({ target: channel, peerName: null, time });
    }
    if (peer !== null) {
      for (const [target, list] of this.byTarget) {
        const peers = list.find((entry) => entry.peers !== null)?.peers;
        if (!peers || !peers.includes(peer)) continue;
        const time = latestIn(list);
        const other = peers[0] === peer ? peers[1] : peers[0];
        if (time !== null) found.push({ target, peerName: other, time });
      }
    }
    return sortTargets(found).slice(0, Math.max(0, limit));
  }

  async find(msgid: string): Promise<HistoryEntry | null> {
    for (const list of this.byTarget.values()) {
      const entry = list.find((e) => e.msgid === msgid);
      if (entry) return copy(entry);
    }
    return null;
  }

  async remove(target: string, msgid: string): Promise<boolean> {
    const list = this.list(target);
    const at = list.findIndex((entry) => entry.msgid === msgid);
    if (at < 0) return false;
    list.splice(at, 1);
    this.keys.delete(`${target}\n${msgid}`);
    if (list.length === 0) this.byTarget.delete(target);
    return true;
  }

  async prune(olderThan: number, keepPerTarget: number): Promise<number> {
    let removed = 0;
    for (const [target, list] of this.byTarget) {
      let drop = 0;
      while (drop < list.length && (list[drop] as HistoryEntry).time < olderThan) drop++;
      if (keepPerTarget > 0) drop = Math.max(drop, list.length - keepPerTarget);
      if (drop > 0) {
        for (const entry of list.splice(0, drop)) this.keys.delete(`${target}\n${entry.msgid}`);
        removed += drop;
      }
      if (list.length === 0) this.byTarget.delete(target);
    }
    return removed;
  }
}

/** The last `limit` of `list` (0 or less: none). */
function newest<T>(list: T[], limit: number): T[] {
  return limit <= 0 ? [] : list.slice(Math.max(0, list.length - limit));
}

/** The first `limit` of `list` (0 or less: none). */
function oldest<T>(list: T[], limit: number): T[] {
  return limit <= 0 ? [] : list.slice(0, limit);
}

class MemoryMarkers implements MarkerStore {
  readonly byAccount = new Map<string, Map<string, string>>();

  async markers(account: string): Promise<Map<string, string>> {
    return new Map(this.byAccount.get(account));
  }

  async setMarker(account: string, target: string, value: string): Promise<void> {
    let markers = this.byAccount.get(account);
    if (markers === undefined) this.byAccount.set(account, (markers = new Map()));
    markers.set(target, value);
  }
}

class MemoryMetadata implements MetadataStore {
  readonly byAccount = new Map<string, Map<string, string>>();

  async accountMetadata(account: string): Promise<Map<string, string>> {
    return new Map(this.byAccount.get(account));
  }

  async setAccountMetadata(account: string, key: string, value: string | null): Promise<void> {
    let entries = this.byAccount.get(account);
    if (entries === undefined) this.byAccount.set(account, (entries = new Map()));
    if (value === null) entries.delete(key);
    else entries.set(key, value);
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly path = null;
  readonly markers = new MemoryMarkers();
  readonly metadata = new MemoryMetadata();
  readonly accounts = new MemoryAccounts((folded) => {
    this.markers.byAccount.delete(folded);
    this.metadata.byAccount.delete(folded);
  });
  readonly channels = new MemoryChannels();
  readonly history = new MemoryHistory();

  async backup(): Promise<void> {
    throw new Error('the in-memory store has nothing to back up (store.backend is memory)');
  }

  async close(): Promise<void> {}
}
