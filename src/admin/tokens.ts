/**
 * Bearer tokens of the admin HTTP API. A token is 32 random bytes (base64url,
 * with an `obrol_` prefix so it is recognisable in a leak scan); the config
 * keeps only its SHA-256 hex digest. A token has 256 bits of entropy, so a
 * fast hash is right (a slow password hash protects guessable secrets, and
 * nobody can guess a token), and a request costs one hash, compared in
 * constant time with every configured digest.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'obrol_';

export interface TokenEntry {
  name: string;
  /** Lower-case hex SHA-256 of the token. */
  sha256: string;
  scopes: readonly string[];
}

/** A fresh random token. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The entry whose digest matches `token`, or null. Every entry is compared
 * (no early exit), each in constant time, so the time taken does not tell
 * which entry, or how much of one, matched.
 */
export function findToken<T extends TokenEntry>(entries: readonly T[], token: string): T | null {
  const presented = Buffer.from(tokenDigest(token), 'hex');
  let found: T | null = null;
  for (const entry of entries) {
    const stored = Buffer.from(entry.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && found === null) found = entry;
  }
  return found;
}

/** RFC 6750's b64token: what may follow "Bearer ". */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export type Credentials = { ok: true; token: string } | { ok: false; code: 'missing_token' | 'bad_scheme' | 'malformed_token' };

/** The token of an Authorization header (`Bearer <token>`), or why there is none. */
export function bearerToken(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { ok: false, code: 'missing_token' };
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { ok: false, code: 'bad_scheme' };
  const token = header.slice(space + 1).trim();
  if (space < 0 || token.length === 0 || token.length > 512 || !B64TOKEN.test(token)) return { ok: false, code: 'malformed_token' };
  return { ok: true, token };
}
