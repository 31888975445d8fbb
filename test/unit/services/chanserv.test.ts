import { beforeEach, describe, expect, it, vi } from 'vitest';
import { receive } from '../../../src/network/effects.js';
import { restoreChannel } from '../../../src/network/registered.js';
import { OP, VOICE } from '../../../src/state/channel.js';
import type { AccountRecord } from '../../../src/store/types.js';
import { World, type FakeClient } from '../../helpers/harness.js';

const CS = ':ChanServ!ChanServ@obrol.local';
let world: World;
let alice: FakeClient; // op of #c, logged in as Alice
let bob: FakeClient; // member of #c

function account(name: string): AccountRecord {
  return { name, passwordHash: 'x', scram: null, email: null, verified: true, verifyCode: null, registeredAt: 0, certfps: [], alwaysOn: false, channels: [] };
}

/** Act out a login: the account exists and the user is logged into it. */
async function login(client: FakeClient, name: string): Promise<void> {
  await world.store.accounts.createAccount(world.registry.fold(name), account(name));
  client.user.account = name;
}

const cs = (client: FakeClient, text: string) => client.runAsync(`PRIVMSG ChanServ :${text}`);
const channel = (name = '#c') => {
  const found = world.registry.findChannel(name);
  if (!found) throw new Error(`${name} is gone`);
  return found;
};

beforeEach(async () => {
  world = new World();
  alice = world.connect('alice');
  bob = world.connect('bob');
  alice.run('JOIN #c');
  bob.run('JOIN #c');
  alice.take();
  await login(alice, 'Alice');
});

describe('ChanServ REGISTER', () => {
  it('registers a channel to the caller’s account, saves it and tells the other nodes', async () => {
    await world.busEvents();
    const lines = await cs(alice, 'REGISTER #C');
    expect(lines[0]).toBe(`${CS} NOTICE alice :#c is now registered to your account Alice.`);
    expect(channel().registration).toMatchObject({ founder: 'alice', amodes: {} });
    const saved = await world.store.channels.getChannel('#c');
    expect(saved).toMatchObject({ name: '#c', founder: 'alice', modes: 'nt', topic: null, key: null, limit: null, amodes: {} });
    expect((await world.busEvents()).filter((e) => e.type === 'channel.register')).toEqual([
      { type: 'channel.register', origin: 'node-a', channel: '#c', registration: { founder: 'alice', registeredAt: expect.any(Number), amodes: {} } },
    ]);
  });

  it('refuses a caller who is not logged in', async () => {
    alice.user.account = null;
    expect(await cs(alice, 'REGISTER #c')).toEqual([
      `${CS} NOTICE alice :You must be logged in to register a channel. Log in with SASL or /msg NickServ IDENTIFY <account> <password>.`,
    ]);
    expect(channel().registration).toBeNull();
  });

  it('refuses a member who is not a channel operator', async () => {
    await login(bob, 'bob');
    expect(await cs(bob, 'REGISTER #c')).toEqual([`${CS} NOTICE bob :You must be a channel operator of #c to register it.`]);
    expect(await world.store.channels.getChannel('#c')).toBeNull();
  });

  it('refuses a channel that does not exist or that the caller is not on', async () => {
    expect(await cs(alice, 'REGISTER #nope')).toEqual([`${CS} NOTICE alice :You must be in #nope to register it: join it first.`]);
    const carol = world.connect('carol');
    carol.run('JOIN #other');
    expect(await cs(alice, 'REGISTER #other')).toEqual([`${CS} NOTICE alice :You must be in #other to register it: join it first.`]);
  });

  it('refuses a name that is not a channel, and a missing one', async () => {
    expect(await cs(alice, 'REGISTER c')).toEqual([`${CS} NOTICE alice :c is not a channel name (channel names start with #).`]);
    expect(await cs(alice, 'REGISTER')).toEqual([`${CS} NOTICE alice :Syntax: REGISTER <#channel>`]);
  });

  it('changes nothing when the store cannot save it', async () => {
    vi.spyOn(world.store.channels, 'saveChannel').mockRejectedValue(new Error('disk full'));
    expect(await cs(alice, 'REGISTER #c')).toEqual([`${CS} NOTICE alice :Sorry, that could not be saved just now; nothing was changed. Try again later.`]);
    expect(channel().registration).toBeNull();
  });

  it('refuses a channel registered already', async () => {
    await cs(alice, 'REGISTER #c');
    expect(await cs(alice, 'REGISTER #c')).toEqual([`${CS} NOTICE alice :#c is already registered (founder: alice).`]);
  });
});

