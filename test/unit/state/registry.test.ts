import { beforeEach, describe, expect, it } from 'vitest';
import { topicCost } from '../../../src/state/budget.js';
import { OP, type Channel } from '../../../src/state/channel.js';
import { Registry } from '../../../src/state/registry.js';
import { User } from '../../../src/state/user.js';

let ids = 0;
function newUser(): User {
  return new User(`n/${++ids}`, '192.0.2.1', 'host', 'n', null);
}

describe('Registry: nicks', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry('rfc1459');
  });

  it('claims a free nick and finds the user once registered', () => {
    const alice = newUser();
    expect(registry.claimNick(alice, 'Alice')).toBe(true);
    expect(alice.nick).toBe('Alice');
    expect(alice.folded).toBe('alice');
    // Users still registering hold their nick but are not found.
    expect(registry.findUser('alice')).toBeUndefined();
    registry.register(alice, 100);
    expect(registry.findUser('ALICE')).toBe(alice);
  });

  it('refuses a nick held by someone else, whatever its case', () => {
    const alice = newUser();
    const bob = newUser();
    registry.claimNick(alice, 'Alice');
    expect(registry.claimNick(bob, 'aLiCe')).toBe(false);
    expect(bob.nick).toBe('*');
  });

  it('folds with the casemapping: [] equals {} under rfc1459, not under ascii', () => {
    const a = newUser();
    const b = newUser();
    registry.claimNick(a, 'n[x]');
    expect(registry.claimNick(b, 'N{X}')).toBe(false);
    const ascii = new Registry('ascii');
    ascii.claimNick(a, 'n[x]');
    expect(ascii.claimNick(b, 'N{X}')).toBe(true);
  });

  it('allows a change of case only', () => {
    const alice = newUser();
    registry.claimNick(alice, 'alice');
    registry.register(alice, 100);
    expect(registry.claimNick(alice, 'ALICE')).toBe(true);
    expect(alice.nick).toBe('ALICE');
    expect(registry.findUser('alice')).toBe(alice);
  });

  it('releases the old nick on a change', () => {
    const alice = newUser();
    const bob = newUser();
    registry.claimNick(alice, 'alice');
    registry.claimNick(alice, 'carol');
    expect(registry.claimNick(bob, 'alice')).toBe(true);
    expect(registry.claimNick(bob, 'carol')).toBe(false);
  });

  it('a refused claim keeps the old nick', () => {
    const alice = newUser();
    const bob = newUser();
    registry.claimNick(alice, 'alice');
    registry.claimNick(bob, 'bob');
    registry.register(bob, 1);
    expect(registry.claimNick(bob, 'Alice')).toBe(false);
    expect(bob.nick).toBe('bob');
    expect(registry.findUser('bob')).toBe(bob);
  });

  it('remove frees the nick', () => {
    const alice = newUser();
    registry.claimNick(alice, 'alice');
    registry.register(alice, 1);
    registry.remove(alice);
    expect(registry.findUser('alice')).toBeUndefined();
    expect(registry.claimNick(newUser(), 'alice')).toBe(true);
  });
});

