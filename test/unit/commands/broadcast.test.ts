/**
 * Changes a user broadcasts to every peer (AWAY with away-notify, SETNAME,
 * NICK) cost one unit per recipient from a per-user budget (Hardening II,
 * item 4): limits.broadcast_burst, refilled at broadcast_rate per second.
 * Past it the change is refused (FAIL ... RATE_LIMITED, 438 for NICK) and
 * nothing is sent. The world's clock stands in for time.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { World, type FakeClient } from '../../helpers/harness.js';

let world: World;
let mallory: FakeClient;
let peers: FakeClient[];

/** `n` peers sharing #big with mallory, with the given capabilities. */
function setup(n: number, caps: string[], limits = { broadcast_burst: 250, broadcast_rate: 10 }): void {
  world = new World({ config: { limits } });
  mallory = world.connect('mallory', { caps });
  peers = [];
  const { channel } = world.registry.channelFor('#big', world.now);
  world.registry.join(mallory.user, channel, 0);
  for (let i = 0; i < n; i++) {
    const peer = world.connect(`peer${i}`, { caps });
    world.registry.join(peer.user, channel, 0);
    peers.push(peer);
  }
}

/** Lines received by all peers since last asked. */
function delivered(): number {
  return peers.reduce((n, p) => n + p.take().length, 0);
}

describe('AWAY with away-notify', () => {
  beforeEach(() => setup(100, ['away-notify']));

  it('costs one unit per recipient: past the burst it is refused and nothing is sent', () => {
    expect(mallory.run('AWAY :one')).toEqual([':obrol.local 306 mallory :You have been marked as being away']);
    expect(mallory.run('AWAY')).toEqual([':obrol.local 305 mallory :You are no longer marked as being away']);
    expect(delivered()).toBe(200);
    expect(mallory.run('AWAY :three')).toEqual([':obrol.local FAIL AWAY RATE_LIMITED :Too many changes seen by many users; wait 5 seconds']);
    expect(delivered()).toBe(0);
    expect(mallory.user.away).toBeNull();
    world.now += 5;
    expect(mallory.run('AWAY :three')).toEqual([':obrol.local 306 mallory :You have been marked as being away']);
    expect(delivered()).toBe(100);
  });

  it('a change refused while the budget is in debt does not walk the audience', () => {
    setup(300, ['away-notify']);
    mallory.run('AWAY :x'); // 300 recipients from a burst of 250: 50 in debt
    const peersOf = vi.spyOn(world.registry, 'peersOf');
    for (const line of ['AWAY', 'SETNAME :new name', 'NICK m2']) expect(mallory.run(line)).toHaveLength(1);
    expect(peersOf).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it('setting the same state again sends nothing and costs nothing', () => {
    mallory.run('AWAY :gone');
    expect(delivered()).toBe(100);
    for (let k = 0; k < 10; k++) expect(mallory.run('AWAY :gone')).toEqual([':obrol.local 306 mallory :You have been marked as being away']);
    expect(delivered()).toBe(0);
  });

  it('a small audience allows many changes', () => {
    setup(2, ['away-notify']);
    for (let k = 0; k < 100; k++) mallory.run(k % 2 === 0 ? 'AWAY :x' : 'AWAY');
    expect(delivered()).toBe(200);
  });

  it('operators are exempt', () => {
    mallory.user.setMode('o', true);
    for (let k = 0; k < 10; k++) mallory.run(k % 2 === 0 ? 'AWAY :x' : 'AWAY');
    expect(delivered()).toBe(1000);
  });

  it('broadcast_rate 0 turns the limit off', () => {
    setup(100, ['away-notify'], { broadcast_burst: 1, broadcast_rate: 0 });
    for (let k = 0; k < 10; k++) mallory.run(k % 2 === 0 ? 'AWAY :x' : 'AWAY');
    expect(delivered()).toBe(1000);
  });
});

describe('SETNAME', () => {
  beforeEach(() => setup(100, ['setname']));

  it('is refused with FAIL SETNAME RATE_LIMITED past the budget, the realname unchanged', () => {
    mallory.run('SETNAME :one');
    mallory.run('SETNAME :two');
    expect(delivered()).toBe(200);
    expect(mallory.run('SETNAME :three')).toEqual([':obrol.local FAIL SETNAME RATE_LIMITED :Too many changes seen by many users; wait 5 seconds']);
    expect(mallory.user.realname).toBe('two');
    expect(delivered()).toBe(0);
  });
});

describe('NICK', () => {
  beforeEach(() => setup(100, []));

  it('is refused with 438 past the budget, keeping the nick', () => {
    mallory.run('NICK m1');
    mallory.run('NICK m2');
    expect(delivered()).toBe(200);
    expect(mallory.run('NICK m3')).toEqual([':obrol.local 438 m2 m3 :Nick change too fast. Please wait 5 seconds.']);
    expect(mallory.user.nick).toBe('m2');
    expect(delivered()).toBe(0);
    world.now += 5;
    mallory.run('NICK m3');
    expect(mallory.user.nick).toBe('m3');
  });

  it('shares the budget with AWAY and SETNAME: one bucket per user', () => {
    setup(100, ['away-notify']);
    mallory.run('AWAY :x');
    mallory.run('AWAY');
    expect(mallory.run('NICK m1')).toEqual([':obrol.local 438 mallory m1 :Nick change too fast. Please wait 5 seconds.']);
  });
});

describe('METADATA on oneself', () => {
  beforeEach(() => {
    setup(100, ['draft/metadata-3']);
    for (const p of peers) p.run('METADATA * SUB avatar');
    delivered();
  });

  it('costs one unit per subscriber told; past the budget FAIL METADATA RATE_LIMITED and nothing changes', () => {
    mallory.run('METADATA * SET avatar :one');
    mallory.run('METADATA * SET avatar :two');
    expect(delivered()).toBe(200);
    expect(mallory.run('METADATA * SET avatar :three')).toEqual([
      ':obrol.local FAIL METADATA RATE_LIMITED mallory avatar 5 :Too many changes seen by many users; wait 5 seconds',
    ]);
    expect(mallory.user.metadata.get('avatar')).toBe('two');
    expect(mallory.run('METADATA * CLEAR')).toEqual([
      ':obrol.local FAIL METADATA RATE_LIMITED mallory avatar 5 :Too many changes seen by many users; wait 5 seconds',
    ]);
    expect(delivered()).toBe(0);
  });

  it('keys nobody subscribed to cost nothing', () => {
    for (let k = 0; k < 20; k++) mallory.run(`METADATA * SET other :${k}`);
    expect(mallory.user.metadata.get('other')).toBe('19');
  });
});
