import { describe, expect, it } from 'vitest';
import { Router } from '../../../src/admin/router.js';
import { ROUTES, router } from '../../../src/admin/api.js';

const r = new Router<string>([
  { method: 'GET', path: '/api/v1/users', scope: 'read', handler: 'list' },
  { method: 'POST', path: '/api/v1/users/{nick}/kill', scope: 'write', handler: 'kill' },
  { method: 'POST', path: '/api/v1/channels/{name}/close', scope: 'write', handler: 'close' },
  { method: 'GET', path: '/api/v1/channels/{name}', scope: 'read', handler: 'channel' },
]);

describe('admin router', () => {
  it('matches literal paths and methods', () => {
    const m = r.match('GET', '/api/v1/users');
    expect(m.kind).toBe('ok');
    if (m.kind === 'ok') expect(m.route.handler).toBe('list');
  });

  it('decodes parameters after splitting, so %23 and %2F stay in their segment', () => {
    const m = r.match('POST', '/api/v1/channels/%23obrol/close');
    expect(m.kind === 'ok' && m.params).toEqual({ name: '#obrol' });
    const slash = r.match('GET', '/api/v1/channels/%23a%2Fb');
    expect(slash.kind === 'ok' && slash.params).toEqual({ name: '#a/b' });
    const nick = r.match('POST', '/api/v1/users/%5Bbot%5D/kill');
    expect(nick.kind === 'ok' && nick.params).toEqual({ nick: '[bot]' });
  });

  it('answers 404 and 405 with the allowed methods', () => {
    expect(r.match('GET', '/api/v1/nope').kind).toBe('not_found');
    expect(r.match('GET', '/api/v1/users/').kind).toBe('not_found');
    expect(r.match('GET', '/api/v1/users/x/kill/more').kind).toBe('not_found');
    expect(r.match('POST', '/api/v1/users//kill').kind).toBe('not_found');
    expect(r.match('DELETE', '/api/v1/users')).toEqual({ kind: 'method_not_allowed', allow: ['GET'] });
    expect(r.match('GET', '/api/v1/users/x/kill')).toEqual({ kind: 'method_not_allowed', allow: ['POST'] });
  });

  it('refuses paths that are not validly percent-encoded', () => {
    expect(r.match('GET', '/api/v1/channels/%E0%A4%A').kind).toBe('bad_path');
    expect(r.match('GET', 'api/v1/users').kind).toBe('bad_path');
  });

  it('does not decode literal segments: /api/v1/%75sers is not /api/v1/users', () => {
    expect(r.match('GET', '/api/v1/%75sers').kind).toBe('not_found');
  });

  it('the API table has one route per method and path, each with a scope', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of ROUTES) {
      expect(route.scope).toBe(route.method === 'GET' ? 'read' : 'write');
      const concrete = route.path.replace(/\{[a-z_]+\}/g, 'x');
      expect(router.match(route.method, concrete).kind).toBe('ok');
    }
  });
});
