import { beforeEach, describe, expect, it } from 'vitest';
import { World, type FakeClient } from '../../helpers/harness.js';

let world: World;
let alice: FakeClient; // op of #c
let bob: FakeClient; // voiced on #c
let carol: FakeClient; // plain member of #c
let dave: FakeClient; // not on #c

beforeEach(() => {
  world = new World({ config: { limits: { targets: 3 } } });
  alice = world.connect('alice');
  bob = world.connect('bob');
  carol = world.connect('carol');
  dave = world.connect('dave');
  alice.run('JOIN #c');
  bob.run('JOIN #c');
  carol.run('JOIN #c');
  alice.run('MODE #c +v bob');
  for (const c of [alice, bob, carol, dave]) c.take();
});

describe('PRIVMSG', () => {
  it('to a channel reaches every other member, not the sender', () => {
    expect(carol.run('PRIVMSG #c :hello all')).toEqual([]);
    const line = ':carol!carol@127.0.0.1 PRIVMSG #c :hello all';
    expect(alice.take()).toEqual([line]);
    expect(bob.take()).toEqual([line]);
    expect(dave.take()).toEqual([]);
  });

  it('keeps the target as the sender wrote it', () => {
    carol.run('PRIVMSG #C :case');
    expect(alice.take()).toEqual([':carol!carol@127.0.0.1 PRIVMSG #C :case']);
  });

  it('to a nick reaches that user, under their own spelling of the nick', () => {
    expect(alice.run('PRIVMSG DAVE :psst')).toEqual([]);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 PRIVMSG dave :psst']);
    expect(bob.take()).toEqual([]);
  });

  it('a message to oneself comes back', () => {
    expect(alice.run('PRIVMSG alice :note to self')).toEqual([':alice!alice@127.0.0.1 PRIVMSG alice :note to self']);
  });

  it('@#chan reaches the ops only', () => {
    expect(carol.run('PRIVMSG @#c :ops, help')).toEqual([]);
    expect(alice.take()).toEqual([':carol!carol@127.0.0.1 PRIVMSG @#c :ops, help']);
    expect(bob.take()).toEqual([]);
  });

  it('+#chan reaches the voiced and the ops', () => {
    carol.run('PRIVMSG +#c :voices');
    expect(alice.take()).toEqual([':carol!carol@127.0.0.1 PRIVMSG +#c :voices']);
    expect(bob.take()).toEqual([':carol!carol@127.0.0.1 PRIVMSG +#c :voices']);
    expect(carol.take()).toEqual([]);
  });

  it('a STATUSMSG target still obeys the channel rules', () => {
    expect(dave.run('PRIVMSG @#c :from outside')).toEqual([':obrol.local 404 dave #c :Cannot send to channel (no external messages, +n)']);
    expect(alice.take()).toEqual([]);
  });

  it('several targets, each once', () => {
    expect(alice.run('PRIVMSG dave,#c,DAVE :multi')).toEqual([]);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 PRIVMSG dave :multi']);
    expect(carol.take()).toEqual([':alice!alice@127.0.0.1 PRIVMSG #c :multi']);
  });

  it('past the target limit answers 407 for the rest', () => {
    expect(alice.run('PRIVMSG bob,carol,dave,#c :x')).toEqual([':obrol.local 407 alice #c :Too many targets (at most 3 per command)']);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 PRIVMSG dave :x']);
  });

  it.each([
    ['no such nick', 'PRIVMSG nobody :hi', ':obrol.local 401 dave nobody :No such nick/channel'],
    ['no such channel', 'PRIVMSG #nope :hi', ':obrol.local 403 dave #nope :No such channel'],
    ['no recipient', 'PRIVMSG', ':obrol.local 411 dave :No recipient given (PRIVMSG)'],
    ['no text', 'PRIVMSG alice', ':obrol.local 412 dave :No text to send'],
    ['empty text', 'PRIVMSG alice :', ':obrol.local 412 dave :No text to send'],
    ['+n from outside', 'PRIVMSG #c :hi', ':obrol.local 404 dave #c :Cannot send to channel (no external messages, +n)'],
  ])('%s', (_what, line, reply) => {
    expect(dave.run(line)).toEqual([reply]);
    expect(alice.take()).toEqual([]);
  });

  it('+m: plain members get 404, voiced and ops speak', () => {
    alice.run('MODE #c +m');
    carol.take();
    expect(carol.run('PRIVMSG #c :hi')).toEqual([':obrol.local 404 carol #c :Cannot send to channel (moderated, +m)']);
    expect(bob.run('PRIVMSG #c :hi')).toEqual([]);
    expect(carol.take()).toEqual([':bob!bob@127.0.0.1 PRIVMSG #c :hi']);
  });

  it('a banned member gets 404 unless voiced', () => {
    alice.run('MODE #c +bb carol bob');
    expect(carol.run('PRIVMSG #c :hi')).toEqual([':obrol.local 404 carol #c :Cannot send to channel (you are banned, +b)']);
    expect(bob.run('PRIVMSG #c :hi')).toEqual([]);
  });

  it('+C refuses CTCP requests but not ACTION', () => {
    alice.run('MODE #c +C');
    carol.take();
    expect(carol.run('PRIVMSG #c :\x01VERSION\x01')).toEqual([':obrol.local 404 carol #c :Cannot send to channel (CTCP requests are not allowed here, +C)']);
    expect(carol.run('PRIVMSG #c :\x01ACTION waves\x01')).toEqual([]);
    expect(alice.take()).toEqual([':carol!carol@127.0.0.1 PRIVMSG #c :\x01ACTION waves\x01']);
  });

  it('an away recipient answers with 301', () => {
    dave.run('AWAY :gone fishing');
    expect(alice.run('PRIVMSG dave :you there?')).toEqual([':obrol.local 301 alice dave :gone fishing']);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 PRIVMSG dave :you there?']);
  });

  it('updates the idle time of the sender', () => {
    world.now += 100;
    alice.run('PRIVMSG dave :x');
    expect(alice.user.lastSpokeAt).toBe(world.now);
  });

  it('publishes each delivered message on the bus', async () => {
    await world.busEvents();
    alice.run('PRIVMSG #c,dave :hi');
    const common = { type: 'message', origin: 'node-a', userId: alice.user.id, command: 'PRIVMSG', text: 'hi', statusMask: 0, tags: null, msgid: expect.any(String), time: expect.any(Number) };
    expect(await world.busEvents()).toEqual([
      { ...common, target: '#c', channel: '#c', recipientId: null },
      { ...common, target: 'dave', channel: null, recipientId: dave.user.id },
    ]);
  });
});

describe('NOTICE', () => {
  it('is delivered like PRIVMSG', () => {
    expect(alice.run('NOTICE #c :notice')).toEqual([]);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 NOTICE #c :notice']);
    alice.run('NOTICE dave :hi');
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 NOTICE dave :hi']);
  });

  it.each([
    ['no such nick', 'NOTICE nobody :hi'],
    ['no such channel', 'NOTICE #nope :hi'],
    ['no recipient', 'NOTICE'],
    ['no text', 'NOTICE alice'],
    ['+n from outside', 'NOTICE #c :hi'],
    ['too many targets', 'NOTICE a,b,c,d :hi'],
  ])('never answers with an error: %s', (_what, line) => {
    expect(dave.run(line)).toEqual([]);
  });

  it('never triggers RPL_AWAY', () => {
    dave.run('AWAY :gone');
    expect(alice.run('NOTICE dave :hi')).toEqual([]);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 NOTICE dave :hi']);
  });
});
