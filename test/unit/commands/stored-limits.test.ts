/**
 * Hardening II, bounded memory: the length caps on what a client stores
 * (list masks, metadata keys) and one total for a channel's b, e and I lists.
 */
import { describe, expect, it } from 'vitest';
import { World } from '../../helpers/harness.js';

describe('list masks: limits.mask_length', () => {
  it('refuses a mask longer than mask_length bytes with 696, and stores nothing', () => {
    const world = new World({ config: { limits: { mask_length: 20 } } });
    const alice = world.connect('alice');
    alice.run('JOIN #c');
    // 'aaaaaaaaaaaaaaaa' completes to 'aaaaaaaaaaaaaaaa!*@*': exactly 20 bytes.
    expect(alice.run(`MODE #c +b ${'a'.repeat(16)}`)).toEqual([`:alice!alice@127.0.0.1 MODE #c +b :${'a'.repeat(16)}!*@*`]);
    expect(alice.run(`MODE #c +e ${'b'.repeat(17)}`)).toEqual([':obrol.local 696 alice #c e * :Mask too long: at most 20 bytes']);
    // Bytes, not characters: 9 two-byte letters are 18 bytes, 22 with !*@*.
    expect(alice.run(`MODE #c +I ${'é'.repeat(9)}`)).toEqual([':obrol.local 696 alice #c I * :Mask too long: at most 20 bytes']);
    const lists = world.registry.findChannel('#c')!.lists;
    expect([lists.b.length, lists.e.length, lists.I.length]).toEqual([1, 0, 0]);
  });

  it('defaults to 128 bytes: a 400-byte mask is refused', () => {
    const world = new World();
    const alice = world.connect('alice');
    alice.run('JOIN #c');
    expect(alice.run(`MODE #c +b ${'x'.repeat(400)}`)).toEqual([':obrol.local 696 alice #c b * :Mask too long: at most 128 bytes']);
  });
});

describe('list entries: one total for b, e and I', () => {
  it('counts +b, +e and +I together against limits.list_entries', () => {
    const world = new World({ config: { limits: { list_entries: 3 } } });
    const alice = world.connect('alice');
    alice.run('JOIN #c');
    alice.run('MODE #c +beI one two three');
    const full = (mode: string) => `:obrol.local 478 alice #c ${mode} :Channel list is full: +b, +e and +I hold 3 entries together`;
    expect(alice.run('MODE #c +b four')).toEqual([full('b')]);
    expect(alice.run('MODE #c +e four')).toEqual([full('e')]);
    expect(alice.run('MODE #c +I four')).toEqual([full('I')]);
    // A freed slot in one list is room in another.
    alice.run('MODE #c -b one');
    expect(alice.run('MODE #c +I four')).toEqual([':alice!alice@127.0.0.1 MODE #c +I :four!*@*']);
  });
});

describe('metadata keys: limits.metadata_key_length', () => {
  it('refuses longer keys in SET and SUB with FAIL INVALID_KEY naming the limit', () => {
    const world = new World({ config: { limits: { metadata_key_length: 8 } } });
    const alice = world.connect('alice');
    expect(alice.run('METADATA * SET abcdefgh v')).toEqual([':obrol.local 761 alice alice abcdefgh * :v']);
    expect(alice.run('METADATA * SET abcdefghi v')).toEqual([':obrol.local FAIL METADATA INVALID_KEY * :Keys may be at most 8 bytes']);
    expect(alice.run('METADATA * SUB abcdefghi')).toEqual([':obrol.local FAIL METADATA INVALID_KEY * :Keys may be at most 8 bytes']);
    expect([...alice.user.metadata.keys()]).toEqual(['abcdefgh']);
    expect(alice.session.metadataSubs.size).toBe(0);
  });

  it('defaults to 64 bytes', () => {
    const world = new World();
    const alice = world.connect('alice');
    expect(alice.run(`METADATA * SET ${'k'.repeat(65)} v`)).toEqual([':obrol.local FAIL METADATA INVALID_KEY * :Keys may be at most 64 bytes']);
    expect(alice.run(`METADATA * SUB ${'k'.repeat(400)}`)).toEqual([':obrol.local FAIL METADATA INVALID_KEY * :Keys may be at most 64 bytes']);
    expect(alice.user.metadata.size).toBe(0);
  });
});
