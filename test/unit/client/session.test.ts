/**
 * ChatSession against a fake irc-framework Client: events become model
 * updates, actions become IRC, labeled replies land in the window that
 * asked, 433 picks another nick, and a lost connection is retried on the
 * backoff schedule (timers driven by hand) and the channels rejoined.
 */
import { describe, expect, it } from 'vitest';
import { ChatSession, type Timers } from '../../../src/client/core/index.js';
import { FakeClient } from './fakeclient.js';

/** Timers run by hand: the test sees each delay and fires it. */
class ManualTimers implements Timers {
  pending: Array<{ fn: () => void; ms: number }> = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { fn, ms };
    this.pending.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t !== handle);
  }
  fire(): number {
    const timer = this.pending.shift();
    if (!timer) throw new Error('no timer pending');
    timer.fn();
    return timer.ms;
  }
}

function setup(options: { channels?: string[]; nick?: string } = {}) {
  const fake = new FakeClient();
  const timers = new ManualTimers();
  const session = new ChatSession({
    factory: () => fake,
    host: '127.0.0.1',
    port: 6667,
    nick: options.nick ?? 'me',
    channels: options.channels ?? [],
    timers,
    backoff: { baseMs: 1000, maxMs: 8000, random: () => 0 },
  });
  return { fake, timers, session, model: session.model };
}

const who = { ident: 'u', hostname: 'h' };

