/** `obrol admin-token NAME`: a token, and a config entry holding its digest that the config accepts. */
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tokenDigest } from '../../src/admin/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import { cleanupCli, runCli } from '../helpers/cli.js';

afterEach(cleanupCli);

describe('obrol admin-token', () => {
  it('prints a fresh token and the admin_http entry with its SHA-256', async () => {
    const first = await runCli(['admin-token', 'ci-bot', '--scopes', 'read']);
    const second = await runCli(['admin-token', 'ci-bot']);
    expect(first.code).toBe(0);
    const token = /^token: (obrol_[A-Za-z0-9_-]{43})$/m.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    expect(second.stdout).not.toContain(token as string);
    const yaml = first.stdout.slice(first.stdout.indexOf('admin_http:'));
    const section = parseYaml(yaml) as { admin_http: { tokens: unknown[] } };
    expect(section.admin_http.tokens).toEqual([{ name: 'ci-bot', sha256: tokenDigest(token as string), scopes: ['read'] }]);
    // The entry is valid config as printed.
    const loaded = loadConfig({ overrides: { 'admin_http.tokens': section.admin_http.tokens } });
    expect(loaded.config.admin_http?.tokens[0]?.name).toBe('ci-bot');
  });

  it('refuses a bad name or scope with status 2', async () => {
    expect((await runCli(['admin-token', 'two words'])).code).toBe(2);
    const scope = await runCli(['admin-token', 'x', '--scopes', 'admin']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain('--scopes');
  });
});
