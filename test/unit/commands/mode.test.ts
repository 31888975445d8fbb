import { beforeEach, describe, expect, it } from 'vitest';
import { normalizeMask } from '../../../src/state/channelmodes.js';
import { OP, VOICE } from '../../../src/state/channel.js';
import { START_TIME, World, type FakeClient } from '../../helpers/harness.js';

const T = START_TIME;
let world: World;
let alice: FakeClient; // op of #c
let bob: FakeClient; // member of #c
let dave: FakeClient; // not on #c

beforeEach(() => {
  world = new World();
  alice = world.connect('alice');
  bob = world.connect('bob');
  dave = world.connect('dave');
  alice.run('JOIN #c');
  bob.run('JOIN #c');
  alice.take();
});

const channel = () => {
  const c = world.registry.findChannel('#c');
  if (!c) throw new Error('#c is gone');
  return c;
};

describe('MODE #channel: queries', () => {
  it('shows the modes and the creation time', () => {
    expect(bob.run('MODE #c')).toEqual([':obrol.local 324 bob #c :+nt', `:obrol.local 329 bob #c :${T}`]);
  });

  it('shows key and limit values to members only', () => {
    alice.run('MODE #c +kl sesame 10');
    expect(bob.run('MODE #c')[0]).toBe(':obrol.local 324 bob #c +ntkl sesame :10');
    expect(dave.run('MODE #c')[0]).toBe(':obrol.local 324 dave #c :+ntkl');
  });

  it('a secret channel does not exist for outsiders', () => {
    alice.run('MODE #c +s');
    expect(dave.run('MODE #c')).toEqual([':obrol.local 403 dave #c :No such channel']);
  });
});

describe('MODE #channel: flags', () => {
  it('an op sets flags; every member sees one line', () => {
    const line = ':alice!alice@127.0.0.1 MODE #c :+im';
    expect(alice.run('MODE #c +im')).toEqual([line]);
    expect(bob.take()).toEqual([line]);
    expect([...channel().flags].sort()).toEqual(['i', 'm', 'n', 't']);
  });

  it('announces only what changed', () => {
    expect(alice.run('MODE #c +nti')).toEqual([':alice!alice@127.0.0.1 MODE #c :+i']);
    expect(alice.run('MODE #c +i')).toEqual([]);
    expect(alice.run('MODE #c -i+s-m')).toEqual([':alice!alice@127.0.0.1 MODE #c :-i+s']);
  });

  it('a plain member gets 482 and nothing changes', () => {
    expect(bob.run('MODE #c +m')).toEqual([":obrol.local 482 bob #c :You're not channel operator"]);
    expect(channel().flags.has('m')).toBe(false);
    expect(alice.take()).toEqual([]);
  });

  it('unknown mode characters get 472 each, the rest applies', () => {
    expect(alice.run('MODE #c +Xm')).toEqual([':obrol.local 472 alice X :is unknown mode char to me', ':alice!alice@127.0.0.1 MODE #c :+m']);
  });
});

describe('MODE #channel: status modes', () => {
  it('+o and +v give status and name the member', () => {
    expect(alice.run('MODE #c +o BOB')).toEqual([':alice!alice@127.0.0.1 MODE #c +o :bob']);
    expect(channel().status(bob.user)).toBe(OP);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 MODE #c +o :bob']);
    expect(alice.run('MODE #c +v-o bob bob')).toEqual([':alice!alice@127.0.0.1 MODE #c +v-o bob :bob']);
    expect(channel().status(bob.user)).toBe(VOICE);
  });

  it('an op may deop themself', () => {
    expect(alice.run('MODE #c -o alice')).toEqual([':alice!alice@127.0.0.1 MODE #c -o :alice']);
    expect(channel().isOp(alice.user)).toBe(false);
  });

  it('401 for an unknown nick, 441 for someone not on the channel', () => {
    expect(alice.run('MODE #c +o nobody')).toEqual([':obrol.local 401 alice nobody :No such nick/channel']);
    expect(alice.run('MODE #c +v dave')).toEqual([":obrol.local 441 alice dave #c :They aren't on that channel"]);
  });

  it('a missing parameter is ignored', () => {
    expect(alice.run('MODE #c +o')).toEqual([]);
  });

  it('applies at most modes_per_command changes with a parameter', () => {
    const small = new World({ config: { limits: { modes_per_command: 2 } } });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => small.connect(n)) as [FakeClient, FakeClient, FakeClient, FakeClient];
    a.run('JOIN #x');
    for (const client of [b, c, d]) client.run('JOIN #x');
    expect(a.run('MODE #x +vvv b c d')).toEqual([':a!a@127.0.0.1 MODE #x +vv b :c']);
  });
});

