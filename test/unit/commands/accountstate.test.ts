import { beforeEach, describe, expect, it, vi } from 'vitest';
import { restoreAccountState } from '../../../src/commands/accountstate.js';
import { World, type FakeClient } from '../../helpers/harness.js';

const T1 = 'timestamp=2024-01-01T00:00:00.000Z';
const T2 = 'timestamp=2024-06-01T00:00:00.000Z';
const CAPS = ['draft/read-marker', 'draft/metadata-3'];

let world: World;
let one: FakeClient; // logged into "Acct"
let two: FakeClient; // another client of "Acct"
let other: FakeClient; // not logged in

beforeEach(async () => {
  world = new World();
  one = world.connect('one', { caps: CAPS });
  two = world.connect('two', { caps: CAPS });
  other = world.connect('other', { caps: CAPS });
  one.user.account = 'Acct';
  two.user.account = 'acct';
  await restoreAccountState(world, one.user, 'Acct');
  await restoreAccountState(world, two.user, 'acct');
});

describe('MARKREAD of a logged-in user', () => {
  it('is stored for the account, answered from the store and sent to its other clients', async () => {
    expect(await one.runAsync(`MARKREAD #Chan :${T1}`)).toEqual([`:obrol.local MARKREAD #Chan :${T1}`]);
    expect((await world.store.markers.markers('acct')).get('#chan')).toBe(T1);
    expect(two.take()).toEqual([`:obrol.local MARKREAD #Chan :${T1}`]);
    expect(await two.runAsync('MARKREAD #chan')).toEqual([`:obrol.local MARKREAD #chan :${T1}`]);
    expect(other.take()).toEqual([]);
  });

  it('only moves forward across the account’s clients', async () => {
    await one.runAsync(`MARKREAD #c :${T2}`);
    two.take();
    expect(await two.runAsync(`MARKREAD #c :${T1}`)).toEqual([`:obrol.local MARKREAD #c :${T2}`]);
    expect(one.take()).toEqual([]);
    expect((await world.store.markers.markers('acct')).get('#c')).toBe(T2);
  });

  it('answers * for a target without a marker, and is shown on JOIN from the shared cache', async () => {
    expect(await one.runAsync('MARKREAD #none')).toEqual([':obrol.local MARKREAD #none :*']);
    await one.runAsync(`MARKREAD #c :${T1}`);
    expect(two.run('JOIN #c')).toContain(`:obrol.local MARKREAD #c :${T1}`);
  });

  it('fails with FAIL when the store cannot save it, and caches nothing', async () => {
    vi.spyOn(world.store.markers, 'setMarker').mockRejectedValue(new Error('disk full'));
    expect(await one.runAsync(`MARKREAD #c ${T1}`)).toEqual([
      `:obrol.local FAIL MARKREAD TEMPORARILY_UNAVAILABLE #c :Read markers cannot be read or saved right now; try again later`,
    ]);
    expect(one.user.readMarkers.get('#c')).toBeUndefined();
    expect(two.take()).toEqual([]);
  });

  it('stays per connection without an account', async () => {
    expect(other.run(`MARKREAD #c :${T1}`)).toEqual([`:obrol.local MARKREAD #c :${T1}`]);
    expect(await world.store.markers.markers('other')).toEqual(new Map());
  });

  it('comes back at login, merged with what the connection set before', async () => {
    await one.runAsync(`MARKREAD #a :${T1}`);
    const later = world.connect('later', { caps: CAPS });
    later.run('JOIN #a');
    later.run(`MARKREAD #b :${T2}`);
    later.take();
    later.user.account = 'acct';
    await restoreAccountState(world, later.user, 'acct');
    // Already on #a: told of its marker now.
    expect(later.take()).toEqual([`:obrol.local MARKREAD #a :${T1}`]);
    expect(await later.runAsync('MARKREAD #b')).toEqual([`:obrol.local MARKREAD #b :${T2}`]);
    expect((await world.store.markers.markers('acct')).get('#b')).toBe(T2);
    expect(world.registry.checkInvariants()).toEqual([]);
  });
});

describe('METADATA of a logged-in user', () => {
  it('their own keys are saved to the account, deletions too', async () => {
    expect(await one.runAsync('METADATA * SET avatar https://x/a.png')).toEqual([':obrol.local 761 one one avatar * :https://x/a.png']);
    expect(await world.store.metadata.accountMetadata('acct')).toEqual(new Map([['avatar', 'https://x/a.png']]));
    await one.runAsync('METADATA * SET avatar');
    expect(await world.store.metadata.accountMetadata('acct')).toEqual(new Map());
    await one.runAsync('METADATA * SET a 1');
    await one.runAsync('METADATA * SET b 2');
    await one.runAsync('METADATA * CLEAR');
    expect(await world.store.metadata.accountMetadata('acct')).toEqual(new Map());
  });

  it('a user without an account saves nothing', () => {
    expect(other.run('METADATA * SET avatar x')).toEqual([':obrol.local 761 other other avatar * :x']);
  });

  it('come back at login; keys the connection set win and are saved', async () => {
    await one.runAsync('METADATA * SET avatar old');
    await one.runAsync('METADATA * SET pronouns they');
    const later = world.connect('later', { caps: CAPS });
    const watcher = world.connect('watcher', { caps: CAPS });
    watcher.run('METADATA * SUB pronouns');
    watcher.run('JOIN #c');
    later.run('JOIN #c');
    later.run('METADATA * SET avatar new');
    later.take();
    watcher.take();
    later.user.account = 'acct';
    await restoreAccountState(world, later.user, 'acct');
    expect(later.user.metadata).toEqual(new Map([['avatar', 'new'], ['pronouns', 'they']]));
    expect(later.take()).toEqual([':obrol.local 761 later later pronouns * :they']);
    expect(watcher.take()).toEqual([':obrol.local 761 * later pronouns * :they']);
    expect(await world.store.metadata.accountMetadata('acct')).toEqual(new Map([['avatar', 'new'], ['pronouns', 'they']]));
    expect(world.registry.checkInvariants()).toEqual([]);
  });
});

describe('login in a registered channel', () => {
  it('ChanServ gives the founder +o when they log in while on the channel', async () => {
    one.run('JOIN #reg');
    await one.runAsync('PRIVMSG ChanServ :REGISTER #reg');
    one.run('MODE #reg -o one');
    const late = world.connect('late');
    late.run('JOIN #reg');
    late.take();
    late.user.account = 'ACCT';
    await restoreAccountState(world, late.user, 'ACCT');
    expect(late.take()).toEqual([':ChanServ!ChanServ@obrol.local MODE #reg +o :late']);
  });
});
