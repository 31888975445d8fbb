/**
 * One client connection: lines in (through the framer), bytes out (through a
 * send queue), over any Link (TCP, TLS or WebSocket). Knows nothing of IRC
 * commands.
 *
 * Output is queued and written once per turn of the event loop for all
 * connections that have something to send: a burst of deliveries to one client
 * costs one socket write, not one per line. Past the send-queue limit the
 * connection is declared overflowing: its queue is dropped, it takes no more
 * output, and the owner is told once, so it can close it ("SendQ exceeded")
 * without slowing anyone else.
 *
 * An exception in the owner's handlers, or in the framer, is caught here and
 * reported through onFault: one connection's fault never reaches the socket's
 * event emitter, and so never the process.
 */
import { LineFramer, type LineProblem, type LineSink } from './framer.js';
import type { Link, LinkEvents } from './link.js';

/**
 * What a connection reports to its owner. One handlers object serves all of
 * a server's connections; `owner` (given to start()) says whose connection it
 * is, so no closures are made per client.
 */
export interface ConnectionHandlers<T> {
  onLine(owner: T, line: string, problem: LineProblem, validUtf8: boolean): void;
  /** The queued output passed the send-queue limit. */
  onSendQueueExceeded(owner: T): void;
  /**
   * The peer closed or the socket failed; called once. On a half-close the
   * owner may still write (e.g. ERROR) and then close().
   */
  onClose(owner: T, reason: string): void;
  /** Something threw while handling this connection's input or events: end this connection only. */
  onFault(owner: T, err: unknown): void;
}

/** Bytes read and written, summed over connections (the server's metrics). */
export interface WireCounters {
  bytesIn: number;
  bytesOut: number;
}

/** Where connections made without counters of their own count (refused sockets, tests). */
const UNCOUNTED: WireCounters = { bytesIn: 0, bytesOut: 0 };

/** How long a closing socket may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

const dirty: Connection[] = [];
let flushScheduled = false;

/**
 * What output must wait for before it is written: a gate answers null (go)
 * or a promise. A node of a network over Redis holds replies until the
 * events behind them are in the network's log (server/server.ts), so that
 * a client never learns of a change the other nodes cannot see yet.
 */
export type OutputGate = () => Promise<void> | null;
const gates = new Set<OutputGate>();

/** Add a gate to every connection's output; returns its removal. */
export function addOutputGate(gate: OutputGate): () => void {
  gates.add(gate);
  return () => gates.delete(gate);
}

/** Null when output may go now, else what it waits for. */
function gatesWait(): Promise<unknown> | null {
  if (gates.size === 0) return null;
  const waits: Array<Promise<void>> = [];
  for (const gate of gates) {
    const wait = gate();
    if (wait !== null) waits.push(wait);
  }
  return waits.length === 0 ? null : Promise.all(waits);
}

function flushAll(): void {
  const wait = gatesWait();
  // flushScheduled stays set while waiting: what is queued meanwhile goes in the same flush.
  if (wait !== null) void wait.then(flushNow, flushNow);
  else flushNow();
}

function flushNow(): void {
  flushScheduled = false;
  // Connections flushed here may queue more (for others) only on a later turn.
  const batch = dirty.splice(0, dirty.length);
  for (const conn of batch) conn.flushOrFault();
  if (afterFlush.length > 0) {
    for (const fn of afterFlush.splice(0, afterFlush.length)) {
      try {
        fn();
      } catch {
        // The caller reports its own failures (the store's onError); one must not stop the rest.
      }
    }
  }
}

const afterFlush: Array<() => void> = [];

/**
 * Run `fn` once this turn's output has been handed to the kernel, or now if
 * none is waiting: for work of the turn that must not delay delivery, such
 * as committing the turn's history (store/sqlite.ts).
 */
export function afterOutput(fn: () => void): void {
  if (flushScheduled) afterFlush.push(fn);
  else fn();
}

