/**
 * Plain TCP and TLS listeners, and the Link over a socket. A TLS socket is a
 * socket too, so both share one Link; TLS adds the client certificate's
 * fingerprint when the client presents one.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { admitSocket, claim, wrapTls, type AcceptGate } from './handshake.js';
import { normalizeAddress, socketErrorReason, type Link, type LinkEvents } from './link.js';

// The socket listeners are shared by every socket: an emitter calls a listener
// with `this` set to itself, and the socket carries its LinkEvents under a
// symbol. Four closures per client would cost more than the whole User.
const EVENTS = Symbol('obrol.linkEvents');
type EventedSocket = Socket & { [EVENTS]: LinkEvents };

function onData(this: EventedSocket, chunk: Buffer): void {
  this[EVENTS].onChunk(chunk);
}

function onEnd(this: EventedSocket): void {
  this[EVENTS].onEnd();
}

function onError(this: EventedSocket, err: NodeJS.ErrnoException): void {
  this[EVENTS].onError(socketErrorReason(err));
}

function onClose(this: EventedSocket): void {
  this[EVENTS].onClosed();
}

export class SocketLink implements Link {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  readonly certfp: string | null;
  readonly ticket: unknown;

  constructor(private readonly socket: Socket) {
    this.ticket = claim(socket);
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '0.0.0.0');
    this.remotePort = socket.remotePort ?? 0;
    const tlsSocket = socket as TLSSocket;
    this.secure = tlsSocket.encrypted === true;
    this.certfp = this.secure ? fingerprint(tlsSocket) : null;
    socket.setNoDelay(true);
  }

  start(events: LinkEvents): void {
    const socket = this.socket as EventedSocket;
    socket[EVENTS] = events;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  write(lines: readonly Buffer[], totalBytes: number): void {
    this.socket.write(lines.length === 1 ? (lines[0] as Buffer) : joinedLines(lines, totalBytes));
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// In a channel's fan-out every member gets the same lines (the same Buffers)
// in the same turn, and connections are flushed one after another: the last
// joined batch is reused while the next connection's lines are the same, so a
// channel of a thousand costs one copy per turn, not a thousand.
let lastLines: readonly Buffer[] = [];
let lastJoined: Buffer | null = null;

export function joinedLines(lines: readonly Buffer[], totalBytes: number): Buffer {
  if (lastJoined !== null && lines.length === lastLines.length && lastJoined.length === totalBytes && sameBuffers(lines, lastLines)) return lastJoined;
  // A copy: the caller's array is reused for its next lines.
  lastLines = lines.slice();
  lastJoined = Buffer.concat(lines, totalBytes);
  return lastJoined;
}

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The client certificate's SHA-256 fingerprint as lower-case hex without colons (the usual certfp form). */
function fingerprint(socket: TLSSocket): string | null {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return null;
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** PEM key and certificate chain, as read (and checked) by net/tlsfiles.ts. */
export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Present for a TLS listener. Replace it later with the listener's setTls(). */
  tls?: TlsMaterial;
  /** Asked at accept, before the TLS handshake (TLS listeners only: a plain one is checked by the owner at once). */
  gate?: AcceptGate;
  onAcceptError?: AcceptErrorSink;
}

export interface SocketListener {
  server: Server;
  /** A new key and certificate for the next TLS handshakes (REHASH). */
  setTls(tls: TlsMaterial): void;
}

/**
 * Listen for plain TCP or TLS clients. Resolves once listening; rejects with a
 * message naming the address and the reason. A TLS socket is admitted by the
 * gate when accepted, then has gate.handshakeMs to finish its handshake.
 */
export async function listenSockets(options: ListenOptions, onLink: (link: Link) => void): Promise<SocketListener> {
  const { host, port, tls } = options;
  const gate = options.gate;
  let context: SecureContext | null = tls ? createSecureContext({ key: tls.key, cert: tls.cert }) : null;
  const server: Server = context
    ? // Not half-open during the handshake: a peer that hangs up must not hold a socket open.
      createTcpServer({ allowHalfOpen: false }, (raw) => {
        if ((gate && !admitSocket(raw, gate)) || context === null) return;
        wrapTls(raw, context, (socket) => {
          socket.allowHalfOpen = true;
          onLink(new SocketLink(socket));
        });
      })
    : createTcpServer({ allowHalfOpen: true }, (socket) => onLink(new SocketLink(socket)));
  await listenOn(server, host, port, options.onAcceptError);
  return { server, setTls: (material) => (context = createSecureContext({ key: material.key, cert: material.cert })) };
}

export function listenOn(server: Server, host: string, port: number, onAcceptError: AcceptErrorSink = () => {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      server.on('error', acceptErrors(onAcceptError));
      resolve(server);
    });
  });
}

/**
 * Errors of a listening server come from accept(2): running out of file
 * descriptors (EMFILE, ENFILE) is the one that matters. libuv then accepts and
 * closes the waiting connections with a reserved descriptor, so the listener
 * does not spin, and accepting resumes by itself once descriptors are free.
 * The owner hears of the first error of each episode (a quiet 10 s ends one),
 * so it logs once, not once per refused socket. Without a listener here the
 * error would end the process.
 */
export type AcceptErrorSink = (err: NodeJS.ErrnoException) => void;

const EPISODE_MS = 10_000;

export function acceptErrors(sink: AcceptErrorSink): (err: NodeJS.ErrnoException) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last > EPISODE_MS) sink(err);
    last = now;
  };
}

export function boundAddress(server: Server): AddressInfo {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server is not listening');
  return address;
}
