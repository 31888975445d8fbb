import { beforeEach, describe, expect, it } from 'vitest';
import { makeFolder } from '../../../src/protocol/casemap.js';
import { Channel, OP, VOICE, type ListMode } from '../../../src/state/channel.js';
import { User } from '../../../src/state/user.js';

const fold = makeFolder('rfc1459');

function user(nick: string, username = nick, host = 'host.example'): User {
  const u = new User(`n/${nick}`, '192.0.2.1', host, 'n', null);
  u.setNick(nick, fold(nick));
  u.setUsername(username);
  return u;
}

function addMask(channel: Channel, mode: ListMode, mask: string): void {
  channel.lists[mode].push({ mask, setBy: 'op!op@h', setAt: 0, byOper: false, owner: '' });
}

describe('Channel.joinRefusal', () => {
  let channel: Channel;
  let bob: User;
  beforeEach(() => {
    channel = new Channel('#c', '#c', 0);
    bob = user('bob');
  });

  it('lets anyone into an open channel', () => {
    expect(channel.joinRefusal(bob, undefined, fold)).toBeNull();
  });

  it('checks ban, then +i, then key, then limit, in that order', () => {
    channel.members.set(user('op'), OP);
    addMask(channel, 'b', 'bob!*@*');
    channel.flags.add('i');
    channel.key = 'sesame';
    channel.limit = 1;
    expect(channel.joinRefusal(bob, undefined, fold)).toBe('banned');
    channel.lists.b.length = 0;
    expect(channel.joinRefusal(bob, undefined, fold)).toBe('invite-only');
    addMask(channel, 'I', '*!bob@*');
    expect(channel.joinRefusal(bob, 'wrong', fold)).toBe('bad-key');
    expect(channel.joinRefusal(bob, undefined, fold)).toBe('bad-key');
    expect(channel.joinRefusal(bob, 'sesame', fold)).toBe('full');
    channel.limit = 2;
    expect(channel.joinRefusal(bob, 'sesame', fold)).toBeNull();
  });

  it('an invite bypasses ban, +i, key and limit', () => {
    channel.members.set(user('op'), OP);
    addMask(channel, 'b', '*!*@*');
    channel.flags.add('i');
    channel.key = 'sesame';
    channel.limit = 1;
    channel.invited.set(bob, '');
    expect(channel.joinRefusal(bob, undefined, fold)).toBeNull();
    expect(channel.joinRefusal(user('carol'), 'sesame', fold)).toBe('banned');
  });

  it('a ban exception lets a banned user in', () => {
    addMask(channel, 'b', '*!*@host.example');
    expect(channel.joinRefusal(bob, undefined, fold)).toBe('banned');
    addMask(channel, 'e', 'bob!*@*');
    expect(channel.joinRefusal(bob, undefined, fold)).toBeNull();
    expect(channel.joinRefusal(user('carol'), undefined, fold)).toBe('banned');
  });

  it('matches masks case-insensitively with the casemapping', () => {
    const weird = user('Bo[b]', 'u', 'Host.Example');
    addMask(channel, 'b', 'BO{B}!*@HOST.example');
    expect(channel.isBanned(weird, fold)).toBe(true);
  });

  it('+I only helps with +i, not with a key', () => {
    channel.flags.add('i');
    addMask(channel, 'I', 'bob!*@*');
    expect(channel.joinRefusal(bob, undefined, fold)).toBeNull();
    channel.key = 'k';
    expect(channel.joinRefusal(bob, undefined, fold)).toBe('bad-key');
  });
});

