/**
 * Caps on the work one JOIN or NAMES may ask for (Hardening II, item 4):
 * JOIN looks at no more distinct channels than limits.channels_per_user
 * (TARGMAX JOIN), NAMES at no more than limits.targets (TARGMAX NAMES) and
 * sends at most limits.names_results 353 lines in all, then 416.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Channel } from '../../../src/state/channel.js';
import { World } from '../../helpers/harness.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('JOIN', () => {
  it('looks at no more distinct channels than channels_per_user; 407 names the first one left out', () => {
    const world = new World({ config: { limits: { channels_per_user: 2 } } });
    const op = world.connect('op');
    const mallory = world.connect('mallory');
    for (const c of ['#a', '#b', '#c', '#d']) {
      op.run(`JOIN ${c}`);
      op.run(`MODE ${c} +b mallory!*@*`);
    }
    const refusal = vi.spyOn(Channel.prototype, 'joinRefusal');
    expect(mallory.run('JOIN #a,#b,#c,#d')).toEqual([
      ':obrol.local 474 mallory #a :Cannot join channel (+b)',
      ':obrol.local 474 mallory #b :Cannot join channel (+b)',
      ':obrol.local 407 mallory #c :Too many targets (at most 2 per command)',
    ]);
    expect(refusal).toHaveBeenCalledTimes(2);
  });

  it('answers 405 for the first channel left out when the user is full', () => {
    const world = new World({ config: { limits: { channels_per_user: 2 } } });
    const alice = world.connect('alice');
    const lines = alice.run('JOIN #a,#b,#c,#d');
    expect(lines.filter((l) => / JOIN /.test(l))).toEqual([':alice!alice@127.0.0.1 JOIN :#a', ':alice!alice@127.0.0.1 JOIN :#b']);
    expect(lines.at(-1)).toBe(':obrol.local 405 alice #c :You have joined too many channels');
  });
});

describe('NAMES', () => {
  it('looks at no more than limits.targets channels; 407 names the first one left out', () => {
    const world = new World({ config: { limits: { targets: 2 } } });
    const alice = world.connect('alice');
    alice.run('JOIN #a,#b,#c');
    expect(alice.run('NAMES #a,#b,#c')).toEqual([
      ':obrol.local 407 alice #c :Too many targets (at most 2 per command)',
      ':obrol.local 353 alice = #a :@alice',
      ':obrol.local 353 alice = #b :@alice',
      ':obrol.local 366 alice #a,#b :End of /NAMES list',
    ]);
  });

  it('stops at names_results 353 lines over all channels, then 416 and 366', () => {
    const world = new World({ config: { limits: { names_results: 3 } } });
    const viewer = world.connect('viewer');
    // 120 members with 30-character nicks need about 8 lines of 353 per channel.
    for (let i = 0; i < 120; i++) {
      const c = world.connect(`member${String(i).padStart(24, '0')}`);
      for (const name of ['#a', '#b']) world.registry.join(c.user, world.registry.channelFor(name, world.now).channel, 0);
    }
    const lines = viewer.run('NAMES #a,#b');
    expect(lines.filter((l) => / 353 /.test(l))).toHaveLength(3);
    expect(lines.slice(-2)).toEqual([
      ':obrol.local 416 viewer NAMES :Output too long: only the first 3 results; ask for less',
      ':obrol.local 366 viewer #a,#b :End of /NAMES list',
    ]);
  });

  it('a JOIN lists the whole channel, whatever names_results is', () => {
    const world = new World({ config: { limits: { names_results: 1 } } });
    for (let i = 0; i < 120; i++) {
      const c = world.connect(`member${String(i).padStart(24, '0')}`);
      world.registry.join(c.user, world.registry.channelFor('#a', world.now).channel, 0);
    }
    const lines = world.connect('viewer').run('JOIN #a');
    expect(lines.filter((l) => / 353 /.test(l)).length).toBeGreaterThan(1);
    expect(lines.filter((l) => / 416 /.test(l))).toEqual([]);
  });
});