describe('Registry: counters', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry('rfc1459');
  });

  function registered(nick: string, modes = ''): User {
    const u = newUser();
    registry.claimNick(u, nick);
    for (const m of modes) u.setMode(m, true);
    registry.register(u, 1000);
    return u;
  }

  it('counts users, invisible users and opers on register', () => {
    registered('a');
    registered('b', 'i');
    registered('c', 'io');
    expect([registry.userCount, registry.invisibleCount, registry.operCount]).toEqual([3, 2, 1]);
  });

  it('register stamps signon and last-spoke times', () => {
    const u = registered('a');
    expect(u.registered).toBe(true);
    expect(u.signonAt).toBe(1000);
    expect(u.lastSpokeAt).toBe(1000);
  });

  it('setUserMode keeps the counters right and says whether anything changed', () => {
    const u = registered('a');
    expect(registry.setUserMode(u, 'i', true)).toBe(true);
    expect(registry.setUserMode(u, 'i', true)).toBe(false);
    expect(registry.setUserMode(u, 'o', true)).toBe(true);
    expect(registry.setUserMode(u, 'w', true)).toBe(true);
    expect([registry.invisibleCount, registry.operCount]).toEqual([1, 1]);
    expect(registry.setUserMode(u, 'o', false)).toBe(true);
    expect(registry.setUserMode(u, 'o', false)).toBe(false);
    expect([registry.invisibleCount, registry.operCount]).toEqual([1, 0]);
    expect(u.modeString()).toBe('+iw');
  });

  it('modes set before registration are counted once, at registration', () => {
    const u = newUser();
    registry.claimNick(u, 'early');
    registry.setUserMode(u, 'i', true);
    expect(registry.invisibleCount).toBe(0);
    registry.register(u, 1);
    expect(registry.invisibleCount).toBe(1);
  });

  it('remove takes the user out of every counter, once', () => {
    const u = registered('a', 'io');
    registered('b');
    registry.remove(u);
    registry.remove(u);
    expect([registry.userCount, registry.invisibleCount, registry.operCount]).toEqual([1, 0, 0]);
  });

  it('removing an unregistered user leaves the counters alone', () => {
    registered('a', 'i');
    const pending = newUser();
    registry.claimNick(pending, 'pending');
    pending.setMode('i', true);
    registry.remove(pending);
    expect([registry.userCount, registry.invisibleCount]).toEqual([1, 1]);
  });

  it('maxUsers remembers the peak', () => {
    const a = registered('a');
    const b = registered('b');
    registry.remove(a);
    registry.remove(b);
    registered('c');
    expect(registry.userCount).toBe(1);
    expect(registry.maxUsers).toBe(2);
  });
});

describe('Registry: channels', () => {
  let registry: Registry;
  let alice: User;
  let bob: User;
  beforeEach(() => {
    registry = new Registry('rfc1459');
    alice = newUser();
    bob = newUser();
    registry.claimNick(alice, 'alice');
    registry.claimNick(bob, 'bob');
    registry.register(alice, 1);
    registry.register(bob, 1);
  });

  it('channelFor creates a channel once and finds it by any case', () => {
    const first = registry.channelFor('#Obrol[x]', 50);
    expect(first.created).toBe(true);
    expect(first.channel.name).toBe('#Obrol[x]');
    expect(first.channel.folded).toBe('#obrol{x}');
    expect(first.channel.createdAt).toBe(50);
    const again = registry.channelFor('#OBROL{X}', 60);
    expect(again).toEqual({ channel: first.channel, created: false });
    expect(registry.findChannel('#obrol[X]')).toBe(first.channel);
  });

  it('join records membership on both sides and uses up an invite', () => {
    const { channel } = registry.channelFor('#c', 1);
    registry.invite(alice, channel);
    expect(alice.invitedTo.has(channel)).toBe(true);
    registry.join(alice, channel, OP);
    expect(channel.status(alice)).toBe(OP);
    expect(alice.channels.has(channel)).toBe(true);
    expect(channel.invited.has(alice)).toBe(false);
    expect(alice.invitedTo.has(channel)).toBe(false);
  });

  it('leave deletes a channel left empty, with its pending invites', () => {
    const { channel } = registry.channelFor('#c', 1);
    registry.join(alice, channel, OP);
    registry.join(bob, channel, 0);
    const carol = newUser();
    registry.invite(carol, channel);
    registry.leave(alice, channel);
    expect(registry.findChannel('#c')).toBe(channel);
    expect(alice.channels.has(channel)).toBe(false);
    registry.leave(bob, channel);
    expect(registry.findChannel('#c')).toBeUndefined();
    expect(carol.invitedTo.has(channel)).toBe(false);
    expect(channel.invited.size).toBe(0);
  });

  it('remove leaves every channel and drops the invites the user held', () => {
    const c1 = registry.channelFor('#one', 1).channel;
    const c2 = registry.channelFor('#two', 1).channel;
    const c3 = registry.channelFor('#three', 1).channel;
    registry.join(alice, c1, OP);
    registry.join(bob, c1, 0);
    registry.join(alice, c2, OP);
    registry.join(bob, c3, OP);
    registry.invite(alice, c3);
    registry.remove(alice);
    expect(registry.findChannel('#one')).toBe(c1);
    expect([...c1.members.keys()]).toEqual([bob]);
    expect(registry.findChannel('#two')).toBeUndefined();
    expect(c3.invited.has(alice)).toBe(false);
    expect(alice.channels.size).toBe(0);
    expect(alice.invitedTo.size).toBe(0);
  });

  it('peersOf lists everyone sharing a channel, each once, without the user', () => {
    const carol = newUser();
    const dave = newUser();
    const c1 = registry.channelFor('#one', 1).channel;
    const c2 = registry.channelFor('#two', 1).channel;
    const c3 = registry.channelFor('#three', 1).channel;
    registry.join(alice, c1, 0);
    registry.join(alice, c2, 0);
    registry.join(bob, c1, 0);
    registry.join(bob, c2, 0);
    registry.join(carol, c2, 0);
    registry.join(dave, c3, 0);
    const peers = registry.peersOf(alice);
    expect([...peers]).toEqual([bob, carol]);
    expect(registry.peersOf(dave).size).toBe(0);
  });
});

