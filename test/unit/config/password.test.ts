import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, verifyPassword } from '../../../src/config/password.js';

describe('password hashes', () => {
  let hash: string;
  beforeAll(async () => {
    hash = await hashPassword('correct horse');
  });

  it('hashes in the scrypt$N$r$p$salt$hash form', () => {
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(isPasswordHash(hash)).toBe(true);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('correct horse')).not.toBe(hash);
  });

  it('verifies the right password', async () => {
    expect(await verifyPassword('correct horse', hash)).toBe(true);
  });

  it.each(['wrong', '', 'correct horse ', 'Correct horse'])('refuses %j', async (password) => {
    expect(await verifyPassword(password, hash)).toBe(false);
  });

  it.each([
    ['plain text', 'correct horse'],
    ['empty', ''],
    ['another scheme', '$2b$10$abcdefghijklmnopqrstuv'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdA==$aGFzaA=='],
    ['N too large', `scrypt$${2 ** 21}$8$1$c2FsdA==$aGFzaA==`],
    ['r out of range', 'scrypt$16384$0$1$c2FsdA==$aGFzaA=='],
    ['p out of range', 'scrypt$16384$8$17$c2FsdA==$aGFzaA=='],
    ['missing hash part', 'scrypt$16384$8$1$c2FsdA=='],
    ['not base64', 'scrypt$16384$8$1$sa lt$ha sh'],
  ])('a malformed hash (%s) is not a hash and verifies nothing', async (_what, stored) => {
    expect(isPasswordHash(stored)).toBe(false);
    expect(await verifyPassword('correct horse', stored)).toBe(false);
  });

  it('verifies a hash with other (cheaper) cost parameters', async () => {
    // The cost travels with the hash, so old hashes keep working if the default changes.
    const [, , , , salt, digest] = hash.split('$');
    const tampered = `scrypt$1024$8$1$${salt}$${digest}`;
    expect(isPasswordHash(tampered)).toBe(true);
    expect(await verifyPassword('correct horse', tampered)).toBe(false);
  });
});
