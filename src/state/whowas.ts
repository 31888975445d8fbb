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

export class WhowasHistory {
  /** Folded nick -> entries, newest last. */
  private readonly byNick = new Map<string, WhowasEntry[]>();
  /** All entries with their folded nick, oldest first, for eviction. */
  private readonly order: Array<{ folded: string; entry: WhowasEntry }> = [];
  private head = 0;

  constructor(public capacity: number) {}

  record(folded: string, entry: WhowasEntry): void {
    if (this.capacity <= 0) return;
    let list = this.byNick.get(folded);
    if (!list) this.byNick.set(folded, (list = []));
    list.push(entry);
    this.order.push({ folded, entry });
    while (this.order.length - this.head > this.capacity) this.evictOldest();
    // Compact the queue now and then so it does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Newest first, at most `limit` entries (0 or less: all). */
  lookup(folded: string, limit: number): WhowasEntry[] {
    const list = this.byNick.get(folded);
    if (!list) return [];
    const newestFirst = list.slice().reverse();
    return limit > 0 ? newestFirst.slice(0, limit) : newestFirst;
  }

  get size(): number {
    return this.order.length - this.head;
  }

  private evictOldest(): void {
    const oldest = this.order[this.head++];
    if (!oldest) return;
    const list = this.byNick.get(oldest.folded);
    if (!list) return;
    list.shift();
    if (list.length === 0) this.byNick.delete(oldest.folded);
  }
}
