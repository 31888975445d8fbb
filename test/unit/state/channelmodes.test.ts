import { beforeEach, describe, expect, it } from 'vitest';
import { formatModeChanges, type ModeChange } from '../../../src/protocol/modes.js';
import { listEntryCost, markerCost } from '../../../src/state/budget.js';
import { OP, VOICE, type Channel } from '../../../src/state/channel.js';
import {
  applyChannelMode,
  applyModeString,
  normalizeMask,
  parseChannelModes,
  type ChannelModeLimits,
  type ModeActor,
  type ModeOptions,
} from '../../../src/state/channelmodes.js';
import { Registry } from '../../../src/state/registry.js';
import { User } from '../../../src/state/user.js';

const NOW = 1_700_000_000;
const LIMITS: ChannelModeLimits = {
  mask_length: 64,
  list_entries: 3,
  key_length: 8,
  user_state_bytes: 64 * 1024,
  server_state_bytes: 1024 * 1024,
};
const LOCAL: ModeOptions = { trusted: false, limits: LIMITS, now: NOW };
const TRUSTED: ModeOptions = { trusted: true, now: NOW };

/** One node's state: users with fixed ids (a user has the same id on every node), and #c. */
class Node {
  readonly registry = new Registry('rfc1459');
  readonly channel: Channel;

  constructor() {
    for (const nick of ['Alice', 'Bob', 'Dave']) {
      const user = new User(`id-${nick.toLowerCase()}`, '192.0.2.1', 'host.example', 'n1', null);
      this.registry.claimNick(user, nick);
      user.setUsername(nick.toLowerCase());
      this.registry.register(user, NOW);
    }
    this.channel = this.registry.channelFor('#c', NOW).channel;
    this.registry.join(this.user('Alice'), this.channel, OP);
    this.registry.join(this.user('Bob'), this.channel, 0);
  }

  user(nick: string): User {
    const user = this.registry.findUser(nick);
    if (!user) throw new Error(`no ${nick}`);
    return user;
  }

  apply(change: ModeChange, options: ModeOptions = LOCAL, actor: ModeActor = this.user('Alice')) {
    return applyChannelMode(this.registry, this.channel, change, actor, options);
  }

  /** Everything a mode can change, in a form toEqual can compare across nodes. */
  snapshot() {
    const c = this.channel;
    return {
      flags: [...c.flags].sort(),
      key: c.key,
      limit: c.limit,
      lists: c.lists,
      members: [...c.members].map(([user, bits]) => [user.nick, bits]),
    };
  }
}

let node: Node;
beforeEach(() => {
  node = new Node();
});

const add = (mode: string, param?: string): ModeChange => (param === undefined ? { adding: true, mode } : { adding: true, mode, param });
const remove = (mode: string, param?: string): ModeChange => (param === undefined ? { adding: false, mode } : { adding: false, mode, param });

describe('applyChannelMode: flags', () => {
  it('sets and clears a flag once, and reports null when nothing changes', () => {
    expect(node.apply(add('m'))).toEqual(add('m'));
    expect(node.apply(add('m'))).toBeNull();
    expect(node.channel.flags.has('m')).toBe(true);
    expect(node.apply(remove('m'))).toEqual(remove('m'));
    expect(node.apply(remove('m'))).toBeNull();
    expect(node.channel.flags.has('m')).toBe(false);
  });
});

describe('applyChannelMode: member status', () => {
  it('announces the nick as the member spells it now', () => {
    expect(node.apply(add('v', 'bOB'))).toEqual(add('v', 'Bob'));
    expect(node.channel.status(node.user('Bob'))).toBe(VOICE);
    expect(node.apply(add('v', 'bob'))).toBeNull();
    expect(node.apply(remove('o', 'bob'))).toBeNull();
    expect(node.apply(add('o', 'bob'))).toEqual(add('o', 'Bob'));
    expect(node.channel.status(node.user('Bob'))).toBe(OP | VOICE);
  });

  it('refuses a nick nobody has, and a user who is not a member', () => {
    expect(node.apply(add('o', 'nobody'))).toEqual({ refused: 'no-such-nick', nick: 'nobody' });
    expect(node.apply(add('o', 'dave'))).toEqual({ refused: 'not-on-channel', nick: 'Dave' });
    expect(node.channel.has(node.user('Dave'))).toBe(false);
  });
});

