/**
 * REDACT against the World: who may redact what, the FAIL REDACT codes, the
 * message leaving the history store, and the relay only to clients with
 * draft/message-redaction. History entries are appended to the world's store
 * by hand, as the recording of messages would.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../src/bus/events.js';
import { receive } from '../../../src/network/effects.js';
import type { HistoryEntry } from '../../../src/store/types.js';
import { START_TIME, World, type FakeClient } from '../../helpers/harness.js';

const REDACT = 'draft/message-redaction';

let world: World;
let alice: FakeClient; // op of #c
let bob: FakeClient; // member of #c
let carol: FakeClient; // member of #c, without the capability
let dave: FakeClient; // not on #c

function entry(over: Partial<HistoryEntry> & { msgid: string; source: string }): HistoryEntry {
  return { time: START_TIME * 1000, target: '#c', command: 'PRIVMSG', account: null, params: ['#c', 'hello'], tags: null, lines: null, peers: null, ...over };
}

function stored(e: HistoryEntry): void {
  world.store.history.append([e]);
}

beforeEach(() => {
  world = new World();
  alice = world.connect('alice', { caps: [REDACT] });
  bob = world.connect('bob', { caps: [REDACT] });
  carol = world.connect('carol');
  dave = world.connect('dave', { caps: [REDACT] });
  alice.run('JOIN #c');
  bob.run('JOIN #c');
  carol.run('JOIN #c');
  for (const c of [alice, bob, carol, dave]) c.take();
});

describe('REDACT in a channel', () => {
  it('by the sender: dropped from history, relayed to members with the capability, echoed to the sender', async () => {
    stored(entry({ msgid: 'm1', source: bob.user.mask }));
    expect(await bob.runAsync('REDACT #c :m1')).toEqual([':bob!bob@127.0.0.1 REDACT #c :m1']);
    expect(alice.take()).toEqual([':bob!bob@127.0.0.1 REDACT #c :m1']);
    expect(carol.take()).toEqual([]);
    expect(dave.take()).toEqual([]);
    expect(await world.store.history.find('m1')).toBeNull();
    const events = (await world.busEvents()).filter((e) => e.type === 'message.redact');
    expect(events).toEqual([expect.objectContaining({ type: 'message.redact', userId: bob.user.id, target: '#c', channel: '#c', recipientId: null, redacted: 'm1', reason: null, historyTarget: '#c' })]);
  });

  it("by a channel operator, another's message, with a reason", async () => {
    stored(entry({ msgid: 'm2', source: bob.user.mask }));
    expect(await alice.runAsync('REDACT #C m2 :spam')).toEqual([':alice!alice@127.0.0.1 REDACT #c m2 :spam']);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 REDACT #c m2 :spam']);
    expect(await world.store.history.find('m2')).toBeNull();
  });

  it("by a member who is neither sender nor operator: REDACT_FORBIDDEN, the message stays", async () => {
    stored(entry({ msgid: 'm3', source: alice.user.mask }));
    expect(await bob.runAsync('REDACT #c m3')).toEqual([':obrol.local FAIL REDACT REDACT_FORBIDDEN #c m3 :You are not authorised to delete this message']);
    expect(alice.take()).toEqual([]);
    expect(await world.store.history.find('m3')).not.toBeNull();
  });

  it('by an IRC operator on no channel at all', async () => {
    stored(entry({ msgid: 'm4', source: bob.user.mask }));
    dave.user.setMode('o', true);
    expect(await dave.runAsync('REDACT #c :m4')).toEqual([':dave!dave@127.0.0.1 REDACT #c :m4']);
    expect(bob.take()).toEqual([':dave!dave@127.0.0.1 REDACT #c :m4']);
  });

  it('a message sent logged in belongs to the account, not to whoever holds the nick', async () => {
    stored(entry({ msgid: 'm5', source: bob.user.mask, account: 'Bob' }));
    expect(await bob.runAsync('REDACT #c :m5')).toEqual([':obrol.local FAIL REDACT REDACT_FORBIDDEN #c m5 :You are not authorised to delete this message']);
    bob.user.account = 'bob';
    expect(await bob.runAsync('REDACT #c :m5')).toEqual([':bob!bob@127.0.0.1 REDACT #c :m5']);
    expect(await world.store.history.find('m5')).toBeNull();
  });

  it('UNKNOWN_MSGID for a msgid not kept, of another channel, or not a message', async () => {
    stored(entry({ msgid: 'elsewhere', target: '#other', params: ['#other', 'x'], source: bob.user.mask }));
    stored(entry({ msgid: 'join', command: 'JOIN', params: ['#c'], source: bob.user.mask }));
    for (const msgid of ['nonexistent123', 'elsewhere', 'join']) {
      expect(await bob.runAsync(`REDACT #c ${msgid}`)).toEqual([`:obrol.local FAIL REDACT UNKNOWN_MSGID #c ${msgid} :This message does not exist or is too old`]);
    }
    expect(await world.store.history.find('elsewhere')).not.toBeNull();
  });

  it('INVALID_TARGET for a channel that does not exist or that one is not on', async () => {
    expect(await bob.runAsync('REDACT #fake x')).toEqual([':obrol.local FAIL REDACT INVALID_TARGET #fake :You cannot delete messages from #fake']);
    expect(await dave.runAsync('REDACT #c x')).toEqual([':obrol.local FAIL REDACT INVALID_TARGET #c :You cannot delete messages from #c']);
  });
});

describe('REDACT of a direct message', () => {
  it('the sender redacts it; the other side hears of it under its own nick', async () => {
    alice.user.account = 'Alice';
    stored(entry({ msgid: 'd1', target: '~alice bob', params: ['bob', 'psst'], source: alice.user.mask, account: 'Alice', peers: ['~alice', 'bob'] }));
    expect(await alice.runAsync('REDACT Bob d1')).toEqual([':alice!alice@127.0.0.1 REDACT bob :d1']);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 REDACT bob :d1']);
    expect((await world.busEvents()).filter((e) => e.type === 'message.redact')).toEqual([expect.objectContaining({ channel: null, recipientId: bob.user.id, historyTarget: '~alice bob' })]);
    expect(await world.store.history.find('d1')).toBeNull();
  });

  it('the recipient may not; nor may a third user name another conversation', async () => {
    stored(entry({ msgid: 'd2', target: 'alice bob', params: ['bob', 'psst'], source: alice.user.mask, peers: ['alice', 'bob'] }));
    expect(await bob.runAsync('REDACT alice d2')).toEqual([':obrol.local FAIL REDACT REDACT_FORBIDDEN alice d2 :You are not authorised to delete this message']);
    expect(await dave.runAsync('REDACT bob d2')).toEqual([':obrol.local FAIL REDACT UNKNOWN_MSGID bob d2 :This message does not exist or is too old']);
    expect(await alice.runAsync('REDACT nobody d2')).toEqual([':obrol.local FAIL REDACT INVALID_TARGET nobody :You cannot delete messages from nobody']);
  });
});

describe('a redaction from another node', () => {
  it('drops the message from this node\'s history and tells the local members with the capability', async () => {
    stored(entry({ msgid: 'r1', source: bob.user.mask }));
    const event: EventOf<'message.redact'> = {
      type: 'message.redact',
      origin: 'node-b',
      userId: bob.user.id,
      target: '#c',
      channel: '#c',
      recipientId: null,
      redacted: 'r1',
      reason: 'oops',
      historyTarget: '#c',
      msgid: 'x1',
      time: START_TIME * 1000,
    };
    receive(world, event);
    expect(alice.take()).toEqual([':bob!bob@127.0.0.1 REDACT #c r1 :oops']);
    expect(carol.take()).toEqual([]);
    await world.store.history.flush();
    expect(await world.store.history.find('r1')).toBeNull();
  });
});
