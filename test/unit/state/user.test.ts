import { describe, expect, it } from 'vitest';
import { User } from '../../../src/state/user.js';

function alice(): User {
  const user = new User('n/1', '192.0.2.1', 'host.example', 'n', null);
  user.setNick('alice', 'alice');
  user.setUsername('al');
  return user;
}

describe('User verbs for remote events', () => {
  it('setUserHost changes the mask and says whether anything changed', () => {
    const user = alice();
    expect(user.mask).toBe('alice!al@host.example');
    expect(user.setUserHost('al', 'host.example')).toBe(false);
    expect(user.setUserHost('al', 'cloak.example')).toBe(true);
    expect(user.mask).toBe('alice!al@cloak.example');
    expect(user.setUserHost('alice', 'cloak.example')).toBe(true);
    expect(user.mask).toBe('alice!alice@cloak.example');
    expect(user.ip).toBe('192.0.2.1');
  });

  it('setAway sets and clears, and reports a repeat as no change', () => {
    const user = alice();
    expect(user.setAway(null)).toBe(false);
    expect(user.setAway('lunch')).toBe(true);
    expect(user.setAway('lunch')).toBe(false);
    expect(user.away).toBe('lunch');
    expect(user.setAway(null)).toBe(true);
    expect(user.away).toBeNull();
  });

  it('setRealname reports whether the name changed', () => {
    const user = alice();
    expect(user.setRealname('Alice A.')).toBe(true);
    expect(user.setRealname('Alice A.')).toBe(false);
    expect(user.realname).toBe('Alice A.');
  });
});
