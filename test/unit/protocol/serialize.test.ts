import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { message, type IrcMessage } from '../../../src/protocol/message.js';
import { Outgoing } from '../../../src/protocol/outgoing.js';
import { parseLine } from '../../../src/protocol/parse.js';
import {
  MAX_BODY_BYTES,
  escapeTagValue,
  serializeBody,
  serializeMessage,
  serializeTags,
  truncateUtf8,
} from '../../../src/protocol/serialize.js';

function parsed(line: string): IrcMessage {
  const result = parseLine(line);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${result.code}`);
  return result.message;
}

const tags = (entries: Record<string, string>) => new Map(Object.entries(entries));

// ---------------------------------------------------------------------------
// The ircdocs msg-join vectors (CC0, see fixtures/README.md).
// ---------------------------------------------------------------------------

interface JoinCase {
  desc: string;
  atoms: { tags?: Record<string, string>; source?: string; verb: string; params?: string[] };
  matches: string[];
}

const joinCases = (parseYaml(readFileSync(new URL('./fixtures/msg-join.yaml', import.meta.url), 'utf8')) as { tests: JoinCase[] }).tests;

describe('serializeMessage: ircdocs msg-join vectors', () => {
  it('has the vectors', () => {
    expect(joinCases.length).toBeGreaterThan(15);
  });

  it.each(joinCases.map((c) => [c.desc, c] as const))('%s', (_desc, c) => {
    const msg = message(c.atoms.verb, c.atoms.params ?? [], c.atoms.source ?? null, c.atoms.tags ? tags(c.atoms.tags) : null);
    const line = serializeMessage(msg);
    // Obrol always writes ':' before the last parameter (see serialize.ts), so
    // its output need not be one of the listed spellings: compare what the line
    // means instead. It must parse to the atoms (verb upper-cased, as the parser
    // does) and to the same message as every spelling the vectors accept.
    const back = parsed(line);
    expect(back).toEqual({ ...msg, command: msg.command.toUpperCase() });
    for (const match of c.matches) expect(back).toEqual(parsed(match));
    // And when there is a last parameter, it is the one written with ':'.
    if (msg.params.length > 0) expect(line).toContain(' :' + (msg.params.at(-1) as string));
  });
});

// ---------------------------------------------------------------------------
// Exact output, one case per rule.
// ---------------------------------------------------------------------------

const exact: Array<[string, IrcMessage, string]> = [
  ['verb only', message('PING', []), 'PING'],
  ['source and verb', message('AWAY', [], 'src'), ':src AWAY'],
  ['the last param always gets a colon', message('JOIN', ['#c'], 'n!u@h'), ':n!u@h JOIN :#c'],
  ['a single word last param too', message('PRIVMSG', ['#c', 'hi']), 'PRIVMSG #c :hi'],
  ['empty last param', message('PRIVMSG', ['#a', '']), 'PRIVMSG #a :'],
  ['last param with spaces and a leading colon', message('PRIVMSG', ['#a', ':) hi ']), 'PRIVMSG #a ::) hi '],
  ['numeric with several middles', message('353', ['alice', '=', '#c', '@alice bob'], 'obrol.local'), ':obrol.local 353 alice = #c :@alice bob'],
  ['middle guard: empty middle becomes *', message('CMD', ['', 'x']), 'CMD * :x'],
  ['middle guard: middle with a space becomes *', message('CMD', ['a b', 'x']), 'CMD * :x'],
  ['middle guard: middle starting with : becomes *', message('CMD', [':a', 'b', 'x']), 'CMD * b :x'],
  ['a colon later in a middle is fine', message('CMD', ['a:b', 'x']), 'CMD a:b :x'],
  ['tags with and without values', message('PING', ['x'], null, tags({ a: '1', b: '' })), '@a=1;b PING :x'],
  ['tags before the source', message('PING', ['x'], 's', tags({ a: '1' })), '@a=1 :s PING :x'],
  ['an empty tag map writes no tag section', message('PING', ['x'], null, new Map()), 'PING :x'],
  ['escaped tag values', message('PING', [], null, tags({ k: 'a;b c\\d\re\nf' })), '@k=a\\:b\\sc\\\\d\\re\\nf PING'],
];

describe('serializeMessage: exact lines', () => {
  it.each(exact)('%s', (_what, msg, line) => {
    expect(serializeMessage(msg)).toBe(line);
  });

  it('escapeTagValue leaves a tab alone and returns plain values unchanged', () => {
    expect(escapeTagValue('a\tb')).toBe('a\tb');
    const plain = 'plain-value';
    expect(escapeTagValue(plain)).toBe(plain);
  });

  it('serializeTags keeps insertion order', () => {
    expect(serializeTags(tags({ z: '1', a: '', m: 'x y' }))).toBe('z=1;a;m=x\\sy');
  });

  it('Outgoing renders once with CRLF and shares the bytes between recipients of one rendering', () => {
    const out = new Outgoing(message('PRIVMSG', ['#c', 'hi'], 'a!b@c'));
    const first = out.bytes(0);
    expect(first.toString()).toBe(':a!b@c PRIVMSG #c :hi\r\n');
    expect(out.bytes(0)).toBe(first);
    expect(out.bytes(3).toString()).toBe(first.toString());
    expect(out.bytes(3)).toBe(out.bytes(3));
  });
});

// ---------------------------------------------------------------------------
// The 510-byte body limit.
// ---------------------------------------------------------------------------

describe('serializeBody: 510-byte limit', () => {
  const bytes = (text: string) => Buffer.byteLength(text);

  it('keeps a body of exactly 510 bytes whole', () => {
    const head = 'PRIVMSG #c :'; // 12 bytes
    const text = 'x'.repeat(MAX_BODY_BYTES - head.length);
    const line = serializeBody(null, 'PRIVMSG', ['#c', text]);
    expect(line).toBe(head + text);
    expect(bytes(line)).toBe(510);
  });

  it('cuts one byte over to 510 bytes', () => {
    const text = 'x'.repeat(MAX_BODY_BYTES - 12 + 1);
    const line = serializeBody(null, 'PRIVMSG', ['#c', text]);
    expect(bytes(line)).toBe(510);
    expect(line).toBe('PRIVMSG #c :' + text.slice(0, -1));
  });

  it('counts the source the server adds', () => {
    const source = 'alice!alice@127.0.0.1';
    const line = serializeBody(source, 'PRIVMSG', ['#c', 'y'.repeat(600)]);
    expect(bytes(line)).toBe(510);
    expect(line.startsWith(`:${source} PRIVMSG #c :yyy`)).toBe(true);
  });

  it('never splits a 3-byte character', () => {
    // Head "PRIVMSG #ch :" is 13 bytes: 497 bytes of room hold 165 three-byte euros (495 bytes).
    const line = serializeBody(null, 'PRIVMSG', ['#ch', '€'.repeat(300)]);
    expect(line).toBe('PRIVMSG #ch :' + '€'.repeat(165));
    expect(bytes(line)).toBe(508);
    expect(line).not.toContain('\uFFFD');
  });

  it('never splits a 4-byte character (a surrogate pair)', () => {
    // 12-byte head, 498 bytes of room: 124 emoji of 4 bytes (496 bytes).
    const line = serializeBody(null, 'PRIVMSG', ['#c', '😀'.repeat(200)]);
    expect(line).toBe('PRIVMSG #c :' + '😀'.repeat(124));
    expect(bytes(line)).toBe(508);
  });

  it('cuts mixed text on a character boundary at every alignment', () => {
    for (let pad = 0; pad < 4; pad++) {
      const text = 'a'.repeat(pad) + 'é€😀'.repeat(100);
      const line = serializeBody(null, 'PRIVMSG', ['#c', text]);
      expect(bytes(line)).toBeLessThanOrEqual(510);
      expect(bytes(line)).toBeGreaterThan(506);
      expect(text.startsWith(line.slice('PRIVMSG #c :'.length))).toBe(true);
      expect(Buffer.from(line).toString()).toBe(line);
    }
  });

  it('does not count the tag section', () => {
    const msg = message('PRIVMSG', ['#c', 'z'.repeat(600)], null, tags({ msgid: 'm'.repeat(100) }));
    const line = serializeMessage(msg);
    const body = line.slice(line.indexOf(' ') + 1);
    expect(body.startsWith('PRIVMSG #c :zz')).toBe(true);
    expect(bytes(body)).toBe(510);
  });
});

