/**
 * Node liveness over Redis. Each node holds a lease: the key {p}lease:{node}
 * holding its run id, set to expire after nodeTimeoutMs and renewed every
 * heartbeatMs (a third of the timeout by default), and its id in the set
 * {p}nodes. Every heartbeat is one Lua script that renews this node's lease
 * and lists the nodes whose leases are live; a member whose lease expired is
 * taken out of the set by whichever node's script sees it first.
 *
 * What a node learns goes to a ClusterWatch:
 * - nodeUp / nodeDown: another node's lease appeared / expired (or it left).
 *   On nodeDown the others quit its users; its directory claims are released
 *   here, by every node that saw it go (releaseNode is idempotent, and
 *   refuses while the node holds a live lease again).
 * - selfLost: this node's own lease had lapsed when it tried to renew it (the
 *   process was stopped, or cut off from Redis, longer than the timeout; or
 *   Redis restarted and lost every key). The others have quit its users and
 *   freed its names, so it must forget every other node and claim its names
 *   again. By then it already holds a new lease, so no late release from a
 *   survivor can take the new claims.
 * - backendDown / backendUp: a heartbeat failed / succeeded again.
 * - gap: not from here, but from Bus.onGap: `bus.onGap?.((o) => watch.gap(o))`.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NameDirectory } from './directory.js';
import { closeClient, LuaScript, redisClient } from './redisclient.js';
import { DEFAULT_KEY_PREFIX, redisKeys, type RedisKeys } from './rediskeys.js';

export interface ClusterWatch {
  nodeUp(nodeId: string): void;
  nodeDown(nodeId: string): void;
  /** Events from `origin` were lost (reported by the bus): resync what is known of it. */
  gap(origin: string): void;
  selfLost(): void;
  backendDown(): void;
  backendUp(): void;
}

/** The part of a ClusterWatch a NodeLease reports to; any callback may be left out. */
export type LeaseWatch = Partial<Omit<ClusterWatch, 'gap'>>;

export interface NodeLeaseOptions {
  url: string;
  nodeId: string;
  /** cluster.key_prefix. */
  keyPrefix?: string;
  /** cluster.node_timeout, in milliseconds: how long a lease lives without renewal. */
  nodeTimeoutMs: number;
  /** Time between heartbeats; a third of nodeTimeoutMs by default. */
  heartbeatMs?: number;
  watch: LeaseWatch;
  /** Where the claims of nodes that go down are released; none: the caller does it on nodeDown. */
  directory?: NameDirectory;
  onError?: (err: Error) => void;
}

// KEYS: own lease, nodes set. ARGV: run id, ttl ms, lease key prefix, own id, '1' to take the lease even if it lapsed.
// Returns {1 if the lease was still ours, live other nodes, nodes taken out of the set}.
const HEARTBEAT = new LuaScript(`
local held = redis.call('GET', KEYS[1]) == ARGV[1]
if held or ARGV[5] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[4])
end
local alive, gone = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if id ~= ARGV[4] then
    if redis.call('EXISTS', ARGV[3] .. id) == 1 then
      table.insert(alive, id)
    else
      redis.call('SREM', KEYS[2], id)
      table.insert(gone, id)
    end
  end
end
return {held and 1 or 0, alive, gone}`);

