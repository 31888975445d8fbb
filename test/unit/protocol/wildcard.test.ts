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

/**
 * `text` as a String object that counts its charCodeAt calls (the matcher's
 * only way to read the text) and throws once they pass `budget`.
 */
function countingText(text: string, budget: number): { text: string; count: () => number } {
  let reads = 0;
  const counted = Object.assign(new String(text), {
    charCodeAt(index: number): number {
      if (++reads > budget) throw new Error(`more than ${budget} character reads`);
      return text.charCodeAt(index);
    },
  });
  return { text: counted as unknown as string, count: () => reads };
}

describe('wildcardMatch', () => {
  it.each(table)('%j against %j -> %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it('does at most (n+1)*(m+1) character reads on a pathological pattern', () => {
    // Single-star backtracking is O(n*m); a recursive matcher is exponential
    // here and runs over the budget, which throws at once instead of hanging.
    const pattern = '*a*a*a*a*a*a*b';
    const text = 'a'.repeat(5000);
    const reads = countingText(text, (text.length + 1) * (pattern.length + 1));
    expect(wildcardMatch(pattern, reads.text)).toBe(false);
    expect(reads.count()).toBeGreaterThan(0);
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
