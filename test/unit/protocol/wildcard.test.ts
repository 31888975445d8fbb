import { describe, expect, it } from 'vitest';
import { hasWildcard, wildcardMatch } from '../../../src/protocol/wildcard.js';

const table: Array<[string, string, boolean]> = [
  // [pattern, text, matches]
  ['', '', true],
  ['', 'a', false],
  ['*', '', true],
  ['*', 'anything at all', true],
  ['**', '', true],
  ['?', '', false],
  ['?', 'a', true],
  ['?', 'ab', false],
  ['abc', 'abc', true],
  ['abc', 'abd', false],
  ['abc', 'ab', false],
  ['ab', 'abc', false],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['*c', 'abc', true],
  ['*c', 'abd', false],
  ['a*c', 'ac', true],
  ['a*c', 'abbbc', true],
  ['a?c', 'abc', true],
  ['a?c', 'ac', false],
  ['*!*@host', 'nick!user@host', true],
  ['*!*@host', 'nick!user@host2', false],
  ['nick!*@*', 'nick!u@h', true],
  ['nick!*@*', 'nickx!u@h', false],
  // backtracking: the first candidate for the star is not the right one
  ['*ab', 'aab', true],
  ['*aab', 'aaab', true],
  ['a*b*c', 'aXbYbZc', true],
  ['a*b*c', 'aXbYbZ', false],
  ['*a*a*a*', 'aaa', true],
  ['*a*a*a*', 'aa', false],
  ['*?', '', false],
  ['*?', 'x', true],
  ['?*?', 'x', false],
  ['?*?', 'xy', true],
  ['*.example.com', 'irc.example.com', true],
  ['*.example.com', 'example.com', false],
  // no case folding here: callers fold both sides first
  ['ABC', 'abc', false],
];

describe('wildcardMatch', () => {
  it.each(table)('%j against %j -> %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it('stays fast on a pathological pattern', () => {
    const text = 'a'.repeat(5000);
    const started = performance.now();
    expect(wildcardMatch('*a*a*a*a*a*a*b', text)).toBe(false);
    // Single-star backtracking is O(n*m); a recursive matcher would never finish.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('hasWildcard', () => {
  it.each([
    ['*', true],
    ['a?b', true],
    ['nick!user@host', false],
    ['', false],
  ])('%j -> %s', (text, expected) => {
    expect(hasWildcard(text)).toBe(expected);
  });
});
