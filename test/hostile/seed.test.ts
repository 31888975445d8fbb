/** The fuzz seed: fixed unless a run asks for another (test/helpers/seed.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FUZZ_SEED, fuzzSeed, seedNote } from '../helpers/seed.js';

describe('fuzzSeed', () => {
  it('is the fixed default when nothing is set', () => {
    expect(fuzzSeed({})).toBe(DEFAULT_FUZZ_SEED);
    expect(fuzzSeed({ OBROL_FUZZ_SEED: '' })).toBe(DEFAULT_FUZZ_SEED);
  });

  it('replays a given seed; OBROL_FUZZ_SEED wins over FUZZ_SEED', () => {
    expect(fuzzSeed({ FUZZ_SEED: '42' })).toBe(42);
    expect(fuzzSeed({ OBROL_FUZZ_SEED: '7', FUZZ_SEED: '42' })).toBe(7);
  });

  it('draws a seed for "random"', () => {
    const drawn = new Set(Array.from({ length: 8 }, () => fuzzSeed({ OBROL_FUZZ_SEED: 'random' })));
    for (const seed of drawn) expect(Number.isSafeInteger(seed)).toBe(true);
    expect(drawn.size).toBeGreaterThan(1);
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => fuzzSeed({ FUZZ_SEED: 'abc' })).toThrow(/OBROL_FUZZ_SEED/);
  });

  it('says how to replay', () => {
    expect(seedNote(99)).toBe('fuzz seed 99 (OBROL_FUZZ_SEED=99 replays it)');
  });
});