describe('ChanServ OP, DEOP, VOICE, DEVOICE', () => {
  beforeEach(async () => {
    await cs(alice, 'REGISTER #c');
    bob.take();
  });

  it('the founder ops and voices others with a MODE from ChanServ that every member sees', async () => {
    expect(await cs(alice, 'OP #c bob')).toEqual([`${CS} MODE #c +o :bob`, `${CS} NOTICE alice :Gave operator status (+o) to bob on #c.`]);
    expect(bob.take()).toEqual([`${CS} MODE #c +o :bob`]);
    expect(channel().status(bob.user)).toBe(OP);
    await cs(alice, 'VOICE #c bob');
    expect(channel().status(bob.user)).toBe(OP | VOICE);
    expect(await cs(alice, 'DEOP #c bob')).toEqual([`${CS} MODE #c -o :bob`, `${CS} NOTICE alice :Took operator status (+o) from bob on #c.`]);
    await cs(alice, 'DEVOICE #c bob');
    expect(channel().status(bob.user)).toBe(0);
  });

  it('acts on the caller without a nick, and says when nothing changes', async () => {
    await cs(alice, 'DEOP #c');
    expect(channel().status(alice.user)).toBe(0);
    expect(await cs(alice, 'OP #c')).toEqual([`${CS} MODE #c +o :alice`, `${CS} NOTICE alice :Gave operator status (+o) to alice on #c.`]);
    expect(await cs(alice, 'OP #c')).toEqual([`${CS} NOTICE alice :alice already has operator status (+o) on #c.`]);
    expect(await cs(alice, 'DEVOICE #c bob')).toEqual([`${CS} NOTICE alice :bob does not have voice (+v) on #c.`]);
  });

  it('lets accounts with an auto-mode use them: +v voices only, +o ops too', async () => {
    await login(bob, 'bob');
    expect(await cs(bob, 'VOICE #c')).toEqual([
      `${CS} NOTICE bob :You do not have access to change voice (+v) on #c: only its founder and accounts with an auto-mode do.`,
    ]);
    await cs(alice, 'AMODE #c +v bob');
    expect(await cs(bob, 'VOICE #c')).toContain(`${CS} MODE #c +v :bob`);
    expect(await cs(bob, 'OP #c')).toEqual([
      `${CS} NOTICE bob :You do not have access to change operator status (+o) on #c: only its founder and accounts with an auto-mode do.`,
    ]);
    await cs(alice, 'AMODE #c +o bob');
    expect(await cs(bob, 'OP #c')).toContain(`${CS} MODE #c +o :bob`);
  });

  it('refuses callers not logged in, unregistered channels, unknown nicks and non-members', async () => {
    expect(await cs(bob, 'OP #c')).toEqual([`${CS} NOTICE bob :You must be logged in to use OP. Log in with SASL or /msg NickServ IDENTIFY <account> <password>.`]);
    alice.run('JOIN #free');
    expect(await cs(alice, 'OP #free')).toEqual([`${CS} NOTICE alice :#free is not registered.`]);
    expect(await cs(alice, 'VOICE #nowhere')).toEqual([`${CS} NOTICE alice :#nowhere is not registered.`]);
    expect(await cs(alice, 'OP #c nobody')).toEqual([`${CS} NOTICE alice :There is nobody called nobody on the network.`]);
    world.connect('dave');
    expect(await cs(alice, 'VOICE #c dave')).toEqual([`${CS} NOTICE alice :dave is not on #c.`]);
  });
});

