/**
 * The admin HTTP listener: GET /metrics (Prometheus), the JSON admin API under
 * /api/v1 and its OpenAPI description. Off unless the config has an
 * `admin_http` section; meant for loopback or a private network.
 *
 * Every request is bounded: headers within 5 s, the whole request within
 * 10 s, a body of at most MAX_BODY_BYTES, at most MAX_SOCKETS connections.
 * Every API call is logged with the name of the token that made it (never
 * the token), the route, the status and the time taken.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AdminHttpConfig } from '../config/schema.js';
import { ApiError, router, type AdminApi } from './api.js';
import { OPENAPI } from './openapi.js';
import type { Scope } from './router.js';
import { bearerToken, findToken } from './tokens.js';

export const MAX_BODY_BYTES = 16 * 1024;
/** A body past the limit is read (and dropped) up to this much, so the client gets its 413; past it the socket is cut. */
const MAX_DRAIN_BYTES = 1024 * 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_SOCKETS = 64;

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface AdminHttpOptions {
  host: string;
  port: number;
  api: AdminApi;
  /** The current section (read per request, so REHASH changes tokens and switches at once). */
  config: () => AdminHttpConfig;
  metrics: MetricsSource;
  log: Logger;
}

const OPENAPI_BODY = JSON.stringify(OPENAPI, null, 2);
const REALM = 'Bearer realm="obrol-admin"';

export class AdminHttp {
  private constructor(
    readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listen on host:port; rejects (naming the address) if it cannot. */
  static async open(options: AdminHttpOptions): Promise<AdminHttp> {
    const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 5_000 }, (req, res) => {
      void handle(options, req, res);
    });
    server.maxConnections = MAX_SOCKETS;
    server.maxHeadersCount = 64;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen (admin_http) on ${options.host}:${options.port}: ${err.code ?? err.message}`));
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    return new AdminHttp(server, options.host, options.port);
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stop listening and drop idle keep-alive connections; resolves when closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Requests still running get their answer; a stuck one is cut after a short while.
      setTimeout(() => this.server.closeAllConnections(), 2_000).unref();
    });
  }
}

interface Outcome {
  status: number;
  token: string | null;
  route: string;
}

async function handle(options: AdminHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const outcome: Outcome = { status: 500, token: null, route: '(none)' };
  try {
    await serve(options, req, res, outcome);
  } catch (err) {
    if (err instanceof ApiError) {
      outcome.status = err.status;
      sendError(res, err);
    } else {
      options.log.error({ event: 'admin-http-error', err, route: outcome.route }, 'admin API: internal error');
      outcome.status = 500;
      sendError(res, new ApiError(500, 'internal_error', 'internal error; see the server log'));
    }
  }
  const entry = { event: 'admin-http', method: req.method, route: outcome.route, status: outcome.status, token: outcome.token, ms: Math.round(performance.now() - started) };
  // Scrapes come every few seconds: logged at debug; API calls at info.
  if (outcome.route === '/metrics' && outcome.status === 200) options.log.debug(entry, 'admin HTTP request');
  else options.log.info(entry, 'admin HTTP request');
}

async function serve(options: AdminHttpOptions, req: IncomingMessage, res: ServerResponse, outcome: Outcome): Promise<void> {
  const config = options.config();
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname === '/metrics') {
    outcome.route = '/metrics';
    if (!config.metrics) throw new ApiError(404, 'not_found', 'metrics are off (admin_http.metrics)');
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'method_not_allowed', `${method} is not allowed here`, { Allow: 'GET, HEAD' });
    if (config.metrics_auth) outcome.token = authorize(config, req, 'read');
    const body = await options.metrics.render();
    outcome.status = 200;
    res.writeHead(200, { 'Content-Type': options.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (url.pathname === '/api/v1/openapi.json') {
    outcome.route = url.pathname;
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'method_not_allowed', `${method} is not allowed here`, { Allow: 'GET, HEAD' });
    outcome.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : OPENAPI_BODY);
    return;
  }
  const match = router.match(method, url.pathname);
  if (match.kind === 'bad_path') throw new ApiError(400, 'bad_path', 'the path is not validly percent-encoded');
  if (match.kind === 'not_found') throw new ApiError(404, 'not_found', `no route ${url.pathname}`);
  if (match.kind === 'method_not_allowed') {
    throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`, { Allow: match.allow.join(', ') });
  }
  const { route, params } = match;
  outcome.route = `${route.method} ${route.path}`;
  const tokenName = route.scope === null ? '' : authorize(config, req, route.scope);
  outcome.token = tokenName || null;
  const body = method === 'POST' ? await readJsonBody(req) : undefined;
  const result = await route.handler(options.api, { params, query: url.searchParams, body, by: tokenName });
  outcome.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(result));
}

/** The name of the token the request carries, if it has `scope`; otherwise 401 or 403. */
function authorize(config: AdminHttpConfig, req: IncomingMessage, scope: Scope): string {
  const credentials = bearerToken(req.headers.authorization);
  if (!credentials.ok) {
    const messages = {
      missing_token: 'an Authorization: Bearer <token> header is required',
      bad_scheme: 'the Authorization header must use the Bearer scheme',
      malformed_token: 'the bearer token is malformed',
    } as const;
    const challenge = credentials.code === 'missing_token' ? REALM : `${REALM}, error="invalid_request"`;
    throw new ApiError(401, credentials.code, messages[credentials.code], { 'WWW-Authenticate': challenge });
  }
  const entry = findToken(config.tokens, credentials.token);
  if (entry === null) throw new ApiError(401, 'invalid_token', 'the bearer token is not valid', { 'WWW-Authenticate': `${REALM}, error="invalid_token"` });
  if (!entry.scopes.includes(scope)) {
    throw new ApiError(403, 'insufficient_scope', `token "${entry.name}" lacks the ${scope} scope`, { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` });
  }
  return entry.name;
}

/** The request's JSON body (undefined when empty), bounded in size; 413, 415 or 400 otherwise. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_DRAIN_BYTES) throw new ApiError(413, 'body_too_large', `the body is over ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      req.socket.destroy();
      throw new ApiError(413, 'body_too_large', `the body is over ${MAX_BODY_BYTES} bytes`);
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES || declared > MAX_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `the body is over ${MAX_BODY_BYTES} bytes`);
  }
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'the body must be application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'bad_json', 'the body is not valid JSON');
  }
}

function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...err.headers });
  res.end(JSON.stringify({ error: { code: err.code, message: err.message } }));
}
