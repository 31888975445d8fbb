/**
 * Hardening II, bounded memory: every stored thing is charged to its owner's
 * budget (limits.user_state_bytes) and credited when it goes, whoever removes
 * it; above limits.server_state_bytes in all nothing new is stored.
 */
import { describe, expect, it } from 'vitest';
import { World, type FakeClient } from '../../helpers/harness.js';
import { channelCost, INVITE_COST, listEntryCost, markerCost, metadataCost, monitorCost, subscriptionCost, topicCost } from '../../../src/state/budget.js';

const USER_LIMIT = 'You have too much stored on this server (limits.user_state_bytes: 4096 bytes)';

function charged(world: World, client: FakeClient): number {
  return world.registry.budget.charged(client.user.id);
}

/** The budget agrees with a recount of the state (and the other invariants hold). */
function expectBalanced(world: World): void {
  expect(world.registry.checkInvariants()).toEqual([]);
  expect(world.registry.checkBudget(world.clients.map((c) => c.user))).toEqual([]);
}

describe('what is charged, and to whom', () => {
  /** alice and bob in #c, both channel operators. */
  function opsInC(): { world: World; alice: FakeClient; bob: FakeClient } {
    const world = new World();
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.run('MODE #c +o bob');
    return { world, alice, bob };
  }

  it('charges channels, topics, list entries, metadata, markers, MONITOR, subscriptions and invites', () => {
    const world = new World();
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    alice.run('JOIN #c');
    expect(charged(world, alice)).toBe(channelCost('#c', '#c'));
    alice.run('TOPIC #c :hello');
    alice.run('MODE #c +b spam');
    alice.run('METADATA #c SET color red');
    alice.run('METADATA * SET avatar http://x');
    alice.run('MARKREAD #c timestamp=2024-01-01T00:00:00.000Z');
    alice.run('MONITOR + bob');
    alice.run('METADATA * SUB avatar');
    alice.run('INVITE bob #c');
    const expected =
      channelCost('#c', '#c') +
      topicCost('hello', alice.user.mask) +
      listEntryCost('spam!*@*', alice.user.mask) +
      metadataCost('color', 'red') + 64 +
      metadataCost('avatar', 'http://x') +
      markerCost('#c', 'timestamp=2024-01-01T00:00:00.000Z') +
      monitorCost('bob', 'bob') +
      subscriptionCost('avatar') +
      INVITE_COST;
    expect(charged(world, alice)).toBe(expected);
    expect(charged(world, bob)).toBe(0);
    expect(world.registry.budget.total).toBe(expected);
    expectBalanced(world);
  });

  it('credits the setter of a list entry when someone else removes it', () => {
    const { world, alice, bob } = opsInC();
    alice.run('MODE #c +e friend');
    const before = charged(world, alice);
    bob.run('MODE #c -e friend');
    expect(charged(world, alice)).toBe(before - listEntryCost('friend!*@*', alice.user.mask));
    expect(charged(world, bob)).toBe(0);
    expectBalanced(world);
  });

  it('moves a replaced topic or channel key from the old setter to the new one', () => {
    const { world, alice, bob } = opsInC();
    alice.run('TOPIC #c :first');
    alice.run('METADATA #c SET color red');
    bob.run('TOPIC #c :second');
    bob.run('METADATA #c SET color blue');
    expect(charged(world, alice)).toBe(channelCost('#c', '#c'));
    expect(charged(world, bob)).toBe(topicCost('second', bob.user.mask) + metadataCost('color', 'blue') + 64);
    bob.run('METADATA #c CLEAR');
    expect(charged(world, bob)).toBe(topicCost('second', bob.user.mask));
    expectBalanced(world);
  });

  it('credits everything when the channel goes, and keeps charging a quitter for what outlives them until then', () => {
    const world = new World();
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    const carol = world.connect('carol');
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.run('MODE #c +bI spam friend');
    alice.run('TOPIC #c :topic');
    alice.run('METADATA #c SET k v');
    alice.run('INVITE carol #c');
    alice.run('METADATA * SET k v');
    alice.run('MARKREAD #c timestamp=2024-01-01T00:00:00.000Z');
    alice.run('MONITOR + carol,dave');
    alice.run('METADATA * SUB k');
    const id = alice.user.id;
    world.disconnect(alice.user, 'bye');
    // Her own metadata, markers, MONITOR list and subscriptions went with her...
    const outliving = charged({ registry: world.registry } as World, alice);
    expect(outliving).toBe(
      channelCost('#c', '#c') +
        topicCost('topic', 'alice!alice@127.0.0.1') +
        listEntryCost('spam!*@*', 'alice!alice@127.0.0.1') +
        listEntryCost('friend!*@*', 'alice!alice@127.0.0.1') +
        metadataCost('k', 'v') + 64 +
        INVITE_COST,
    );
    expectBalanced(world);
    // ...what she set in #c goes when #c does.
    bob.run('PART #c');
    expect(world.registry.budget.charged(id)).toBe(0);
    expect(world.registry.budget.total).toBe(0);
    expect(world.registry.budget.ownerCount).toBe(0);
    expect(carol.user.invitedTo.size).toBe(0);
    expectBalanced(world);
  });

  it('credits an invite when it is used, when the invitee quits, and not twice for a repeated invite', () => {
    const world = new World();
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    const carol = world.connect('carol');
    alice.run('JOIN #c');
    const base = charged(world, alice);
    alice.run('INVITE bob #c');
    alice.run('INVITE bob #c');
    alice.run('INVITE carol #c');
    expect(charged(world, alice)).toBe(base + 2 * INVITE_COST);
    bob.run('JOIN #c');
    expect(charged(world, alice)).toBe(base + INVITE_COST);
    world.disconnect(carol.user, 'bye');
    expect(charged(world, alice)).toBe(base);
    expectBalanced(world);
  });

  it('credits MONITOR entries, subscriptions and markers as they are removed or forgotten', () => {
    const world = new World({ config: { limits: { read_markers: 1 } } });
    const alice = world.connect('alice');
    alice.run('MONITOR + bob,carol');
    alice.run('MONITOR - bob');
    expect(charged(world, alice)).toBe(monitorCost('carol', 'carol'));
    alice.run('MONITOR C');
    alice.run('METADATA * SUB a b');
    alice.run('METADATA * UNSUB a b');
    expect(charged(world, alice)).toBe(0);
    alice.run('MARKREAD #a timestamp=2024-01-01T00:00:00.000Z');
    alice.run('MARKREAD #a timestamp=2024-01-02T00:00:00.000Z');
    alice.run('MARKREAD #b timestamp=2024-01-01T00:00:00.000Z');
    expect(charged(world, alice)).toBe(markerCost('#b', 'timestamp=2024-01-01T00:00:00.000Z'));
    expectBalanced(world);
  });
});