describe('Registry.setTopic', () => {
  const limits = { user_state_bytes: 4096, server_state_bytes: 1 << 20 };
  const local = { trusted: false, limits } as const;
  let registry: Registry;
  let alice: User;
  let bob: User;
  let channel: Channel;
  beforeEach(() => {
    registry = new Registry('rfc1459');
    alice = newUser();
    bob = newUser();
    registry.claimNick(alice, 'alice');
    registry.claimNick(bob, 'bob');
    registry.register(alice, 1);
    registry.register(bob, 1);
    channel = registry.channelFor('#c', 1).channel;
    registry.join(alice, channel, OP);
    registry.join(bob, channel, 0);
  });

  it('charges whoever set the topic last and credits the one before', () => {
    expect(registry.setTopic(channel, 'first', alice, 10, local)).toBe(true);
    expect([channel.topic, channel.topicSetBy, channel.topicSetAt, channel.topicOwner]).toEqual(['first', alice.mask, 10, alice.id]);
    expect(registry.budget.charged(alice.id)).toBe(topicCost('first', alice.mask));
    expect(registry.setTopic(channel, 'second', bob, 20, local)).toBe(true);
    expect(registry.budget.charged(alice.id)).toBe(0);
    expect(registry.budget.charged(bob.id)).toBe(topicCost('second', bob.mask));
    expect(registry.checkInvariants()).toEqual([]);
  });

  it('clears with an empty topic, still recording who cleared it, as TOPIC does', () => {
    registry.setTopic(channel, 'first', alice, 10, local);
    expect(registry.setTopic(channel, '', bob, 20, local)).toBe(true);
    expect([channel.topic, channel.topicSetBy, channel.topicOwner]).toEqual(['', bob.mask, bob.id]);
    expect(registry.budget.charged(alice.id)).toBe(0);
    expect(registry.checkInvariants()).toEqual([]);
  });

  it('changes nothing for the same topic from the same setter at the same second', () => {
    registry.setTopic(channel, 'first', alice, 10, local);
    expect(registry.setTopic(channel, 'first', alice, 10, local)).toBe(false);
    expect(registry.setTopic(channel, 'first', alice, 11, local)).toBe(true);
    expect(registry.budget.charged(alice.id)).toBe(topicCost('first', alice.mask));
  });

  it('refuses a topic the setter cannot store and keeps the old one charged to its setter', () => {
    registry.setTopic(channel, 'first', alice, 10, local);
    const tight = { trusted: false, limits: { ...limits, user_state_bytes: topicCost('x'.repeat(20), bob.mask) - 1 } } as const;
    expect(registry.setTopic(channel, 'x'.repeat(20), bob, 20, tight)).toEqual({ refused: 'storage', limit: 'user' });
    expect([channel.topic, channel.topicOwner, channel.topicSetAt]).toEqual(['first', alice.id, 10]);
    expect(registry.budget.charged(alice.id)).toBe(topicCost('first', alice.mask));
    expect(registry.budget.charged(bob.id)).toBe(0);
    expect(registry.checkInvariants()).toEqual([]);
  });

  it('a trusted topic (another node admitted it) is stored and charged past the limits', () => {
    const remote = { id: 'n2/carol', mask: 'carol!c@elsewhere' };
    expect(registry.setTopic(channel, 'x'.repeat(5000), remote, 30, { trusted: true })).toBe(true);
    expect(registry.budget.charged(remote.id)).toBe(topicCost('x'.repeat(5000), remote.mask));
    expect(registry.budget.charged(remote.id)).toBeGreaterThan(limits.user_state_bytes);
    expect(registry.checkInvariants()).toEqual([]);
  });

  it('is credited when the channel goes', () => {
    registry.setTopic(channel, 'first', alice, 10, local);
    registry.leave(alice, channel);
    registry.leave(bob, channel);
    expect(registry.budget.total).toBe(0);
  });
});
