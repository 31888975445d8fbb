/**
 * The first moments of a socket on the TLS and WebSocket ports, before it is
 * a connection: admission is asked at accept, before any TLS handshake or
 * HTTP parsing (the expensive work a flood of sockets would otherwise buy),
 * and the handshake (TLS, then the WebSocket upgrade) must finish within a
 * deadline. A socket refused at accept is closed at once; one that misses the
 * deadline is destroyed. The gate's ticket travels with the socket into the
 * Link, or is given back if the socket never gets that far.
 */
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { normalizeAddress } from './link.js';

/** The owner's admission check, asked for every accepted socket. */
export interface AcceptGate {
  /** A ticket for a socket from `address` (counted against its limits), or why it is refused. */
  admit(address: string): { ticket: unknown } | { refused: string };
  /** The socket went away before it became a connection. */
  release(ticket: unknown): void;
  /**
   * The socket carried a plain HTTP request (the chat page) rather than a
   * connection: it stops counting towards the connection rate (it still
   * counts towards the open sockets until it closes).
   */
  served?(ticket: unknown): void;
  /** A socket that got in was dropped before it became a connection: for the refusal counts. */
  failed?(reason: HandshakeFailure): void;
  /** How long the TLS handshake and WebSocket upgrade may take (asked per socket: REHASH may change it). */
  handshakeMs(): number;
}

/** Why an admitted socket never became a connection. */
export type HandshakeFailure = 'handshake_timeout' | 'tls_failed' | 'origin';

const PENDING = Symbol('obrol.pendingHandshake');

interface Pending {
  ticket: unknown;
  timer: NodeJS.Timeout;
  claimed: boolean;
  /** The gate was told it served plain HTTP (servedHttp). */
  served?: boolean;
  /** What the deadline destroys: raw, or the TLS socket made over it. */
  outer: Socket;
  /** Give the ticket back unless claimed (once). */
  release(): void;
  /** Tell the gate why the handshake failed. */
  fail(reason: HandshakeFailure): void;
}

type Tagged = Socket & { [PENDING]?: Pending };

export interface AdmitOptions {
  /** Ask the gate (false: only the deadline applies, e.g. a trusted proxy whose clients are checked later). */
  check: boolean;
  /** Bytes to write before closing a refused socket (an HTTP 503, say), where the protocol allows. */
  refusal?: (reason: string) => string;
}

/**
 * Ask the gate about a freshly accepted socket. Returns false when refused
 * (the socket is being closed). Otherwise the socket carries its ticket and a
 * deadline until claim(); if it closes first, the ticket is given back.
 */
export function admitSocket(raw: Socket, gate: AcceptGate, options: AdmitOptions = { check: true }): boolean {
  raw.on('error', () => raw.destroy());
  let ticket: unknown = undefined;
  if (options.check) {
    const verdict = gate.admit(normalizeAddress(raw.remoteAddress ?? '0.0.0.0'));
    if ('refused' in verdict) {
      if (options.refusal) raw.end(options.refusal(verdict.refused));
      raw.destroySoon();
      return false;
    }
    ticket = verdict.ticket;
  }
  const pending: Pending = {
    ticket,
    claimed: false,
    outer: raw,
    timer: setTimeout(() => {
      // A socket that fetched the chat page and idles is no failed connection.
      if (!pending.served) pending.fail('handshake_timeout');
      pending.outer.destroy();
    }, gate.handshakeMs()),
    release: () => {
      clearTimeout(pending.timer);
      if (pending.claimed) return;
      pending.claimed = true;
      if (ticket !== undefined) gate.release(ticket);
    },
    fail: (reason) => gate.failed?.(reason),
  };
  pending.timer.unref();
  (raw as Tagged)[PENDING] = pending;
  raw.once('close', pending.release);
  return true;
}

/** Tell the gate, once per socket, that `socket` (raw or TLS) served a plain HTTP request. */
export function servedHttp(socket: Socket, gate: AcceptGate): void {
  const pending = (socket as Tagged)[PENDING];
  if (pending === undefined || pending.claimed || pending.ticket === undefined || pending.served) return;
  pending.served = true;
  gate.served?.(pending.ticket);
}

/** The pending ticket of `raw` (or of the raw socket under a TLS socket made by wrapTls), now owned by the caller. */
export function claim(socket: Socket): unknown {
  const pending = (socket as Tagged)[PENDING];
  if (pending === undefined || pending.claimed) return undefined;
  pending.claimed = true;
  clearTimeout(pending.timer);
  return pending.ticket;
}

/**
 * Start a server-side TLS handshake over `raw`; `onSecure` gets the TLS
 * socket once it completes. The TLS socket shares raw's pending ticket. A
 * client certificate is asked for (its fingerprint) but any, or none, is
 * accepted. A failed handshake just closes the socket.
 */
export function wrapTls(raw: Socket, context: SecureContext, onSecure: (socket: TLSSocket) => void): void {
  const socket = new TLSSocket(raw, { isServer: true, secureContext: context, requestCert: true, rejectUnauthorized: false });
  const pending = (raw as Tagged)[PENDING];
  (socket as Tagged)[PENDING] = pending;
  // The TLS socket takes over raw's handle: raw may never say it closed, so both may give the ticket back.
  if (pending) {
    pending.outer = socket;
    socket.once('close', pending.release);
  }
  const failed = () => {
    pending?.fail('tls_failed');
    socket.destroy();
  };
  socket.on('error', failed);
  socket.once('secure', () => {
    socket.off('error', failed);
    onSecure(socket);
  });
}
