/**
 * WebSocket clients, following https://ircv3.net/specs/extensions/websocket:
 * the `binary.ircv3.net` and `text.ircv3.net` subprotocols (the client's
 * preference wins), one IRC line per message without CR/LF, text frames
 * always valid UTF-8. Optionally over TLS.
 *
 * Browsers send an Origin header, checked against an allow-list that is
 * empty unless configured: a page must be allowed explicitly. A request
 * without Origin (programs such as Node's ws client) follows the same rule:
 * only '*' admits it. Behind a reverse proxy, the client's address is taken
 * from X-Forwarded-For, but only from proxies listed as trusted.
 *
 * With the web client on, plain HTTP requests get the chat page (webpage.ts)
 * instead of 426, and the page's own origin is admitted besides the list:
 * an Origin equal to this listener's scheme and the Host the browser asked
 * for, bounded against DNS rebinding as ownOrigin() explains.
 *
 * Sockets are admitted when accepted, before the TLS handshake or any HTTP
 * parsing (handshake.ts), except those from a trusted proxy, whose clients
 * are only known from the upgrade request; the handshake and the upgrade
 * together must finish within the gate's deadline.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { BlockList, createServer as createTcpServer, isIP, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { wildcardMatch } from '../protocol/wildcard.js';
import { MAX_LINE_BYTES } from './framer.js';
import { admitSocket, claim, servedHttp, wrapTls, type AcceptGate } from './handshake.js';
import { loadWebPage, ownOrigin, sameOrigin, serveWebPage, type WebPage } from './webpage.js';
import { normalizeAddress, type Link, type LinkEvents } from './link.js';
import { listenOn, type AcceptErrorSink, type TlsMaterial } from './tcp.js';

export const SUBPROTOCOLS = ['binary.ircv3.net', 'text.ircv3.net'] as const;

export interface WebSocketListenOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  /** Allowed Origin values (wildcards allowed, '*' for any, which alone also admits requests without Origin). */
  origins: readonly string[];
  /** Addresses or CIDR blocks of reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
  /** Serve the chat page at / and admit its own origin. */
  webClient?: boolean;
  /** Host names (besides IPs and localhost) under which the page's own origin is admitted. */
  webHosts?: readonly string[];
  /** Where the page's files are (default: dist/web of this package). */
  webDir?: string;
  gate: AcceptGate;
  onAcceptError?: AcceptErrorSink;
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
    readonly ticket: unknown = undefined,
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
    const hop = normalizeAddress(hopAddress(hops[k] as string));
    if (isIP(hop) === 0) break;
    address = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return address;
}

/** The address of one X-Forwarded-For hop, which proxies may write with a port or in brackets: 1.2.3.4:5678, [2001:db8::1]:443. */
export function hopAddress(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : hop;
  }
  const colon = hop.indexOf(':');
  // One colon: IPv4 with a port. More: a bare IPv6 address.
  if (colon > 0 && colon === hop.lastIndexOf(':')) return hop.slice(0, colon);
  return hop;
}

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === '') return allowed.includes('*');
  const folded = origin.toLowerCase();
  return allowed.some((pattern) => pattern === '*' || wildcardMatch(pattern.toLowerCase(), folded));
}

export interface WebSocketSettings {
  origins: readonly string[];
  trustedProxies: readonly string[];
  webClient?: boolean;
  webHosts?: readonly string[];
  tls?: TlsMaterial;
}

export interface WebSocketListener {
  server: Server;
  /** The chat page's files, or null when the web client is off or the page is not built. */
  readonly page: WebPage | null;
  /** Stop accepting; connected clients stay until they or the server close them. */
  close(): void;
  /** New lists, web client settings (the page is read again) and TLS material, for the next connections. */
  update(settings: WebSocketSettings): void;
}

export async function listenWebSocket(options: WebSocketListenOptions, onLink: (link: Link) => void): Promise<WebSocketListener> {
  let trusted = parseAddressList(options.trustedProxies);
  let origins = options.origins;
  let webClient = options.webClient ?? false;
  let webHosts = options.webHosts ?? [];
  let page = webClient ? loadWebPage(options.webDir) : null;
  let context: SecureContext | null = options.tls ? createSecureContext({ key: options.tls.key, cert: options.tls.cert }) : null;
  const secure = context !== null;
  // HTTP is spoken over sockets we hand it once admitted (and, with TLS, once the handshake is done).
  const http: HttpServer = createHttpServer();
  http.on('request', (req, res) => {
    if (webClient) {
      // Loading the page (a few sockets per load) must not use up the connection rate the chat itself needs.
      servedHttp(req.socket, options.gate);
      serveWebPage(page, req, res);
      return;
    }
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
      else if (webClient && sameOrigin(info.origin, ownOrigin(info.req, secure, webHosts))) done(true);
      else {
        options.gate.failed?.('origin');
        done(false, 403, 'Origin not allowed');
      }
    },
  });
  // Sockets speaking HTTP (the page, an upgrade under way): closed with the listener,
  // so an idle keep-alive from a browser does not hold a shutdown for its grace period.
  const httpSockets = new Set<Socket>();
  const speakHttp = (socket: Socket) => {
    httpSockets.add(socket);
    socket.once('close', () => httpSockets.delete(socket));
    http.emit('connection', socket);
  };
  wss.on('connection', (ws, request) => {
    httpSockets.delete(request.socket);
    const address = clientAddress(request, trusted);
    const ticket = claim(request.socket);
    onLink(new WebSocketLink(ws, address, request.socket.remotePort ?? 0, secure, ws.protocol === 'binary.ircv3.net', ticket));
  });
  const listener = createTcpServer({ allowHalfOpen: false }, (raw: Socket) => {
    // A trusted proxy carries many clients: they are checked once the upgrade names them.
    const check = !isTrusted(trusted, normalizeAddress(raw.remoteAddress ?? ''));
    const refusal = secure ? undefined : httpRefusal;
    if (!admitSocket(raw, options.gate, { check, ...(refusal ? { refusal } : {}) })) return;
    if (context === null) speakHttp(raw);
    else wrapTls(raw, context, speakHttp);
  });
  await listenOn(listener, options.host, options.port, options.onAcceptError);
  return {
    server: listener,
    get page() {
      return page;
    },
    close: () => {
      wss.close();
      listener.close();
      http.close();
      for (const socket of httpSockets) socket.destroy();
      httpSockets.clear();
    },
    update: (settings) => {
      origins = settings.origins;
      trusted = parseAddressList(settings.trustedProxies);
      webClient = settings.webClient ?? false;
      webHosts = settings.webHosts ?? [];
      // A REHASH also picks up a page rebuilt since.
      page = webClient ? loadWebPage(options.webDir) : null;
      if (settings.tls && context) context = createSecureContext({ key: settings.tls.key, cert: settings.tls.cert });
    },
  };
}

/** A refusal the browser can show: the socket is closed right after. */
function httpRefusal(reason: string): string {
  const body = `${reason}\n`;
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
