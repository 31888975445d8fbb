/**
 * How this node reaches the rest of its network, built from `cluster` in the
 * config: with no Redis, the embedded in-process bus and no directory (the
 * registry alone decides who holds a name); with `cluster.redis`, the Redis
 * bus (events between nodes), the name directory (atomic nick and channel
 * claims) and the node lease (who is alive; the claims of a dead node are
 * released). What the server does when nodes come and go is in
 * ObrolServer's ClusterWatch.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { NameDirectory } from '../bus/directory.js';
import { InProcessBus } from '../bus/inprocess.js';
import { NodeLease, type ClusterWatch } from '../bus/lease.js';
import { RedisBus } from '../bus/redis.js';
import { RedisDirectory } from '../bus/redisdirectory.js';
import type { ClusterConfig } from '../config/schema.js';

export interface ClusterParts {
  bus: Bus;
  /** Null on a node alone: the registry is the directory. */
  directory: NameDirectory | null;
  lease: NodeLease | null;
  /** Resolves once the bus reads events and the lease is held (at once without Redis). */
  ready: Promise<void>;
  /** Leave the network (the lease goes at once, so the others need not wait for it to lapse) and close the connections. */
  close(): Promise<void>;
}

/** A new node id: random, so a restarted process is a new node to the others. */
export function newNodeId(): string {
  return randomBytes(4).toString('hex');
}

/** The parts for `config` (`given` parts, as tests pass, are used as they are). */
export function clusterParts(config: ClusterConfig, log: Logger, watch: ClusterWatch, given: { bus?: Bus; directory?: NameDirectory }): ClusterParts {
  const url = config.redis;
  if (given.bus !== undefined || url === null) {
    const bus = given.bus ?? new InProcessBus(newNodeId());
    return { bus, directory: given.directory ?? null, lease: null, ready: Promise.resolve(), close: async () => {} };
  }
  const nodeId = newNodeId();
  const keyPrefix = config.key_prefix;
  // Redis going away is logged once per episode by the watch (backendDown); these are the details.
  const onError = (err: Error) => log.debug({ event: 'redis-error', err: err.message }, 'redis: %s', err.message);
  const bus = new RedisBus({ url, nodeId, keyPrefix, onError });
  const directory = new RedisDirectory({ url, keyPrefix, onError });
  const lease = new NodeLease({ url, nodeId, keyPrefix, nodeTimeoutMs: config.node_timeout * 1000, watch, directory, onError });
  bus.onGap?.((origin) => watch.gap(origin));
  return {
    bus,
    directory,
    lease,
    ready: Promise.all([bus.ready, lease.ready]).then(() => undefined),
    close: async () => {
      await lease.close({ leave: true });
      await Promise.all([bus.close(), directory.close()]);
    },
  };
}
