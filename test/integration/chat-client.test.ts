/**
 * The chat client's core (ChatSession on irc-framework) against a real
 * in-process Obrol: two sessions chat in a channel and in private, see the
 * topic, names, a nick change, away and a part; a taken nick gets a suffix;
 * a session whose server goes away reconnects to the new one on the same port
 * and rejoins. CHATHISTORY, which Obrol does not have yet, is tested against
 * a scripted fake server that answers with batches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chatSessions, waitLine, waitModel } from '../helpers/chat.js';
import { fakeHistoryServer } from '../helpers/fakehistory.js';
import { useFixture } from '../helpers/fixture.js';
import { startServer, type TestServer } from '../helpers/server.js';

const fx = useFixture();
const chats = chatSessions();
afterEach(() => chats.closeAll());

describe('chat client core against Obrol', () => {
  it('chats in a channel and in private, with topic, names, nick change, away and part', async () => {
    const srv = await fx.server();
    const alice = await chats.connect(srv.port, 'alice', { channels: ['#chat'] });
    const bob = await chats.connect(srv.port, 'bob');
    expect(alice.caps).toEqual(expect.arrayContaining(['server-time', 'echo-message', 'labeled-response', 'batch']));
    const am = alice.model;
    const bm = bob.model;
    await waitModel(am, () => am.find('#chat')?.joined, 'alice in #chat');

    bob.input('/join #chat');
    await waitModel(bm, () => bm.active.name === '#chat' && bm.active.joined, 'bob in #chat, active');
    await waitModel(am, () => am.find('#chat')?.member('bob'), 'bob in alice\'s nick list');
    expect(bm.find('#chat')?.memberList(bm.prefixModes).map((m) => bm.prefixOf(m) + m.nick)).toEqual(['@alice', 'bob']);

    // A channel message, shown to the sender from the server's echo.
    alice.input('hello bob');
    const got = await waitLine(bm, '#chat', 'hello bob');
    expect(got).toMatchObject({ kind: 'message', nick: 'alice', self: false, highlight: true });
    expect(typeof got.msgid).toBe('string');
    expect(Math.abs(got.time - Date.now())).toBeLessThan(10_000);
    const echoed = await waitLine(am, '#chat', 'hello bob');
    expect(echoed).toMatchObject({ self: true, msgid: got.msgid });

    // Private: a query window on both sides.
    bob.input('/query alice just to you');
    expect(bm.active.name).toBe('alice');
    expect(await waitLine(am, 'bob', 'just to you')).toMatchObject({ nick: 'bob', highlight: true });
    expect(am.find('bob')).toMatchObject({ kind: 'query', unread: 1, highlight: true });
    await waitLine(bm, 'alice', 'just to you');

    // Topic, set by the operator, seen by both.
    alice.input('/topic The chat room');
    await waitModel(bm, () => bm.find('#chat')?.topic === 'The chat room', 'the topic at bob');
    await waitModel(am, () => am.find('#chat')?.topic === 'The chat room', 'the topic at alice');

    // /names answers in the window it was asked from (labeled-response).
    bob.input('/window 2');
    expect(bm.active.name).toBe('#chat');
    bob.input('/names');
    await waitLine(bm, '#chat', '#chat: @alice bob (2)');

    // Away: the server confirms; alice's view of bob is marked.
    bob.input('/away lunch');
    await waitModel(bm, () => bm.away, 'bob away');
    await waitModel(am, () => am.find('#chat')?.member('bob')?.away, 'bob shown away at alice');
    bob.input('/away');
    await waitModel(bm, () => !bm.away, 'bob back');

    // Nick change: followed in the nick list and the query window.
    bob.input('/nick robert');
    await waitModel(bm, () => bm.nick === 'robert', 'bob renamed');
    await waitModel(am, () => am.find('#chat')?.member('robert'), 'robert in alice\'s list');
    expect(am.find('robert')?.kind).toBe('query');
    await waitLine(am, '#chat', 'bob is now robert');

    // /whois goes to the active window.
    alice.input('/whois robert');
    await waitLine(am, am.active.name, /^robert is bob@127\.0\.0\.1 /);

    // An unknown command is a local error; an error numeric shows too.
    alice.input('/frobnicate');
    expect(am.active.lines.at(-1)).toMatchObject({ kind: 'error', text: 'unknown command /frobnicate; /help lists the commands' });
    alice.input('/msg nobody-here hi');
    await waitModel(am, () => am.buffers.some((b) => b.lines.some((l) => l.kind === 'error' && /nobody-here/.test(l.text))), 'a 401 error line');

    // Part.
    bob.input('/part #chat see you');
    await waitLine(am, '#chat', 'robert left (see you)');
    expect(am.find('#chat')?.member('robert')).toBeUndefined();
    await waitModel(bm, () => bm.find('#chat')?.joined === false, 'bob out');
  });

  it('takes another nick when the one asked for is taken', async () => {
    const srv = await fx.server();
    await fx.register(srv, 'dup');
    const second = await chats.connect(srv.port, 'dup');
    expect(second.model.nick).toBe('dup_');
  });

  it('reconnects to a server restarted on the same port and rejoins its channels', async () => {
    let srv: TestServer = await startServer();
    const port = srv.port;
    try {
      const carol = await chats.connect(port, 'carol', { channels: ['#keep', '#also'] });
      const m = carol.model;
      await waitModel(m, () => m.find('#keep')?.joined && m.find('#also')?.joined, 'carol in both channels');
      await srv.stop();
      await waitModel(m, () => m.state === 'reconnecting' || m.state === 'connecting', 'carol to notice');
      expect(m.find('#keep')?.joined).toBe(false);
      srv = await startServer({ config: { listen: { port } } });
      await waitModel(m, () => m.state === 'registered' && m.find('#keep')?.joined && m.find('#also')?.joined, 'carol back in both channels', 10_000);
      const dave = await fx.register(srv, 'dave');
      await fx.join(dave, '#keep');
      dave.send('PRIVMSG #keep :welcome back');
      await waitLine(m, '#keep', 'welcome back');
    } finally {
      await chats.closeAll();
      await srv.stop();
    }
  });

  it('reconnects when its connection is cut', async () => {
    const srv = await fx.server();
    const erin = await chats.connect(srv.port, 'erin', { channels: ['#cut'] });
    const m = erin.model;
    await waitModel(m, () => m.find('#cut')?.joined, 'erin in #cut');
    erin.dropConnection();
    await waitModel(m, () => m.state !== 'registered', 'erin to lose the link');
    await waitModel(m, () => m.state === 'registered' && m.find('#cut')?.joined, 'erin back in #cut');
  });
});

describe('chat client core and CHATHISTORY (scripted server)', () => {
  it('asks for the latest lines on join and older ones when scrolled past the top, until there are none', async () => {
    const fake = await fakeHistoryServer();
    try {
      const s = await chats.connect(fake.port, 'hist', { channels: ['#h'], historyBatch: 3 });
      const m = s.model;
      expect(s.caps).toContain('draft/chathistory');
      const chan = await waitModel(m, () => m.find('#h'), '#h');
      await waitModel(m, () => chan.lines.filter((l) => l.history).length === 3 && !chan.historyLoading, 'the latest three lines');
      expect(fake.received).toContain('CHATHISTORY LATEST #h * 3');
      expect(chan.lines.filter((l) => l.history).map((l) => [l.text, new Date(l.time).toISOString()])).toEqual([
        ['message 3', '2026-12-01T10:03:00.000Z'],
        ['message 4', '2026-12-01T10:04:00.000Z'],
        ['message 5', '2026-12-01T10:05:00.000Z'],
      ]);
      expect(chan.historyExhausted).toBe(false);
      expect(chan.unread).toBe(0);

      expect(s.requestOlder(chan)).toBe(true);
      await waitModel(m, () => !chan.historyLoading, 'the older lines');
      expect(fake.received).toContain('CHATHISTORY BEFORE #h msgid=m3 3');
      expect(chan.lines.slice(0, 5).map((l) => l.text)).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
      expect(chan.historyExhausted).toBe(true);
      expect(s.requestOlder(chan)).toBe(false);
    } finally {
      await chats.closeAll();
      await fake.close();
    }
  });
});
