/**
 * One client socket: lines in (through the framer), bytes out (through a send
 * queue). Knows nothing of IRC commands.
 *
 * Output is queued and written once per turn of the event loop for all
 * connections that have something to send: a burst of deliveries to one client
 * costs one socket write, not one per line. Past the send-queue limit the
 * connection is declared overflowing and the owner closes it ("SendQ exceeded")
 * without slowing anyone else.
 */
import type { Socket } from 'node:net';
import { LineFramer, type LineHandler } from './framer.js';

export interface ConnectionHandlers {
  onLine: LineHandler;
  /** The queued output passed the send-queue limit. */
  onSendQueueExceeded(): void;
  /**
   * The peer closed or the socket failed; called once. On a half-close the
   * owner may still write (e.g. ERROR) and then close().
   */
  onClose(reason: string): void;
}

/** How long a closing socket may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

const dirty: Connection[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  // Connections flushed here may queue more (for others) only on a later turn.
  const batch = dirty.splice(0, dirty.length);
  for (const conn of batch) conn.flush();
}

export class Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private readonly framer = new LineFramer();
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closing = false;
  private closed = false;
  private notified = false;
  private handlers: ConnectionHandlers | null = null;

  constructor(
    private readonly socket: Socket,
    private sendQueueLimit: number,
  ) {
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '0.0.0.0');
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(true);
  }

  /** Start reading; before this, nothing is read. */
  start(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.closing) this.framer.push(chunk, handlers.onLine);
    });
    // allowHalfOpen is set on the listener: when the peer stops sending (`nc -q1`,
    // a pipe into telnet) we still flush the replies to what it sent, then close.
    // The owner closes once it has answered (it may have a command still running).
    socket.on('end', () => this.notifyClose('Connection closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = true;
      this.notifyClose(socketErrorReason(err));
    });
    socket.on('close', () => {
      this.closed = true;
      this.notifyClose('Connection closed');
    });
  }

  get isOpen(): boolean {
    return !this.closing && !this.closed;
  }

  /** Bytes waiting: our queue plus what the socket has not handed to the kernel yet. */
  get pendingOutputBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  setSendQueueLimit(bytes: number): void {
    this.sendQueueLimit = bytes;
  }

  write(data: Buffer): void {
    if (this.closing || this.closed) return;
    this.queue.push(data);
    this.queuedBytes += data.length;
    if (this.queuedBytes + this.socket.writableLength > this.sendQueueLimit) {
      this.handlers?.onSendQueueExceeded();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    const data = this.queue.length === 1 ? (this.queue[0] as Buffer) : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    this.socket.write(data);
  }

  /**
   * Send `last` (e.g. the ERROR line) after what is queued, then close. The
   * socket gets a few seconds to drain before it is destroyed.
   */
  close(last?: Buffer, dropQueued = false): void {
    if (this.closing || this.closed) return;
    if (dropQueued) {
      this.queue = [];
      this.queuedBytes = 0;
    }
    if (last) {
      this.queue.push(last);
      this.queuedBytes += last.length;
    }
    this.flush();
    this.closing = true;
    if (this.closed) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Tell the owner once that the peer is gone (or going), while replies can still be flushed on a half-close. */
  private notifyClose(reason: string): void {
    if (this.notified) return;
    this.notified = true;
    this.handlers?.onClose(reason);
  }

}

/** IPv4 clients on a dual-stack socket appear as ::ffff:1.2.3.4; show them as 1.2.3.4. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function socketErrorReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'EPIPE':
      return 'Broken pipe';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    default:
      return `Read error: ${err.code ?? err.message}`;
  }
}