describe('truncateUtf8', () => {
  it.each([
    ['short text is returned as is', 'abc', 10, 'abc'],
    ['exact fit', 'abc', 3, 'abc'],
    ['ASCII cut', 'abcdef', 4, 'abcd'],
    ['zero bytes', 'abc', 0, ''],
    ['2-byte char does not fit in 1', 'é', 1, ''],
    ['3-byte char cut back whole', 'a€b', 3, 'a'],
    ['3-byte char fits', 'a€b', 4, 'a€'],
    ['4-byte char cut back whole', '😀😀', 7, '😀'],
  ])('%s', (_what, text, max, expected) => {
    expect(truncateUtf8(text, max)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------
// Round trips.
// ---------------------------------------------------------------------------

describe('round trips', () => {
  const messages: IrcMessage[] = [
    message('PING', []),
    message('PRIVMSG', ['#c', 'hello world'], 'alice!a@h'),
    message('PRIVMSG', ['#c', ''], 'alice!a@h'),
    message('PRIVMSG', ['#c', ':starts with a colon'], 'alice!a@h'),
    message('PRIVMSG', ['#c', '  spaces  '], 'alice!a@h'),
    message('MODE', ['#c', '+ov', 'alice', 'bob'], 'srv.example'),
    message('001', ['alice', 'Welcome to the network alice!a@h'], 'obrol.local'),
    message('TAGMSG', ['#c'], 'a!b@c', tags({ '+typing': 'active', msgid: 'x;y z\\w\r\n', flag: '' })),
    message('CMD', Array.from({ length: 20 }, (_, k) => `p${k}`)),
  ];

  it.each(messages.map((m) => [serializeMessage(m), m] as const))('parse(serialize(m)) == m for %j', (_line, m) => {
    expect(parsed(serializeMessage(m))).toEqual(m);
  });

  it('random messages survive a round trip', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const word = (chars: string, min: number, max: number) => {
      let out = '';
      const n = min + Math.floor(random() * (max - min + 1));
      for (let k = 0; k < n; k++) out += pick([...chars]);
      return out;
    };
    const middleChars = 'abcXYZ019#&!@.,:-_[]{}|\\^é';
    const textChars = middleChars + ' :;=\t€😀';
    for (let n = 0; n < 2000; n++) {
      const command = random() < 0.2 ? word('0123456789', 3, 3) : word('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1, 10);
      const params: string[] = [];
      const count = Math.floor(random() * 6);
      for (let k = 0; k < count; k++) {
        let middle = word(middleChars, 1, 12);
        if (middle.startsWith(':')) middle = 'x' + middle;
        params.push(middle);
      }
      if (random() < 0.7) params.push(word(textChars, 0, 40));
      const source = random() < 0.5 ? word(middleChars.replace(':', ''), 1, 20) : null;
      let tagMap: Map<string, string> | null = null;
      if (random() < 0.4) {
        tagMap = new Map();
        const tagCount = 1 + Math.floor(random() * 3);
        for (let k = 0; k < tagCount; k++) tagMap.set(word('abcdef/.-+', 1, 8), word(textChars + '\\\r\n', 0, 10));
      }
      const m = message(command, params, source, tagMap);
      const line = serializeMessage(m);
      expect(line).not.toMatch(/[\r\n\0]/);
      expect(parsed(line)).toEqual(m);
    }
  });

  it('serialize(parse(line)) == line for canonical lines', () => {
    for (const line of [':n!u@h PRIVMSG #c :hi there', '@a=1;b :s 005 n X=1 :are supported', 'PING :token', 'QUIT']) {
      expect(serializeMessage(parsed(line))).toBe(line);
    }
  });
});
