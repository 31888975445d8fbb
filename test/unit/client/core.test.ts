/**
 * The chat client core without a network: command parsing, completion,
 * input history, nick colours, the backoff schedule, the model's marks and
 * the plain line format, and how the full-screen app wraps rows.
 */
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  ChatModel,
  complete,
  formatPlainLine,
  helpLines,
  InputHistory,
  mentions,
  nickColour,
  nickColourIndex,
  NICK_PALETTE,
  parseInput,
  type ParseContext,
} from '../../../src/client/core/index.js';
import { wrapSegments } from '../../../src/client/terminal/app.js';

const inChannel: ParseContext = { target: '#chat', kind: 'channel' };
const inQuery: ParseContext = { target: 'bob', kind: 'query' };
const inServer: ParseContext = { target: '', kind: 'server' };

describe('parseInput', () => {
  it.each<[string, ParseContext, unknown]>([
    ['hello there', inChannel, { type: 'say', target: '#chat', text: 'hello there' }],
    ['//slash at start', inChannel, { type: 'say', target: '#chat', text: '/slash at start' }],
    ['   ', inChannel, { type: 'none' }],
    ['/join #a,#b key1', inServer, { type: 'join', channels: ['#a', '#b'], keys: ['key1'] }],
    ['/j rust', inServer, { type: 'join', channels: ['#rust'], keys: [] }],
    ['/part', inChannel, { type: 'part', channel: '#chat', reason: '' }],
    ['/part #other gone fishing', inChannel, { type: 'part', channel: '#other', reason: 'gone fishing' }],
    ['/msg bob hi there', inServer, { type: 'say', target: 'bob', text: 'hi there' }],
    ['/query bob', inServer, { type: 'query', nick: 'bob', text: '' }],
    ['/query bob hey', inServer, { type: 'query', nick: 'bob', text: 'hey' }],
    ['/me waves', inQuery, { type: 'me', target: 'bob', text: 'waves' }],
    ['/notice bob psst', inChannel, { type: 'notice', target: 'bob', text: 'psst' }],
    ['/NICK alicia', inServer, { type: 'nick', nick: 'alicia' }],
    ['/topic', inChannel, { type: 'topic', channel: '#chat', text: null }],
    ['/topic a new topic', inChannel, { type: 'topic', channel: '#chat', text: 'a new topic' }],
    ['/topic #x set it', inServer, { type: 'topic', channel: '#x', text: 'set it' }],
    ['/names', inChannel, { type: 'names', channel: '#chat' }],
    ['/whois', inQuery, { type: 'whois', nick: 'bob' }],
    ['/whois carol', inChannel, { type: 'whois', nick: 'carol' }],
    ['/away lunch', inChannel, { type: 'away', message: 'lunch' }],
    ['/away', inChannel, { type: 'away', message: '' }],
    ['/quit bye all', inChannel, { type: 'quit', reason: 'bye all' }],
    ['/list', inChannel, { type: 'list', args: '' }],
    ['/raw MODE #chat +m', inChannel, { type: 'raw', line: 'MODE #chat +m' }],
    ['/help join', inChannel, { type: 'help', command: 'join' }],
    ['/window 3', inChannel, { type: 'window', index: 3 }],
    ['/close', inQuery, { type: 'close', name: 'bob' }],
  ])('%j in %j', (text, ctx, action) => {
    expect(parseInput(text, ctx)).toEqual(action);
  });

  it('refuses unknown commands, missing arguments and messages to the server window with a clear error', () => {
    expect(parseInput('/frobnicate x', inChannel)).toEqual({ type: 'error', message: 'unknown command /frobnicate; /help lists the commands' });
    expect(parseInput('/join', inChannel)).toEqual({ type: 'error', message: 'usage: /join #channel[,#other] [key]' });
    expect(parseInput('/window zero', inChannel)).toEqual({ type: 'error', message: 'usage: /window N' });
    expect(parseInput('/msg bob', inChannel)).toMatchObject({ type: 'error' });
    expect(parseInput('hello', inServer)).toMatchObject({ type: 'error', message: expect.stringContaining('server window') });
    expect(parseInput('/part', inServer)).toMatchObject({ type: 'error' });
    expect(parseInput('/close', inServer)).toMatchObject({ type: 'error' });
  });

  it('has help for every command and for one', () => {
    const all = helpLines();
    for (const name of ['join', 'part', 'msg', 'query', 'me', 'nick', 'topic', 'names', 'whois', 'away', 'quit', 'list', 'raw', 'help', 'window']) {
      expect(all.some((line) => line.includes(`/${name}`))).toBe(true);
    }
    expect(helpLines('/topic')).toEqual(['/topic [#channel] [text]  show or set the topic']);
    expect(helpLines('nope')[0]).toContain('unknown command /nope');
  });
});

