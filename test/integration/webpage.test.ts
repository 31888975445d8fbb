/**
 * The chat page served by the WebSocket listener (src/net/webpage.ts): the
 * built files of dist/web/ with their types, a strict CSP, nosniff and
 * caching headers; 404 for any other path (traversal attempts included),
 * 405 for other methods; 426 when web_client is off; and the Origin rule
 * that admits the page's own origin, bounded against DNS rebinding.
 *
 * Needs the page built (`npm run build`, which `npm test` runs first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema.js';
import { WEB_DIR } from '../../src/net/webpage.js';
import { makeCerts } from '../helpers/certs.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

beforeAll(() => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`${WEB_DIR}/index.html is missing: run \`npm run build\``);
});

type WsSection = Partial<NonNullable<ConfigInput['websocket']>>;

async function server(websocket: WsSection = {}, captureLogs = false, extra: ConfigInput = {}): Promise<{ srv: TestServer; port: number }> {
  const srv = await startServer({ config: { ...extra, websocket: { host: '127.0.0.1', port: 0, ...websocket } }, captureLogs });
  servers.push(srv);
  return { srv, port: srv.server.addressOf('websocket').port };
}

/** One HTTP request, the path sent exactly as given (Node's client does not normalise it). */
function http(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One GET, the body as bytes (for encoded answers). */
function httpBytes(port: number, path: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status of a WebSocket upgrade (101 accepted, else the refusal's), over ws:// unless told wss://. */
function upgrade(port: number, options: ClientOptions & { host?: string }, scheme: 'ws' | 'wss' = 'ws'): Promise<number> {
  const { host, ...rest } = options;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${scheme}://127.0.0.1:${port}/`, ['text.ircv3.net'], { ...rest, ...(host ? { headers: { host } } : {}) });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

function expectSecurityHeaders(answer: Answer, port: number): void {
  const csp = answer.headers['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port} wss://127.0.0.1:${port}`);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
}

describe('the chat page', () => {
  it('GET / and /index.html: the page, as HTML, revalidated on each load, with a strict CSP', async () => {
    const { port } = await server();
    for (const path of ['/', '/index.html', '/?nick=alice']) {
      const page = await http(port, path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers.etag).toMatch(/^"[\w-]{22}"$/);
      expect(page.body).toBe(readFileSync(join(WEB_DIR, 'index.html'), 'utf8'));
      expect(page.body).toMatch(/<script type="module" src="\/app-[A-Z0-9]+\.js"><\/script>/);
      expectSecurityHeaders(page, port);
    }
  });

  it('the script and style sheet: their types, cached for good under their hashed names', async () => {
    const { port } = await server();
    const index = (await http(port, '/')).body;
    const script = /src="\/(app-[A-Z0-9]+\.js)"/.exec(index)?.[1] as string;
    const style = /href="\/(app-[A-Z0-9]+\.css)"/.exec(index)?.[1] as string;
    const js = await http(port, `/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(Number(js.headers['content-length'])).toBe(readFileSync(join(WEB_DIR, script)).length);
    expectSecurityHeaders(js, port);
    const css = await http(port, `/${style}`);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.sr-only');
  });

  it('gzip for browsers that accept it, as its own representation (Vary, ETag)', async () => {
    const { port } = await server();
    const index = (await http(port, '/')).body;
    const script = /src="\/(app-[A-Z0-9]+\.js)"/.exec(index)?.[1] as string;
    const plainJs = await http(port, `/${script}`);
    expect(plainJs.headers['content-encoding']).toBeUndefined();
    expect(plainJs.headers.vary).toBe('Accept-Encoding');
    const packed = await httpBytes(port, `/${script}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(packed.headers.vary).toBe('Accept-Encoding');
    expect(packed.headers.etag).not.toBe(plainJs.headers.etag);
    expect(packed.body.length).toBeLessThan(Buffer.byteLength(plainJs.body) / 2);
    expect(gunzipSync(packed.body).toString('utf8')).toBe(plainJs.body);
    const again = await http(port, `/${script}`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': packed.headers.etag as string } });
    expect(again.status).toBe(304);
  });

  it('HEAD: the headers without a body; If-None-Match with the ETag: 304', async () => {
    const { port } = await server();
    const get = await http(port, '/');
    const head = await http(port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers.etag).toBe(get.headers.etag);
    const again = await http(port, '/', { headers: { 'if-none-match': get.headers.etag as string } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('404 for every other path, traversal attempts included', async () => {
    const { port } = await server();
    const paths = [
      '/nope',
      '/app.js',
      '/dist/web/index.html',
      '/../package.json',
      '/../../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/.%2e/.%2e/package.json',
      '/..\\package.json',
      '//etc/passwd',
      '/index.html/',
      '/index.html/..',
      '/./index.html',
      '/%69ndex.html',
      '/.git/config',
      '/node_modules/preact/package.json',
    ];
    for (const path of paths) {
      const answer = await http(port, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toBe('Not found.\n');
      expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('405 for methods other than GET and HEAD', async () => {
    const { port } = await server();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await http(port, '/', { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
  });

  it('web_client: false turns the page off: 426, as a bare WebSocket endpoint', async () => {
    const { port } = await server({ web_client: false });
    const answer = await http(port, '/');
    expect(answer.status).toBe(426);
    expect(answer.headers.upgrade).toBe('websocket');
    expect(answer.body).toContain('text.ircv3.net');
    expect((await http(port, '/index.html')).status).toBe(426);
  });

  it('an idle keep-alive connection (a browser that loaded the page) does not hold up a shutdown', { timeout: 5000 }, async () => {
    // A grace far longer than the test may take: stop() must not wait for it.
    const { srv, port } = await server({}, false, { timeouts: { shutdown_grace: 60 } });
    const socket = connect(port, '127.0.0.1');
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    const head = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    servers = servers.filter((s) => s !== srv);
    await srv.stop();
    await closed;
  });

  it('logs where the page is, for a person starting the server', async () => {
    const { srv, port } = await server({}, true);
    expect(srv.logs.find((r) => r.event === 'web-client')).toMatchObject({ level: 30, url: `http://127.0.0.1:${port}/`, msg: `chat page at http://127.0.0.1:${port}/` });
    const off = await server({ web_client: false }, true);
    expect(off.srv.logs.find((r) => r.event === 'web-client')).toMatchObject({ url: null, msg: 'chat page off (websocket.web_client: false)' });
  });
});

describe('over TLS (websocket.tls)', () => {
  it('serves the page over https and admits its own https origin to wss', async () => {
    const certs = await makeCerts();
    try {
      const srv = await startServer({
        config: { tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key }, websocket: { host: '127.0.0.1', port: 0, tls: true } },
      });
      servers.push(srv);
      const port = srv.server.addressOf('websocket').port;
      const page = await new Promise<Answer>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toContain(`wss://127.0.0.1:${port}`);
      const status = (origin: string) => upgrade(port, { origin, rejectUnauthorized: false }, 'wss');
      expect(await status(`https://127.0.0.1:${port}`)).toBe(101);
      expect(await status(`http://127.0.0.1:${port}`)).toBe(403);
    } finally {
      certs.cleanup();
    }
  });
});

describe('REHASH', () => {
  it('turns the page off and on again without closing the listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obrol-web-rehash-'));
    const path = join(dir, 'obrol.yaml');
    const write = (webClient: boolean) =>
      writeFileSync(path, stringify({ server: { motd_file: null }, websocket: { host: '127.0.0.1', port: 0, web_client: webClient } }));
    try {
      write(true);
      const srv = await startServer({ configPath: path, captureLogs: true });
      servers.push(srv);
      const port = srv.server.addressOf('websocket').port;
      expect((await http(port, '/')).status).toBe(200);
      write(false);
      expect((await srv.server.rehash()).ok).toBe(true);
      expect(srv.server.addressOf('websocket').port).toBe(port);
      expect((await http(port, '/')).status).toBe(426);
      expect(await upgrade(port, { origin: `http://127.0.0.1:${port}` })).toBe(403);
      write(true);
      expect((await srv.server.rehash()).ok).toBe(true);
      expect((await http(port, '/')).status).toBe(200);
      expect(srv.logs.filter((r) => r.event === 'web-client').map((r) => r.url)).toEqual([`http://127.0.0.1:${port}/`, null, `http://127.0.0.1:${port}/`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loading the page and the connection rate', () => {
  it('page requests do not use up connects_per_minute; WebSocket connections still do', async () => {
    const strict = { name: 'strict', hosts: ['*'], connects_per_minute: 4, throttle_seconds: 60, max_per_ip: 100, flood_rate: 0 };
    const { port } = await server({}, false, { classes: [strict] });
    // Twelve loads, each on a socket of its own (agent: false), as reloads would.
    for (let k = 0; k < 12; k++) expect((await http(port, '/')).status).toBe(200);
    const origin = `http://127.0.0.1:${port}`;
    for (let k = 0; k < 4; k++) expect(await upgrade(port, { origin })).toBe(101);
    // The fifth connection in a minute is one too many: refused at accept, with a 503.
    expect(await upgrade(port, { origin })).toBe(503);
  });
});

describe("the page's own origin", () => {
  it('is admitted besides the origins list: scheme, host and port as the browser addressed the listener', async () => {
    const { port } = await server();
    expect(await upgrade(port, { origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(await upgrade(port, { origin: `HTTP://127.0.0.1:${port}` })).toBe(101);
    expect(await upgrade(port, { origin: `http://localhost:${port}`, host: `localhost:${port}` })).toBe(101);
    expect(await upgrade(port, { origin: `http://chat.localhost:${port}`, host: `chat.localhost:${port}` })).toBe(101);
    expect(await upgrade(port, { origin: `http://[::1]:${port}`, host: `[::1]:${port}` })).toBe(101);
    // Not the same origin: another scheme, port or host.
    expect(await upgrade(port, { origin: `https://127.0.0.1:${port}` })).toBe(403);
    expect(await upgrade(port, { origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await upgrade(port, { origin: 'http://127.0.0.1' })).toBe(403);
    expect(await upgrade(port, { origin: `http://localhost:${port}` })).toBe(403);
    expect(await upgrade(port, { origin: 'null' })).toBe(403);
    expect(await upgrade(port, {})).toBe(403);
  });

  it('a name that is not an IP or localhost only counts when listed in web_hosts (DNS rebinding)', async () => {
    const { port } = await server();
    // A rebinding page: its name now points here, and Host and Origin agree.
    expect(await upgrade(port, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` })).toBe(403);
    const listed = await server({ web_hosts: ['Chat.Example.org'] });
    expect(await upgrade(listed.port, { origin: `http://chat.example.org:${listed.port}`, host: `chat.example.org:${listed.port}` })).toBe(101);
    expect(await upgrade(listed.port, { origin: `http://evil.example:${listed.port}`, host: `evil.example:${listed.port}` })).toBe(403);
  });

  it('is not admitted with the page off, and the origins list still works beside it', async () => {
    const off = await server({ web_client: false });
    expect(await upgrade(off.port, { origin: `http://127.0.0.1:${off.port}` })).toBe(403);
    const listed = await server({ origins: ['https://chat.example.org'] });
    expect(await upgrade(listed.port, { origin: 'https://chat.example.org' })).toBe(101);
    expect(await upgrade(listed.port, { origin: `http://127.0.0.1:${listed.port}` })).toBe(101);
    expect(await upgrade(listed.port, { origin: 'https://other.example.org' })).toBe(403);
  });
});
