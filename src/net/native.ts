/**
 * The native socket transport: plain TCP listeners whose connections are
 * driven by the epoll addon in native/transport.cc (built at install by
 * native/build.mjs). Per wake-up of the event loop the addon reads every
 * ready socket into one shared buffer and calls onBatch() once; writes go
 * straight to writev(2). A connection is a NativeLink: an id and a few
 * fields, no net.Socket, no stream state, no per-read Buffer from libuv.
 *
 * When the addon is not built (no compiler at install, not Linux) the
 * listeners fall back to Node's sockets (net/tcp.ts); loadNative() says why.
 */
import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import { isIP, type AddressInfo } from 'node:net';
import { constants } from 'node:os';
import { acceptErrors, joinedLines, type AcceptErrorSink } from './tcp.js';
import { normalizeAddress, socketErrorReason, type Link, type LinkEvents } from './link.js';

interface Addon {
  init(onBatch: (count: number) => void, events: Int32Array, arena: Buffer): void;
  listen(ip: string, port: number, backlog: number): number;
  localPort(id: number): number;
  closeListener(id: number): void;
  /** Bytes still queued in the addon after the write (0: all taken by the kernel), -1: closed or ended. */
  write(id: number, data: Buffer): number;
  pending(id: number): number;
  end(id: number): void;
  destroy(id: number): void;
  /** [open descriptors, bytes queued, output buffer capacity]. */
  stats(): [number, number, number];
}

// The addon's event records (native/transport.cc): six ints each.
const RECORD = 6;
const EV_ACCEPT = 1;
const EV_DATA = 2;
const EV_EOF = 3;
const EV_ERROR = 4;
const EV_CLOSED = 5;
const EV_DRAINED = 6;
const EV_ACCEPT_ERROR = 7;
const BATCH_EVENTS = 4096;
const ARENA_BYTES = 1 << 20;
/**
 * Connections the kernel may hold waiting for accept (capped by
 * net.core.somaxconn). Node uses 511; a burst of a thousand connects then
 * overflows it and clients wait for SYN retransmits (1 s, 3 s, ...).
 */
const BACKLOG = 4096;

let addon: Addon | null = null;
let loadError: string | null = null;
let loaded = false;
let events: Int32Array;
let arena: Buffer;
const links: Array<NativeLink | undefined> = [];
const listeners: Array<NativeListener | undefined> = [];

/** The addon, initialised, or null; `nativeUnavailable()` then says why. */
function loadNative(): Addon | null {
  if (loaded) return addon;
  loaded = true;
  try {
    const require = createRequire(import.meta.url);
    // dist/net/native.js and src/net/native.ts are both two levels below the package root.
    const candidate = require('../../build/Release/obrol_transport.node') as Addon;
    events = new Int32Array(RECORD * BATCH_EVENTS);
    arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
    candidate.init(onBatch, events, arena);
    addon = candidate;
  } catch (err) {
    loadError = err instanceof Error ? err.message.split('\n')[0] ?? String(err) : String(err);
  }
  return addon;
}

/** Null when the native transport can be used, else why not (for the log and errors). */
export function nativeUnavailable(): string | null {
  if (process.platform !== 'linux') return 'it needs Linux';
  // Runs the fallback on a machine that has the addon (tests, or to rule the addon out).
  if (process.env.OBROL_NO_NATIVE) return 'OBROL_NO_NATIVE is set';
  return loadNative() === null ? `the addon is not built (${loadError}); run \`npm run build:native\`` : null;
}

/** What the addon holds now: open descriptors and output waiting for the kernel. */
export function nativeStats(): { descriptors: number; queuedBytes: number; bufferBytes: number } | null {
  if (addon === null) return null;
  const [descriptors, queuedBytes, bufferBytes] = addon.stats();
  return { descriptors, queuedBytes, bufferBytes };
}

/** One wake-up's events, in order. The arena and the events array are reused after this returns. */
function onBatch(count: number): void {
  for (let i = 0; i < count; i++) {
    const o = i * RECORD;
    const type = events[o] as number;
    const id = events[o + 1] as number;
    try {
      switch (type) {
        case EV_DATA:
          links[id]?.data(arena, events[o + 2] as number, events[o + 3] as number);
          break;
        case EV_ACCEPT:
          accepted(id, events[o + 2] as number, arena.toString('latin1', events[o + 3] as number, (events[o + 3] as number) + (events[o + 4] as number)), events[o + 5] as number);
          break;
        case EV_EOF:
          links[id]?.eof();
          break;
        case EV_ERROR:
          links[id]?.error(events[o + 2] as number);
          break;
        case EV_CLOSED: {
          const link = links[id];
          links[id] = undefined;
          link?.closed();
          break;
        }
        case EV_DRAINED:
          links[id]?.drained();
          break;
        case EV_ACCEPT_ERROR:
          listeners[id]?.acceptError(events[o + 2] as number);
          break;
      }
    } catch {
      // Owners catch their own faults (net/connection.ts); this only keeps one
      // event's failure from costing the rest of the batch.
    }
  }
}

function accepted(id: number, listenerId: number, address: string, port: number): void {
  const listener = listeners[listenerId];
  if (listener === undefined || listener.closing) {
    (addon as Addon).destroy(id);
    return;
  }
  const link = new NativeLink(id, normalizeAddress(address), port, listener);
  links[id] = link;
  listener.open++;
  listener.onLink(link);
}

