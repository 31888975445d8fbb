/**
 * Runs the Bus contract against each implementation: in-process, and Redis
 * (three nodes on a private redis-server, a fresh key prefix per test).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { InProcessHub } from '../../src/bus/inprocess.js';
import { RedisBus } from '../../src/bus/redis.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { busContract } from './bus.suite.js';

busContract(
  'InProcessBus',
  async (count) => {
    const hub = new InProcessHub();
    const nodes = Array.from({ length: count }, (_, i) => hub.connect(`node${i}`));
    return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
  },
  { canLoseEvents: false },
);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

busContract(
  'RedisBus',
  async (count) => {
    const keyPrefix = `test:${randomUUID()}:`;
    const nodes = Array.from({ length: count }, (_, i) => new RedisBus({ url: redis.url, nodeId: `node${i}`, keyPrefix, blockMs: 200 }));
    await Promise.all(nodes.map((n) => n.ready));
    return {
      nodes,
      close: async () => void (await Promise.all(nodes.map((n) => n.close()))),
      restartBackend: () => redis.restart(),
    };
  },
  { canLoseEvents: true },
);