describe('Channel.speakRefusal', () => {
  let channel: Channel;
  const member = user('member');
  const voiced = user('voiced');
  const op = user('op');
  const outsider = user('outsider');
  beforeEach(() => {
    channel = new Channel('#c', '#c', 0);
    channel.members.set(member, 0);
    channel.members.set(voiced, VOICE);
    channel.members.set(op, OP);
  });

  it('+n keeps outsiders out, members in', () => {
    channel.flags.add('n');
    expect(channel.speakRefusal(outsider, 'hi', fold)).toBe('no-external');
    expect(channel.speakRefusal(member, 'hi', fold)).toBeNull();
  });

  it('without +n outsiders may speak', () => {
    expect(channel.speakRefusal(outsider, 'hi', fold)).toBeNull();
  });

  it('+m silences plain members and outsiders, not voice or op', () => {
    channel.flags.add('m');
    expect(channel.speakRefusal(member, 'hi', fold)).toBe('moderated');
    expect(channel.speakRefusal(outsider, 'hi', fold)).toBe('moderated');
    expect(channel.speakRefusal(voiced, 'hi', fold)).toBeNull();
    expect(channel.speakRefusal(op, 'hi', fold)).toBeNull();
  });

  it('+n is reported before +m for outsiders', () => {
    channel.flags.add('n');
    channel.flags.add('m');
    expect(channel.speakRefusal(outsider, 'hi', fold)).toBe('no-external');
  });

  it('a banned member may not speak unless voiced, opped or excepted', () => {
    addMask(channel, 'b', '*!*@host.example');
    expect(channel.speakRefusal(member, 'hi', fold)).toBe('banned');
    expect(channel.speakRefusal(outsider, 'hi', fold)).toBe('banned');
    expect(channel.speakRefusal(voiced, 'hi', fold)).toBeNull();
    expect(channel.speakRefusal(op, 'hi', fold)).toBeNull();
    addMask(channel, 'e', 'member!*@*');
    expect(channel.speakRefusal(member, 'hi', fold)).toBeNull();
  });

  it('+C refuses CTCP requests but ACTION, except from voice and op', () => {
    channel.flags.add('C');
    expect(channel.speakRefusal(member, '\x01VERSION\x01', fold)).toBe('no-ctcp');
    expect(channel.speakRefusal(outsider, '\x01PING 1\x01', fold)).toBe('no-ctcp');
    expect(channel.speakRefusal(member, '\x01ACTION waves\x01', fold)).toBeNull();
    expect(channel.speakRefusal(member, 'plain text with \x01 inside', fold)).toBeNull();
    expect(channel.speakRefusal(voiced, '\x01VERSION\x01', fold)).toBeNull();
    expect(channel.speakRefusal(op, '\x01VERSION\x01', fold)).toBeNull();
  });

  it('without +C a CTCP request is an ordinary message', () => {
    expect(channel.speakRefusal(member, '\x01VERSION\x01', fold)).toBeNull();
  });
});

describe('Channel status and modes', () => {
  it('prefixOf gives the highest prefix, or all with multi-prefix', () => {
    const channel = new Channel('#c', '#c', 0);
    const both = user('both');
    const v = user('v');
    const plain = user('plain');
    channel.members.set(both, OP | VOICE);
    channel.members.set(v, VOICE);
    channel.members.set(plain, 0);
    expect(channel.prefixOf(both)).toBe('@');
    expect(channel.prefixOf(both, true)).toBe('@+');
    expect(channel.prefixOf(v)).toBe('+');
    expect(channel.prefixOf(v, true)).toBe('+');
    expect(channel.prefixOf(plain, true)).toBe('');
    expect(channel.prefixOf(user('outsider'))).toBe('');
    expect(channel.isOp(both)).toBe(true);
    expect(channel.isOp(v)).toBe(false);
    expect(channel.isVoicedOrOp(v)).toBe(true);
    expect(channel.isVoicedOrOp(plain)).toBe(false);
  });

  it('modeString lists flags in a fixed order, then key and limit', () => {
    const channel = new Channel('#c', '#c', 0);
    expect(channel.modeString(true)).toEqual({ modes: '+', params: [] });
    channel.flags.add('t');
    channel.flags.add('n');
    channel.flags.add('i');
    channel.flags.add('C');
    expect(channel.modeString(true)).toEqual({ modes: '+Cint', params: [] });
    channel.key = 'sesame';
    channel.limit = 10;
    expect(channel.modeString(true)).toEqual({ modes: '+Cintkl', params: ['sesame', '10'] });
    expect(channel.modeString(false)).toEqual({ modes: '+Cintkl', params: [] });
  });

  it('a secret channel is visible to members only', () => {
    const channel = new Channel('#c', '#c', 0);
    const m = user('m');
    channel.members.set(m, 0);
    expect(channel.isVisibleTo(user('x'))).toBe(true);
    channel.flags.add('s');
    expect(channel.isVisibleTo(user('x'))).toBe(false);
    expect(channel.isVisibleTo(m)).toBe(true);
  });
});
