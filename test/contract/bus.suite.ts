/**
 * The contract every Bus implementation must meet, as a suite function that
 * test/contract/bus.test.ts runs for each implementation.
 *
 * An implementation that can lose events (its backend can restart and forget
 * them) says so with `canLoseEvents` and gives the suite a way to restart
 * that backend; it must then report the loss through onGap. One that cannot
 * lose anything skips that case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/bus.js';
import type { ClusterEvent } from '../../src/bus/events.js';
import { until } from '../helpers/until.js';

export interface BusCluster {
  nodes: Bus[];
  close(): Promise<void>;
  /** Restart the backend, losing whatever it held (for implementations that can lose events). */
  restartBackend?(): Promise<void>;
}

export interface BusCapabilities {
  canLoseEvents: boolean;
}

/** Resolve once `bus` has delivered `count` events, or reject after a timeout. */
function collect(bus: Bus, count: number, timeoutMs = 5000): Promise<ClusterEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: ClusterEvent[] = [];
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`saw ${seen.length} of ${count} events`));
    }, timeoutMs);
    const unsubscribe = bus.subscribe((event) => {
      seen.push(event);
      if (seen.length === count) {
        clearTimeout(timer);
        unsubscribe();
        resolve(seen);
      }
    });
  });
}

/** Everything published before this resolves has been delivered (a marker event from the same node). */
async function quiesce(from: Bus, to: Bus): Promise<ClusterEvent[]> {
  const seen: ClusterEvent[] = [];
  const done = new Promise<void>((resolve) => {
    const unsubscribe = to.subscribe((event) => {
      if (event.type === 'user.quit' && event.userId === 'marker') {
        unsubscribe();
        resolve();
      } else {
        seen.push(event);
      }
    });
  });
  from.publish({ type: 'user.quit', origin: from.nodeId, userId: 'marker', reason: '', msgid: 'marker', time: 0 });
  await done;
  return seen;
}

/** A channel message numbered `n` from `origin`, as the contract and the Redis bus tests publish. */
export const message = (origin: string, n: number): ClusterEvent => ({
  type: 'message',
  origin,
  userId: `${origin}/1`,
  command: 'PRIVMSG',
  target: '#c',
  channel: '#c',
  statusMask: 0,
  recipientId: null,
  text: `m${n}`,
  tags: null,
  msgid: `${origin}-${n}`,
  time: 1_700_000_000_000 + n,
});

const texts = (events: ClusterEvent[]) => events.map((e) => (e.type === 'message' ? e.text : e.type));

export function busContract(name: string, make: (count: number) => Promise<BusCluster>, capabilities: BusCapabilities): void {
  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster | null = null;
    afterEach(async () => {
      await cluster?.close();
      cluster = null;
    });

    it('delivers an event to every other node, never back to its origin', async () => {
      cluster = await make(3);
      const [a, b, c] = cluster.nodes as [Bus, Bus, Bus];
      const echoes: ClusterEvent[] = [];
      a.subscribe((event) => {
        if (event.origin === a.nodeId) echoes.push(event);
      });
      const atB = collect(b, 1);
      const atC = collect(c, 1);
      a.publish(message(a.nodeId, 1));
      expect(await atB).toEqual([message(a.nodeId, 1)]);
      expect(await atC).toEqual([message(a.nodeId, 1)]);
      // A marker from b reaching a proves a's own event had its chance to echo.
      await quiesce(b, a);
      expect(echoes).toEqual([]);
    });

    it('keeps the order of events from one node', async () => {
      cluster = await make(2);
      const [a, b] = cluster.nodes as [Bus, Bus];
      const atB = collect(b, 100);
      for (let n = 0; n < 100; n++) a.publish(message(a.nodeId, n));
      expect(texts(await atB)).toEqual(Array.from({ length: 100 }, (_, n) => `m${n}`));
    });

    it('keeps each origin\'s order under a burst of 1,000 events from every node, echoing none', async () => {
      cluster = await make(3);
      const nodes = cluster.nodes;
      const BURST = 1000;
      const received = nodes.map((node) => collect(node, BURST * (nodes.length - 1), 10_000));
      for (let n = 0; n < BURST; n++) for (const node of nodes) node.publish(message(node.nodeId, n));
      const all = await Promise.all(received);
      all.forEach((events, i) => {
        const own = nodes[i]?.nodeId;
        expect(events.filter((e) => e.origin === own)).toEqual([]);
        for (const other of nodes) {
          if (other.nodeId === own) continue;
          const fromOther = events.filter((e) => e.origin === other.nodeId);
          expect(texts(fromOther)).toEqual(Array.from({ length: BURST }, (_, n) => `m${n}`));
        }
      });
    });

    it('does not deliver after unsubscribe or close', async () => {
      cluster = await make(3);
      const [a, b, c] = cluster.nodes as [Bus, Bus, Bus];
      const late: ClusterEvent[] = [];
      const unsubscribe = b.subscribe((event) => late.push(event));
      unsubscribe();
      const atC: ClusterEvent[] = [];
      c.subscribe((event) => atC.push(event));
      await c.close();
      a.publish(message(a.nodeId, 1));
      await quiesce(a, b);
      expect(late).toEqual([]);
      expect(atC).toEqual([]);
    });

    it('publishing with no other node is a harmless no-op', async () => {
      cluster = await make(1);
      const [a] = cluster.nodes as [Bus];
      expect(() => a.publish(message(a.nodeId, 1))).not.toThrow();
    });

    it.skipIf(!capabilities.canLoseEvents)('resumes delivery after the backend restarts, reporting the loss as a gap first', async () => {
      cluster = await make(3);
      const [a, b] = cluster.nodes as [Bus, Bus, Bus];
      if (!cluster.restartBackend || !b.onGap) throw new Error(`${name} can lose events, so it must offer restartBackend and onGap`);
      const atB = collect(b, 1);
      a.publish(message(a.nodeId, 1));
      expect(texts(await atB)).toEqual(['m1']);

      const seen: string[] = [];
      b.onGap((origin) => seen.push(`gap ${origin}`));
      b.subscribe((event) => seen.push(texts([event])[0] as string));
      await cluster.restartBackend();
      a.publish(message(a.nodeId, 2));
      await until(() => seen.includes('m2'), 'm2 to reach b after the restart', 10_000);
      expect(seen).toEqual([`gap ${a.nodeId}`, 'm2']);
    });
  });
}
