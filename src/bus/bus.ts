/**
 * The backplane between Obrol nodes. Local delivery never waits on it:
 * a node applies a change, delivers to its own users, then publishes.
 * Implementations: InProcessBus (one process, also used to test several nodes
 * together) and RedisBus (redis.ts: nodes in several processes). Every
 * implementation passes test/contract/bus.
 */
import type { ClusterEvent } from './events.js';

export type BusHandler = (event: ClusterEvent) => void;
/** Told the origin node whose events were lost: what this node knows of that node's users and channels may be stale. */
export type GapHandler = (origin: string) => void;

export interface Bus {
  /** This node's id; events it publishes carry it as `origin`. */
  readonly nodeId: string;
  /** Hand an event to every other node. Never throws, never blocks the caller. */
  publish(event: ClusterEvent): void;
  /** Receive events from other nodes (never this node's own). Returns an unsubscribe function. */
  subscribe(handler: BusHandler): () => void;
  /**
   * Hear of events from another node that were lost on the way (a bus that
   * can lose events has it; one that cannot, such as InProcessBus, need not).
   * The handler resyncs that origin. Returns an unsubscribe function.
   */
  onGap?(handler: GapHandler): () => void;
  /**
   * Null when everything published so far has reached the other nodes' log;
   * else a promise that settles when it has (or when waiting any longer
   * would only hold users up). Replies wait for it, so that what a client
   * was told has happened is already visible to every other node.
   */
  settled?(): Promise<void> | null;
  /**
   * Null when this node needs no waiting; else a promise that settles once
   * every event in the log at the time of the call has been handled here.
   * A line waits for it, so it sees everything that happened before it arrived.
   */
  caughtUp?(): Promise<void> | null;
  close(): Promise<void>;
}