describe('MODE #channel: lists', () => {
  it('+b completes the mask and lists it with setter and time', () => {
    expect(alice.run('MODE #c +b dave')).toEqual([':alice!alice@127.0.0.1 MODE #c +b :dave!*@*']);
    world.now = T + 10;
    alice.run('MODE #c +b *@bad.example');
    expect(bob.run('MODE #c +b')).toEqual([
      `:obrol.local 367 bob #c dave!*@* alice!alice@127.0.0.1 :${T}`,
      `:obrol.local 367 bob #c *!*@bad.example alice!alice@127.0.0.1 :${T + 10}`,
      ':obrol.local 368 bob #c :End of channel ban list',
    ]);
  });

  it('"MODE #c b" lists too, and anyone who can see the channel may ask', () => {
    expect(dave.run('MODE #c b')).toEqual([':obrol.local 368 dave #c :End of channel ban list']);
  });

  it('lists e and I with their own numerics', () => {
    alice.run('MODE #c +eI friend!*@* *!*@trusted.example');
    expect(bob.run('MODE #c e')).toEqual([
      `:obrol.local 348 bob #c friend!*@* alice!alice@127.0.0.1 :${T}`,
      ':obrol.local 349 bob #c :End of channel exception list',
    ]);
    expect(bob.run('MODE #c I')).toEqual([
      `:obrol.local 346 bob #c *!*@trusted.example alice!alice@127.0.0.1 :${T}`,
      ':obrol.local 347 bob #c :End of channel invite exception list',
    ]);
  });

  it('a duplicate mask (in any case) is not added twice; removal matches case-insensitively', () => {
    alice.run('MODE #c +b Dave');
    expect(alice.run('MODE #c +b DAVE!*@*')).toEqual([]);
    expect(alice.run('MODE #c -b dave')).toEqual([':alice!alice@127.0.0.1 MODE #c -b :Dave!*@*']);
    expect(channel().lists.b).toEqual([]);
    expect(alice.run('MODE #c -b dave')).toEqual([]);
  });

  it('a full list answers 478', () => {
    const small = new World({ config: { limits: { list_entries: 1 } } });
    const a = small.connect('a');
    a.run('JOIN #x');
    a.run('MODE #x +b one');
    expect(a.run('MODE #x +b two')).toEqual([':obrol.local 478 a #x b :Channel list is full: +b, +e and +I hold 1 entries together']);
  });

  it.each([
    ['nick', 'nick!*@*'],
    ['user@host', '*!user@host'],
    ['host.name', '*!*@host.name'],
    ['nick!user', 'nick!user@*'],
    ['nick!user@host', 'nick!user@host'],
    ['!@', '*!*@*'],
    ['2001:db8::1', '*!*@2001:db8::1'],
  ])('normalizeMask(%j) = %j', (mask, full) => {
    expect(normalizeMask(mask)).toBe(full);
  });
});