describe('ChanServ AMODE', () => {
  beforeEach(async () => {
    await cs(alice, 'REGISTER #c');
    await world.store.accounts.createAccount('bob', account('bob'));
  });

  it('lists, adds and removes auto-modes, saving each change', async () => {
    expect(await cs(alice, 'AMODE #c')).toEqual([
      `${CS} NOTICE alice :Auto-modes of #c (the founder alice always gets +o):`,
      `${CS} NOTICE alice :End of the list: 0 accounts.`,
    ]);
    expect(await cs(alice, 'AMODE #c +v Bob')).toEqual([`${CS} NOTICE alice :Bob will now get +v when joining #c.`]);
    expect(await cs(alice, 'AMODE #c +o bob')).toEqual([`${CS} NOTICE alice :bob will now get +o when joining #c.`]);
    expect((await world.store.channels.getChannel('#c'))?.amodes).toEqual({ bob: 'vo' });
    expect(await cs(alice, 'AMODE #c')).toEqual([
      `${CS} NOTICE alice :Auto-modes of #c (the founder alice always gets +o):`,
      `${CS} NOTICE alice :  +vo bob`,
      `${CS} NOTICE alice :End of the list: 1 account.`,
    ]);
    expect(await cs(alice, 'AMODE #c -v bob')).toEqual([`${CS} NOTICE alice :bob will no longer get +v when joining #c.`]);
    await cs(alice, 'AMODE #c -o bob');
    expect(channel().registration?.amodes).toEqual({});
    expect((await world.store.channels.getChannel('#c'))?.amodes).toEqual({});
    expect(await cs(alice, 'AMODE #c -o bob')).toEqual([`${CS} NOTICE alice :bob does not have the auto-mode +o on #c.`]);
  });

  it('only the founder changes them; the listed accounts may read them', async () => {
    await login(bob, 'bob');
    expect(await cs(bob, 'AMODE #c')).toEqual([`${CS} NOTICE bob :Only the founder of #c and accounts with an auto-mode there may see its auto-modes.`]);
    expect(await cs(bob, 'AMODE #c +o bob')).toEqual([`${CS} NOTICE bob :Only the founder of #c may change its auto-modes.`]);
    await cs(alice, 'AMODE #c +v bob');
    expect(await cs(bob, 'AMODE #c')).toContain(`${CS} NOTICE bob :  +v bob`);
  });

  it('refuses unknown accounts, bad changes and unregistered channels', async () => {
    expect(await cs(alice, 'AMODE #c +o ghost')).toEqual([`${CS} NOTICE alice :There is no account called ghost.`]);
    expect(await cs(alice, 'AMODE #c +b bob')).toEqual([`${CS} NOTICE alice :Syntax: AMODE <#channel> [+o|+v|-o|-v <account>]`]);
    expect(await cs(alice, 'AMODE #c +o')).toEqual([`${CS} NOTICE alice :Syntax: AMODE <#channel> [+o|+v|-o|-v <account>]`]);
    expect(await cs(alice, 'AMODE #x')).toEqual([`${CS} NOTICE alice :#x is not registered.`]);
    alice.user.account = null;
    expect(await cs(alice, 'AMODE #c')).toEqual([`${CS} NOTICE alice :You must be logged in to use AMODE. Log in with SASL or /msg NickServ IDENTIFY <account> <password>.`]);
  });
});

