/**
 * Recording history: every channel message and event, and direct messages
 * with at least one side logged in, appended to the history store by the
 * effect that applies them, under the keys of src/history/keys.ts.
 */
import { describe, expect, it } from 'vitest';
import { emit, receive } from '../../../src/network/effects.js';
import type { HistoryEntry } from '../../../src/store/types.js';
import { World } from '../../helpers/harness.js';

const all = (world: World, target: string): Promise<HistoryEntry[]> => world.store.history.latest(target, 1000);
const commands = async (world: World, target: string) => (await all(world, target)).map((e) => `${e.command} ${e.params.join(' ')}`);

describe('channel messages', () => {
  it('a PRIVMSG is stored with its msgid, time, source, account, client-only tags and params', async () => {
    const world = new World();
    const alice = world.connect('alice', { caps: ['message-tags', 'echo-message'] });
    alice.user.account = 'Alice';
    alice.run('JOIN #Chan');
    const echo = alice.run('@+draft/reply=x;+example.com/t=1 PRIVMSG #Chan :hello');
    const [entry] = (await all(world, '#chan')).filter((e) => e.command === 'PRIVMSG');
    expect(entry).toEqual({
      msgid: expect.any(String),
      time: world.now * 1000,
      target: '#chan',
      command: 'PRIVMSG',
      source: 'alice!alice@127.0.0.1',
      account: 'Alice',
      params: ['#Chan', 'hello'],
      tags: [
        ['+draft/reply', 'x'],
        ['+example.com/t', '1'],
      ],
      lines: null,
      peers: null,
    });
    // The msgid is the one the live message carried.
    expect(echo[0]).toContain(`msgid=${entry?.msgid}`);
  });

  it('a NOTICE is stored; a multiline message keeps its lines', async () => {
    const world = new World();
    const alice = world.connect('alice');
    alice.run('JOIN #c');
    alice.run('NOTICE #c :heads up');
    emit(world, { type: 'message', origin: world.bus.nodeId, userId: alice.user.id, command: 'PRIVMSG', target: '#c', channel: '#c', statusMask: 0, recipientId: null, text: 'one', tags: null, lines: [{ text: 'one', concat: false }, { text: 'two', concat: true }], msgid: 'ml1', time: 5 }, null);
    const entries = (await all(world, '#c')).filter((e) => e.command !== 'JOIN');
    expect(entries.map((e) => [e.command, e.params, e.lines])).toEqual([
      ['PRIVMSG', ['#c', 'one'], [{ text: 'one', concat: false }, { text: 'two', concat: true }]],
      ['NOTICE', ['#c', 'heads up'], null],
    ]);
  });

  it('a TAGMSG is stored only with a tag that asks for it (reactions, +draft/persist), not typing notices', async () => {
    const world = new World();
    const alice = world.connect('alice', { caps: ['message-tags'] });
    alice.run('JOIN #c');
    alice.run('@+typing=active TAGMSG #c');
    alice.run('@+draft/react=👍;+draft/reply=m1 TAGMSG #c');
    alice.run('@+draft/persist TAGMSG #c');
    expect(await commands(world, '#c')).toEqual(['JOIN #c * alice real', 'TAGMSG #c', 'TAGMSG #c']);
  });

  it('a message to @#chan (some members only) is not stored; a bot\'s message keeps the bot flag', async () => {
    const world = new World();
    const alice = world.connect('alice', { modes: 'B' });
    alice.run('JOIN #c');
    alice.run('PRIVMSG @#c :ops only');
    alice.run('PRIVMSG #c :beep');
    const entries = (await all(world, '#c')).filter((e) => e.command === 'PRIVMSG');
    expect(entries.map((e) => [e.params[1], e.tags])).toEqual([['beep', [['bot', '']]]]);
  });

  it('nothing is stored with history.enabled off', async () => {
    const world = new World({ config: { history: { enabled: false } } });
    const alice = world.connect('alice');
    alice.user.account = 'alice';
    const bob = world.connect('bob');
    alice.run('JOIN #c');
    alice.run('PRIVMSG #c :hi');
    alice.run(`PRIVMSG ${bob.nick} :hi`);
    expect(await all(world, '#c')).toEqual([]);
    expect(await all(world, 'bob ~alice')).toEqual([]);
  });
});

