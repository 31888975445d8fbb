/**
 * The browser chat page, served by the WebSocket listener's HTTP handler:
 * the files esbuild wrote to dist/web/ (index.html and content-hashed
 * scripts and style sheets, see web/build.mjs), read into memory when the
 * listener opens or the config is reloaded.
 *
 * Only those file names are served: a request path is looked up as a whole
 * in a map of names, never joined to a folder, so no path (dots, encoded
 * slashes, backslashes) reaches anything else. GET and HEAD only (405
 * otherwise), 404 for any other path.
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles and
 * images from this origin only, WebSocket connections to this host only, no
 * framing, no plugins, no forms posted anywhere), nosniff and no referrer.
 * index.html is revalidated on every load (ETag); the hashed files never
 * change under their name, so they are cached for a year. Text files are
 * gzipped once, when read, for browsers that accept it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** dist/web of this package: two levels up from src/net/ and from dist/net/ alike. */
export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file name esbuild gave a content hash (app-5XQ2ZJ4T.js): its bytes never change. */
const HASHED = /-[A-Z0-9]{8,}\.[a-z]+$/;

interface StaticFile {
  body: Buffer;
  /** The body gzipped, when that is worth it. */
  gzip: Buffer | null;
  type: string;
  etag: string;
  immutable: boolean;
}

export interface WebPage {
  /** File name (as requested after the leading slash) -> contents. */
  readonly files: ReadonlyMap<string, StaticFile>;
  /** Where they were read from. */
  readonly dir: string;
}

/**
 * Read the page's files (the top level of `dir`, names of letters, digits,
 * dots, dashes and underscores, with a known type). Null when there is no
 * index.html: the page was not built.
 */
export function loadWebPage(dir = WEB_DIR): WebPage | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const files = new Map<string, StaticFile>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const packed = type.startsWith('text/') || type === 'image/svg+xml' ? gzipSync(body, { level: 9 }) : null;
    const gzip = packed !== null && packed.length < body.length * 0.9 ? packed : null;
    files.set(name, { body, gzip, type, etag, immutable: HASHED.test(name) });
  }
  return files.has('index.html') ? { files, dir } : null;
}

/** Host header values we are willing to repeat in a header: a name or an IP (IPv6 in brackets), with a port. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The Host header if it is well formed, else null. */
export function requestHost(request: IncomingMessage): string | null {
  const host = request.headers.host;
  return host !== undefined && HOST_HEADER.test(host) ? host.toLowerCase() : null;
}

/**
 * The Content-Security-Policy of every answer. connect-src names the
 * WebSocket URLs of the host the browser asked for ('self' covers ws: of the
 * same host in CSP 3, but not in every browser that is still around).
 */
export function contentSecurityPolicy(host: string | null): string {
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(request: IncomingMessage): OutgoingHttpHeaders {
  return {
    'content-security-policy': contentSecurityPolicy(requestHost(request)),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function plain(request: IncomingMessage, response: ServerResponse, status: number, text: string, extra: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(`${text}\n`);
  response.writeHead(status, {
    ...securityHeaders(request),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    ...extra,
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Answer one plain HTTP request to the WebSocket listener with the page (`page` null: not built). */
export function serveWebPage(page: WebPage | null, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    plain(request, response, 405, 'Method not allowed: this is the Obrol chat page (GET or HEAD).', { allow: 'GET, HEAD' });
    return;
  }
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const name = path === '/' ? 'index.html' : path.startsWith('/') ? path.slice(1) : '';
  if (page === null) {
    if (name === 'index.html') plain(request, response, 503, 'The chat page is not built: run `npm run build` (it writes dist/web/).');
    else plain(request, response, 404, 'Not found.');
    return;
  }
  const file = page.files.get(name);
  if (!file) {
    plain(request, response, 404, 'Not found.');
    return;
  }
  const gzip = file.gzip !== null && acceptsGzip(request.headers['accept-encoding']);
  // Each encoding is its own representation, with its own validator.
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  const headers: OutgoingHttpHeaders = {
    ...securityHeaders(request),
    'content-type': file.type,
    etag,
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(file.gzip !== null ? { vary: 'Accept-Encoding' } : {}),
  };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const body = gzip ? (file.gzip as Buffer) : file.body;
  response.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Whether an Accept-Encoding header takes gzip (listed, or `*`, without q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const refused = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
    if (coding.trim() === 'gzip') return !refused;
    if (coding.trim() === '*') star = !refused;
  }
  return star;
}

/**
 * The page's own origin, for the Origin check: `http(s)://` + the Host header
 * the browser sent, when it names this listener in a way a DNS-rebinding page
 * cannot fake.
 *
 * DNS rebinding: a hostile page at http://evil.example:8097 can point
 * evil.example at 127.0.0.1 after loading; its WebSocket then reaches this
 * listener with Host and Origin both `evil.example:8097`, which "match". So
 * a match only counts when the host is an IP address (a browser only sends
 * one when the user typed it, and a rebinding page's origin is always a
 * name), `localhost` or a `.localhost` name (browsers resolve those to
 * loopback themselves, never through DNS), or a name the operator listed in
 * `websocket.web_hosts`. Everything else needs the `origins` list.
 */
export function ownOrigin(request: IncomingMessage, secure: boolean, webHosts: readonly string[]): string | null {
  const host = requestHost(request);
  if (host === null) return null;
  const hostname = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  const trusted =
    isIP(hostname) !== 0 ||
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    webHosts.some((name) => name.toLowerCase() === hostname);
  return trusted ? `${secure ? 'https' : 'http'}://${host}` : null;
}

/** Whether `origin` is `own` (both as browsers write them: the default port left out, lower case). */
export function sameOrigin(origin: string | undefined, own: string | null): boolean {
  if (!origin || own === null) return false;
  try {
    const a = new URL(origin);
    const b = new URL(own);
    return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port;
  } catch {
    return false;
  }
}
