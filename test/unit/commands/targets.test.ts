/**
 * Repeated targets are dropped before any work (Hardening II, item 4): a
 * command naming the same channel or nick twice, in any case, does the work
 * and sends the replies once, in first-occurrence order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { uniqueByFold, uniqueNames } from '../../../src/commands/targets.js';
import { makeFolder } from '../../../src/protocol/casemap.js';
import { Channel } from '../../../src/state/channel.js';
import { World, type FakeClient } from '../../helpers/harness.js';

let world: World;
let alice: FakeClient;
let bob: FakeClient;

beforeEach(() => {
  world = new World();
  alice = world.connect('alice');
  bob = world.connect('bob');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('uniqueNames / uniqueByFold', () => {
  const fold = makeFolder('rfc1459');

  it('keeps the first occurrence of each casefolded name, in order', () => {
    expect(uniqueNames(['#b', '#a', '#B', '#a', '#c'], fold)).toEqual(['#b', '#a', '#c']);
  });

  it('folds with the casemapping: [] and {} are one name in rfc1459, two in ascii', () => {
    expect(uniqueNames(['#[x]', '#{x}'], fold)).toEqual(['#[x]']);
    expect(uniqueNames(['#[x]', '#{x}'], makeFolder('ascii'))).toEqual(['#[x]', '#{x}']);
  });

  it('keeps the whole first item when a key picks the name', () => {
    const pairs = [{ name: '#a', key: 'one' }, { name: '#A', key: 'two' }];
    expect(uniqueByFold(pairs, fold, (p) => p.name)).toEqual([{ name: '#a', key: 'one' }]);
  });
});

describe('JOIN', () => {
  it('checks a repeated channel against its ban list once', () => {
    alice.run('JOIN #c');
    alice.run('MODE #c +b bob!*@*');
    const refusal = vi.spyOn(Channel.prototype, 'joinRefusal');
    const lines = bob.run(`JOIN ${Array(50).fill('#c,#C').join(',')}`);
    expect(lines).toEqual([':obrol.local 474 bob #c :Cannot join channel (+b)']);
    expect(refusal).toHaveBeenCalledTimes(1);
  });

  it('pairs keys with the first occurrence of a repeated channel', () => {
    alice.run('JOIN #k');
    alice.run('MODE #k +k sesame');
    expect(bob.run('JOIN #k,#K wrong,sesame')).toEqual([':obrol.local 475 bob #k :Cannot join channel (+k)']);
    expect(bob.run('JOIN #k,#K sesame,wrong').filter((l) => l.includes(' JOIN '))).toEqual([':bob!bob@127.0.0.1 JOIN :#k']);
  });
});

describe('PART', () => {
  it('parts a repeated channel once, without a 403/442 for the repetitions', () => {
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    alice.take();
    expect(bob.run('PART #c,#C,#c')).toEqual([':bob!bob@127.0.0.1 PART :#c']);
    expect(alice.take()).toEqual([':bob!bob@127.0.0.1 PART :#c']);
  });
});

describe('NAMES', () => {
  it('lists a repeated channel once', () => {
    alice.run('JOIN #c');
    expect(bob.run('NAMES #c,#C,#c')).toEqual([':obrol.local 353 bob = #c :@alice', ':obrol.local 366 bob #c :End of /NAMES list']);
  });
});

describe('WHOIS', () => {
  it('answers a repeated nick once', () => {
    const lines = alice.run('WHOIS bob,BOB,bob');
    expect(lines.filter((l) => / 311 /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / 318 /.test(l))).toEqual([':obrol.local 318 alice bob :End of /WHOIS list']);
  });
});

describe('WHOWAS', () => {
  it('answers a repeated nick once', () => {
    bob.run('NICK robert');
    const lines = alice.run('WHOWAS bob,BOB,bob');
    expect(lines.filter((l) => / 314 /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / 369 /.test(l))).toEqual([':obrol.local 369 alice bob :End of WHOWAS']);
  });
});

describe('MONITOR', () => {
  it('names each refused nick once when the list is full', () => {
    const w = new World({ config: { limits: { monitor_entries: 1 } } });
    const carol = w.connect('carol');
    carol.run('MONITOR + dave');
    expect(carol.run('MONITOR + eve,EVE,eve,frank,eve')).toEqual([':obrol.local 734 carol 1 eve,frank :Monitor list is full']);
  });
});

describe('PRIVMSG', () => {
  it('delivers to a repeated target once (already so before item 4; kept as a regression test)', () => {
    alice.run('PRIVMSG bob,BOB,bob :hi');
    expect(bob.take()).toEqual([expect.stringMatching(/PRIVMSG bob :hi$/)]);
  });
});
