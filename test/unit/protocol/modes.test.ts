import { describe, expect, it } from 'vitest';
import { formatModeChanges, parseModeString, type ModeKind } from '../../../src/protocol/modes.js';

// The channel mode kinds Obrol uses (CHANMODES=beI,k,l,imnst and PREFIX=(ov)).
const kinds: Record<string, ModeKind> = { b: 'list', e: 'list', I: 'list', k: 'always', o: 'always', v: 'always', l: 'onSet', i: 'flag', m: 'flag', n: 'flag', s: 'flag', t: 'flag' };
const kindOf = (mode: string) => kinds[mode];

describe('parseModeString', () => {
  it('flags take no parameter, signs switch direction', () => {
    expect(parseModeString('+nt-m+i', ['ignored'], kindOf)).toEqual({
      changes: [
        { adding: true, mode: 'n' },
        { adding: true, mode: 't' },
        { adding: false, mode: 'm' },
        { adding: true, mode: 'i' },
      ],
      unknown: [],
      missingParam: [],
    });
  });

  it('no leading sign means adding', () => {
    expect(parseModeString('n', [], kindOf).changes).toEqual([{ adding: true, mode: 'n' }]);
  });

  it('"always" modes take a parameter when set and when unset', () => {
    expect(parseModeString('+o-v+k-k', ['alice', 'bob', 'key1', 'key2'], kindOf).changes).toEqual([
      { adding: true, mode: 'o', param: 'alice' },
      { adding: false, mode: 'v', param: 'bob' },
      { adding: true, mode: 'k', param: 'key1' },
      { adding: false, mode: 'k', param: 'key2' },
    ]);
  });

  it('"onSet" modes take a parameter only when set', () => {
    expect(parseModeString('+l-l+o', ['10', 'alice'], kindOf).changes).toEqual([
      { adding: true, mode: 'l', param: '10' },
      { adding: false, mode: 'l' },
      { adding: true, mode: 'o', param: 'alice' },
    ]);
  });

  it('list modes take a parameter, and without one are a list query', () => {
    expect(parseModeString('+b-e+I', ['*!*@bad'], kindOf)).toEqual({
      changes: [
        { adding: true, mode: 'b', param: '*!*@bad' },
        { adding: false, mode: 'e' },
        { adding: true, mode: 'I' },
      ],
      unknown: [],
      missingParam: [],
    });
  });

  it('a missing parameter drops the change into missingParam', () => {
    expect(parseModeString('+kl-o', [], kindOf)).toEqual({
      changes: [],
      unknown: [],
      missingParam: [
        { adding: true, mode: 'k' },
        { adding: true, mode: 'l' },
        { adding: false, mode: 'o' },
      ],
    });
  });

  it('parameters are consumed in order, skipping unknown modes', () => {
    expect(parseModeString('+oXv', ['a', 'b'], kindOf)).toEqual({
      changes: [
        { adding: true, mode: 'o', param: 'a' },
        { adding: true, mode: 'v', param: 'b' },
      ],
      unknown: ['X'],
      missingParam: [],
    });
  });

  it('unknown modes are listed once each, in order', () => {
    expect(parseModeString('+XyX-zy', [], kindOf).unknown).toEqual(['X', 'y', 'z']);
  });

  it('an empty mode string or signs alone change nothing', () => {
    for (const text of ['', '+', '-', '+-+']) {
      expect(parseModeString(text, ['x'], kindOf)).toEqual({ changes: [], unknown: [], missingParam: [] });
    }
  });
});

describe('formatModeChanges', () => {
  it('writes the shortest string, a sign only when the direction changes', () => {
    expect(
      formatModeChanges([
        { adding: true, mode: 'o', param: 'a' },
        { adding: true, mode: 'v', param: 'b' },
        { adding: false, mode: 'k', param: 'x' },
        { adding: false, mode: 'l' },
        { adding: true, mode: 'n' },
      ]),
    ).toEqual({ modes: '+ov-kl+n', params: ['a', 'b', 'x'] });
  });

  it('starts with - when the first change removes', () => {
    expect(formatModeChanges([{ adding: false, mode: 'i' }])).toEqual({ modes: '-i', params: [] });
  });

  it('nothing gives an empty string', () => {
    expect(formatModeChanges([])).toEqual({ modes: '', params: [] });
  });

  it('round-trips with parseModeString', () => {
    const parsed = parseModeString('+ob-k+l', ['alice', '*!*@h', 'key', '5'], kindOf);
    const { modes, params } = formatModeChanges(parsed.changes);
    expect(modes).toBe('+ob-k+l');
    expect(parseModeString(modes, params, kindOf).changes).toEqual(parsed.changes);
  });
});
