/**
 * The benchmark's case table and the mixed workload's layout: what `npm run
 * bench` runs by default, and that the layout is the same for the same seed.
 */
import { describe, expect, it } from 'vitest';
import { buildCases } from '../../bench/cases.js';
import { mixedLayout, type ConnectParams, type FanoutParams, type MixedParams, type PrivmsgParams } from '../../bench/scenarios.js';

describe('buildCases', () => {
  it('runs the issue baseline cases in all', () => {
    const cases = buildCases('all', {}, false);
    expect(cases.map((c) => c.id)).toEqual([
      'connect-rate-10k',
      'connect-10k',
      'connect-20k',
      'fanout-1x1000-closed',
      'fanout-100x50-closed',
      'fanout-1x1000-open',
      'fanout-100x50-open',
      'privmsg-1000',
      'mixed-2k',
      'churn-15s',
    ]);
    const byId = new Map(cases.map((c) => [c.id, c.run.params]));
    // ngIRCd sits out the windowed 10k case only (its listen backlog makes it two minutes a run)
    expect(cases.filter((c) => c.servers).map((c) => [c.id, c.servers])).toEqual([['connect-10k', ['obrol', 'inspircd']]]);
    expect(byId.get('connect-rate-10k')).toMatchObject({ clients: 10_000, rate: 500 } satisfies Partial<ConnectParams>);
    expect(byId.get('connect-10k')).toMatchObject({ rate: 0, window: 1000 } satisfies Partial<ConnectParams>);
    expect(byId.get('fanout-100x50-open')).toMatchObject({ rate: 1500 } satisfies Partial<FanoutParams>);
    expect(byId.get('privmsg-1000')).toMatchObject({ window: 4 } satisfies Partial<PrivmsgParams>);
  });

  it('applies --rate to the open-loop connect case only', () => {
    const cases = buildCases('connect', { rate: 800 }, false);
    expect(cases.map((c) => [c.id, (c.run.params as ConnectParams).rate])).toEqual([
      ['connect-rate-10k', 800],
      ['connect-10k', 0],
      ['connect-20k', 0],
    ]);
  });

  it('compares obrol with obrol-node in the transport group', () => {
    const cases = buildCases('transport', {}, false);
    expect(cases.map((c) => c.id)).toEqual(['tr-connect-rate-10k', 'tr-privmsg-1000', 'tr-fanout-100x50-open']);
    for (const c of cases) {
      expect(c.servers).toEqual(['obrol', 'obrol-node']);
      expect(c.ratios).toEqual([['obrol', 'obrol-node']]);
    }
  });
});

describe('mixedLayout', () => {
  const params = buildCases('mixed', {}, false)[0]!.run.params as MixedParams;

  it('gives every channel distinct stable members within its size range', () => {
    const { members, channelsOf } = mixedLayout(params);
    const stable = params.clients - params.churners;
    expect(members).toHaveLength(params.smallChannels + params.largeChannels);
    members.forEach((list, c) => {
      const [lo, hi] = c < params.smallChannels ? params.smallMembers : params.largeMembers;
      expect(list.length).toBeGreaterThanOrEqual(lo);
      expect(list.length).toBeLessThanOrEqual(hi);
      expect(new Set(list).size).toBe(list.length);
      for (const g of list) expect(g).toBeLessThan(stable);
    });
    expect(channelsOf.reduce((n, l) => n + l.length, 0)).toBe(members.reduce((n, l) => n + l.length, 0));
  });

  it('is the same for the same seed and differs for another', () => {
    expect(mixedLayout(params)).toEqual(mixedLayout(params));
    expect(mixedLayout({ ...params, seed: 2 }).members).not.toEqual(mixedLayout(params).members);
  });
});
