/**
 * The backplane between Obrol nodes. Local delivery never waits on it:
 * a node applies a change, delivers to its own users, then publishes.
 * Implementations: InProcessBus (one process, also used to test several nodes
 * together); a Redis one later. Every implementation passes test/contract/bus.
 */
import type { ClusterEvent } from './events.js';

export type BusHandler = (event: ClusterEvent) => void;

export interface Bus {
  /** This node's id; events it publishes carry it as `origin`. */
  readonly nodeId: string;
  /** Hand an event to every other node. Never throws, never blocks the caller. */
  publish(event: ClusterEvent): void;
  /** Receive events from other nodes (never this node's own). Returns an unsubscribe function. */
  subscribe(handler: BusHandler): () => void;
  close(): Promise<void>;
}
