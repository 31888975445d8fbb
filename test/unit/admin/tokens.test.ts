import { describe, expect, it } from 'vitest';
import { bearerToken, findToken, newToken, TOKEN_PREFIX, tokenDigest } from '../../../src/admin/tokens.js';

describe('admin tokens', () => {
  it('makes distinct, prefixed, 256-bit tokens', () => {
    const a = newToken();
    const b = newToken();
    expect(a).not.toBe(b);
    expect(a.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
  });

  it('digests with SHA-256 hex', () => {
    expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('finds the entry whose digest matches, and nothing for another token', () => {
    const one = newToken();
    const two = newToken();
    const entries = [
      { name: 'one', sha256: tokenDigest(one), scopes: ['read'] },
      { name: 'two', sha256: tokenDigest(two), scopes: ['read', 'write'] },
    ];
    expect(findToken(entries, one)?.name).toBe('one');
    expect(findToken(entries, two)?.name).toBe('two');
    expect(findToken(entries, newToken())).toBeNull();
    expect(findToken(entries, '')).toBeNull();
    // The digest itself is not a token.
    expect(findToken(entries, tokenDigest(one))).toBeNull();
    expect(findToken([], one)).toBeNull();
  });

  it('reads Bearer credentials and says why others are refused', () => {
    expect(bearerToken('Bearer obrol_abc-_.~+/=')).toEqual({ ok: true, token: 'obrol_abc-_.~+/=' });
    expect(bearerToken('bearer xyz')).toEqual({ ok: true, token: 'xyz' });
    expect(bearerToken(undefined)).toEqual({ ok: false, code: 'missing_token' });
    expect(bearerToken('   ')).toEqual({ ok: false, code: 'missing_token' });
    expect(bearerToken('Basic dXNlcjpwYXNz')).toEqual({ ok: false, code: 'bad_scheme' });
    expect(bearerToken('Token abc')).toEqual({ ok: false, code: 'bad_scheme' });
    expect(bearerToken('Bearer')).toEqual({ ok: false, code: 'malformed_token' });
    expect(bearerToken('Bearer ')).toEqual({ ok: false, code: 'malformed_token' });
    expect(bearerToken('Bearer a b')).toEqual({ ok: false, code: 'malformed_token' });
    expect(bearerToken('Bearer tök')).toEqual({ ok: false, code: 'malformed_token' });
    expect(bearerToken(`Bearer ${'a'.repeat(600)}`)).toEqual({ ok: false, code: 'malformed_token' });
  });
});
