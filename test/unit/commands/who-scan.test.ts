/**
 * WHO with a mask looks at no more than limits.who_scan users (Hardening II,
 * item 4), however few of them match: the scan is bounded, not only the
 * replies. Past it, 416 and the end of the list; opers are exempt.
 */
import { describe, expect, it, vi } from 'vitest';
import { World } from '../../helpers/harness.js';

function populate(world: World, n: number): void {
  for (let i = 0; i < n; i++) world.connect(`user${i}`);
}

describe('WHO mask scan bound', () => {
  it('stops after who_scan users, with what it found, 416 and 315', () => {
    const world = new World({ config: { limits: { who_scan: 3 } } });
    const viewer = world.connect('viewer'); // registered first: the first user looked at
    populate(world, 10);
    expect(viewer.run('WHO user*')).toEqual([
      ':obrol.local 352 viewer * user0 127.0.0.1 obrol.local user0 H :0 user0 real',
      ':obrol.local 352 viewer * user1 127.0.0.1 obrol.local user1 H :0 user1 real',
      ':obrol.local 416 viewer WHO :Search stopped after looking at 3 users; use a narrower mask',
      ':obrol.local 315 viewer user* :End of WHO list',
    ]);
  });

  it('bounds the work of a mask that matches nobody', () => {
    const world = new World({ config: { limits: { who_scan: 100 } } });
    populate(world, 2000);
    const viewer = world.connect('viewer');
    const fold = vi.spyOn(world.registry, 'fold');
    expect(viewer.run('WHO *nobody-has-this*').slice(-2)).toEqual([
      ':obrol.local 416 viewer WHO :Search stopped after looking at 100 users; use a narrower mask',
      ':obrol.local 315 viewer *nobody-has-this* :End of WHO list',
    ]);
    // Three folds per user looked at (username, host, realname), and a few for the mask.
    expect(fold.mock.calls.length).toBeLessThan(100 * 3 + 10);
  });

  it('no 416 when the network is no bigger than who_scan', () => {
    const world = new World({ config: { limits: { who_scan: 3 } } });
    populate(world, 2);
    const viewer = world.connect('viewer');
    expect(viewer.run('WHO *zzz*')).toEqual([':obrol.local 315 viewer *zzz* :End of WHO list']);
  });

  it('opers are exempt', () => {
    const world = new World({ config: { limits: { who_scan: 3 } } });
    populate(world, 10);
    const oper = world.connect('oper', { modes: 'o' });
    expect(oper.run('WHO user*').filter((l) => / (352|416) /.test(l))).toHaveLength(10);
  });
});
