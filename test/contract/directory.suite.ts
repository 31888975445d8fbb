/**
 * The contract every NameDirectory must meet, as a suite function run by
 * directory.test.ts for each implementation. `make(n)` gives n directories
 * that share one register (n nodes of one network); `outage`, when the
 * implementation depends on a server that can go away, lets the suite take
 * that server down and bring it back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NameDirectory, NickHolder } from '../../src/bus/directory.js';

/** Call `call` until it answers `wanted` or a deadline passes; the last answer. */
async function eventually<T>(call: () => Promise<T>, wanted: T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let answer = await call();
  while (answer !== wanted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await call();
  }
  return answer;
}

export interface DirectoryCluster {
  nodes: NameDirectory[];
  close(): Promise<void>;
}

export interface DirectoryOutage {
  /** The longest a call may take before it answers 'unavailable'. */
  timeoutMs: number;
  /** The server is gone (connections refused). */
  stop(): Promise<void>;
  /** The server is back, empty. */
  start(): Promise<void>;
  /** The server hangs: connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
}

export interface DirectoryContractOptions {
  make(count: number): Promise<DirectoryCluster>;
  /** Only for implementations that can be unavailable. */
  outage?: DirectoryOutage;
}

const alice: NickHolder = { node: 'n1', user: 'n1/1' };
const bob: NickHolder = { node: 'n2', user: 'n2/1' };

