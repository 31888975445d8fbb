/**
 * The CHATHISTORY selections over a HistoryStore, keeping only the entries
 * a client may see (`keep`): PRIVMSG and NOTICE without event-playback, and
 * for a caller not logged in, nothing from before they connected. The store
 * counts every entry, so when some are left out the query reads further
 * pages, up to MAX_PAGES, until `limit` kept entries are found.
 */
import type { HistoryEntry, HistoryRef, HistoryStore } from '../store/types.js';

const MAX_PAGES = 16;

export type Keep = (entry: HistoryEntry) => boolean;

export type Selection =
  | { kind: 'LATEST'; after: HistoryRef | null }
  | { kind: 'BEFORE'; ref: HistoryRef }
  | { kind: 'AFTER'; ref: HistoryRef }
  | { kind: 'AROUND'; ref: HistoryRef }
  | { kind: 'BETWEEN'; from: HistoryRef; to: HistoryRef };

/** Entries older than a first page, page by page, newest pages first; returns up to `limit` kept, oldest first. */
async function backward(first: Promise<HistoryEntry[]>, next: (oldest: HistoryEntry) => Promise<HistoryEntry[]>, keep: Keep, limit: number): Promise<HistoryEntry[]> {
  let out: HistoryEntry[] = [];
  let page = await first;
  for (let pages = 1; ; pages++) {
    out = page.filter(keep).concat(out);
    const oldest = page[0];
    if (out.length >= limit || page.length < limit || oldest === undefined || pages >= MAX_PAGES) break;
    page = await next(oldest);
  }
  return out.slice(Math.max(0, out.length - limit));
}

/** As backward(), towards newer entries; returns the first `limit` kept. */
async function forward(first: Promise<HistoryEntry[]>, next: (newest: HistoryEntry) => Promise<HistoryEntry[]>, keep: Keep, limit: number): Promise<HistoryEntry[]> {
  let out: HistoryEntry[] = [];
  let page = await first;
  for (let pages = 1; ; pages++) {
    out = out.concat(page.filter(keep));
    const newest = page.at(-1);
    if (out.length >= limit || page.length < limit || newest === undefined || pages >= MAX_PAGES) break;
    page = await next(newest);
  }
  return out.slice(0, limit);
}

/** The time a ref stands for (a msgid's entry's time), or null for an unknown msgid. */
async function timeOf(store: HistoryStore, ref: HistoryRef): Promise<number | null> {
  if ('time' in ref) return ref.time;
  return (await store.find(ref.msgid))?.time ?? null;
}

/** Up to `limit` entries of `target` that `keep` accepts, oldest first. */
export async function select(store: HistoryStore, target: string, selection: Selection, limit: number, keep: Keep): Promise<HistoryEntry[]> {
  const id = (entry: HistoryEntry): HistoryRef => ({ msgid: entry.msgid });
  switch (selection.kind) {
    case 'LATEST': {
      const after = selection.after;
      if (after === null) return backward(store.latest(target, limit), (oldest) => store.before(target, id(oldest), limit), keep, limit);
      return backward(store.latest(target, limit, after), (oldest) => store.between(target, id(oldest), after, limit), keep, limit);
    }
    case 'BEFORE':
      return backward(store.before(target, selection.ref, limit), (oldest) => store.before(target, id(oldest), limit), keep, limit);
    case 'AFTER':
      return forward(store.after(target, selection.ref, limit), (newest) => store.after(target, id(newest), limit), keep, limit);
    case 'BETWEEN': {
      const { from, to } = selection;
      const [a, b] = await Promise.all([timeOf(store, from), timeOf(store, to)]);
      if (a === null || b === null) return [];
      if (a <= b) return forward(store.between(target, from, to, limit), (newest) => store.between(target, id(newest), to, limit), keep, limit);
      return backward(store.between(target, from, to, limit), (oldest) => store.between(target, id(oldest), to, limit), keep, limit);
    }
    case 'AROUND': {
      // About half before the ref, half after: the store's window, widened
      // when entries are left out, then cut around the ref.
      const at = await timeOf(store, selection.ref);
      if (at === null) return [];
      const wide = await store.around(target, selection.ref, Math.min(limit * 4, limit + 4000));
      const kept = wide.filter(keep);
      const ref = selection.ref;
      let centre = 'msgid' in ref ? kept.findIndex((e) => e.msgid === ref.msgid) : -1;
      if (centre < 0) centre = kept.findIndex((e) => e.time >= at);
      if (centre < 0) centre = kept.length;
      const start = Math.max(0, Math.min(centre - Math.floor(limit / 2), kept.length - limit));
      return kept.slice(start, start + limit);
    }
  }
}
