import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { IrcMessage } from '../../../src/protocol/message.js';
import { parseLine, parseTags, unescapeTagValue, type ParseResult } from '../../../src/protocol/parse.js';

/** The parsed message, or a test failure naming the line. */
function ok(line: string): IrcMessage {
  const result = parseLine(line);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${result.code}`);
  return result.message;
}

// ---------------------------------------------------------------------------
// The ircdocs msg-split vectors (CC0, see fixtures/README.md).
// ---------------------------------------------------------------------------

interface SplitCase {
  input: string;
  atoms: { tags?: Record<string, string>; source?: string; verb: string; params?: string[] };
}

const splitCases = (parseYaml(readFileSync(new URL('./fixtures/msg-split.yaml', import.meta.url), 'utf8')) as { tests: SplitCase[] }).tests;

describe('parseLine: ircdocs msg-split vectors', () => {
  it('has the vectors', () => {
    expect(splitCases.length).toBeGreaterThan(30);
  });

  it.each(splitCases.map((c) => [c.input, c] as const))('%j', (_input, c) => {
    const msg = ok(c.input);
    // Obrol upper-cases the verb (lower-case "foo" in the vectors is a verb
    // like any other to a server, which matches commands case-insensitively).
    expect(msg.command).toBe(c.atoms.verb.toUpperCase());
    expect(msg.source).toBe(c.atoms.source ?? null);
    expect(msg.params).toEqual(c.atoms.params ?? []);
    expect(msg.tags === null ? null : Object.fromEntries(msg.tags)).toEqual(c.atoms.tags ?? null);
  });
});

// ---------------------------------------------------------------------------
// Grammar corners, one case each.
// ---------------------------------------------------------------------------

type Expected = { tags?: Record<string, string> | null; source?: string | null; command: string; params?: string[] };

const grammar: Array<[string, string, Expected]> = [
  // [what, line, expected]
  ['verb only', 'PING', { command: 'PING' }],
  ['lower-case verb is upper-cased', 'privmsg #a :hi', { command: 'PRIVMSG', params: ['#a', 'hi'] }],
  ['mixed-case verb is upper-cased', 'PrivMsg #a :hi', { command: 'PRIVMSG', params: ['#a', 'hi'] }],
  ['numeric verb', ':srv 001 alice :Welcome', { source: 'srv', command: '001', params: ['alice', 'Welcome'] }],
  ['numeric with leading zeros kept', '005 a B=1 :are supported', { command: '005', params: ['a', 'B=1', 'are supported'] }],
  ['source', ':nick!user@host PRIVMSG #c :hi', { source: 'nick!user@host', command: 'PRIVMSG', params: ['#c', 'hi'] }],
  ['source with several spaces after it', ':src    NICK   bob', { source: 'src', command: 'NICK', params: ['bob'] }],
  ['leading spaces before the verb', '   PING x', { command: 'PING', params: ['x'] }],
  ['several spaces between params', 'PRIVMSG   #c    :hi  there', { command: 'PRIVMSG', params: ['#c', 'hi  there'] }],
  ['trailing spaces make no empty param', 'MODE #c +n   ', { command: 'MODE', params: ['#c', '+n'] }],
  ['empty trailing param is kept', 'PRIVMSG #a :', { command: 'PRIVMSG', params: ['#a', ''] }],
  ['trailing param of spaces only', 'PRIVMSG #a :   ', { command: 'PRIVMSG', params: ['#a', '   '] }],
  ['trailing param starting with a colon', 'PRIVMSG #a ::)', { command: 'PRIVMSG', params: ['#a', ':)'] }],
  ['trailing param that is just a colon', 'PRIVMSG #a ::', { command: 'PRIVMSG', params: ['#a', ':'] }],
  ['colon inside a middle param is text', 'PRIVMSG a:b c:d :e', { command: 'PRIVMSG', params: ['a:b', 'c:d', 'e'] }],
  ['" :" inside the trailing param is text', 'PRIVMSG #a :x :y', { command: 'PRIVMSG', params: ['#a', 'x :y'] }],
  ['trailing without colon', 'JOIN #a', { command: 'JOIN', params: ['#a'] }],
  ['tab is not a separator', 'PRIVMSG a\tb :c', { command: 'PRIVMSG', params: ['a\tb', 'c'] }],
  ['tag with value', '@a=b PING', { tags: { a: 'b' }, command: 'PING' }],
  ['tag without value', '@a PING', { tags: { a: '' }, command: 'PING' }],
  ['tag with empty value', '@a= PING', { tags: { a: '' }, command: 'PING' }],
  ['several tags', '@a=1;b;c=3 PING', { tags: { a: '1', b: '', c: '3' }, command: 'PING' }],
  ['"=" inside a tag value', '@a=b=c PING', { tags: { a: 'b=c' }, command: 'PING' }],
  ['vendor-prefixed and client-only tags', '@+example.com/x=1;vendor/y PING', { tags: { '+example.com/x': '1', 'vendor/y': '' }, command: 'PING' }],
  ['duplicate tags: the last wins', '@a=1;b=2;a=3 PING', { tags: { a: '3', b: '2' }, command: 'PING' }],
  ['empty tag keys are skipped', '@=v;;a=1; PING', { tags: { a: '1' }, command: 'PING' }],
  ['empty tag section', '@ PING', { tags: {}, command: 'PING' }],
  ['several spaces after the tags', '@a=1   :src   PING   x', { tags: { a: '1' }, source: 'src', command: 'PING', params: ['x'] }],
  ['tags, source, params', '@t=1 :n!u@h PRIVMSG #c :hi', { tags: { t: '1' }, source: 'n!u@h', command: 'PRIVMSG', params: ['#c', 'hi'] }],
  ['escape \\: is ;', '@a=x\\:y PING', { tags: { a: 'x;y' }, command: 'PING' }],
  ['escape \\s is space', '@a=x\\sy PING', { tags: { a: 'x y' }, command: 'PING' }],
  ['escape \\\\ is backslash', '@a=x\\\\y PING', { tags: { a: 'x\\y' }, command: 'PING' }],
  ['escapes \\r and \\n', '@a=x\\ry\\nz PING', { tags: { a: 'x\ry\nz' }, command: 'PING' }],
  ['unknown escape drops the backslash', '@a=\\b\\1 PING', { tags: { a: 'b1' }, command: 'PING' }],
  ['trailing backslash is dropped', '@a=value\\ PING', { tags: { a: 'value' }, command: 'PING' }],
  ['escapes are read one at a time', '@a=\\\\n PING', { tags: { a: '\\n' }, command: 'PING' }],
  [
    '15 parameters',
    'CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 x',
    { command: 'CMD', params: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15 x'] },
  ],
  // RFC 1459 folded everything after the 14th middle into the last parameter.
  // Modern IRC (https://modern.ircdocs.horse/#parameters) allows more than 15
  // and asks parsers to accept them, so Obrol keeps each parameter apart.
  [
    'more than 15 parameters are all kept',
    'CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 :18 x',
    { command: 'CMD', params: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '17', '18 x'] },
  ],
];

describe('parseLine: grammar corners', () => {
  it.each(grammar)('%s', (_what, line, expected) => {
    expect(parseLine(line)).toEqual({
      ok: true,
      message: {
        tags: expected.tags === undefined || expected.tags === null ? null : new Map(Object.entries(expected.tags)),
        source: expected.source ?? null,
        command: expected.command,
        params: expected.params ?? [],
      },
    });
  });

  it('keeps tag order as sent', () => {
    expect([...(ok('@z=1;a=2;m PING').tags as Map<string, string>).keys()]).toEqual(['z', 'a', 'm']);
  });

  it('allocates no tag map when there is no tag section', () => {
    expect(ok(':src PING x').tags).toBeNull();
  });
});

const failures: Array<[string, string, ParseResult]> = [
  ['empty line', '', { ok: false, code: 'EMPTY' }],
  ['spaces only', '    ', { ok: false, code: 'EMPTY' }],
  ['tags only', '@a=b', { ok: false, code: 'EMPTY' }],
  ['tags and spaces only', '@a=b   ', { ok: false, code: 'EMPTY' }],
  ['source only', ':src', { ok: false, code: 'EMPTY' }],
  ['tags and source only', '@a=b :src  ', { ok: false, code: 'EMPTY' }],
  ['two-digit numeric', '01 x', { ok: false, code: 'BAD_COMMAND', command: '01' }],
  ['four-digit numeric', '0001 x', { ok: false, code: 'BAD_COMMAND', command: '0001' }],
  ['digits then letters', '1ab', { ok: false, code: 'BAD_COMMAND', command: '1AB' }],
  ['letters then digits', 'priv1 x', { ok: false, code: 'BAD_COMMAND', command: 'PRIV1' }],
  ['punctuation in the verb', 'PRIV-MSG x', { ok: false, code: 'BAD_COMMAND', command: 'PRIV-MSG' }],
  // The tags of a line with a bad verb are kept, so its error can carry the client's label.
  ['a lone colon as verb position', '@a=1 :src :x', { ok: false, code: 'BAD_COMMAND', command: ':X', tags: new Map([['a', '1']]) }],
  ['non-ASCII verb', 'PRÏVMSG x', { ok: false, code: 'BAD_COMMAND', command: 'PRÏVMSG' }],
  ['tab-separated verb', 'PING\tx', { ok: false, code: 'BAD_COMMAND', command: 'PING\tX' }],
];

describe('parseLine: errors', () => {
  it.each(failures)('%s', (_what, line, expected) => {
    expect(parseLine(line)).toEqual(expected);
  });

  it('never throws, whatever the input', () => {
    // A fixed-seed generator so a failure is reproducible.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['@', ':', ' ', ';', '=', '\\', 'a', 'Z', '0', '9', '#', '\t', 'é', '\u0000', 's', 'n'];
    for (let n = 0; n < 5000; n++) {
      let line = '';
      const len = Math.floor(random() * 30);
      for (let k = 0; k < len; k++) line += alphabet[Math.floor(random() * alphabet.length)];
      const result = parseLine(line);
      expect(typeof result.ok).toBe('boolean');
      if (result.ok) {
        expect(result.message.command).toMatch(/^([A-Z]+|\d{3})$/);
        for (const p of result.message.params.slice(0, -1)) {
          expect(p).not.toBe('');
          expect(p).not.toContain(' ');
          expect(p.startsWith(':')).toBe(false);
        }
      }
    }
  });
});

describe('tag helpers', () => {
  it('parseTags reads only between start and end', () => {
    const line = 'xx@a=1;b=2 rest';
    expect(Object.fromEntries(parseTags(line, 3, line.indexOf(' ')))).toEqual({ a: '1', b: '2' });
  });

  it.each([
    ['plain', 'plain'],
    ['a\\:b\\sc\\\\d\\re\\nf', 'a;b c\\d\re\nf'],
    ['\\', ''],
    ['x\\', 'x'],
    ['\\q', 'q'],
    ['\\\\\\', '\\'],
  ])('unescapeTagValue(%j) = %j', (raw, value) => {
    expect(unescapeTagValue(raw)).toBe(value);
  });

  it('returns the same string when there is nothing to unescape', () => {
    const raw = 'no-escapes-here';
    expect(unescapeTagValue(raw)).toBe(raw);
  });
});
