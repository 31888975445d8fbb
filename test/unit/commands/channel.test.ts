import { beforeEach, describe, expect, it } from 'vitest';
import { OP, VOICE } from '../../../src/state/channel.js';
import { START_TIME, World, type FakeClient } from '../../helpers/harness.js';

const T = START_TIME;
let world: World;
let alice: FakeClient;
let bob: FakeClient;
let carol: FakeClient;

beforeEach(() => {
  world = new World();
  alice = world.connect('alice', { realname: 'Alice A' });
  bob = world.connect('bob');
  carol = world.connect('carol');
});

describe('JOIN', () => {
  it('creates a channel with the joiner as operator and the default modes', () => {
    expect(alice.run('JOIN #c')).toEqual([
      ':alice!alice@127.0.0.1 JOIN :#c',
      ':obrol.local 353 alice = #c :@alice',
      ':obrol.local 366 alice #c :End of /NAMES list',
    ]);
    const channel = world.registry.findChannel('#c');
    expect(channel?.status(alice.user)).toBe(OP);
    expect([...(channel?.flags ?? [])].sort()).toEqual(['n', 't']);
    expect(channel?.createdAt).toBe(T);
  });

  it('tells the members, and the joiner gets the names in join order', () => {
    alice.run('JOIN #c');
    expect(bob.run('JOIN #C')).toEqual([
      ':bob!bob@127.0.0.1 JOIN :#c',
      ':obrol.local 353 bob = #c :@alice bob',
      ':obrol.local 366 bob #c :End of /NAMES list',
    ]);
    expect(alice.take()).toEqual([':bob!bob@127.0.0.1 JOIN :#c']);
    expect(carol.take()).toEqual([]);
  });

  it('sends the topic burst (332, 333) before the names', () => {
    alice.run('JOIN #c');
    alice.run('TOPIC #c :Hello world');
    world.now = T + 60;
    expect(bob.run('JOIN #c')).toEqual([
      ':bob!bob@127.0.0.1 JOIN :#c',
      ':obrol.local 332 bob #c :Hello world',
      `:obrol.local 333 bob #c alice!alice@127.0.0.1 :${T}`,
      ':obrol.local 353 bob = #c :@alice bob',
      ':obrol.local 366 bob #c :End of /NAMES list',
    ]);
  });

  it('marks a secret channel with @ in 353 and shows all prefixes with multi-prefix', () => {
    const dave = world.connect('dave', { caps: ['multi-prefix'] });
    alice.run('JOIN #s');
    alice.run('MODE #s +s');
    dave.run('JOIN #s');
    world.registry.findChannel('#s')?.members.set(dave.user, OP | VOICE);
    expect(dave.run('NAMES #s')).toEqual([':obrol.local 353 dave @ #s :@alice @+dave', ':obrol.local 366 dave #s :End of /NAMES list']);
  });

  it('joins several channels at once, with keys by position', () => {
    alice.run('JOIN #k');
    alice.run('MODE #k +k sesame');
    expect(bob.run('JOIN #k,#new sesame').filter((l) => l.includes(' JOIN '))).toEqual([':bob!bob@127.0.0.1 JOIN :#k', ':bob!bob@127.0.0.1 JOIN :#new']);
  });

  it('ignores a join to a channel the user is already on', () => {
    alice.run('JOIN #c');
    expect(alice.run('JOIN #c')).toEqual([]);
  });

  it.each([
    ['an invalid name', 'JOIN nohash', ':obrol.local 403 bob nohash :No such channel'],
    ['a name with a control character', 'JOIN #a\x07b', ':obrol.local 403 bob #a\x07b :No such channel'],
  ])('refuses %s with 403', (_what, line, reply) => {
    expect(bob.run(line)).toEqual([reply]);
  });

  it('refuses with 475, 471, 474 and 473, using the channel name as created', () => {
    alice.run('JOIN #Chan');
    alice.run('MODE #chan +k sesame');
    expect(bob.run('JOIN #chan')).toEqual([':obrol.local 475 bob #Chan :Cannot join channel (+k)']);
    expect(bob.run('JOIN #chan wrong')).toEqual([':obrol.local 475 bob #Chan :Cannot join channel (+k)']);
    alice.run('MODE #chan -k');
    alice.run('MODE #chan +l 1');
    expect(bob.run('JOIN #chan')).toEqual([':obrol.local 471 bob #Chan :Cannot join channel (+l)']);
    alice.run('MODE #chan -l');
    alice.run('MODE #chan +b bob');
    expect(bob.run('JOIN #chan')).toEqual([':obrol.local 474 bob #Chan :Cannot join channel (+b)']);
    alice.run('MODE #chan -b bob');
    alice.run('MODE #chan +i');
    expect(bob.run('JOIN #chan')).toEqual([':obrol.local 473 bob #Chan :Cannot join channel (+i)']);
    expect(world.registry.findChannel('#chan')?.has(bob.user)).toBe(false);
  });

  it('refuses past channels_per_user with 405', () => {
    const small = new World({ config: { limits: { channels_per_user: 1 } } });
    const dave = small.connect('dave');
    dave.run('JOIN #one');
    expect(dave.run('JOIN #two')).toEqual([':obrol.local 405 dave #two :You have joined too many channels']);
  });

  it('JOIN 0 parts every channel', () => {
    alice.run('JOIN #a,#b');
    bob.run('JOIN #a');
    alice.take();
    expect(alice.run('JOIN 0')).toEqual([':alice!alice@127.0.0.1 PART :#a', ':alice!alice@127.0.0.1 PART :#b']);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 PART :#a']);
    expect(world.registry.findChannel('#b')).toBeUndefined();
  });

  it('publishes the join on the bus', async () => {
    alice.run('JOIN #c');
    expect(await world.busEvents()).toEqual([
      {
        type: 'channel.join',
        origin: 'node-a',
        userId: alice.user.id,
        channel: '#c',
        status: OP,
        created: { at: START_TIME, flags: 'nt' },
        msgid: expect.any(String),
        time: START_TIME * 1000,
      },
    ]);
  });
});