describe('complete', () => {
  const sources = { nicks: ['alice', 'Alfred', 'bob'], channels: ['#chat', '#chatter', '#rust'] };

  it('completes a nick at the start of the line with ": " and cycles on the next Tab', () => {
    const first = complete('al', 2, sources);
    expect(first).toMatchObject({ text: 'alice: ', cursor: 7 });
    const second = complete(first.text, first.cursor, sources, first.state);
    expect(second).toMatchObject({ text: 'Alfred: ', cursor: 8 });
    expect(complete(second.text, second.cursor, sources, second.state).text).toBe('alice: ');
  });

  it('completes nicks mid-line, channels and commands, keeping what follows the cursor', () => {
    expect(complete('hi B', 4, sources)).toMatchObject({ text: 'hi bob ', cursor: 7 });
    expect(complete('see #ru now', 7, sources)).toMatchObject({ text: 'see #rust now', cursor: 10 });
    expect(complete('/jo', 3, sources)).toMatchObject({ text: '/join ', cursor: 6 });
    expect(complete('/join #cha', 10, sources).text).toBe('/join #chat ');
  });

  it('leaves the text alone when nothing matches', () => {
    expect(complete('zed', 3, sources)).toEqual({ text: 'zed', cursor: 3, state: null });
    expect(complete('', 0, sources)).toEqual({ text: '', cursor: 0, state: null });
  });
});

describe('InputHistory', () => {
  it('walks back with Up and forward with Down, and gives the draft back at the bottom', () => {
    const h = new InputHistory();
    h.push('one');
    h.push('two');
    expect(h.up('draft')).toBe('two');
    expect(h.up('two')).toBe('one');
    expect(h.up('one')).toBe('one');
    expect(h.down()).toBe('two');
    expect(h.down()).toBe('draft');
    expect(h.down()).toBe('draft');
  });
});

describe('nick colours', () => {
  it('are stable, ignore case and spread over the palette', () => {
    expect(nickColour('alice')).toBe(nickColour('alice'));
    expect(nickColour('Alice[away]')).toBe(nickColour('alice{away}'));
    const used = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'].map(nickColourIndex));
    expect(used.size).toBeGreaterThanOrEqual(6);
    expect(NICK_PALETTE).toContain(nickColour('x'));
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, is capped, and its jitter stays in the upper half', () => {
    const low = { baseMs: 1000, maxMs: 30_000, random: () => 0 };
    const high = { baseMs: 1000, maxMs: 30_000, random: () => 0.999999 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, low))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect([0, 1, 2, 5, 50].map((n) => backoffDelay(n, high))).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });
});

