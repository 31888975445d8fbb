/**
 * The admin HTTP API over a real server: admin_http on port 0, real HTTP
 * (fetch) and real IRC clients that see what the actions do.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../src/admin/api.js';
import { newToken, tokenDigest } from '../../../src/admin/tokens.js';
import { S, useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const fx = useFixture();

const ADMIN = newToken();
const READER = newToken();
const TOKENS = [
  { name: 'ops', sha256: tokenDigest(ADMIN) },
  { name: 'dashboard', sha256: tokenDigest(READER), scopes: ['read' as const] },
];

function adminServer(extra: Record<string, unknown> = {}, captureLogs = false): Promise<TestServer> {
  return fx.server({ config: { admin_http: { host: '127.0.0.1', port: 0, tokens: TOKENS, ...extra } }, captureLogs });
}

interface CallOptions {
  token?: string | null;
  authorization?: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
}

async function call(srv: TestServer, method: string, path: string, options: CallOptions = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const address = srv.server.adminAddress;
  if (!address) throw new Error('no admin listener');
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? ADMIN : options.token;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`http://127.0.0.1:${address.port}${path}`, { method, headers, body, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

describe('admin API: authentication', () => {
  it('refuses a missing header, another scheme, a malformed or unknown token with 401 and WWW-Authenticate', async () => {
    const srv = await adminServer();
    const cases: Array<[CallOptions, string]> = [
      [{ token: null }, 'missing_token'],
      [{ authorization: 'Basic b3BzOnNlY3JldA==' }, 'bad_scheme'],
      [{ authorization: 'Bearer' }, 'malformed_token'],
      [{ authorization: 'Bearer two words' }, 'malformed_token'],
      [{ token: newToken() }, 'invalid_token'],
      [{ token: tokenDigest(ADMIN) }, 'invalid_token'],
    ];
    for (const [options, code] of cases) {
      const res = await call(srv, 'GET', '/api/v1/status', options);
      expect(res.status, code).toBe(401);
      expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="obrol-admin"/);
    }
    // The write routes too, before any body is looked at.
    const post = await call(srv, 'POST', '/api/v1/wallops', { token: null, rawBody: 'not json' });
    expect(post.status).toBe(401);
  });

  it('refuses a read-only token on the write routes with 403', async () => {
    const srv = await adminServer();
    expect((await call(srv, 'GET', '/api/v1/status', { token: READER })).status).toBe(200);
    const res = await call(srv, 'POST', '/api/v1/notice', { token: READER, body: { text: 'hi' } });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('insufficient_scope');
  });

  it('logs every call with the token name, never the token', async () => {
    const srv = await adminServer({}, true);
    await call(srv, 'GET', '/api/v1/status');
    await call(srv, 'GET', '/api/v1/status', { token: newToken() });
    const entries = srv.logs.filter((entry) => entry.event === 'admin-http');
    expect(entries.map((e) => [e.route, e.status, e.token])).toEqual([
      ['GET /api/v1/status', 200, 'ops'],
      ['GET /api/v1/status', 401, null],
    ]);
    expect(JSON.stringify(srv.logs)).not.toContain(ADMIN);
  });
});

describe('admin API: routes', () => {
  it('GET /api/v1/status: version, uptime, users, channels, connections by transport, opers', async () => {
    const srv = await adminServer();
    const alice = await fx.register(srv, 'alice');
    await fx.register(srv, 'bob');
    await fx.connect(srv);
    await fx.join(alice, '#status');
    const res = await call(srv, 'GET', '/api/v1/status');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toMatchObject({
      name: 'obrol.local',
      version: expect.stringMatching(/^obrol-\d/),
      users: 2,
      channels: 1,
      opers: 0,
      connections: { tcp: 3, tls: 0, websocket: 0 },
    });
    expect(res.json.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  it('GET /api/v1/users pages with a stable cursor, whatever happens between pages', async () => {
    const srv = await adminServer();
    const nicks = ['erin', 'Bob', 'dave', 'alice', 'carol'];
    const clients = [];
    for (const nick of nicks) clients.push(await fx.register(srv, nick));
    const first = await call(srv, 'GET', '/api/v1/users?limit=2');
    expect(first.json.items.map((u: { nick: string }) => u.nick)).toEqual(['alice', 'Bob']);
    expect(first.json.items[0]).toMatchObject({ username: 'alice', ip: '127.0.0.1', transport: 'tcp', oper: false, channels: 0 });
    // Someone before the cursor leaves and someone after it arrives: the walk neither repeats nor skips.
    await clients[3]!.quit();
    await fx.register(srv, 'zed');
    const second = await call(srv, 'GET', `/api/v1/users?limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.items.map((u: { nick: string }) => u.nick)).toEqual(['carol', 'dave']);
    const third = await call(srv, 'GET', `/api/v1/users?limit=2&cursor=${second.json.next_cursor}`);
    expect(third.json.items.map((u: { nick: string }) => u.nick)).toEqual(['erin', 'zed']);
    expect(third.json.next_cursor).toBeNull();
    const all = await call(srv, 'GET', '/api/v1/users');
    expect(all.json.items).toHaveLength(5);
    expect(all.json.next_cursor).toBeNull();
  });

  it('refuses bad page parameters with 400', async () => {
    const srv = await adminServer();
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'cursor=%25%25', 'cursor=bm9wZQ']) {
      const res = await call(srv, 'GET', `/api/v1/users?${query}`);
      expect(res.status, query).toBe(400);
      expect(['bad_limit', 'bad_cursor']).toContain(res.json.error.code);
    }
  });

  it('GET /api/v1/channels pages by name', async () => {
    const srv = await adminServer();
    const alice = await fx.register(srv, 'alice');
    for (const name of ['#c', '#a', '#b']) await fx.join(alice, name);
    alice.send('TOPIC #a :the topic');
    await alice.expect(/ TOPIC #a /);
    const first = await call(srv, 'GET', '/api/v1/channels?limit=2');
    expect(first.json.items).toEqual([
      { name: '#a', members: 1, topic: 'the topic', modes: '+nt', created_at: expect.any(String) },
      expect.objectContaining({ name: '#b', topic: null }),
    ]);
    const rest = await call(srv, 'GET', `/api/v1/channels?limit=2&cursor=${first.json.next_cursor}`);
    expect(rest.json).toEqual({ items: [expect.objectContaining({ name: '#c' })], next_cursor: null });
  });

  it('POST /api/v1/users/{nick}/kill: the victim gets KILL and ERROR, channel members the QUIT', async () => {
    const srv = await adminServer();
    const victim = await fx.register(srv, 'victim');
    const witness = await fx.register(srv, 'witness');
    await fx.join(victim, '#room');
    await fx.join(witness, '#room');
    const res = await call(srv, 'POST', '/api/v1/users/VICTIM/kill', { body: { reason: 'spamming' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ killed: 'victim' });
    expect(await victim.expect(/ KILL /)).toBe(`${S} KILL victim :spamming`);
    expect(await victim.expect(/^ERROR/)).toBe('ERROR :Closing link: (victim@127.0.0.1) [Killed by obrol.local: spamming]');
    await victim.waitClosed();
    expect(await witness.expect(/ QUIT /)).toBe(':victim!victim@127.0.0.1 QUIT :Killed (obrol.local (spamming))');
    const missing = await call(srv, 'POST', '/api/v1/users/victim/kill');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('no_such_user');
  });

  it('POST /api/v1/channels/{name}/close: every member sees its own KICK and the channel is gone', async () => {
    const srv = await adminServer();
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await fx.join(alice, '#doomed');
    await fx.join(bob, '#doomed');
    await alice.expect(/ JOIN :?#doomed/);
    const res = await call(srv, 'POST', '/api/v1/channels/%23DOOMED/close', { body: { reason: 'closed for good' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ channel: '#doomed', kicked: 2 });
    // All leave at once: each member hears only of its own KICK (n lines, not n²/2).
    expect(await alice.expect(/ KICK /)).toBe(`${S} KICK #doomed alice :closed for good`);
    expect(await bob.expect(/ KICK /)).toBe(`${S} KICK #doomed bob :closed for good`);
    expect((await alice.sync()).filter((line) => line.includes(' KICK '))).toEqual([]);
    expect((await bob.sync()).filter((line) => line.includes(' KICK '))).toEqual([]);
    expect(srv.server.registry.findChannel('#doomed')).toBeUndefined();
    expect((await call(srv, 'GET', '/api/v1/channels')).json.items).toEqual([]);
    const again = await call(srv, 'POST', '/api/v1/channels/%23doomed/close');
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe('no_such_channel');
  });

  it('POST /api/v1/wallops reaches +w users; POST /api/v1/notice everyone', async () => {
    const srv = await adminServer();
    const watcher = await fx.register(srv, 'watcher');
    const other = await fx.register(srv, 'other');
    watcher.send('MODE watcher +w');
    await watcher.expect(/ MODE watcher :?\+w/);
    const wallops = await call(srv, 'POST', '/api/v1/wallops', { body: { text: 'maintenance at noon' } });
    expect(wallops.json).toEqual({ recipients: 1 });
    expect(await watcher.expect(/ WALLOPS /)).toBe(`${S} WALLOPS :maintenance at noon`);
    const notice = await call(srv, 'POST', '/api/v1/notice', { body: { text: 'hello all' } });
    expect(notice.json).toEqual({ recipients: 2 });
    expect(await watcher.expect(/ NOTICE watcher /)).toBe(`${S} NOTICE watcher :hello all`);
    expect(await other.expect(/ NOTICE other /)).toBe(`${S} NOTICE other :hello all`);
    expect((await other.sync()).some((line) => line.includes('WALLOPS'))).toBe(false);
  });

  it('POST /api/v1/rehash reloads the file: new tokens are taken, removed ones refused', async () => {
    const other = newToken();
    const yaml = (token: string) => `admin_http:\n  host: 127.0.0.1\n  port: 0\n  tokens:\n    - name: ops\n      sha256: ${tokenDigest(token)}\n`;
    const path = fx.tempFile('obrol.yaml', yaml(ADMIN));
    const srv = await fx.server({ configPath: path });
    const port = srv.server.adminAddress?.port;
    (await import('node:fs')).writeFileSync(path, yaml(other));
    const res = await call(srv, 'POST', '/api/v1/rehash');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, file: path });
    expect(srv.server.adminAddress?.port).toBe(port);
    expect((await call(srv, 'GET', '/api/v1/status')).status).toBe(401);
    expect((await call(srv, 'GET', '/api/v1/status', { token: other })).status).toBe(200);
  });
});

describe('admin listener: REHASH', () => {
  it('moves with admin_http.port, closes when the section goes, and a port in use refuses the whole REHASH', async () => {
    const { writeFileSync } = await import('node:fs');
    const { createServer } = await import('node:net');
    const section = (port: number) => `admin_http:\n  host: 127.0.0.1\n  port: ${port}\n  tokens:\n    - name: ops\n      sha256: ${tokenDigest(ADMIN)}\n`;
    const path = fx.tempFile('obrol.yaml', section(0));
    const srv = await fx.server({ configPath: path });
    const oldPort = srv.server.adminAddress?.port;
    // A port someone else holds: the REHASH is refused whole and the listener stays.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    writeFileSync(path, section(taken));
    const refused = await srv.server.rehash();
    expect(refused.ok).toBe(false);
    expect(refused.problems.join()).toContain(`admin_http`);
    expect(srv.server.adminAddress?.port).toBe(oldPort);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    // A free port: it moves, and the old one is closed.
    writeFileSync(path, section(taken));
    expect((await srv.server.rehash()).ok).toBe(true);
    expect(srv.server.adminAddress?.port).toBe(taken);
    expect((await call(srv, 'GET', '/api/v1/status')).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${oldPort}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    // No section: no listener.
    writeFileSync(path, '');
    expect((await srv.server.rehash()).ok).toBe(true);
    expect(srv.server.adminAddress).toBeNull();
  });
});

describe('admin API: bad requests', () => {
  it('answers bad JSON, wrong content types, bad fields and big bodies with stable codes', async () => {
    const srv = await adminServer();
    const cases: Array<[string, CallOptions, number, string]> = [
      ['/api/v1/notice', { rawBody: '{"text": ' }, 400, 'bad_json'],
      ['/api/v1/notice', { rawBody: 'text=hi', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      ['/api/v1/notice', { body: { text: 'hi', extra: 1 } }, 400, 'bad_body'],
      ['/api/v1/notice', { body: { text: '' } }, 400, 'bad_body'],
      ['/api/v1/notice', {}, 400, 'bad_body'],
      ['/api/v1/notice', { body: ['text'] }, 400, 'bad_body'],
      ['/api/v1/wallops', { body: { text: 'hi\r\nQUIT :injected' } }, 400, 'bad_body'],
      ['/api/v1/users/x/kill', { body: { reason: 42 } }, 400, 'bad_body'],
      ['/api/v1/rehash', { body: { now: true } }, 400, 'bad_body'],
      ['/api/v1/notice', { body: { text: 'x'.repeat(20_000) } }, 413, 'body_too_large'],
    ];
    for (const [path, options, status, code] of cases) {
      const res = await call(srv, 'POST', path, options);
      expect(res.status, `${path} ${code}`).toBe(status);
      expect(res.json, `${path} ${code}`).toEqual({ error: { code, message: expect.any(String) } });
    }
  });

  it('answers unknown routes with 404, wrong methods with 405 and Allow, bad encodings with 400', async () => {
    const srv = await adminServer();
    const unknown = await call(srv, 'GET', '/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');
    expect((await call(srv, 'GET', '/')).status).toBe(404);
    const wrong = await call(srv, 'DELETE', '/api/v1/users');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await call(srv, 'GET', '/api/v1/rehash')).headers.get('allow')).toBe('POST');
    expect((await call(srv, 'POST', '/metrics')).status).toBe(405);
    const bad = await call(srv, 'GET', '/api/v1/channels/%E0%A4%A/close');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('bad_path');
  });
});

describe('admin API: OpenAPI', () => {
  it('serves docs/openapi.json, and it describes every route', async () => {
    const srv = await adminServer();
    const res = await call(srv, 'GET', '/api/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const file = readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8');
    // Regenerate with the command in src/admin/openapi.ts when this fails.
    expect(JSON.parse(file)).toEqual(res.json);
    expect(res.json.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const operation = res.json.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      for (const name of route.path.match(/(?<=\{)[a-z_]+(?=\})/g) ?? []) {
        expect(operation.parameters.some((p: { name: string; in: string }) => p.name === name && p.in === 'path')).toBe(true);
      }
    }
    expect(res.json.paths['/metrics'].get).toBeDefined();
  });
});