describe('PART', () => {
  beforeEach(() => {
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.take();
  });

  it('with a reason, to every member', () => {
    expect(bob.run('PART #c :see you')).toEqual([':bob!bob@127.0.0.1 PART #c :see you']);
    expect(alice.take()).toEqual([':bob!bob@127.0.0.1 PART #c :see you']);
    expect(world.registry.findChannel('#c')?.has(bob.user)).toBe(false);
  });

  it('without a reason', () => {
    expect(bob.run('PART #C')).toEqual([':bob!bob@127.0.0.1 PART :#c']);
  });

  it('the last member out ends the channel', () => {
    bob.run('PART #c');
    alice.run('PART #c');
    expect(world.registry.findChannel('#c')).toBeUndefined();
    expect(world.registry.channels.size).toBe(0);
  });

  it('answers 403 and 442 per channel and parts the rest', () => {
    expect(carol.run('PART #nope,#c')).toEqual([':obrol.local 403 carol #nope :No such channel', ":obrol.local 442 carol #c :You're not on that channel"]);
    expect(bob.run('PART #nope,#c :bye')).toEqual([':obrol.local 403 bob #nope :No such channel', ':bob!bob@127.0.0.1 PART #c :bye']);
  });
});

describe('TOPIC', () => {
  beforeEach(() => {
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.take();
  });

  it('an op sets it; every member sees it; a query shows it with who and when', () => {
    world.now = T + 5;
    expect(alice.run('TOPIC #c :New topic here')).toEqual([':alice!alice@127.0.0.1 TOPIC #c :New topic here']);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 TOPIC #c :New topic here']);
    expect(bob.run('TOPIC #c')).toEqual([':obrol.local 332 bob #c :New topic here', `:obrol.local 333 bob #c alice!alice@127.0.0.1 :${T + 5}`]);
  });

  it('+t: a plain member gets 482, the topic is unchanged', () => {
    expect(bob.run('TOPIC #c :mine')).toEqual([":obrol.local 482 bob #c :You're not channel operator"]);
    expect(alice.take()).toEqual([]);
    expect(bob.run('TOPIC #c')).toEqual([':obrol.local 331 bob #c :No topic is set']);
  });

  it('-t: any member may set it', () => {
    alice.run('MODE #c -t');
    expect(bob.run('TOPIC #c :mine')).toEqual([':bob!bob@127.0.0.1 TOPIC #c :mine']);
  });

  it('an empty topic clears it', () => {
    alice.run('TOPIC #c :something');
    expect(alice.run('TOPIC #c :')).toEqual([':alice!alice@127.0.0.1 TOPIC #c :']);
    expect(alice.run('TOPIC #c')).toEqual([':obrol.local 331 alice #c :No topic is set']);
  });

  it('a non-member may read but not set it', () => {
    alice.run('TOPIC #c :visible');
    expect(carol.run('TOPIC #c')[0]).toBe(':obrol.local 332 carol #c :visible');
    expect(carol.run('TOPIC #c :x')).toEqual([":obrol.local 442 carol #c :You're not on that channel"]);
  });

  it('a secret channel does not exist for non-members', () => {
    alice.run('MODE #c +s');
    expect(carol.run('TOPIC #c')).toEqual([':obrol.local 403 carol #c :No such channel']);
  });

  it('is cut to topic_length bytes on a character boundary', () => {
    const small = new World({ config: { limits: { topic_length: 5 } } });
    const dave = small.connect('dave');
    dave.run('JOIN #c');
    expect(dave.run('TOPIC #c :abcd€f')).toEqual([':dave!dave@127.0.0.1 TOPIC #c :abcd']);
  });
});

