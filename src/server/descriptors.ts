/**
 * File descriptors: every client costs one, and so do listeners, log and
 * config files. When none is left, accept(2) fails (EMFILE) and libuv quietly
 * accepts and closes waiting connections, so clients are dropped without a
 * word and nothing else (a REHASH reading a file) can open anything either.
 * The server keeps a reserve instead: past (limit - RESERVE) new clients are
 * refused with a clear ERROR, logged once per episode, and let in again once
 * descriptors are free. The limit is re-read for each turn of the event loop
 * that accepts clients (prlimit may change it at any time; the clients a turn
 * accepts together share one read, ~7 us); the descriptors that are not
 * client sockets are counted now and then (counting /proc/self/fd costs ~1 ms
 * per thousand) and estimated in between. Where /proc is not there, there is
 * no check.
 */
import { openSync, readdirSync, readSync } from 'node:fs';

/** Descriptors kept free for everything that is not a client socket. */
export const RESERVE = 16;
/** How often the descriptors that are not client sockets are recounted. */
const RECOUNT_MS = 30_000;

export class Descriptors {
  private limit: number | null = null;
  /** Open descriptors that are not client sockets (listeners, logs, the runtime's own). */
  private others = 0;
  private countedAt = -Infinity;
  /** The limit was read during this turn of the event loop. */
  private limitRead = false;

  /** Recount the descriptors that are not client sockets, when due or when `force`d (to be sure before refusing). */
  refresh(clientSockets: number, now: number, force = false): void {
    // Before refusing, the limit is read again too.
    if (force) this.limitRead = false;
    if (!force && now - this.countedAt < RECOUNT_MS) return;
    const open = countOpen();
    if (open === null) return;
    this.others = Math.max(0, open - clientSockets);
    this.countedAt = now;
  }

  /** Whether one more client socket leaves the reserve untouched (the limit as it is now). */
  hasRoom(clientSockets: number): boolean {
    if (!this.limitRead) {
      this.limit = readLimit();
      this.limitRead = true;
      setImmediate(() => {
        this.limitRead = false;
      });
    }
    return this.limit === null || this.others + clientSockets + 1 + RESERVE <= this.limit;
  }

  get sizes(): { limit: number | null; others: number } {
    return { limit: this.limit, others: this.others };
  }
}

/**
 * /proc/self/limits stays open and is read again from its start: a read of
 * an open file costs less than half of readFileSync's open, stat, read and
 * close. undefined: not opened yet; null: not there (no check).
 */
let limitsFd: number | null | undefined;
const limitsText = Buffer.allocUnsafe(4096);

function readLimit(): number | null {
  try {
    if (limitsFd === undefined) limitsFd = openSync('/proc/self/limits', 'r');
    if (limitsFd === null) return null;
    const text = limitsText.toString('latin1', 0, readSync(limitsFd, limitsText, 0, limitsText.length, 0));
    const at = text.indexOf('Max open files');
    const soft = at < 0 ? undefined : /^\s*(\S+)/.exec(text.slice(at + 'Max open files'.length))?.[1];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    limitsFd ??= null;
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