describe('ChatSession', () => {
  it('asks for the chat capabilities and connects with its options', () => {
    const { fake, session } = setup();
    session.connect();
    expect(fake.caps).toEqual(expect.arrayContaining(['labeled-response', 'draft/chathistory', 'chathistory']));
    expect(fake.connects[0]).toMatchObject({ host: '127.0.0.1', port: 6667, nick: 'me', auto_reconnect: false, enable_echomessage: true, tls: false });
  });

  it('queues typed lines until registration, then joins and sends them in order', () => {
    const { fake, session, model } = setup({ channels: ['#a'] });
    session.connect();
    expect(model.active.name).toBe('#a');
    session.input('early bird');
    expect(fake.sent).toEqual([]);
    fake.register('me');
    expect(fake.sent).toEqual(['JOIN #a', 'PRIVMSG #a :early bird']);
  });

  it('turns events into buffers, members, topic, lines and marks', () => {
    const { fake, session, model } = setup();
    session.connect();
    fake.register('me');
    fake.emit('join', { nick: 'me', channel: '#c', ...who, time: 1000 });
    const chan = model.find('#c');
    expect(chan).toMatchObject({ kind: 'channel', joined: true });
    fake.emit('topic', { channel: '#c', topic: 'the topic' });
    fake.emit('userlist', { channel: '#c', users: [{ nick: 'me', modes: ['o'] }, { nick: 'bob', modes: [] }, { nick: 'al', modes: ['v'] }] });
    expect(chan?.topic).toBe('the topic');
    expect(chan?.memberList(model.prefixModes).map((m) => model.prefixOf(m) + m.nick)).toEqual(['@me', '+al', 'bob']);
    fake.emit('join', { nick: 'carol', channel: '#c', ...who });
    fake.emit('privmsg', { nick: 'bob', target: '#c', message: 'hi me', ...who, time: 5000, tags: { msgid: 'x1' } });
    expect(chan?.lines.at(-1)).toMatchObject({ kind: 'message', nick: 'bob', text: 'hi me', time: 5000, msgid: 'x1', highlight: true });
    fake.emit('privmsg', { nick: 'dave', target: 'me', message: 'private', ...who });
    const query = model.find('dave');
    expect(query).toMatchObject({ kind: 'query', unread: 1, highlight: true });
    fake.emit('nick', { nick: 'bob', new_nick: 'robert' });
    expect(chan?.member('robert')).toBeDefined();
    fake.emit('away', { nick: 'robert', message: 'lunch' });
    expect(chan?.member('robert')?.away).toBe(true);
    fake.emit('mode', { nick: 'me', target: '#c', modes: [{ mode: '+o', param: 'carol' }] });
    expect(chan?.member('carol')?.modes).toEqual(['o']);
    fake.emit('part', { nick: 'carol', channel: '#c', message: 'bye' });
    expect(chan?.member('carol')).toBeUndefined();
    fake.emit('quit', { nick: 'robert', message: 'gone' });
    expect(chan?.lines.at(-1)).toMatchObject({ kind: 'quit', text: 'robert quit (gone)' });
    fake.emit('part', { nick: 'me', channel: '#c' });
    expect(chan?.joined).toBe(false);
    expect(session.channels.size).toBe(0);
  });

  it('shows its own message from the echo when echo-message is on, and at once when it is off', () => {
    const { fake, session, model } = setup({ channels: ['#c'] });
    session.connect();
    fake.register('me', ['echo-message']);
    fake.emit('join', { nick: 'me', channel: '#c', ...who });
    const chan = model.find('#c');
    const before = chan?.lines.length ?? 0;
    session.input('hello');
    expect(fake.sent.at(-1)).toBe('PRIVMSG #c :hello');
    expect(chan?.lines.length).toBe(before);
    fake.emit('privmsg', { nick: 'me', target: '#c', message: 'hello', ...who });
    expect(chan?.lines.at(-1)).toMatchObject({ text: 'hello', self: true, highlight: false });

    fake.network.cap.enabled = [];
    session.input('/msg bob direct');
    expect(model.find('bob')?.lines.at(-1)).toMatchObject({ nick: 'me', text: 'direct', self: true });
  });

  it('labels commands and shows their replies in the window that asked', () => {
    const { fake, session, model } = setup();
    session.connect();
    fake.register('me', ['labeled-response', 'batch']);
    fake.emit('join', { nick: 'me', channel: '#c', ...who });
    const chan = model.find('#c');
    model.setActive(chan!);
    session.input('/whois ghost');
    expect(fake.sent.at(-1)).toBe('@label=o1 WHOIS ghost');
    model.setActive(0);
    fake.through('401', ['me', 'ghost', 'No such nick'], { label: 'o1' }, () => fake.emit('irc error', { error: 'no_such_nick', nick: 'ghost', reason: 'No such nick/channel' }));
    expect(chan?.lines.at(-1)).toMatchObject({ kind: 'error', text: 'ghost: No such nick/channel' });
    expect(model.server.lines.some((l) => l.text.includes('ghost'))).toBe(false);
  });

  it('tries another nick on 433 during registration', () => {
    const { fake, session } = setup({ nick: 'guest' });
    session.connect();
    fake.emit('nick in use', { nick: 'guest' });
    expect(fake.sent.at(-1)).toBe('NICK guest_');
    fake.emit('nick in use', { nick: 'guest_' });
    expect(fake.sent.at(-1)).toBe('NICK guest1');
    fake.register('guest1');
    expect(session.model.nick).toBe('guest1');
  });

  it('reconnects on the backoff schedule after a lost connection and rejoins its channels', () => {
    const { fake, timers, session, model } = setup({ channels: ['#a', '#b'] });
    session.connect();
    fake.register('me');
    fake.emit('join', { nick: 'me', channel: '#a', ...who });
    fake.emit('join', { nick: 'me', channel: '#b', ...who });
    fake.sent.length = 0;
    fake.emit('socket close');
    fake.emit('close');
    expect(model.state).toBe('reconnecting');
    expect(model.find('#a')?.joined).toBe(false);
    expect(timers.fire()).toBe(500);
    expect(fake.connects).toHaveLength(2);
    fake.emit('close');
    expect(timers.fire()).toBe(1000);
    fake.emit('close');
    expect(timers.fire()).toBe(2000);
    fake.register('me');
    expect(fake.sent).toEqual(['JOIN #a', 'JOIN #b']);
    // The schedule starts again after a good registration.
    fake.emit('close');
    expect(timers.fire()).toBe(500);
  });

  it('sends the server password and keeps irc-framework from using it as SASL', () => {
    const fake = new FakeClient();
    const session = new ChatSession({ factory: () => fake, host: 'h', port: 1, nick: 'me', password: 'sekrit' });
    session.connect();
    expect(fake.connects[0]).toMatchObject({ password: 'sekrit', account: {} });
    const withAccount = new FakeClient();
    new ChatSession({ factory: () => withAccount, host: 'h', port: 1, nick: 'me', account: { account: 'acct', password: 'pw' } }).connect();
    expect(withAccount.connects[0]).toMatchObject({ account: { account: 'acct', password: 'pw' } });
  });

  it('closes windows with /close: a query goes, a channel is parted first', () => {
    const { fake, session, model } = setup();
    session.connect();
    fake.register('me');
    fake.emit('join', { nick: 'me', channel: '#c', ...who });
    session.input('/query bob');
    expect(model.active.name).toBe('bob');
    session.input('/close');
    expect(model.find('bob')).toBeUndefined();
    session.input('/close #c');
    expect(fake.sent.at(-1)).toBe('PART #c');
    expect(model.find('#c')).toBeUndefined();
    expect(model.buffers).toHaveLength(1);
    session.input('/window 5');
    expect(model.active.lines.at(-1)).toMatchObject({ kind: 'error', text: 'no window 5 (there are 1)' });
  });

  it('stops after /quit: no reconnect, closed resolves', async () => {
    const { fake, timers, session, model } = setup();
    session.connect();
    fake.register('me');
    session.input('/quit see you');
    expect(fake.sent.at(-1)).toBe('QUIT :see you');
    await session.closed;
    expect(model.state).toBe('closed');
    expect(timers.pending).toEqual([]);
  });

  it('ends with an error when the first connection fails and retryFirstConnect is off', async () => {
    const fake = new FakeClient();
    const session = new ChatSession({ factory: () => fake, host: 'h', port: 1, nick: 'me', retryFirstConnect: false });
    session.connect();
    fake.emit('close');
    await session.closed;
    expect(session.endError).toBe('could not connect to h:1');
  });

  it('asks for CHATHISTORY LATEST on join and BEFORE when scrolled past the top, and marks the end', () => {
    const { fake, session, model } = setup();
    session.connect();
    fake.register('me', ['batch', 'draft/chathistory', 'server-time']);
    fake.network.options.CHATHISTORY = '100';
    fake.emit('join', { nick: 'me', channel: '#h', ...who });
    expect(fake.sent.at(-1)).toBe('CHATHISTORY LATEST #h * 50');
    const chan = model.find('#h')!;
    expect(chan.historyLoading).toBe(true);
    const batch = { id: 'b1', type: 'chathistory', params: ['#h'] };
    fake.emit('batch start chathistory', { ...batch });
    for (let i = 0; i < 50; i++) fake.emit('privmsg', { nick: 'old', target: '#h', message: `m${i}`, ...who, time: 1000 + i, tags: { msgid: `id${i}` }, batch });
    fake.emit('batch end chathistory', { ...batch });
    expect(chan.lines.filter((l) => l.history)).toHaveLength(50);
    expect(chan).toMatchObject({ historyLoading: false, historyExhausted: false, unread: 0 });
    expect(session.requestOlder(chan)).toBe(true);
    expect(fake.sent.at(-1)).toBe('CHATHISTORY BEFORE #h msgid=id0 50');
    expect(session.requestOlder(chan)).toBe(false);
    const batch2 = { id: 'b2', type: 'chathistory', params: ['#h'] };
    fake.emit('batch start chathistory', { ...batch2 });
    fake.emit('privmsg', { nick: 'older', target: '#h', message: 'first ever', ...who, time: 10, tags: { msgid: 'id-1' }, batch: batch2 });
    fake.emit('batch end chathistory', { ...batch2 });
    expect(chan.lines[0]).toMatchObject({ text: 'first ever', history: true });
    expect(chan.historyExhausted).toBe(true);
    expect(session.requestOlder(chan)).toBe(false);
  });

  it('does not ask for history when the server has none', () => {
    const { fake, session, model } = setup();
    session.connect();
    fake.register('me');
    fake.emit('join', { nick: 'me', channel: '#h', ...who });
    expect(fake.sent.some((l) => l.startsWith('CHATHISTORY'))).toBe(false);
    expect(session.requestOlder(model.find('#h'))).toBe(false);
    expect(model.find('#h')?.historyExhausted).toBe(true);
  });
});
