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

const copy = <T>(value: T): T => structuredClone(value);

class MemoryAccounts implements AccountStore {
  readonly records = new Map<string, AccountRecord>();
  constructor(private readonly onDelete: (folded: string) => void) {}

  async getAccount(folded: string): Promise<AccountRecord | null> {
    const record = this.records.get(folded);
    return record === undefined ? null : copy(record);
  }

  async createAccount(folded: string, record: AccountRecord): Promise<CreateResult> {
    if (this.records.has(folded)) return 'exists';
    this.records.set(folded, copy(record));
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
    for (const [folded, record] of this.records) if (record.certfps.includes(wanted)) return { folded, record: copy(record) };
    return null;
  }

  async alwaysOnAccounts(): Promise<Array<{ folded: string; record: AccountRecord }>> {
    return [...this.records].filter(([, record]) => record.alwaysOn).map(([folded, record]) => ({ folded, record: copy(record) }));
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
    return [...this.registrations].map(([folded, registration]) => ({ folded, registration: copy(registration) }));
  }

  async saveChannel(folded: string, registration: ChannelRegistration): Promise<void> {
    this.registrations.set(folded, copy(registration));
  }

  async deleteChannel(folded: string): Promise<boolean> {
    return this.registrations.delete(folded);
  }
}

/** Entries of one conversation in the order they were appended (time order, msgid breaking ties by arrival). */
class MemoryHistory implements HistoryStore {
  private readonly byTarget = new Map<string, HistoryEntry[]>();

  append(entries: readonly HistoryEntry[]): void {
    for (const entry of entries) {
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
   * The index in `list` a ref points at: for a msgid, that entry's index
   * (null if unknown); for a time, the first entry at or after it.
   */
  private index(list: HistoryEntry[], ref: HistoryRef): { at: number; exact: boolean } | null {
    if ('msgid' in ref) {
      const at = list.findIndex((entry) => entry.msgid === ref.msgid);
      return at < 0 ? null : { at, exact: true };
    }
    let at = 0;
    while (at < list.length && (list[at] as HistoryEntry).time < ref.time) at++;
    return { at, exact: false };
  }

  async latest(target: string, limit: number, after?: HistoryRef): Promise<HistoryEntry[]> {
    const list = this.list(target);
    let start = 0;
    if (after !== undefined) {
      const found = this.index(list, after);
      if (found === null) return [];
      start = firstAfter(list, found, after);
    }
    return list.slice(Math.max(start, list.length - limit)).map(copy);
  }

  async before(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.index(list, ref);
    if (found === null) return [];
    return list.slice(Math.max(0, found.at - limit), found.at).map(copy);
  }

  async after(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.index(list, ref);
    if (found === null) return [];
    const start = firstAfter(list, found, ref);
    return list.slice(start, start + limit).map(copy);
  }

  async around(target: string, ref: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const found = this.index(list, ref);
    if (found === null) return [];
    const half = Math.floor(limit / 2);
    const start = Math.max(0, Math.min(found.at - half, list.length - limit));
    return list.slice(start, start + limit).map(copy);
  }

  async between(target: string, from: HistoryRef, to: HistoryRef, limit: number): Promise<HistoryEntry[]> {
    const list = this.list(target);
    const a = this.index(list, from);
    const b = this.index(list, to);
    if (a === null || b === null) return [];
    const start = firstAfter(list, a, from);
    const lo = Math.min(a.at, b.at);
    if (a.at <= b.at) return list.slice(start, Math.min(b.at, start + limit)).map(copy);
    // Backwards: the entries just before `from`, down to `to`.
    const upper = a.at;
    const lower = firstAfter(list, { at: lo, exact: b.exact }, to);
    return list.slice(Math.max(lower, upper - limit), upper).map(copy);
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
    for (const channel of channels) {
      const time = latestIn(this.list(channel));
      if (time !== null) found.push({ target: channel, peerName: null, time });
    }
    if (peer !== null) {
      for (const [target, list] of this.byTarget) {
        const peers = list[0]?.peers;
        if (!peers || !peers.includes(peer)) continue;
        const time = latestIn(list);
        const other = peers[0] === peer ? peers[1] : peers[0];
        if (time !== null) found.push({ target, peerName: other, time });
      }
    }
    found.sort((x, y) => x.time - y.time);
    return found.slice(0, limit);
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
    return true;
  }

  async prune(olderThan: number, keepPerTarget: number): Promise<number> {
    let removed = 0;
    for (const [target, list] of this.byTarget) {
      let drop = 0;
      while (drop < list.length && (list[drop] as HistoryEntry).time < olderThan) drop++;
      if (keepPerTarget > 0) drop = Math.max(drop, list.length - keepPerTarget);
      if (drop > 0) {
        list.splice(0, drop);
        removed += drop;
      }
      if (list.length === 0) this.byTarget.delete(target);
    }
    return removed;
  }
}

/** The index of the first entry strictly after `ref` (a msgid's own entry, or entries at exactly a time, are excluded). */
function firstAfter(list: HistoryEntry[], found: { at: number; exact: boolean }, ref: HistoryRef): number {
  if (found.exact) return found.at + 1;
  let at = found.at;
  const time = (ref as { time: number }).time;
  while (at < list.length && (list[at] as HistoryEntry).time <= time) at++;
  return at;
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
