/**
 * The contract every Bus implementation must meet. Run against each
 * implementation: today the in-process one; the Redis one joins the list.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/bus.js';
import type { ClusterEvent } from '../../src/bus/events.js';
import { InProcessHub } from '../../src/bus/inprocess.js';

interface Cluster {
  nodes: Bus[];
  close(): Promise<void>;
}

const implementations: Array<{ name: string; make(count: number): Promise<Cluster> }> = [
  {
    name: 'InProcessBus',
    async make(count) {
      const hub = new InProcessHub();
      const nodes = Array.from({ length: count }, (_, i) => hub.connect(`node${i}`));
      return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
    },
  },
];

/** Resolve once `handler` has seen `count` events, or reject after a timeout. */
function collect(bus: Bus, count: number, timeoutMs = 1000): Promise<ClusterEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: ClusterEvent[] = [];
    const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count} events`)), timeoutMs);
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
  from.publish({ type: 'user.quit', origin: from.nodeId, userId: 'marker', reason: '' });
  await done;
  return seen;
}

const message = (origin: string, n: number): ClusterEvent => ({
  type: 'message',
  origin,
  userId: `${origin}/1`,
  command: 'PRIVMSG',
  target: '#c',
  text: `m${n}`,
});

for (const impl of implementations) {
  describe(`Bus contract: ${impl.name}`, () => {
    let cluster: Cluster | null = null;
    afterEach(async () => {
      await cluster?.close();
      cluster = null;
    });

    it('delivers an event to every other node, never back to its origin', async () => {
      cluster = await impl.make(3);
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
      cluster = await impl.make(2);
      const [a, b] = cluster.nodes as [Bus, Bus];
      const atB = collect(b, 100);
      for (let n = 0; n < 100; n++) a.publish(message(a.nodeId, n));
      const seen = await atB;
      expect(seen.map((e) => (e.type === 'message' ? e.text : ''))).toEqual(Array.from({ length: 100 }, (_, n) => `m${n}`));
    });

    it('does not deliver after unsubscribe or close', async () => {
      cluster = await impl.make(3);
      const [a, b, c] = cluster.nodes as [Bus, Bus, Bus];
      const late: ClusterEvent[] = [];
      const unsubscribe = b.subscribe((event) => late.push(event));
      unsubscribe();
      await c.close();
      a.publish(message(a.nodeId, 1));
      await quiesce(a, b);
      expect(late).toEqual([]);
    });

    it('publishing with no other node is a harmless no-op', async () => {
      cluster = await impl.make(1);
      const [a] = cluster.nodes as [Bus];
      expect(() => a.publish(message(a.nodeId, 1))).not.toThrow();
    });
  });
}