/** How long output waits for a new client's first bytes (holdOutputUntilInput). */
const CORK_MS = 100;

// Connections held in the same few milliseconds share one timer: a burst of
// accepts makes a handful of timers, not one per connection.
const CORK_BATCH_MS = 10;
let corkBatch: Connection[] | null = null;
let corkBatchAt = 0;

function corkLater(conn: Connection): void {
  const now = Date.now();
  if (corkBatch === null || now - corkBatchAt > CORK_BATCH_MS) {
    const batch: Connection[] = [];
    corkBatch = batch;
    corkBatchAt = now;
    setTimeout(() => {
      if (corkBatch === batch) corkBatch = null;
      for (const held of batch) held.uncork();
    }, CORK_MS).unref();
  }
  corkBatch.push(conn);
}

export class Connection<T = unknown> implements LinkEvents, LineSink {
  private readonly framer: LineFramer;
  /** Output waiting for this turn's flush; null when there is none (an idle client holds no array). */
  private queue: Buffer[] | null = null;
  private queuedBytes = 0;
  /** link.pendingBytes when last read (after each flush). */
  private linkPending = 0;
  private scheduled = false;
  /** Output waits for the client's first bytes (holdOutputUntilInput). */
  private corked = false;
  private closing = false;
  private closed = false;
  /** Passed the send-queue limit: output is dropped from then on. */
  private overflowed = false;
  private notified = false;
  /** Destroys a closing socket that has not drained in time; cleared once it closes, so nothing outlives the socket. */
  private closeTimer: NodeJS.Timeout | null = null;
  private handlers: ConnectionHandlers<T> | null = null;
  private owner!: T;

  constructor(
    readonly link: Link,
    private sendQueueLimit: number,
    maxTagBytes?: number,
    /** Bumped once per chunk read and once per socket write, not per line. */
    private readonly wire: WireCounters = UNCOUNTED,
  ) {
    this.framer = new LineFramer(maxTagBytes);
  }

  get remoteAddress(): string {
    return this.link.remoteAddress;
  }

  get remotePort(): number {
    return this.link.remotePort;
  }

  get secure(): boolean {
    return this.link.secure;
  }

  get certfp(): string | null {
    return this.link.certfp;
  }

  /** Start reading; before this, nothing is read. The connection itself takes the link's events (no closures per client). */
  start(handlers: ConnectionHandlers<T>, owner: T): void {
    this.handlers = handlers;
    this.owner = owner;
    this.link.start(this);
  }

  /**
   * Hold output until the client sends something, or CORK_MS pass: the
   * greeting a server sends on accept then leaves in the same write as the
   * answer to the client's first lines (one socket write per registration,
   * not two). The bytes and their order are unchanged; a client that says
   * nothing first (a person at telnet) gets the greeting CORK_MS later.
   */
  holdOutputUntilInput(): void {
    if (this.corked) return;
    this.corked = true;
    corkLater(this);
  }

  /**
   * Give back the empty queue array (the server's once-a-second sweep): an
   * idle client holds none, a busy one makes one a second at most.
   */
  trimIdle(): void {
    if (this.queue !== null && this.queue.length === 0) this.queue = null;
  }

  /** Let held output go (input arrived, or the hold timed out). */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (this.queuedBytes > 0) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  // LinkEvents, called by the link.
  onChunk(data: Buffer): void {
    if (this.closing) return;
    if (this.corked) this.uncork();
    this.wire.bytesIn += data.length;
    try {
      this.framer.push(data, this);
    } catch (err) {
      this.fault(err);
    }
  }

  onMessage(data: Buffer): void {
    if (this.closing) return;
    if (this.corked) this.uncork();
    this.wire.bytesIn += data.length;
    try {
      this.framer.pushMessage(data, this);
    } catch (err) {
      this.fault(err);
    }
  }

  /** Report a fault to the owner; if even that throws, drop the socket rather than let it escape. */
  private fault(err: unknown): void {
    try {
      this.handlers?.onFault(this.owner, err);
    } catch {
      this.closing = true;
      this.link.destroy();
    }
  }