describe('ChanServ DROP and INFO', () => {
  beforeEach(async () => {
    await cs(alice, 'REGISTER #c');
  });

  it('INFO shows founder, date, auto-modes and topic', async () => {
    alice.run('TOPIC #c :Welcome here');
    const lines = await cs(bob, 'INFO #c');
    expect(lines).toEqual([
      `${CS} NOTICE bob :Information on #c:`,
      `${CS} NOTICE bob :  Founder:    alice`,
      expect.stringMatching(new RegExp(`^${CS} NOTICE bob :  Registered: \\w{3}, \\d\\d \\w{3} \\d{4} `)),
      `${CS} NOTICE bob :  Auto-modes: 0`,
      `${CS} NOTICE bob :  Topic:      Welcome here`,
    ]);
    expect(await cs(bob, 'INFO #unknown')).toEqual([`${CS} NOTICE bob :#unknown is not registered.`]);
  });

  it('only the founder drops; the channel keeps its state until it empties', async () => {
    await login(bob, 'bob');
    expect(await cs(bob, 'DROP #c')).toEqual([`${CS} NOTICE bob :Only the founder of #c may drop it.`]);
    bob.user.account = null;
    expect(await cs(bob, 'DROP #c')).toEqual([`${CS} NOTICE bob :You must be logged in to drop a channel. Log in with SASL or /msg NickServ IDENTIFY <account> <password>.`]);
    alice.run('TOPIC #c :kept');
    expect(await cs(alice, 'DROP #c')).toEqual([
      `${CS} NOTICE alice :#c is no longer registered. Its topic and modes stay as they are until it empties; nothing is kept after that.`,
    ]);
    expect(await world.store.channels.getChannel('#c')).toBeNull();
    expect(channel().registration).toBeNull();
    expect(channel().topic).toBe('kept');
    expect(await cs(alice, 'DROP #c')).toEqual([`${CS} NOTICE alice :#c is not registered.`]);
  });

  it('an empty registered channel goes when dropped', async () => {
    alice.run('PART #c');
    bob.run('PART #c');
    expect(channel().members.size).toBe(0);
    expect(world.registry.checkInvariants()).toEqual([]);
    await cs(alice, 'DROP #c');
    expect(world.registry.findChannel('#c')).toBeUndefined();
    expect(world.registry.checkInvariants()).toEqual([]);
  });
});

