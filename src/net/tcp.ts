/**
 * Plain TCP and TLS listeners, and the Link over a socket. A TLS socket is a
 * socket too, so both share one Link; TLS adds the client certificate's
 * fingerprint when the client presents one.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
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

  constructor(private readonly socket: Socket) {
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
    this.socket.write(lines.length === 1 ? (lines[0] as Buffer) : joined(lines, totalBytes));
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

function joined(lines: readonly Buffer[], totalBytes: number): Buffer {
  if (lastJoined !== null && lines.length === lastLines.length && lastJoined.length === totalBytes && sameBuffers(lines, lastLines)) return lastJoined;
  lastLines = lines;
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
  /** Present for a TLS listener. Replace it later with server.setSecureContext(). */
  tls?: TlsMaterial;
}

/**
 * Listen for plain TCP or TLS clients. Resolves once listening; rejects with a
 * message naming the address and the reason.
 */
export function listenSockets(options: ListenOptions, onLink: (link: Link) => void): Promise<Server> {
  const { host, port, tls } = options;
  const server: Server = tls
    ? createTlsServer(
        // Ask for a client certificate (for its fingerprint) but accept any, or none.
        // Not half-open during the handshake: a peer that hangs up before it ends
        // would otherwise leave the socket open until the handshake timeout (2 min).
        { key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false, allowHalfOpen: false },
        (socket) => {
          socket.allowHalfOpen = true;
          onLink(new SocketLink(socket));
        },
      )
    : createTcpServer({ allowHalfOpen: true }, (socket) => onLink(new SocketLink(socket)));
  // A TLS handshake that fails (a plain client on the TLS port) must not reach the process.
  server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  return listenOn(server, host, port);
}

export function listenOn(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}

export function boundAddress(server: Server): AddressInfo {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server is not listening');
  return address;
}
