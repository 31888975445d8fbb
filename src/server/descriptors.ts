/**
 * File descriptors: every client costs one, and so do listeners, log and
 * config files. When none is left, accept(2) fails (EMFILE) and libuv quietly
 * accepts and closes waiting connections, so clients are dropped without a
 * word and nothing else (a REHASH reading a file) can open anything either.
 * The server keeps a reserve instead: past (limit - RESERVE) new clients are
 * refused with a clear ERROR, logged once per episode, and let in again once
 * descriptors are free. The limit is re-read for each new client (a few
 * microseconds; prlimit may change it at any time); the descriptors that are
 * not client sockets are counted now and then (counting /proc/self/fd costs
 * ~1 ms per thousand) and estimated in between. Where /proc is not there,
 * there is no check.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors kept free for everything that is not a client socket. */
export const RESERVE = 16;
/** How often the descriptors that are not client sockets are recounted. */
const RECOUNT_MS = 30_000;

export class Descriptors {
  private limit: number | null = null;
  /** Open descriptors that are not client sockets (listeners, logs, the runtime's own). */
  private others = 0;
  private countedAt = -Infinity;

  /** Recount the descriptors that are not client sockets, when due or when `force`d (to be sure before refusing). */
  refresh(clientSockets: number, now: number, force = false): void {
    if (!force && now - this.countedAt < RECOUNT_MS) return;
    const open = countOpen();
    if (open === null) return;
    this.others = Math.max(0, open - clientSockets);
    this.countedAt = now;
  }

  /** Whether one more client socket leaves the reserve untouched (the limit as it is now). */
  hasRoom(clientSockets: number): boolean {
    this.limit = readLimit();
    return this.limit === null || this.others + clientSockets + 1 + RESERVE <= this.limit;
  }

  get sizes(): { limit: number | null; others: number } {
    return { limit: this.limit, others: this.others };
  }
}

function readLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

function countOpen(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
