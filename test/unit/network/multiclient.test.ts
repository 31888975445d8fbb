/**
 * Fan-out to a user with several sessions (multiclient): an EndpointGroup
 * whose members each pick and render for their own capabilities, the
 * caller's session getting its copy through the reply buffer.
 */
import { describe, expect, it } from 'vitest';
import { deliver, deliverTo, deliverToChannel, deliverToOtherSessions, type Caller, type Replies } from '../../../src/network/fanout.js';
import { joinFor } from '../../../src/network/host.js';
import { CAP, RENDER_CAPS } from '../../../src/protocol/caps.js';
import { Outgoing } from '../../../src/protocol/outgoing.js';
import { Channel } from '../../../src/state/channel.js';
import { detachFromUser } from '../../../src/server/multiclient.js';
import type { Session } from '../../../src/server/session.js';
import { EndpointGroup, mayAttach, sessionCount, User, type Endpoint } from '../../../src/state/user.js';

class Recorder implements Endpoint {
  readonly lines: string[] = [];
  readonly metadataSubs = new Set<string>();
  constructor(public capMask: number) {}
  send(out: Outgoing): void {
    this.lines.push(out.bytes(this.capMask & RENDER_CAPS).toString('utf8').trimEnd());
  }
}

class RecordingReplies implements Replies {
  readonly lines: string[] = [];
  constructor(private readonly capMask: number) {}
  numeric(): void {}
  message(out: Outgoing): void {
    this.lines.push(out.bytes(this.capMask & RENDER_CAPS).toString('utf8').trimEnd());
  }
  startBatch(): void {}
  endBatch(): void {}
}

const fold = (s: string) => s.toLowerCase();

function userWith(id: string, ...sessions: Recorder[]): User {
  const endpoint = sessions.length === 1 ? (sessions[0] as Recorder) : new EndpointGroup(sessions);
  const user = new User(id, '127.0.0.1', 'host', 'n', endpoint);
  user.setNick(id, id);
  user.setUsername(id);
  return user;
}

const privmsg = (account: string | null = null) =>
  new Outgoing({ tags: null, source: 'bob!bob@host', command: 'PRIVMSG', params: ['alice', 'hi'] }, { msgid: 'm1', account }, Date.UTC(2026, 0, 1));
const onlyTags = (out: Outgoing) => (mask: number) => ((mask & CAP.MESSAGE_TAGS) !== 0 ? out : null);

describe('EndpointGroup', () => {
  it('renders one message for each member with its own capabilities', () => {
    const plain = new Recorder(0);
    const tagged = new Recorder(CAP.MESSAGE_TAGS | CAP.ACCOUNT_TAG);
    const alice = userWith('alice', plain, tagged);
    expect(deliverTo(alice, privmsg('bob'), null)).toBe(true);
    expect(plain.lines).toEqual([':bob!bob@host PRIVMSG alice :hi']);
    expect(tagged.lines).toEqual(['@msgid=m1;account=bob :bob!bob@host PRIVMSG alice :hi']);
  });

  it('gives a Pick-based delivery (TAGMSG) only to the members it picks', () => {
    const plain = new Recorder(0);
    const tagged = new Recorder(CAP.MESSAGE_TAGS);
    const alice = userWith('alice', plain, tagged);
    const tagmsg = new Outgoing({ tags: null, source: 'bob!bob@host', command: 'TAGMSG', params: ['alice'] }, { msgid: 'm2' });
    expect(deliverTo(alice, onlyTags(tagmsg), null)).toBe(true);
    expect(plain.lines).toEqual([]);
    expect(tagged.lines).toEqual(['@msgid=m2 :bob!bob@host TAGMSG :alice']);
    // Nobody picked: nothing delivered.
    const alone = userWith('carol', new Recorder(0), new Recorder(0));
    expect(deliverTo(alone, onlyTags(tagmsg), null)).toBe(false);
  });

  it('picks extended-join per member', () => {
    const plain = new Recorder(0);
    const extended = new Recorder(CAP.EXTENDED_JOIN);
    const alice = userWith('alice', plain, extended);
    const bob = userWith('bob', new Recorder(0));
    bob.account = 'bobacct';
    bob.realname = 'Bob B';
    deliverTo(alice, joinFor(bob, '#c', { msgid: 'j', time: 0 }), null);
    expect(plain.lines).toEqual([':bob!bob@host JOIN :#c']);
    expect(extended.lines).toEqual([':bob!bob@host JOIN #c bobacct :Bob B']);
  });

  it('sends the calling session its copy through the reply buffer and the others straight', () => {
    const first = new Recorder(0);
    const second = new Recorder(CAP.SERVER_TIME);
    const alice = userWith('alice', first, second);
    const replies = new RecordingReplies(0);
    const caller: Caller = { user: alice, replies, session: first };
    const nick = new Outgoing({ tags: null, source: 'alice!alice@host', command: 'NICK', params: ['alicia'] }, null, Date.UTC(2026, 0, 1));
    deliver(nick, [alice], caller);
    expect(replies.lines).toEqual([':alice!alice@host NICK :alicia']);
    expect(first.lines).toEqual([]);
    expect(second.lines).toEqual(['@time=2026-01-01T00:00:00.000Z :alice!alice@host NICK :alicia']);
  });

  it('counts a user with several sessions once in a channel, and skips the sender', () => {
    const channel = new Channel('#c', '#c', 0);
    const a1 = new Recorder(0);
    const a2 = new Recorder(0);
    const alice = userWith('alice', a1, a2);
    const bobEnd = new Recorder(0);
    const bob = userWith('bob', bobEnd);
    channel.members.set(alice, 0);
    channel.members.set(bob, 0);
    const out = new Outgoing({ tags: null, source: 'bob!bob@host', command: 'PRIVMSG', params: ['#c', 'x'] });
    expect(deliverToChannel(channel, out, null, { skip: bob })).toBe(1);
    expect(a1.lines).toHaveLength(1);
    expect(a2.lines).toHaveLength(1);
    expect(bobEnd.lines).toEqual([]);
  });

  it('copies what a session sent to the user’s other sessions only', () => {
    const sender = new Recorder(0);
    const other = new Recorder(0);
    const third = new Recorder(CAP.MESSAGE_TAGS);
    const alice = userWith('alice', sender, other, third);
    const caller: Caller = { user: alice, replies: new RecordingReplies(0), session: sender };
    const out = new Outgoing({ tags: null, source: 'alice!alice@host', command: 'TAGMSG', params: ['#c'] });
    deliverToOtherSessions(alice, onlyTags(out), caller);
    expect(sender.lines).toEqual([]);
    expect(other.lines).toEqual([]);
    expect(third.lines).toEqual([':alice!alice@host TAGMSG :#c']);
    // A user with one session has no other: nothing.
    const lone = new Recorder(0);
    deliverToOtherSessions(userWith('bob', lone), out, null);
    expect(lone.lines).toEqual([]);
  });

  it('delivers nothing, and counts no session, when empty (always-on with nobody attached)', () => {
    const alice = new User('alice', '0.0.0.0', 'host', 'n', new EndpointGroup());
    expect(sessionCount(alice)).toBe(0);
    expect(deliverTo(alice, privmsg(), null)).toBe(false);
    expect(new EndpointGroup().capMask).toBe(0);
    expect(new EndpointGroup([new Recorder(CAP.AWAY_NOTIFY), new Recorder(CAP.CHGHOST)]).capMask).toBe(CAP.AWAY_NOTIFY | CAP.CHGHOST);
  });
});