describe('KICK', () => {
  beforeEach(() => {
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    carol.run('JOIN #c');
    alice.take();
    bob.take();
  });

  it('an op kicks; every member including the kicked sees it once', () => {
    const line = ':alice!alice@127.0.0.1 KICK #c bob :spamming';
    expect(alice.run('KICK #c bob :spamming')).toEqual([line]);
    expect(bob.take()).toEqual([line]);
    expect(carol.take()).toEqual([line]);
    expect(world.registry.findChannel('#c')?.has(bob.user)).toBe(false);
  });

  it('the reason defaults to the kicker nick', () => {
    expect(alice.run('KICK #c BOB')).toEqual([':alice!alice@127.0.0.1 KICK #c bob :alice']);
  });

  it('kicks several nicks from one channel', () => {
    expect(alice.run('KICK #c bob,carol :out')).toEqual([':alice!alice@127.0.0.1 KICK #c bob :out', ':alice!alice@127.0.0.1 KICK #c carol :out']);
  });

  it.each([
    ['not an op', 'bob', 'KICK #c carol', ":obrol.local 482 bob #c :You're not channel operator"],
    ['an unknown nick', 'alice', 'KICK #c nobody', ':obrol.local 401 alice nobody :No such nick/channel'],
    ['no such channel', 'alice', 'KICK #nope bob', ':obrol.local 403 alice #nope :No such channel'],
    ['mismatched lists', 'alice', 'KICK #c,#d bob', ':obrol.local 461 alice KICK :Not enough parameters'],
  ])('refuses: %s', (_what, who, line, reply) => {
    const client = { alice, bob }[who as 'alice' | 'bob'];
    expect(client.run(line)).toEqual([reply]);
    expect(world.registry.findChannel('#c')?.members.size).toBe(3);
  });

  it('a target not on the channel answers 441 with their nick as spelled', () => {
    world.connect('dave');
    expect(alice.run('KICK #c DAVE')).toEqual([":obrol.local 441 alice dave #c :They aren't on that channel"]);
  });

  it('the kicker must be on the channel', () => {
    const dave = world.connect('dave');
    expect(dave.run('KICK #c bob')).toEqual([":obrol.local 442 dave #c :You're not on that channel"]);
  });
});