describe('a registered channel', () => {
  beforeEach(async () => {
    await cs(alice, 'REGISTER #c');
  });

  it('outlives its last member with its topic and modes; a plain user joining it gets no ops', async () => {
    alice.run('TOPIC #c :hello');
    alice.run('MODE #c +s');
    alice.run('PART #c');
    bob.run('PART #c');
    const carol = world.connect('carol');
    expect(carol.run('JOIN #c')).toEqual([
      ':carol!carol@127.0.0.1 JOIN :#c',
      ':obrol.local 332 carol #c :hello',
      `:obrol.local 333 carol #c alice!alice@127.0.0.1 :${world.now}`,
      ':obrol.local 353 carol @ #c :carol',
      ':obrol.local 366 carol #c :End of /NAMES list',
    ]);
    expect(channel().status(carol.user)).toBe(0);
  });

  it('gives the founder +o and accounts their auto-modes when they join', async () => {
    await world.store.accounts.createAccount('bob', account('bob'));
    await cs(alice, 'AMODE #c +v bob');
    alice.run('PART #c');
    bob.run('PART #c');
    await login(bob, 'bob');
    expect(bob.run('JOIN #c')).toEqual([
      ':bob!bob@127.0.0.1 JOIN :#c',
      `${CS} MODE #c +v :bob`,
      ':obrol.local 353 bob = #c :+bob',
      ':obrol.local 366 bob #c :End of /NAMES list',
    ]);
    expect(channel().status(bob.user)).toBe(VOICE);
    expect(alice.run('JOIN #c')).toEqual([
      ':alice!alice@127.0.0.1 JOIN :#c',
      `${CS} MODE #c +o :alice`,
      ':obrol.local 353 alice = #c :+bob @alice',
      ':obrol.local 366 alice #c :End of /NAMES list',
    ]);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 JOIN :#c', `${CS} MODE #c +o :alice`]);
    expect(channel().status(alice.user)).toBe(OP);
  });

  it('saves topic, modes, key, limit and lists when they change here', async () => {
    alice.run('TOPIC #c :saved topic');
    alice.run('MODE #c +miklb sesame 5 *!*@bad.example');
    alice.run('MODE #c +eI *!*@good.example *!*@inv.example');
    const saved = await world.store.channels.getChannel('#c');
    expect(saved).toMatchObject({
      topic: 'saved topic',
      topicSetBy: 'alice!alice@127.0.0.1',
      topicSetAt: world.now,
      modes: 'imnt',
      key: 'sesame',
      limit: 5,
      lists: {
        b: [{ mask: '*!*@bad.example', setBy: 'alice!alice@127.0.0.1', setAt: world.now }],
        e: [{ mask: '*!*@good.example', setBy: 'alice!alice@127.0.0.1', setAt: world.now }],
        I: [{ mask: '*!*@inv.example', setBy: 'alice!alice@127.0.0.1', setAt: world.now }],
      },
    });
    alice.run('MODE #c -ikl-b * *!*@bad.example');
    expect(await world.store.channels.getChannel('#c')).toMatchObject({ modes: 'mnt', key: null, limit: null, lists: { b: [] } });
  });

  it('is not written for status changes, which it does not keep', () => {
    const save = vi.spyOn(world.store.channels, 'saveChannel');
    alice.run('MODE #c +v bob');
    alice.run('MODE #c +o-v bob bob');
    expect(save).not.toHaveBeenCalled();
    alice.run('MODE #c +v-n bob');
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('is not saved by a replica applying another node’s change (that node saves)', async () => {
    const before = await world.store.channels.getChannel('#c');
    receive(world, { type: 'channel.topic', origin: 'node-b', by: { server: 'other.example' }, channel: '#c', topic: 'remote', setBy: 'x', setAt: 1, msgid: 'm1', time: 1000 });
    expect(channel().topic).toBe('remote');
    expect(await world.store.channels.getChannel('#c')).toEqual(before);
  });

  it('an unregistered channel is not saved', async () => {
    alice.run('JOIN #free');
    alice.run('TOPIC #free :nothing');
    expect(await world.store.channels.getChannel('#free')).toBeNull();
  });
});

describe('restoreChannel', () => {
  it('puts a saved channel back, empty, with its topic, modes and lists', () => {
    const restored = restoreChannel(world.registry, {
      name: '#Saved',
      founder: 'alice',
      registeredAt: 1_600_000_000_000,
      topic: 'old topic',
      topicSetBy: 'alice!a@h',
      topicSetAt: 1_600_000_100,
      modes: 'ntsX',
      key: 'k',
      limit: 7,
      lists: { b: [{ mask: '*!*@spam', setBy: 'op!o@h', setAt: 5 }] },
      amodes: { bob: 'v' },
    });
    expect(world.registry.findChannel('#saved')).toBe(restored);
    expect(restored.members.size).toBe(0);
    expect(restored.createdAt).toBe(1_600_000_000);
    expect([...restored.flags].sort()).toEqual(['n', 's', 't']);
    expect(restored).toMatchObject({ topic: 'old topic', topicSetBy: 'alice!a@h', topicSetAt: 1_600_000_100, key: 'k', limit: 7 });
    expect(restored.lists.b).toEqual([{ mask: '*!*@spam', setBy: 'op!o@h', setAt: 5, byOper: false, owner: '' }]);
    expect(restored.lists.e).toEqual([]);
    expect(restored.registration).toEqual({ founder: 'alice', registeredAt: 1_600_000_000_000, amodes: { bob: 'v' } });
    expect(world.registry.checkInvariants()).toEqual([]);
  });
});

describe('an account dropped with NickServ DROP', () => {
  it('takes its channel registrations and auto-modes with it, so a new account of that name inherits nothing', async () => {
    await cs(alice, 'REGISTER #c');
    alice.run('JOIN #d');
    await cs(alice, 'REGISTER #d');
    await login(bob, 'Bob');
    await cs(alice, 'AMODE #d +o Bob');
    expect(channel('#d').registration?.amodes).toEqual({ bob: 'o' });
    // Bob drops his account: his auto-op in #d goes.
    expect((await bob.runAsync('PRIVMSG NickServ :DROP'))).toContain(':NickServ!NickServ@obrol.local NOTICE bob :The account Bob has been dropped.');
    expect(channel('#d').registration?.amodes).toEqual({});
    expect((await world.store.channels.getChannel('#d'))?.amodes).toEqual({});
    // Alice drops hers: the channels she founded are no longer registered.
    await alice.runAsync('PRIVMSG NickServ :DROP');
    expect(channel('#c').registration).toBeNull();
    expect(await world.store.channels.getChannel('#c')).toBeNull();
    expect(await world.store.channels.getChannel('#d')).toBeNull();
  });
});
