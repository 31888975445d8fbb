/**
 * One WHOWAS shows at most limits.whowas_results entries over all its nicks
 * (Hardening II, item 4); past them 416, and every nick still gets its 369.
 */
import { describe, expect, it } from 'vitest';
import { World } from '../../helpers/harness.js';

describe('WHOWAS reply cap', () => {
  it('stops at whowas_results entries over all nicks, then 416; each nick ends with 369', () => {
    const world = new World({ config: { limits: { whowas_results: 3 } } });
    const m = world.connect('a');
    for (let k = 0; k < 4; k++) {
      m.run('NICK b');
      m.run('NICK a');
    }
    const lines = world.connect('viewer').run('WHOWAS a,b,c');
    expect(lines.filter((l) => / 314 /.test(l))).toHaveLength(3);
    expect(lines.filter((l) => / (416|369|406) /.test(l))).toEqual([
      ':obrol.local 416 viewer WHOWAS :Output too long: only the first 3 results; ask for less',
      ':obrol.local 369 viewer a :End of WHOWAS',
      ':obrol.local 369 viewer b :End of WHOWAS',
      ':obrol.local 369 viewer c :End of WHOWAS',
    ]);
  });

  it('a nick that owns many changes shows no more than the per-nick cap', () => {
    const world = new World({ config: { limits: { whowas_results: 1000 } } });
    const m = world.connect('a');
    for (let k = 0; k < 500; k++) {
      m.run('NICK b');
      m.run('NICK a');
    }
    const lines = world.connect('viewer').run('WHOWAS a');
    expect(lines.filter((l) => / 314 /.test(l))).toHaveLength(10);
  });
});