describe('direct messages', () => {
  it('both directions go to one conversation named by account (logged in) and nick (not), with peers', async () => {
    const world = new World();
    const alice = world.connect('Alice');
    alice.user.account = 'AliceAcct';
    const bob = world.connect('Bob');
    alice.run('PRIVMSG bob :hi bob');
    bob.run('PRIVMSG alice :hi alice');
    const entries = await all(world, 'bob ~aliceacct');
    expect(entries.map((e) => [e.source, e.params, e.peers])).toEqual([
      ['Alice!Alice@127.0.0.1', ['Bob', 'hi bob'], ['bob', '~aliceacct']],
      ['Bob!Bob@127.0.0.1', ['Alice', 'hi alice'], ['bob', '~aliceacct']],
    ]);
  });

  it('a message to oneself is stored once', async () => {
    const world = new World();
    const alice = world.connect('alice', { caps: ['echo-message'] });
    alice.user.account = 'alice';
    alice.run('PRIVMSG alice :note to self');
    expect(await commands(world, '~alice ~alice')).toEqual(['PRIVMSG alice note to self']);
  });

  it('is not stored when neither side is logged in, nor with history.direct_messages off', async () => {
    const world = new World();
    world.connect('alice').run('PRIVMSG bob :hi');
    world.connect('bob');
    world.connect('carol').run('PRIVMSG bob :hi');
    expect(await all(world, 'bob carol')).toEqual([]);

    const off = new World({ config: { history: { direct_messages: false } } });
    const dave = off.connect('dave');
    dave.user.account = 'dave';
    off.connect('erin');
    dave.run('PRIVMSG erin :hi');
    expect(await all(off, 'erin ~dave')).toEqual([]);
  });
});

describe('channel events (draft/event-playback)', () => {
  it('JOIN, TOPIC, MODE, KICK and PART are stored in the channel', async () => {
    const world = new World();
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.run('TOPIC #c :the topic');
    alice.run('MODE #c +v bob');
    alice.run('KICK #c bob :out');
    alice.run('PART #c :bye');
    expect(await commands(world, '#c')).toEqual(['JOIN #c * alice real', 'JOIN #c * bob real', 'TOPIC #c the topic', 'MODE #c +v bob', 'KICK #c bob out', 'PART #c bye']);
    expect((await all(world, '#c')).map((e) => e.source)).toEqual(Array(6).fill(0).map((_, k) => (k === 1 ? 'bob!bob@127.0.0.1' : 'alice!alice@127.0.0.1')));
  });

  it('NICK and QUIT: one entry in each channel the user is on, with the mask from before', async () => {
    const world = new World();
    const alice = world.connect('alice');
    alice.run('JOIN #a,#b');
    alice.run('NICK alicia');
    world.disconnect(alice.user, 'gone');
    for (const channel of ['#a', '#b']) {
      const entries = (await all(world, channel)).slice(1);
      expect(entries.map((e) => [e.command, e.source, e.params])).toEqual([
        ['NICK', 'alice!alice@127.0.0.1', ['alicia']],
        ['QUIT', 'alicia!alice@127.0.0.1', ['gone']],
      ]);
    }
  });

  it('events from another node are left to that node to record', async () => {
    const world = new World();
    const alice = world.connect('alice');
    alice.run('JOIN #c');
    receive(world, {
      type: 'user.register',
      origin: 'node-b',
      user: { id: 'node-b/1', nick: 'remote', username: 'r', host: 'h', ip: '1.2.3.4', realname: 'R', modes: '+', account: 'remote', away: null, server: 'b.local', signonAt: 1, secure: false },
    });
    receive(world, { type: 'channel.join', origin: 'node-b', userId: 'node-b/1', channel: '#c', status: 0, created: null, msgid: 'r1', time: 1 });
    receive(world, { type: 'message', origin: 'node-b', userId: 'node-b/1', command: 'PRIVMSG', target: '#c', channel: '#c', statusMask: 0, recipientId: null, text: 'from b', tags: null, msgid: 'r2', time: 2 });
    expect(alice.take()).toHaveLength(2);
    expect(await commands(world, '#c')).toEqual(['JOIN #c * alice real']);
  });
});