describe('applyChannelMode: lists', () => {
  it('stores the completed mask with its setter, time and owner, charged to the setter', () => {
    node.registry.setUserMode(node.user('Alice'), 'o', true);
    expect(node.apply(add('b', 'Troll'))).toEqual(add('b', 'Troll!*@*'));
    expect(node.channel.lists.b).toEqual([{ mask: 'Troll!*@*', setBy: 'Alice!alice@host.example', setAt: NOW, byOper: true, owner: 'id-alice' }]);
    expect(node.registry.budget.charged('id-alice')).toBe(listEntryCost('Troll!*@*', 'Alice!alice@host.example'));
    expect(node.registry.checkInvariants()).toEqual([]);
  });

  it('matches masks case-insensitively: no duplicate, and removal announces the stored mask', () => {
    node.apply(add('e', 'Troll!*@*'));
    expect(node.apply(add('e', 'TROLL'))).toBeNull();
    expect(node.channel.lists.e).toHaveLength(1);
    expect(node.apply(remove('e', 'troll'))).toEqual(remove('e', 'Troll!*@*'));
    expect(node.apply(remove('e', 'troll'))).toBeNull();
  });

  it('treats a list mode without a mask as a query: nothing changes', () => {
    expect(node.apply(add('b'))).toBeNull();
    expect(node.channel.lists.b).toEqual([]);
  });

  it('credits the setter when anyone removes the entry', () => {
    node.apply(add('I', '*!*@friends.example'));
    node.apply(remove('I', '*@friends.example'), LOCAL, node.user('Bob'));
    expect(node.channel.lists.I).toEqual([]);
    expect(node.registry.budget.total).toBe(0);
    expect(node.registry.checkInvariants()).toEqual([]);
  });

  it('refuses a mask longer than mask_length bytes', () => {
    expect(node.apply(add('b', `${'x'.repeat(60)}.example`))).toEqual({ refused: 'mask-too-long', maxBytes: 64 });
    expect(node.channel.lists.b).toEqual([]);
  });

  it('refuses past list_entries for b, e and I together', () => {
    node.apply(add('b', 'a'));
    node.apply(add('e', 'b'));
    node.apply(add('I', 'c'));
    expect(node.apply(add('b', 'd'))).toEqual({ refused: 'list-full', maxEntries: 3 });
    expect(node.channel.listEntryCount).toBe(3);
  });

  it('refuses what the setter or the server cannot store, charging nothing', () => {
    const cost = listEntryCost('a!*@*', 'Alice!alice@host.example');
    const tight = (user: number, server: number): ModeOptions => ({ trusted: false, limits: { ...LIMITS, user_state_bytes: user, server_state_bytes: server }, now: NOW });
    expect(node.apply(add('b', 'a'), tight(cost - 1, 10 * cost))).toEqual({ refused: 'storage', limit: 'user' });
    expect(node.apply(add('b', 'a'), tight(10 * cost, cost - 1))).toEqual({ refused: 'storage', limit: 'server' });
    expect(node.channel.lists.b).toEqual([]);
    expect(node.registry.budget.total).toBe(0);
  });

  it('forgets the setter\'s oldest read markers to make room', () => {
    const alice = node.user('Alice');
    const marker = markerCost('#old', 'timestamp=2020-01-01T00:00:00.000Z');
    alice.editableReadMarkers().set('#old', 'timestamp=2020-01-01T00:00:00.000Z');
    node.registry.budget.charge(alice.id, marker);
    const cost = listEntryCost('a!*@*', 'Alice!alice@host.example');
    const options: ModeOptions = { trusted: false, limits: { ...LIMITS, user_state_bytes: cost }, now: NOW };
    expect(node.apply(add('b', 'a'), options)).toEqual(add('b', 'a!*@*'));
    expect(alice.readMarkers.size).toBe(0);
    expect(node.registry.budget.charged(alice.id)).toBe(cost);
    expect(node.registry.checkInvariants()).toEqual([]);
  });
});

describe('parseChannelModes', () => {
  it('keeps -k without its key as a change, and +k without one as missing', () => {
    const parsed = parseChannelModes('+k-kX', []);
    expect(parsed.changes).toEqual([remove('k')]);
    expect(parsed.missingParam).toEqual([add('k')]);
    expect(parsed.unknown).toEqual(['X']);
  });
});

describe('normalizeMask', () => {
  it.each(['nick', 'user@host', 'host.example', 'nick!user', 'a@b!c', 'x@y!u@h', '!@', '2001:db8::1'])('is idempotent on %j', (mask) => {
    const once = normalizeMask(mask);
    expect(normalizeMask(once)).toBe(once);
  });
});

describe('applyChannelMode: key and limit', () => {
  it('sets a key, announces -k as *, and clears only a key that is set', () => {
    expect(node.apply(add('k', 'sesame'))).toEqual(add('k', 'sesame'));
    expect(node.apply(add('k', 'sesame'))).toBeNull();
    expect(node.apply(remove('k', 'whatever'))).toEqual(remove('k', '*'));
    expect(node.channel.key).toBeNull();
    expect(node.apply(remove('k'))).toBeNull();
  });

  it.each([['too long', 'ninechars'], ['a space', 'a b'], ['a comma', 'a,b']])('refuses a key with %s', (_what, key) => {
    expect(node.apply(add('k', key))).toEqual({ refused: 'invalid-key', maxLength: 8 });
    expect(node.channel.key).toBeNull();
  });

  it('stores the canonical number and clears without a parameter', () => {
    expect(node.apply(add('l', '010'))).toEqual(add('l', '10'));
    expect(node.apply(add('l', '10'))).toBeNull();
    expect(node.channel.limit).toBe(10);
    expect(node.apply(remove('l'))).toEqual(remove('l'));
    expect(node.apply(remove('l'))).toBeNull();
  });

  it.each(['0', 'abc', '-5', '1e3', '1000001'])('refuses the limit %j', (value) => {
    expect(node.apply(add('l', value))).toEqual({ refused: 'invalid-limit', param: value });
    expect(node.channel.limit).toBeNull();
  });
});

