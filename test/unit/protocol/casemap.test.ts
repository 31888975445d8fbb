import { describe, expect, it } from 'vitest';
import { CASEMAPPINGS, makeFolder, type Casemapping } from '../../../src/protocol/casemap.js';

const cases: Array<[Casemapping, string, string]> = [
  ['ascii', 'ABC xyz', 'abc xyz'],
  ['ascii', 'Nick[]\\~', 'nick[]\\~'],
  ['ascii', '@Z', '@z'],
  ['rfc1459', 'Nick[]\\~', 'nick{}|^'],
  ['rfc1459', '#Chan[Ops]', '#chan{ops}'],
  ['rfc1459', 'already{}|^', 'already{}|^'],
  ['strict-rfc1459', 'Nick[]\\~', 'nick{}|~'],
  ['strict-rfc1459', 'A^', 'a^'],
];

describe('makeFolder', () => {
  it('knows the three casemappings', () => {
    expect([...CASEMAPPINGS]).toEqual(['rfc1459', 'strict-rfc1459', 'ascii']);
  });

  it.each(cases)('%s folds %j to %j', (mapping, text, folded) => {
    expect(makeFolder(mapping)(text)).toBe(folded);
  });

  it.each(CASEMAPPINGS.map((m) => [m]))('%s leaves non-ASCII alone', (mapping) => {
    const fold = makeFolder(mapping);
    expect(fold('ÄÖÜ')).toBe('ÄÖÜ');
    expect(fold('ÉCOLE')).toBe('École');
    expect(fold('Ωmega😀X')).toBe('Ωmega😀x');
  });

  it.each(CASEMAPPINGS.map((m) => [m]))('%s returns the very same string when nothing changes', (mapping) => {
    const fold = makeFolder(mapping);
    const text = ['already', 'folded', 'ä'].join('-');
    expect(fold(text)).toBe(text);
    expect(fold('')).toBe('');
  });

  it('is idempotent', () => {
    const fold = makeFolder('rfc1459');
    for (const text of ['MiXeD[]~', '#A\\B', 'ÄäZ']) expect(fold(fold(text))).toBe(fold(text));
  });

  it('does not map the folded side back (only upper to lower)', () => {
    const fold = makeFolder('rfc1459');
    expect(fold('{}|^')).toBe('{}|^');
    expect(fold('abc')).toBe('abc');
  });
});