describe('INVITE', () => {
  let dave: FakeClient;
  beforeEach(() => {
    dave = world.connect('dave');
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.run('MODE #c +i');
    alice.take();
    bob.take();
  });

  it('an op invites: 341 to the inviter, INVITE to the invitee, who may then join once', () => {
    expect(alice.run('INVITE dave #c')).toEqual([':obrol.local 341 alice dave :#c']);
    expect(dave.take()).toEqual([':alice!alice@127.0.0.1 INVITE dave :#c']);
    expect(bob.take()).toEqual([]);
    expect(dave.run('JOIN #c')[0]).toBe(':dave!dave@127.0.0.1 JOIN :#c');
    dave.run('PART #c');
    expect(dave.run('JOIN #c')).toEqual([':obrol.local 473 dave #c :Cannot join channel (+i)']);
  });

  it('INVITE alone lists the pending invites', () => {
    alice.run('INVITE dave #c');
    expect(dave.run('INVITE')).toEqual([':obrol.local 336 dave :#c', ':obrol.local 337 dave :End of /INVITE list']);
    expect(carol.run('INVITE')).toEqual([':obrol.local 337 carol :End of /INVITE list']);
  });

  it('tells the inviter when the invitee is away', () => {
    dave.run('AWAY :lunch');
    expect(alice.run('INVITE dave #c')).toEqual([':obrol.local 341 alice dave :#c', ':obrol.local 301 alice dave :lunch']);
  });

  it.each([
    ['a plain member on +i', 'bob', 'INVITE dave #c', ":obrol.local 482 bob #c :You're not channel operator"],
    ['a target already on the channel', 'alice', 'INVITE bob #c', ':obrol.local 443 alice bob #c :is already on channel'],
    ['an unknown nick', 'alice', 'INVITE nobody #c', ':obrol.local 401 alice nobody :No such nick/channel'],
    ['an unknown channel', 'alice', 'INVITE dave #nope', ':obrol.local 403 alice #nope :No such channel'],
    ['an inviter not on the channel', 'carol', 'INVITE dave #c', ":obrol.local 442 carol #c :You're not on that channel"],
    ['a missing channel', 'alice', 'INVITE dave', ':obrol.local 461 alice INVITE :Not enough parameters'],
  ])('refuses %s', (_what, who, line, reply) => {
    const client = { alice, bob, carol }[who as 'alice' | 'bob' | 'carol'];
    expect(client.run(line)).toEqual([reply]);
    expect(dave.take()).toEqual([]);
  });

  it('a plain member may invite to a channel without +i', () => {
    alice.run('MODE #c -i');
    expect(bob.run('INVITE dave #c')).toEqual([':obrol.local 341 bob dave :#c']);
  });
});

describe('LIST', () => {
  let dave: FakeClient;
  beforeEach(() => {
    dave = world.connect('dave');
    // #old: created at T, 2 users, topic set at T + 60.
    alice.run('JOIN #old');
    bob.run('JOIN #old');
    world.now = T + 60;
    alice.run('TOPIC #old :old topic');
    // #new: created at T + 30 min, 1 user, no topic.
    world.now = T + 30 * 60;
    carol.run('JOIN #new');
    // #hidden: secret, 1 user.
    dave.run('JOIN #hidden');
    dave.run('MODE #hidden +s');
    world.now = T + 40 * 60;
  });

  const start = (nick: string) => `:obrol.local 321 ${nick} Channel :Users  Name`;
  const end = (nick: string) => `:obrol.local 323 ${nick} :End of /LIST`;

  it('lists visible channels with user counts and topics', () => {
    expect(alice.run('LIST')).toEqual([start('alice'), ':obrol.local 322 alice #old 2 :old topic', ':obrol.local 322 alice #new 1 :', end('alice')]);
  });

  it('shows a secret channel to its members', () => {
    expect(dave.run('LIST')).toContain(':obrol.local 322 dave #hidden 1 :');
  });

  it.each([
    ['>1', ['#old']],
    ['<2', ['#new']],
    ['#o*', ['#old']],
    ['!#o*', ['#new']],
    ['#OLD,#new', ['#old', '#new']],
    ['C>35', ['#old']],
    ['C<35', ['#new']],
    ['T<60', ['#old']],
    ['T>60', []],
    ['#*,>1', ['#old']],
    ['#hidden', []],
  ])('filters with %j', (filter, names) => {
    const lines = alice.run(`LIST ${filter}`);
    expect(lines[0]).toBe(start('alice'));
    expect(lines.at(-1)).toBe(end('alice'));
    expect(lines.slice(1, -1).map((l) => l.split(' ')[3])).toEqual(names);
  });

  it('counts only visible members for a non-member', () => {
    world.registry.setUserMode(bob.user, 'i', true);
    expect(carol.run('LIST #old')[1]).toBe(':obrol.local 322 carol #old 1 :old topic');
    expect(alice.run('LIST #old')[1]).toBe(':obrol.local 322 alice #old 2 :old topic');
  });
});