describe('applyChannelMode: trusted (another node checked the limits)', () => {
  it('applies past mask_length, list_entries and key_length', () => {
    const long = `*!*@${'x'.repeat(70)}.example`;
    for (const mask of ['a!*@*', 'b!*@*', 'c!*@*']) node.apply(add('b', mask));
    expect(node.apply(add('b', long), TRUSTED)).toEqual(add('b', long));
    expect(node.channel.listEntryCount).toBe(4);
    expect(node.apply(add('k', 'muchtoolongkey'), TRUSTED)).toEqual(add('k', 'muchtoolongkey'));
  });

  it('still refuses what no node could have sent: a key with a space, a limit that is no number', () => {
    expect(node.apply(add('k', 'a b'), TRUSTED)).toMatchObject({ refused: 'invalid-key' });
    expect(node.apply(add('l', 'many'), TRUSTED)).toEqual({ refused: 'invalid-limit', param: 'many' });
  });

  it('charges the setter, a user of another node, and credits them when the entry goes', () => {
    const remote = { id: 'n2/carol', mask: 'Carol!carol@elsewhere.example', isOper: false };
    expect(node.apply(add('b', 'a'), TRUSTED, remote)).toEqual(add('b', 'a!*@*'));
    expect(node.registry.budget.charged(remote.id)).toBe(listEntryCost('a!*@*', remote.mask));
    expect(node.registry.checkInvariants()).toEqual([]);
    node.apply(remove('b', 'a'));
    expect(node.registry.budget.total).toBe(0);
    expect(node.registry.checkInvariants()).toEqual([]);
  });
});

describe('applyModeString: a change announced on one node and applied on another', () => {
  /** Apply `changes` locally on `origin` as MODE does, announce them, apply the announcement on `replica`. */
  function relay(origin: Node, replica: Node, changes: ModeChange[]): ModeChange[] {
    const applied: ModeChange[] = [];
    for (const change of changes) {
      const outcome = origin.apply(change);
      if (outcome !== null && !('refused' in outcome)) applied.push(outcome);
    }
    const { modes, params } = formatModeChanges(applied);
    const replayed = applyModeString(replica.registry, replica.channel, modes, params, replica.user('Alice'), TRUSTED);
    expect(replayed).toEqual(applied);
    return applied;
  }

  it('leaves both channels equal, budgets included', () => {
    const origin = new Node();
    const replica = new Node();
    relay(origin, replica, [add('i'), add('o', 'bob'), add('v', 'BOB'), add('k', 'sesame'), add('l', '007'), add('b', 'troll'), add('e', 'friend@host'), add('I', 'invited.example')]);
    expect(replica.snapshot()).toEqual(origin.snapshot());
    relay(origin, replica, [remove('i'), remove('o', 'Bob'), remove('k', 'sesame'), remove('l'), remove('b', 'TROLL'), add('m')]);
    expect(replica.snapshot()).toEqual(origin.snapshot());
    expect(replica.channel.lists.e).toHaveLength(1);
    expect(replica.registry.budget.charged('id-alice')).toBe(origin.registry.budget.charged('id-alice'));
    expect(origin.registry.checkInvariants()).toEqual([]);
    expect(replica.registry.checkInvariants()).toEqual([]);
  });

  it('converges where the replica\'s own limits would have refused', () => {
    const origin = new Node();
    const replica = new Node();
    for (const mask of ['a', 'b', 'c']) replica.apply(add('b', mask));
    for (const mask of ['a', 'b', 'c']) origin.apply(add('b', mask));
    // The origin allows more entries than the replica's LIMITS.list_entries.
    const roomy: ModeOptions = { trusted: false, limits: { ...LIMITS, list_entries: 10 }, now: NOW };
    const outcome = origin.apply(add('b', 'd'), roomy);
    expect(outcome).toEqual(add('b', 'd!*@*'));
    const { modes, params } = formatModeChanges([outcome as ModeChange]);
    applyModeString(replica.registry, replica.channel, modes, params, replica.user('Alice'), TRUSTED);
    expect(replica.snapshot()).toEqual(origin.snapshot());
  });

  it('accepts -k without its parameter, skips list queries and changes it cannot apply', () => {
    node.apply(add('k', 'sesame'));
    const applied = applyModeString(node.registry, node.channel, '+bo-k+v', ['nobody', 'bob'], node.user('Alice'), TRUSTED);
    // b has a parameter here ('nobody'), so it is a change; o takes 'bob'; -k takes none; +v has nothing left.
    expect(applied).toEqual([add('b', 'nobody!*@*'), add('o', 'Bob'), remove('k', '*')]);
    // A b without a parameter is a query; +v without one is dropped; +o for a nick unknown here is refused.
    expect(applyModeString(node.registry, node.channel, '+bvo', ['nobody'], node.user('Alice'), TRUSTED)).toEqual([]);
    expect(node.channel.lists.b).toHaveLength(1);
    expect(node.channel.key).toBeNull();
  });
});
