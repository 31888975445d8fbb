/**
 * WebSocket clients, following https://ircv3.net/specs/extensions/websocket:
 * the `binary.ircv3.net` and `text.ircv3.net` subprotocols (the client's
 * preference wins), one IRC line per message without CR/LF, text frames
 * always valid UTF-8. Optionally over TLS.
 *
 * Browsers send an Origin header, checked against an allow-list; programs
 * (Node's or Deno's ws clients) usually send none and are admitted. Behind a
 * reverse proxy, the client's address is taken from X-Forwarded-For, but
 * only from proxies listed as trusted.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { BlockList, isIP, type Server } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { wildcardMatch } from '../protocol/wildcard.js';
import { MAX_LINE_BYTES } from './framer.js';
import { normalizeAddress, type Link, type LinkEvents } from './link.js';
import { listenOn, type TlsMaterial } from './tcp.js';

export const SUBPROTOCOLS = ['binary.ircv3.net', 'text.ircv3.net'] as const;

export interface WebSocketListenOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  /** Allowed Origin values (wildcards allowed, '*' for any). Clients sending no Origin are always admitted. */
  origins: readonly string[];
  /** Addresses or CIDR blocks of reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
}

export class WebSocketLink implements Link {
  readonly certfp = null;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly secure: boolean,
    /** binary.ircv3.net was negotiated: send binary messages, else text. */
    private readonly binary: boolean,
  ) {}

  start(events: LinkEvents): void {
    const ws = this.ws;
    ws.on('message', (data: RawData) => events.onMessage(toBuffer(data)));
    ws.on('error', (err: Error) => events.onError(`WebSocket error: ${err.message}`));
    ws.on('close', () => events.onClosed());
  }

  write(lines: readonly Buffer[]): void {
    for (const line of lines) this.ws.send(line.subarray(0, line.length - 2), { binary: this.binary });
  }

  get pendingBytes(): number {
    return this.ws.bufferedAmount;
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Parse a list of addresses and CIDR blocks; throws naming the bad entry. */
export function parseAddressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR block`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has an invalid prefix length`);
    list.addSubnet(address, bits, type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket peer, or, when that peer is a trusted
 * proxy, the last address in X-Forwarded-For that is not itself a trusted proxy.
 */
export function clientAddress(request: IncomingMessage, trusted: BlockList): string {
  let address = normalizeAddress(request.socket.remoteAddress ?? '0.0.0.0');
  if (!isTrusted(trusted, address)) return address;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => hop.trim()).filter(Boolean);
  for (let k = hops.length - 1; k >= 0; k--) {
    const hop = normalizeAddress(hops[k] as string);
    if (isIP(hop) === 0) break;
    address = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return address;
}

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  const folded = origin.toLowerCase();
  return allowed.some((pattern) => pattern === '*' || wildcardMatch(pattern.toLowerCase(), folded));
}

export interface WebSocketListener {
  server: Server;
  /** Stop accepting; connected clients stay until they or the server close them. */
  close(): void;
  /** New Origin allow-list and trusted proxies, for the next connections. */
  update(origins: readonly string[], trustedProxies: readonly string[]): void;
}

export async function listenWebSocket(options: WebSocketListenOptions, onLink: (link: Link) => void): Promise<WebSocketListener> {
  let trusted = parseAddressList(options.trustedProxies);
  let origins = options.origins;
  const http: HttpServer = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : createHttpServer();
  http.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('This is an IRC server: connect with a WebSocket (subprotocol text.ircv3.net or binary.ircv3.net).\n');
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: MAX_LINE_BYTES + 2,
    handleProtocols: (offered) => {
      for (const protocol of offered) if ((SUBPROTOCOLS as readonly string[]).includes(protocol)) return protocol;
      return false;
    },
    verifyClient: (info, done) => {
      if (originAllowed(info.origin, origins)) done(true);
      else done(false, 403, 'Origin not allowed');
    },
  });
  wss.on('connection', (ws, request) => {
    const address = clientAddress(request, trusted);
    onLink(new WebSocketLink(ws, address, request.socket.remotePort ?? 0, options.tls !== undefined, ws.protocol === 'binary.ircv3.net'));
  });
  await listenOn(http, options.host, options.port);
  return {
    server: http,
    close: () => {
      wss.close();
      http.close();
    },
    update: (newOrigins, newTrusted) => {
      origins = newOrigins;
      trusted = parseAddressList(newTrusted);
    },
  };
}
