import { describe, expect, it } from 'vitest';
import { chunkIsupport, formatIsupportToken } from '../../../src/protocol/isupport.js';

describe('formatIsupportToken', () => {
  it.each([
    ['SAFELIST', true, 'SAFELIST'],
    ['NICKLEN', 32, 'NICKLEN=32'],
    ['CASEMAPPING', 'rfc1459', 'CASEMAPPING=rfc1459'],
    ['NETWORK', 'My Net', 'NETWORK=My\\x20Net'],
    ['X', 'a=b', 'X=a\\x3Db'],
    ['X', 'back\\slash', 'X=back\\x5Cslash'],
    ['CHANMODES', 'beI,k,l,imnst', 'CHANMODES=beI,k,l,imnst'],
    ['EMPTY', '', 'EMPTY='],
  ] as const)('%s=%j -> %s', (key, value, token) => {
    expect(formatIsupportToken(key, value)).toBe(token);
  });

  it('never produces a token with a space or a second "="', () => {
    const token = formatIsupportToken('K', 'a = b\\ c==');
    expect(token).not.toContain(' ');
    expect(token.split('=')).toHaveLength(2);
  });
});

describe('chunkIsupport', () => {
  const tokens = Array.from({ length: 30 }, (_, k) => `T${k}`);

  it('splits into lines of 13 by default', () => {
    const lines = chunkIsupport(tokens);
    expect(lines.map((l) => l.length)).toEqual([13, 13, 4]);
    expect(lines.flat()).toEqual(tokens);
  });

  it('takes a line size', () => {
    expect(chunkIsupport(['a', 'b', 'c'], 2)).toEqual([['a', 'b'], ['c']]);
  });

  it('an exact multiple leaves no empty line; nothing gives no lines', () => {
    expect(chunkIsupport(tokens.slice(0, 26))).toHaveLength(2);
    expect(chunkIsupport([])).toEqual([]);
  });
});