describe('limits.user_state_bytes', () => {
  function small(): { world: World; alice: FakeClient; bob: FakeClient } {
    const world = new World({ config: { limits: { user_state_bytes: 4096 } } });
    return { world, alice: world.connect('alice'), bob: world.connect('bob') };
  }

  it('refuses a new channel with FAIL JOIN LIMIT_REACHED; joining an existing one costs nothing', () => {
    const { world, alice, bob } = small();
    alice.run('JOIN #a,#b,#c');
    expect(alice.run('JOIN #d')).toEqual([`:obrol.local FAIL JOIN LIMIT_REACHED #d :${USER_LIMIT}`]);
    expect(world.registry.findChannel('#d')).toBeUndefined();
    bob.run('JOIN #x');
    expect(alice.run('JOIN #x')[0]).toBe(':alice!alice@127.0.0.1 JOIN :#x');
    expectBalanced(world);
  });

  it('refuses list entries with 478 naming the limit', () => {
    const { world, alice } = small();
    alice.run('JOIN #a');
    const mask = (i: number) => `${String(i).padStart(3, '0')}${'m'.repeat(100)}`;
    let reply: string[] = [];
    let i = 0;
    for (; i < 100; i++) {
      reply = alice.run(`MODE #a +b ${mask(i)}`);
      if (reply[0]?.includes(' 478 ')) break;
    }
    expect(reply).toEqual([`:obrol.local 478 alice #a b :${USER_LIMIT}`]);
    expect(world.registry.findChannel('#a')!.lists.b).toHaveLength(i);
    expect(charged(world, alice)).toBeLessThanOrEqual(4096);
    expectBalanced(world);
  });

  /** Metadata until only `room` bytes of alice's budget are left. */
  function fill(world: World, client: FakeClient, room: number): void {
    let i = 0;
    for (; ; i++) {
      const left = 4096 - charged(world, client) - room - metadataCost(`pad${i}`, '');
      if (left <= 0) break;
      client.run(`METADATA * SET pad${i} ${'p'.repeat(Math.min(200, left))}`);
    }
    // Less than a key's worth is left: grow the last value by it (200 + less than 100 fits in 300 bytes).
    const last = `pad${i - 1}`;
    const grow = 4096 - charged(world, client) - room;
    client.run(`METADATA * SET ${last} ${'p'.repeat((client.user.metadata.get(last) ?? '').length + grow)}`);
    expect(charged(world, client)).toBe(4096 - room);
  }

  it('refuses metadata, subscriptions, MONITOR, topics and invites past it', () => {
    const { world, alice, bob } = small();
    alice.run('JOIN #a,#b,#c');
    bob.run('JOIN #b');
    fill(world, alice, 40);
    expect(alice.run(`METADATA * SET more ${'v'.repeat(50)}`)).toEqual([`:obrol.local FAIL METADATA LIMIT_REACHED alice :${USER_LIMIT}`]);
    expect(alice.run('METADATA * SUB avatar')).toEqual([`:obrol.local FAIL METADATA TOO_MANY_SUBS avatar :${USER_LIMIT}`]);
    expect(alice.run('MONITOR + carol,dave')).toEqual([`:obrol.local 734 alice 100 carol,dave :${USER_LIMIT}`]);
    expect(alice.run('TOPIC #a :a topic')).toEqual([`:obrol.local FAIL TOPIC LIMIT_REACHED #a :${USER_LIMIT}`]);
    expect(world.registry.findChannel('#a')!.topic).toBe('');
    expect(alice.run('INVITE bob #a')).toEqual([`:obrol.local FAIL INVITE LIMIT_REACHED bob #a :${USER_LIMIT}`]);
    expect(bob.user.invitedTo.size).toBe(0);
    // A refused replacement keeps the old value and its charge.
    // (pad0 is 200 Latin-1 letters, 216 heap bytes; 150 Greek ones are 316)
    expect(alice.run(`METADATA * SET pad0 ${'Ω'.repeat(150)}`)).toEqual([`:obrol.local FAIL METADATA LIMIT_REACHED alice :${USER_LIMIT}`]);
    expect(alice.user.metadata.get('pad0')).toBe('p'.repeat(200));
    // Freeing some makes room again.
    alice.run('PART #c');
    expect(alice.run('TOPIC #a :a topic')[0]).toBe(':alice!alice@127.0.0.1 TOPIC #a :a topic');
    expectBalanced(world);
  });

  it('forgets the oldest read markers to make room for markers and anything else', () => {
    const { world, alice } = small();
    const stamp = 'timestamp=2024-01-01T00:00:00.000Z';
    for (let i = 0; i < 40; i++) alice.run(`MARKREAD #chan${i} ${stamp}`);
    expect(charged(world, alice)).toBeLessThanOrEqual(4096);
    const kept = [...alice.user.readMarkers.keys()];
    expect(kept.length).toBeLessThan(40);
    expect(kept.at(-1)).toBe('#chan39');
    expect(kept[0]).toBe(`#chan${40 - kept.length}`);
    expect(alice.run('JOIN #a,#b,#c').filter((line) => line.includes(' JOIN '))).toHaveLength(3);
    expect(alice.user.readMarkers.size).toBeLessThan(kept.length);
    expect(alice.user.readMarkers.has('#chan39')).toBe(true);
    expectBalanced(world);
  });

  it('refuses a read marker with FAIL MARKREAD LIMIT_REACHED when none is left to forget', () => {
    const { world, alice } = small();
    alice.run('JOIN #a,#b,#c');
    fill(world, alice, 40);
    expect(alice.run('MARKREAD #new timestamp=2024-01-01T00:00:00.000Z')).toEqual([`:obrol.local FAIL MARKREAD LIMIT_REACHED #new :${USER_LIMIT}`]);
    expectBalanced(world);
  });
});

describe('limits.server_state_bytes', () => {
  it('refuses new state from anyone once the server total would pass it, and accepts again when some goes', () => {
    const world = new World({ config: { limits: { server_state_bytes: 4096 } } });
    const alice = world.connect('alice');
    const bob = world.connect('bob');
    alice.run('JOIN #a,#b');
    bob.run('JOIN #c');
    const full = 'The server holds too much stored state (limits.server_state_bytes: 4096 bytes); try again later';
    expect(bob.run('JOIN #d')).toEqual([`:obrol.local FAIL JOIN LIMIT_REACHED #d :${full}`]);
    let reply: string[] = [];
    for (let i = 0; i < 20 && !reply[0]?.includes(' 478 '); i++) reply = bob.run(`MODE #c +b ${i}${'x'.repeat(100)}`);
    expect(reply).toEqual([`:obrol.local 478 bob #c b :${full}`]);
    expect(world.registry.budget.total).toBeLessThanOrEqual(4096);
    bob.run('MODE #c -b 0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    alice.run('PART #a');
    expect(bob.run('JOIN #d')[0]).toBe(':bob!bob@127.0.0.1 JOIN :#d');
    expectBalanced(world);
  });
});
