/**
 * The transport under a connection: a TCP or TLS socket (a byte stream) or a
 * WebSocket (one IRC line per message). A Connection drives a Link and never
 * needs to know which one it is.
 */
export interface LinkEvents {
  /** Bytes from a stream transport, to be framed into lines. */
  onChunk(data: Buffer): void;
  /** One whole line from a message transport (WebSocket), without CR/LF. */
  onMessage(data: Buffer): void;
  /** The peer will send nothing more (it may still read). */
  onEnd(): void;
  /** The transport failed; it is closed or closing. */
  onError(reason: string): void;
  /** The transport is closed. */
  onClosed(): void;
}

export interface Link {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** TLS (directly, or a WebSocket over TLS). */
  readonly secure: boolean;
  /** SHA-256 fingerprint of the client's certificate, lower-case hex, or null. */
  readonly certfp: string | null;
  /** What the accept gate gave this socket, when it was admitted before its handshake (see handshake.ts). */
  readonly ticket?: unknown;
  start(events: LinkEvents): void;
  /** Write lines (each ending in CRLF), in order. */
  write(lines: readonly Buffer[], totalBytes: number): void;
  /** Bytes accepted by write() that the operating system has not taken yet. */
  readonly pendingBytes: number;
  /** Close gracefully after what was written. */
  end(): void;
  destroy(): void;
}

/** IPv4 clients on a dual-stack socket appear as ::ffff:1.2.3.4; show them as 1.2.3.4. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function socketErrorReason(err: NodeJS.ErrnoException): string {
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
