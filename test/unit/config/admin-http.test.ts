import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';

const DIGEST = 'a'.repeat(64);

function problems(overrides: Record<string, unknown>): string[] {
  try {
    loadConfig({ overrides });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config: admin_http', () => {
  it('is off by default, and takes its defaults when given', () => {
    expect(loadConfig().config.admin_http).toBeNull();
    expect(loadConfig({ overrides: { 'admin_http.port': 9191 } }).config.admin_http).toEqual({
      host: '127.0.0.1',
      port: 9191,
      metrics: true,
      metrics_auth: false,
      tokens: [],
    });
    const { tokens } = loadConfig({ overrides: { admin_http: { tokens: [{ name: 'ops', sha256: DIGEST }] } } }).config.admin_http!;
    expect(tokens).toEqual([{ name: 'ops', sha256: DIGEST, scopes: ['read', 'write'] }]);
  });

  it.each([
    ['an unknown key', { admin_http: { prot: 9090 } }, 'admin_http', 'prot'],
    ['a port out of range', { admin_http: { port: 70000 } }, 'admin_http.port', '65535'],
    ['metrics that is not a boolean', { admin_http: { metrics: 'yes' } }, 'admin_http.metrics', 'boolean'],
    ['a token in clear instead of its digest', { admin_http: { tokens: [{ name: 'ops', sha256: 'obrol_abcdef' }] } }, 'admin_http.tokens[0].sha256', 'obrol admin-token'],
    ['a token without a digest', { admin_http: { tokens: [{ name: 'ops' }] } }, 'admin_http.tokens[0].sha256', 'expected string'],
    ['a bad token name', { admin_http: { tokens: [{ name: 'two words', sha256: DIGEST }] } }, 'admin_http.tokens[0].name', 'letters'],
    ['an unknown scope', { admin_http: { tokens: [{ name: 'ops', sha256: DIGEST, scopes: ['admin'] }] } }, 'admin_http.tokens[0].scopes[0]', '"read"'],
    ['an unknown token key', { admin_http: { tokens: [{ name: 'ops', sha256: DIGEST, token: 'x' }] } }, 'admin_http.tokens[0]', 'token'],
    [
      'a duplicate token name',
      { admin_http: { tokens: [{ name: 'ops', sha256: DIGEST }, { name: 'ops', sha256: 'b'.repeat(64) }] } },
      'admin_http.tokens[1].name',
      'duplicate',
    ],
    ['the same token twice', { admin_http: { tokens: [{ name: 'a', sha256: DIGEST }, { name: 'b', sha256: DIGEST }] } }, 'admin_http.tokens[1].sha256', 'twice'],
  ])('refuses %s, naming the key', (_what, overrides, key, detail) => {
    const found = problems(overrides).find((p) => p.startsWith(`${key}: `));
    expect(found, problems(overrides).join('\n')).toBeDefined();
    expect(found).toContain(detail);
  });
});
