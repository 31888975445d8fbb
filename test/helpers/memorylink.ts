/**
 * An in-memory transport for the real server: lines in through the same
 * Connection, framer and dispatcher as a socket, lines out recorded (or
 * thrown away, for thousands of clients). A stalled link keeps what it is
 * given as "pending", as a socket whose peer stopped reading keeps it in the
 * kernel: that is how a test fills send queues without real slow sockets.
 */
import type { Link, LinkEvents } from '../../src/net/link.js';
import type { ObrolServer } from '../../src/server/server.js';

let nextPort = 40000;

export class MemoryLink implements Link {
  readonly remotePort = nextPort++;
  readonly secure = false;
  readonly certfp = null;
  private events: LinkEvents | null = null;
  /** Lines written to this client, when recording. */
  readonly lines: string[] = [];
  /** Keep written lines (otherwise they are only counted). */
  record: boolean;
  /** Written bytes are held as pending instead of being taken. */
  stalled = false;
  pending = 0;
  writes = 0;
  ended = false;
  destroyed = false;
  private endedWaiters: Array<() => void> = [];

  constructor(
    readonly remoteAddress = '127.0.0.1',
    options: { record?: boolean } = {},
  ) {
    this.record = options.record ?? true;
  }

  /** A new link, attached to `server` as a fresh connection. */
  static attach(server: ObrolServer, address = '127.0.0.1', options: { record?: boolean } = {}): MemoryLink {
    const link = new MemoryLink(address, options);
    server.attach(link);
    return link;
  }

  start(events: LinkEvents): void {
    this.events = events;
  }

  /** The client sends `text` (lines with their CRLF). */
  send(text: string): void {
    this.events?.onChunk(Buffer.from(text));
  }

  write(lines: readonly Buffer[], totalBytes: number): void {
    this.writes++;
    if (this.stalled) {
      this.pending += totalBytes;
      return;
    }
    if (this.record) for (const line of lines) this.lines.push(line.toString('utf8').replace(/\r\n$/, ''));
  }

  get pendingBytes(): number {
    return this.pending;
  }

  end(): void {
    if (this.ended) return;
    this.markEnded();
    setImmediate(() => this.events?.onClosed());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.ended) this.markEnded();
    setImmediate(() => this.events?.onClosed());
  }

  /** Resolves once the server has ended (or destroyed) this link. */
  whenEnded(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((resolve) => this.endedWaiters.push(resolve));
  }

  private markEnded(): void {
    this.ended = true;
    for (const resolve of this.endedWaiters.splice(0)) resolve();
  }

  /** The peer hangs up. */
  hangUp(): void {
    this.events?.onEnd();
    this.events?.onClosed();
  }
}

/** Let the server flush what it queued this turn (writes happen on setImmediate). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