  // LineSink, called by the framer.
  onLine(line: string, problem: LineProblem, validUtf8: boolean): void {
    this.handlers?.onLine(this.owner, line, problem, validUtf8);
  }

  // Stream listeners allow half-open sockets: when the peer stops sending
  // (`nc -q1`, a pipe into telnet) the owner still answers what it sent, then
  // closes (it may have a command still running).
  onEnd(): void {
    this.notifyClose('Connection closed');
  }

  onError(reason: string): void {
    this.closed = true;
    this.notifyClose(reason);
  }

  onClosed(): void {
    this.closed = true;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    this.notifyClose('Connection closed');
  }

  /** Still taking output: not closing, closed, or over its send queue. */
  get isOpen(): boolean {
    return !this.closing && !this.closed && !this.overflowed;
  }

  /** Bytes waiting: our queue plus what the transport has not handed to the kernel yet. */
  get pendingOutputBytes(): number {
    return this.queuedBytes + this.link.pendingBytes;
  }

  setSendQueueLimit(bytes: number): void {
    this.sendQueueLimit = bytes;
  }

  write(data: Buffer): void {
    if (this.closing || this.closed || this.overflowed) return;
    let queue = this.queue;
    if (queue === null) queue = this.queue = [];
    queue.push(data);
    this.queuedBytes += data.length;
    // The transport's backlog as of the last flush: it only shrinks between
    // flushes, so it is re-read only when the sum looks too big.
    if (this.queuedBytes + this.linkPending > this.sendQueueLimit) {
      this.linkPending = this.link.pendingBytes;
      if (this.queuedBytes + this.linkPending > this.sendQueueLimit) {
        // Only marked here: we may be inside another client's fan-out, and the
        // owner closes it once that is done (never from within it).
        this.overflowed = true;
        this.queue = null;
        this.queuedBytes = 0;
        this.handlers?.onSendQueueExceeded(this.owner);
        return;
      }
    }
    if (!this.corked) this.schedule();
  }

  /** The turn's flush: a transport that throws ends this connection, not the others' flush. */
  flushOrFault(): void {
    try {
      this.flush();
    } catch (err) {
      this.fault(err);
    }
  }

  flush(): void {
    this.scheduled = false;
    const lines = this.queue;
    if (lines === null || lines.length === 0 || this.closed) return;
    const bytes = this.queuedBytes;
    this.queuedBytes = 0;
    this.wire.bytesOut += bytes;
    this.link.write(lines, bytes);
    // Links never keep the array (tcp.ts copies it to remember a joined batch): it is reused, no array per flush.
    lines.length = 0;
    this.linkPending = this.link.pendingBytes;
  }

  /**
   * Send `last` (e.g. the ERROR line) after what is queued, then close. The
   * socket gets a few seconds to drain before it is destroyed.
   */
  close(last?: Buffer, dropQueued = false): void {
    if (this.closing || this.closed) return;
    if (dropQueued || this.overflowed) {
      this.queue = null;
      this.queuedBytes = 0;
    }
    if (last) {
      (this.queue ??= []).push(last);
      this.queuedBytes += last.length;
    }
    this.closing = true;
    // The last lines and the close itself wait for the gates like any output (a QUIT must be in the log first).
    const wait = gatesWait();
    if (wait === null) this.finishClose();
    else void wait.then(() => this.finishClose(), () => this.finishClose());
  }

  private finishClose(): void {
    this.flush();
    if (this.closed) return;
    this.link.end();
    this.closeTimer = setTimeout(() => this.link.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  /** Tell the owner once that the peer is gone (or going), while replies can still be flushed on a half-close. */
  private notifyClose(reason: string): void {
    if (this.notified) return;
    this.notified = true;
    try {
      this.handlers?.onClose(this.owner, reason);
    } catch (err) {
      this.fault(err);
    }
  }
}
