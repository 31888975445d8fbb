/**
 * WHOWAS history: the last N users who quit or changed nick, oldest dropped first.
 */
export interface WhowasEntry {
  nick: string;
  username: string;
  host: string;
  realname: string;
  server: string;
  /** Unix seconds when the nick was given up. */
  at: number;
}

/** Entries kept for one nick: newer ones push its oldest out, so one nick cannot own the history. */
export const WHOWAS_PER_NICK = 10;

/** One recorded entry; `live` turns false when it is dropped early (per-nick cap). */
interface Slot {
  folded: string;
  entry: WhowasEntry;
  live: boolean;
}

export class WhowasHistory {
  /** Folded nick -> its live slots, newest last. */
  private readonly byNick = new Map<string, Slot[]>();
  /** Every slot, oldest first, for eviction; dropped ones are skipped when reached. */
  private readonly order: Slot[] = [];
  private head = 0;
  private live = 0;

  constructor(
    public capacity: number,
    /** At most this many entries per nick (at least 1). */
    public perNick = WHOWAS_PER_NICK,
  ) {}

  record(folded: string, entry: WhowasEntry): void {
    if (this.capacity <= 0) return;
    let list = this.byNick.get(folded);
    if (!list) this.byNick.set(folded, (list = []));
    const slot: Slot = { folded, entry, live: true };
    list.push(slot);
    this.order.push(slot);
    this.live++;
    while (list.length > Math.max(1, this.perNick)) this.drop(list.shift() as Slot);
    while (this.live > this.capacity) this.evictOldest();
    // Compact the queue now and then so it does not grow without bound: evicted
    // slots sit before head, slots dropped by the per-nick cap anywhere after it.
    if (this.order.length > 2 * this.live + 1024) {
      const kept = this.order.filter((slot, index) => index >= this.head && slot.live);
      this.order.length = 0;
      for (const slot of kept) this.order.push(slot);
      this.head = 0;
    }
  }

  /** Newest first, at most `limit` entries (0 or less: all). */
  lookup(folded: string, limit: number): WhowasEntry[] {
    const list = this.byNick.get(folded);
    if (!list) return [];
    const newestFirst = list.map((slot) => slot.entry).reverse();
    return limit > 0 ? newestFirst.slice(0, limit) : newestFirst;
  }

  get size(): number {
    return this.live;
  }

  private drop(slot: Slot): void {
    slot.live = false;
    this.live--;
  }

  private evictOldest(): void {
    while (this.head < this.order.length) {
      const oldest = this.order[this.head++] as Slot;
      if (!oldest.live) continue;
      this.drop(oldest);
      const list = this.byNick.get(oldest.folded);
      if (!list) return;
      list.shift();
      if (list.length === 0) this.byNick.delete(oldest.folded);
      return;
    }
  }
}