let errnoNames: Map<number, string> | null = null;
function errnoCode(errno: number): string {
  if (errnoNames === null) {
    errnoNames = new Map();
    for (const [name, value] of Object.entries(constants.errno)) errnoNames.set(value, name);
  }
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

function errnoError(errno: number): NodeJS.ErrnoException {
  const code = errnoCode(errno);
  const err: NodeJS.ErrnoException = new Error(code);
  err.code = code;
  err.errno = errno;
  return err;
}

/** A client connection on the native transport. */
export class NativeLink implements Link {
  readonly secure = false;
  readonly certfp = null;
  private events: LinkEvents | null = null;
  /** What arrived before start(): copies of the chunks, then 'eof' / a reason / 'closed'. */
  private early: Array<Buffer | string> | null = null;
  /** Bytes the addon held after the last write (0 until a write is short). */
  private queued = 0;

  constructor(
    private id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly listener: NativeListener,
  ) {}

  start(events: LinkEvents): void {
    this.events = events;
    const early = this.early;
    this.early = null;
    if (early === null) return;
    for (const item of early) {
      if (typeof item !== 'string') events.onChunk(item);
      else if (item === '\0eof') events.onEnd();
      else if (item === '\0closed') events.onClosed();
      else events.onError(item);
    }
  }

  private hold(item: Buffer | string): void {
    (this.early ??= []).push(item);
  }

  data(source: Buffer, start: number, length: number): void {
    if (this.events !== null) this.events.onChunk(source.subarray(start, start + length));
    else this.hold(Buffer.from(source.subarray(start, start + length)));
  }

  eof(): void {
    if (this.events !== null) this.events.onEnd();
    else this.hold('\0eof');
  }

  error(errno: number): void {
    const reason = socketErrorReason(errnoError(errno));
    if (this.events !== null) this.events.onError(reason);
    else this.hold(reason);
  }

  closed(): void {
    this.id = -1;
    this.queued = 0;
    this.listener.linkClosed();
    if (this.events !== null) this.events.onClosed();
    else this.hold('\0closed');
  }

  drained(): void {
    // Asked, not assumed 0: a write in this same batch may have queued more since.
    this.queued = this.id >= 0 ? (addon as Addon).pending(this.id) : 0;
  }

  write(lines: readonly Buffer[], totalBytes: number): void {
    if (this.id < 0) return;
    const left = (addon as Addon).write(this.id, lines.length === 1 ? (lines[0] as Buffer) : joinedLines(lines, totalBytes));
    this.queued = left > 0 ? left : 0;
  }

  get pendingBytes(): number {
    if (this.queued === 0 || this.id < 0) return 0;
    this.queued = (addon as Addon).pending(this.id);
    return this.queued;
  }

  end(): void {
    if (this.id >= 0) (addon as Addon).end(this.id);
  }

  destroy(): void {
    if (this.id >= 0) (addon as Addon).destroy(this.id);
  }
}

/** A plain TCP listener on the native transport. */
export class NativeListener {
  /** Connections it accepted that are not closed yet. */
  open = 0;
  closing = false;
  private whenEmpty: Array<() => void> = [];

  constructor(
    private readonly id: number,
    private readonly bound: AddressInfo,
    readonly onLink: (link: Link) => void,
    private readonly onAcceptError: (err: NodeJS.ErrnoException) => void,
  ) {}

  address(): AddressInfo {
    return this.bound;
  }

  acceptError(errno: number): void {
    this.onAcceptError(errnoError(errno));
  }

  linkClosed(): void {
    this.open--;
    if (this.open === 0 && this.closing) for (const resolve of this.whenEmpty.splice(0)) resolve();
  }

  /** Stop accepting; resolves once every connection it accepted is closed (as a net.Server's close does). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      listeners[this.id] = undefined;
      (addon as Addon).closeListener(this.id);
    }
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenEmpty.push(resolve));
  }
}

/**
 * Listen on host:port with the native transport. Rejects with a message
 * naming the address and the reason, like listenOn() in net/tcp.ts.
 */
export async function listenNative(host: string, port: number, onLink: (link: Link) => void, onAcceptError: AcceptErrorSink = () => {}): Promise<NativeListener> {
  const native = loadNative();
  if (native === null) throw new Error(`cannot listen on ${host}:${port}: the native transport is unavailable (${loadError})`);
  let ip = host;
  if (isIP(host) === 0) {
    try {
      ip = (await lookup(host)).address;
    } catch {
      throw new Error(`cannot listen on ${host}:${port}: cannot resolve ${host}`);
    }
  }
  let id: number;
  try {
    id = native.listen(ip, port, BACKLOG);
  } catch (err) {
    const code = errnoCode((err as NodeJS.ErrnoException).errno ?? 0);
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`cannot listen on ${host}:${port}: ${why}`);
  }
  const family = isIP(ip) === 6 ? 'IPv6' : 'IPv4';
  const listener = new NativeListener(id, { address: ip, family, port: native.localPort(id) }, onLink, acceptErrors(onAcceptError));
  listeners[id] = listener;
  return listener;
}