// KEYS: own lease, nodes set. ARGV: run id, own id. Leaves only if the lease is still this run's.
const LEAVE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[2])
return 1`);

export class NodeLease {
  readonly nodeId: string;
  /** Random per instance: a lease holding another run id is not this node's. */
  readonly runId = randomUUID();
  /** Resolves after the first successful heartbeat: this node holds its lease and knows the live nodes. */
  readonly ready: Promise<void>;

  private readonly keys: RedisKeys;
  private readonly client: Redis;
  private readonly heartbeatMs: number;
  private readonly known = new Set<string>();
  /** Gone nodes whose claims could not be released yet (directory unavailable): tried again each heartbeat. */
  private readonly unreleased = new Set<string>();
  private joined = false;
  private backendIsDown = false;
  private suspended = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private markReady!: () => void;

  constructor(private readonly options: NodeLeaseOptions) {
    this.nodeId = options.nodeId;
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(options.nodeTimeoutMs / 3));
    this.client = redisClient(options.url, {
      name: `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}${options.nodeId}:lease`,
      // A heartbeat Redis does not answer within a beat counts as failed.
      commandTimeoutMs: this.heartbeatMs,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.schedule(0);
  }

  /** The other nodes this node currently counts as alive. */
  liveNodes(): ReadonlySet<string> {
    return this.known;
  }

  /**
   * Stop heartbeating without leaving, as a SIGSTOPped or partitioned process
   * would: the lease runs out and the others see this node go. For tests.
   */
  suspend(): void {
    this.suspended = true;
    this.clearTimer();
  }

  /** Heartbeat again after suspend(), at once. */
  resume(): void {
    this.suspended = false;
    this.schedule(0);
  }

  /**
   * Stop. By default the node leaves (its lease is deleted), so the others
   * see it go at their next heartbeat; `leave: false` just stops, as a crash
   * would, and the others notice when the lease expires.
   */
  async close(options: { leave?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    await this.beating;
    if (options.leave ?? true) {
      await LEAVE.run(this.client, [this.keys.lease(this.nodeId), this.keys.nodes], [this.runId, this.nodeId]).catch((err: unknown) => this.report(err));
    }
    await closeClient(this.client);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.suspended || this.timer || this.beating) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.beating = this.heartbeat().finally(() => {
        this.beating = null;
        this.schedule(this.heartbeatMs);
      });
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async heartbeat(): Promise<void> {
    let result = await this.tryBeat(!this.joined);
    if (!result) return;
    if (this.joined && !result[0]) {
      // The lease lapsed: take a new one first, then start over.
      result = await this.tryBeat(true);
      if (!result) return;
      this.known.clear();
      this.tell('selfLost');
    }
    this.joined = true;
    if (this.closed) return;
    const [, alive, gone] = result;
    const live = new Set(alive);
    for (const node of live) {
      if (this.known.has(node)) continue;
      this.known.add(node);
      this.tell('nodeUp', node);
    }
    const down = [...this.known].filter((node) => !live.has(node));
    for (const node of [...down, ...gone]) this.unreleased.add(node);
    // Names first, then the news: when users see a dead node's users quit, their nicks are free to take.
    await Promise.all([...this.unreleased].map((node) => this.release(node)));
    for (const node of down) {
      this.known.delete(node);
      this.tell('nodeDown', node);
    }
    this.markReady();
  }

  /** One heartbeat, reporting Redis going and coming back; null if it failed. */
  private async tryBeat(join: boolean): Promise<[held: boolean, alive: string[], gone: string[]] | null> {
    try {
      const result = await this.beat(join);
      if (this.backendIsDown) {
        this.backendIsDown = false;
        this.tell('backendUp');
      }
      return result;
    } catch (err) {
      this.report(err);
      if (!this.backendIsDown) {
        this.backendIsDown = true;
        this.tell('backendDown');
      }
      return null;
    }
  }

  private async beat(join: boolean): Promise<[held: boolean, alive: string[], gone: string[]]> {
    const reply = (await HEARTBEAT.run(
      this.client,
      [this.keys.lease(this.nodeId), this.keys.nodes],
      [this.runId, this.options.nodeTimeoutMs, this.keys.leasePrefix, this.nodeId, join ? '1' : '0'],
    )) as [number, string[], string[]];
    return [reply[0] === 1, reply[1], reply[2]];
  }

  private async release(node: string): Promise<void> {
    const directory = this.options.directory;
    if (!directory) return void this.unreleased.delete(node);
    await directory.releaseNode(node).then((result) => {
      if (result !== 'unavailable') this.unreleased.delete(node);
      else this.report(new Error(`could not release the names of node ${node} (the directory is unavailable): trying again at the next heartbeat`));
    });
  }

  /** Call a watch callback; one that throws is reported and does not stop the heartbeat. */
  private tell(callback: 'selfLost' | 'backendUp' | 'backendDown'): void;
  private tell(callback: 'nodeUp' | 'nodeDown', node: string): void;
  private tell(callback: keyof LeaseWatch, node?: string): void {
    try {
      const watch = this.options.watch;
      if (callback === 'nodeUp' || callback === 'nodeDown') watch[callback]?.(node as string);
      else watch[callback]?.();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}