export function directoryContract(name: string, options: DirectoryContractOptions): void {
  describe(`NameDirectory contract: ${name}`, () => {
    let cluster: DirectoryCluster | null = null;
    afterEach(async () => {
      await cluster?.close();
      cluster = null;
    });
    const open = async (count: number) => {
      cluster = await options.make(count);
      return cluster.nodes;
    };

    it('gives a nick to one holder; claiming it again is ok for that holder only', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      expect(await a.claimNick('alice', alice)).toBe('ok');
      expect(await a.claimNick('alice', alice)).toBe('ok');
      expect(await b.claimNick('alice', bob)).toBe('taken');
      expect(await b.holderOfNick('alice')).toEqual(alice);
      expect(await b.holderOfNick('nobody')).toBeNull();
    });

    it('of two holders claiming one nick at once, exactly one gets it', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      for (let round = 0; round < 20; round++) {
        const nick = `race${round}`;
        const results = await Promise.all([a.claimNick(nick, alice), b.claimNick(nick, bob)]);
        expect([...results].sort()).toEqual(['ok', 'taken']);
        expect(await b.holderOfNick(nick)).toEqual(results[0] === 'ok' ? alice : bob);
      }
    });

    it('releases a nick only for its holder', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      expect(await b.releaseNick('alice', bob)).toBe('ok');
      expect(await b.releaseNick('alice', { node: alice.node, user: 'n1/2' })).toBe('ok');
      expect(await b.holderOfNick('alice')).toEqual(alice);
      expect(await a.releaseNick('alice', alice)).toBe('ok');
      expect(await b.holderOfNick('alice')).toBeNull();
      expect(await b.claimNick('alice', bob)).toBe('ok');
    });

    it('renames in one step: the new nick is held and the old one free, or nothing changes', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      await b.claimNick('bob', bob);
      expect(await a.renameNick('alice', 'bob', alice)).toBe('taken');
      expect(await a.holderOfNick('alice')).toEqual(alice);
      expect(await a.holderOfNick('bob')).toEqual(bob);

      expect(await a.renameNick('alice', 'alicia', alice)).toBe('ok');
      expect(await b.holderOfNick('alicia')).toEqual(alice);
      expect(await b.holderOfNick('alice')).toBeNull();
      expect(await b.claimNick('alice', bob)).toBe('ok');
    });

    it('a rename to the same folded name (a change of case) keeps the claim', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      expect(await a.renameNick('alice', 'alice', alice)).toBe('ok');
      expect(await b.holderOfNick('alice')).toEqual(alice);
      expect(await b.claimNick('alice', bob)).toBe('taken');
    });

    it('two renames racing for one nick: exactly one wins, the loser keeps its old nick', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      await b.claimNick('bob', bob);
      const results = await Promise.all([a.renameNick('alice', 'prize', alice), b.renameNick('bob', 'prize', bob)]);
      expect([...results].sort()).toEqual(['ok', 'taken']);
      const [winner, loser, loserNick] = results[0] === 'ok' ? [alice, bob, 'bob'] : [bob, alice, 'alice'];
      expect(await a.holderOfNick('prize')).toEqual(winner);
      expect(await a.holderOfNick(loserNick)).toEqual(loser);
    });

    it('the first node to claim a channel creates it; every later claim finds it existing', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      const results = await Promise.all([a.claimChannel('#c', 'n1'), b.claimChannel('#c', 'n2')]);
      expect(results.sort()).toEqual(['created', 'exists']);
      expect(await a.claimChannel('#c', 'n1')).toBe('exists');
      expect(await b.releaseChannel('#c')).toBe('ok');
      expect(await b.claimChannel('#c', 'n2')).toBe('created');
    });

    it('releaseNode drops every claim of that node and nothing else', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      await a.claimNick('alice2', { node: 'n1', user: 'n1/2' });
      await a.renameNick('alice2', 'carol', { node: 'n1', user: 'n1/2' });
      await a.claimChannel('#a', 'n1');
      await b.claimNick('bob', bob);
      await b.claimChannel('#b', 'n2');

      expect(await b.releaseNode('n1')).toBe('ok');
      for (const nick of ['alice', 'alice2', 'carol']) expect(await b.holderOfNick(nick)).toBeNull();
      expect(await b.claimChannel('#a', 'n2')).toBe('created');
      expect(await a.holderOfNick('bob')).toEqual(bob);
      expect(await a.claimChannel('#b', 'n1')).toBe('exists');
      // Idempotent.
      expect(await b.releaseNode('n1')).toBe('ok');
    });

    it('a nick released then claimed by another node is not dropped by the first node\'s releaseNode', async () => {
      const [a, b] = (await open(2)) as [NameDirectory, NameDirectory];
      await a.claimNick('alice', alice);
      await a.releaseNick('alice', alice);
      await b.claimNick('alice', bob);
      await a.releaseNode('n1');
      expect(await a.holderOfNick('alice')).toEqual(bob);
    });

    const outage = options.outage;
    describe.skipIf(!outage)('when its server is gone', () => {
      const slack = 1500;
      const timed = async <T>(call: () => Promise<T>) => {
        const started = Date.now();
        const result = await call();
        return { result, ms: Date.now() - started };
      };

      it('answers unavailable within the timeout, and works again once the server is back', async () => {
        const o = outage as DirectoryOutage;
        const [a] = (await open(1)) as [NameDirectory];
        expect(await a.claimNick('alice', alice)).toBe('ok');
        await o.stop();
        const calls: Array<() => Promise<unknown>> = [
          () => a.claimNick('bob', bob),
          () => a.renameNick('alice', 'alicia', alice),
          () => a.releaseNick('alice', alice),
          () => a.claimChannel('#c', 'n1'),
          () => a.releaseChannel('#c'),
          () => a.releaseNode('n1'),
          () => a.holderOfNick('alice'),
        ];
        for (const call of calls) {
          const { result, ms } = await timed(call);
          expect(result).toBe('unavailable');
          expect(ms).toBeLessThan(o.timeoutMs + slack);
        }
        await o.start();
        // The server came back empty; claims work again once the client has reconnected.
        expect(await eventually(() => a.claimNick('bob', bob), 'ok')).toBe('ok');
        expect(await a.holderOfNick('bob')).toEqual(bob);
      });

      it('answers unavailable within the timeout when the server hangs, and undoes the unanswered claim', async () => {
        const o = outage as DirectoryOutage;
        const [a] = (await open(1)) as [NameDirectory];
        expect(await a.claimNick('alice', alice)).toBe('ok');
        expect(await a.renameNick('alice', 'alice', alice)).toBe('ok');
        o.pause();
        try {
          const claim = await timed(() => a.claimNick('bob', bob));
          expect(claim.result).toBe('unavailable');
          expect(claim.ms).toBeGreaterThanOrEqual(o.timeoutMs - 100);
          expect(claim.ms).toBeLessThan(o.timeoutMs + slack);
          const rename = await timed(() => a.renameNick('alice', 'alicia', alice));
          expect(rename.result).toBe('unavailable');
        } finally {
          o.resume();
        }
        // The claim and the rename ran late, when the server woke, and were undone after them.
        const holders = async () => JSON.stringify([await a.holderOfNick('bob'), await a.holderOfNick('alicia'), await a.holderOfNick('alice')]);
        expect(await eventually(holders, JSON.stringify([null, null, alice]))).toBe(JSON.stringify([null, null, alice]));
      });
    });
  });
}