describe('ChatModel', () => {
  it('counts unread lines and highlights in inactive buffers, and clears them when activated', () => {
    const m = new ChatModel({ now: () => 0 });
    m.nick = 'me';
    const chan = m.ensure('#chat');
    const query = m.ensure('bob');
    expect(chan.kind).toBe('channel');
    expect(query.kind).toBe('query');
    let changes = 0;
    const off = m.subscribe(() => changes++);
    m.addLine(chan, { kind: 'message', nick: 'bob', text: 'plain' });
    m.addLine(chan, { kind: 'join', nick: 'carol', text: 'carol joined' });
    expect(chan).toMatchObject({ unread: 1, highlight: false });
    m.addLine(chan, { kind: 'message', nick: 'bob', text: 'hey me: look' });
    expect(chan).toMatchObject({ unread: 2, highlight: true });
    m.addLine(query, { kind: 'message', nick: 'bob', text: 'psst' });
    expect(query).toMatchObject({ unread: 1, highlight: true });
    m.addLine(chan, { kind: 'message', nick: 'me', text: 'mine' });
    expect(chan.unread).toBe(2);
    expect(chan.lines.at(-1)?.self).toBe(true);
    m.setActive(chan);
    expect(chan).toMatchObject({ unread: 0, highlight: false });
    expect(changes).toBeGreaterThan(4);
    off();
    m.cycle(1);
    expect(m.active).toBe(query);
    m.cycle(1);
    expect(m.active).toBe(m.server);
  });

  it('keeps at most maxLines lines, and merges history before live lines without duplicates', () => {
    const m = new ChatModel({ maxLines: 3, now: () => 1000 });
    const chan = m.ensure('#c');
    for (let i = 0; i < 5; i++) m.addLine(chan, { kind: 'message', nick: 'a', text: `l${i}`, time: 100 + i, msgid: `m${i}` });
    expect(chan.lines.map((l) => l.text)).toEqual(['l2', 'l3', 'l4']);
    const added = m.prependHistory(chan, [
      { kind: 'message', nick: 'a', text: 'old', time: 50, msgid: 'm-old' },
      { kind: 'message', nick: 'a', text: 'l2 again', time: 102, msgid: 'm2' },
    ]);
    expect(added).toBe(1);
    expect(chan.lines.map((l) => l.text)).toEqual(['old', 'l2', 'l3']);
    expect(chan.lines[0]?.history).toBe(true);
  });

  it('matches mentions as words only', () => {
    expect(mentions('hi me!', 'me')).toBe(true);
    expect(mentions('ME: there', 'me')).toBe(true);
    expect(mentions('meet me_2', 'me')).toBe(false);
  });
});

describe('formatPlainLine', () => {
  it('prints one greppable line per message', () => {
    const m = new ChatModel({ now: () => Date.parse('2026-12-02T21:00:00.456Z') });
    const chan = m.ensure('#chan');
    const line = (kind: 'message' | 'action' | 'notice' | 'join' | 'error', nick: string, text: string) => formatPlainLine(chan, m.addLine(chan, { kind, nick, text }));
    expect(line('message', 'alice', 'hello')).toBe('2026-12-02T21:00:00Z #chan <alice> hello');
    expect(line('action', 'alice', 'waves')).toBe('2026-12-02T21:00:00Z #chan * alice waves');
    expect(line('notice', 'bob', 'psst')).toBe('2026-12-02T21:00:00Z #chan -bob- psst');
    expect(line('join', 'bob', 'bob joined')).toBe('2026-12-02T21:00:00Z #chan *** bob joined');
    expect(line('error', '', 'no\r\nnewlines')).toBe('2026-12-02T21:00:00Z #chan !!! no  newlines');
    expect(formatPlainLine(m.server, m.note('hello', 'info', m.server))).toBe('2026-12-02T21:00:00Z * *** hello');
  });
});

describe('wrapSegments (full-screen rows)', () => {
  const rows = (segments: Array<{ text: string; color?: string }>, width: number, indent = 0) =>
    wrapSegments(segments, width, indent).map((row) => row.map((s) => s.text).join(''));

  it('breaks after the last space that fits, indents the rest, and keeps styles', () => {
    expect(rows([{ text: '12:00 ' }, { text: '<al> ', color: 'red' }, { text: 'hello there wonderful world' }], 20, 11)).toEqual([
      '12:00 <al> hello ',
      '      there ',
      '      wonderful ',
      '      world',
    ]);
    const styled = wrapSegments([{ text: 'ab ' }, { text: 'cd', color: 'red' }], 4);
    expect(styled[1]).toEqual([{ text: 'cd', color: 'red' }]);
  });

  it('cuts a word longer than the row', () => {
    expect(rows([{ text: 'abcdefghij' }], 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(rows([], 4)).toEqual(['']);
  });
});