describe('mayAttach', () => {
  function holder(account: string | null, endpoint: Endpoint | null = new Recorder(0)): User {
    const user = new User('h', '127.0.0.1', 'host', 'n', endpoint);
    user.account = account;
    user.registered = true;
    return user;
  }

  it('lets a login attach to a registered local user of the same account (any case)', () => {
    expect(mayAttach(holder('Alice'), 'alice', fold, true)).toBe(true);
  });

  it('refuses another account, no login, an unregistered holder, a remote user, or nobody', () => {
    expect(mayAttach(holder('bob'), 'alice', fold, true)).toBe(false);
    expect(mayAttach(holder('alice'), null, fold, true)).toBe(false);
    expect(mayAttach(holder(null), 'alice', fold, true)).toBe(false);
    const unregistered = holder('alice');
    unregistered.registered = false;
    expect(mayAttach(unregistered, 'alice', fold, true)).toBe(false);
    const remote = holder('alice', null);
    remote.server = 'other.node';
    expect(mayAttach(remote, 'alice', fold, true)).toBe(false);
    expect(mayAttach(undefined, 'alice', fold, true)).toBe(false);
  });

  it('with multiclient off, only resumes an always-on user nobody is attached to', () => {
    expect(mayAttach(holder('alice'), 'alice', fold, false)).toBe(false);
    const idle = holder('alice', new EndpointGroup());
    idle.alwaysOn = true;
    expect(mayAttach(idle, 'alice', fold, false)).toBe(true);
    const busy = holder('alice');
    busy.alwaysOn = true;
    expect(mayAttach(busy, 'alice', fold, false)).toBe(false);
  });
});

describe('detachFromUser', () => {
  const asSession = (r: Recorder) => r as unknown as Session;

  it('turns a group of two back into the remaining session (no indirection for a lone session)', () => {
    const a = new Recorder(0);
    const b = new Recorder(0);
    const user = userWith('alice', a, b);
    detachFromUser(user, asSession(a));
    expect(user.endpoint).toBe(b);
    detachFromUser(user, asSession(b));
    expect(user.endpoint).toBeNull();
  });

  it('shrinks a larger group in place', () => {
    const [a, b, c] = [new Recorder(0), new Recorder(0), new Recorder(0)];
    const user = userWith('alice', a, b, c);
    const group = user.endpoint;
    detachFromUser(user, asSession(b));
    expect(user.endpoint).toBe(group);
    expect((group as EndpointGroup).members).toEqual([a, c]);
  });

  it('leaves an always-on user an empty group when its last session goes', () => {
    const a = new Recorder(0);
    const user = userWith('alice', a);
    user.alwaysOn = true;
    detachFromUser(user, asSession(a));
    expect(user.endpoint).toBeInstanceOf(EndpointGroup);
    expect(sessionCount(user)).toBe(0);
  });
});
