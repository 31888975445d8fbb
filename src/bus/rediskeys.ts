/**
 * Every Redis key Obrol uses, in one place, under one prefix (cluster.key_prefix)
 * so several networks or test runs can share a Redis. The lease and the
 * directory read each other's keys (a live lease protects a node's claims),
 * which is why the layout lives here and not in either module.
 *
 *   {p}bus              stream of cluster events (RedisBus)
 *   {p}bus:epoch        random id of the stream's life; gone after a Redis restart that lost data
 *   {p}nodes            set of node ids that have joined (NodeLease)
 *   {p}lease:{node}     that node's lease: its run id, expiring after node_timeout
 *   {p}nick:{folded}    JSON [node, user] of the nick's holder (RedisDirectory)
 *   {p}chan:{folded}    id of the node that created the channel
 *   {p}claims:{node}    set of the nick and chan keys that node holds, for releaseNode
 *
 * Scripts touch keys they derive from these prefixes, so this needs one Redis
 * (or a primary with replicas), not Redis Cluster.
 */
export interface RedisKeys {
  readonly stream: string;
  readonly epoch: string;
  readonly nodes: string;
  readonly leasePrefix: string;
  lease(node: string): string;
  readonly nickPrefix: string;
  nick(folded: string): string;
  channel(folded: string): string;
  readonly claimsPrefix: string;
  claims(node: string): string;
}

export const DEFAULT_KEY_PREFIX = 'obrol:';

export function redisKeys(prefix = DEFAULT_KEY_PREFIX): RedisKeys {
  return {
    stream: `${prefix}bus`,
    epoch: `${prefix}bus:epoch`,
    nodes: `${prefix}nodes`,
    leasePrefix: `${prefix}lease:`,
    lease: (node) => `${prefix}lease:${node}`,
    nickPrefix: `${prefix}nick:`,
    nick: (folded) => `${prefix}nick:${folded}`,
    channel: (folded) => `${prefix}chan:${folded}`,
    claimsPrefix: `${prefix}claims:`,
    claims: (node) => `${prefix}claims:${node}`,
  };
}