describe('MODE #channel: key and limit', () => {
  it('+k sets a key; -k without the key removes it and shows *', () => {
    expect(alice.run('MODE #c +k sesame')).toEqual([':alice!alice@127.0.0.1 MODE #c +k :sesame']);
    expect(channel().key).toBe('sesame');
    expect(alice.run('MODE #c -k')).toEqual([':alice!alice@127.0.0.1 MODE #c -k :*']);
    expect(channel().key).toBeNull();
    expect(alice.run('MODE #c -k')).toEqual([]);
  });

  it('-k with any key removes it too', () => {
    alice.run('MODE #c +k sesame');
    expect(alice.run('MODE #c -k whatever')).toEqual([':alice!alice@127.0.0.1 MODE #c -k :*']);
  });

  it.each([
    ['a comma', 'MODE #c +k a,b'],
    ['a space', 'MODE #c +k :a b'],
    ['too long', `MODE #c +k ${'k'.repeat(24)}`],
  ])('an invalid key (%s) answers 696 and sets nothing', (_what, line) => {
    expect(alice.run(line)).toEqual([':obrol.local 696 alice #c k * :Invalid key: 1 to 23 printable characters without spaces or commas']);
    expect(channel().key).toBeNull();
  });

  it('+l sets a limit; -l takes no parameter', () => {
    expect(alice.run('MODE #c +l 2')).toEqual([':alice!alice@127.0.0.1 MODE #c +l :2']);
    expect(dave.run('JOIN #c')).toEqual([':obrol.local 471 dave #c :Cannot join channel (+l)']);
    expect(alice.run('MODE #c -l')).toEqual([':alice!alice@127.0.0.1 MODE #c :-l']);
    expect(channel().limit).toBeNull();
  });

  it.each(['0', 'abc', '-5', '1e3', '9999999'])('an invalid limit %j answers 696', (value) => {
    expect(alice.run(`MODE #c +l ${value}`)).toEqual([`:obrol.local 696 alice #c l ${value} :Invalid limit: a positive number of users`]);
    expect(channel().limit).toBeNull();
  });

  it('+l normalises the number', () => {
    expect(alice.run('MODE #c +l 007')).toEqual([':alice!alice@127.0.0.1 MODE #c +l :7']);
  });
});

describe('MODE nick', () => {
  it('+i sets invisible and counts it', () => {
    expect(alice.run('MODE alice +i')).toEqual([':alice!alice@127.0.0.1 MODE alice :+i']);
    expect(world.registry.invisibleCount).toBe(1);
    expect(alice.run('MODE alice +i')).toEqual([]);
    expect(alice.run('MODE alice')).toEqual([':obrol.local 221 alice :+i']);
  });

  it('+w and -i together', () => {
    alice.run('MODE alice +i');
    expect(alice.run('MODE ALICE -i+w')).toEqual([':alice!alice@127.0.0.1 MODE alice :-i+w']);
    expect(alice.user.modeString()).toBe('+w');
  });

  it('+o is ignored: only OPER gives it', () => {
    expect(alice.run('MODE alice +o')).toEqual([]);
    expect(alice.user.isOper).toBe(false);
    expect(world.registry.operCount).toBe(0);
  });

  it('-o drops operator status and the oper name', () => {
    world.registry.setUserMode(alice.user, 'o', true);
    alice.user.operName = 'admin';
    expect(alice.run('MODE alice -o')).toEqual([':alice!alice@127.0.0.1 MODE alice :-o']);
    expect(alice.user.isOper).toBe(false);
    expect(alice.user.operName).toBeNull();
    expect(world.registry.operCount).toBe(0);
  });

  it('unknown flags answer 501; known ones still apply', () => {
    expect(alice.run('MODE alice +xi')).toEqual([':obrol.local 501 alice :Unknown MODE flag', ':alice!alice@127.0.0.1 MODE alice :+i']);
  });

  it('someone else answers 502, an unknown nick 401', () => {
    expect(alice.run('MODE bob +i')).toEqual([":obrol.local 502 alice :Can't change mode for other users"]);
    expect(alice.run('MODE bob')).toEqual([":obrol.local 502 alice :Can't change mode for other users"]);
    expect(alice.run('MODE nobody +i')).toEqual([':obrol.local 401 alice nobody :No such nick/channel']);
    expect(bob.user.isInvisible).toBe(false);
  });

  it('is not sent to anyone else', () => {
    alice.run('MODE alice +i');
    expect(bob.take()).toEqual([]);
  });
});
