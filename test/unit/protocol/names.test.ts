import { describe, expect, it } from 'vitest';
import { isChannelName, isValidChannelKey, isValidChannelName, isValidNick, sanitizeUsername } from '../../../src/protocol/names.js';

describe('isValidNick', () => {
  it.each([
    ['alice', true],
    ['A', true],
    ['[away]', true],
    ['`tick', true],
    ['_under', true],
    ['^caret', true],
    ['{brace}|pipe', true],
    ['\\back', true],
    ['a1-2', true],
    ['', false],
    ['1abc', false],
    ['-dash', false],
    ['has space', false],
    ['a,b', false],
    ['a.b', false],
    ['a!b', false],
    ['a@b', false],
    ['#chan', false],
    [':colon', false],
    ['*', false],
    ['nïck', false],
    ['~tilde', false],
  ])('%j -> %s', (nick, valid) => {
    expect(isValidNick(nick, 32)).toBe(valid);
  });

  it('enforces the length limit', () => {
    expect(isValidNick('a'.repeat(9), 9)).toBe(true);
    expect(isValidNick('a'.repeat(10), 9)).toBe(false);
  });
});

describe('isValidChannelName', () => {
  it.each([
    ['#a', true],
    ['#obrol', true],
    ['#with.dots-and_stuff', true],
    ['#ünïcode', true],
    ['#', false],
    ['', false],
    ['obrol', false],
    ['&local', false],
    ['#a b', false],
    ['#a,b', false],
    ['#a\x07', false],
    ['#a\x00', false],
    ['#a\tb', false],
  ])('%j -> %s', (name, valid) => {
    expect(isValidChannelName(name, '#', 64)).toBe(valid);
  });

  it('accepts the given channel types only', () => {
    expect(isValidChannelName('&local', '#&', 64)).toBe(true);
  });

  it('enforces the length limit, # included', () => {
    expect(isValidChannelName('#' + 'a'.repeat(9), '#', 10)).toBe(true);
    expect(isValidChannelName('#' + 'a'.repeat(10), '#', 10)).toBe(false);
  });
});

describe('isChannelName', () => {
  it.each([
    ['#a', true],
    ['#', true],
    ['alice', false],
    ['', false],
    ['@#a', false],
  ])('%j -> %s', (target, expected) => {
    expect(isChannelName(target, '#')).toBe(expected);
  });
});

describe('isValidChannelKey', () => {
  it.each([
    ['secret', true],
    ['p@ss!w0rd~', true],
    ['', false],
    ['has space', false],
    ['a,b', false],
    ['tab\there', false],
    ['nul\x00', false],
    ['ünicode', false],
    ['line\nfeed', false],
  ])('%j -> %s', (key, valid) => {
    expect(isValidChannelKey(key, 23)).toBe(valid);
  });

  it('enforces the length limit', () => {
    expect(isValidChannelKey('k'.repeat(23), 23)).toBe(true);
    expect(isValidChannelKey('k'.repeat(24), 23)).toBe(false);
  });
});

describe('sanitizeUsername', () => {
  it.each([
    ['alice', 'alice'],
    ['~alice', 'alice'],
    ['al ice', 'alice'],
    ['a.b-c_d', 'a.b-c_d'],
    ['[x]{y}|^`\\', '[x]{y}|^`\\'],
    ['üser', 'ser'],
    ['a@b!c:d', 'abcd'],
    ['~~~', null],
    ['', null],
  ])('%j -> %j', (raw, expected) => {
    expect(sanitizeUsername(raw, 16)).toBe(expected);
  });

  it('cuts to the limit after cleaning', () => {
    expect(sanitizeUsername('~~' + 'u'.repeat(20), 16)).toBe('u'.repeat(16));
  });
});
