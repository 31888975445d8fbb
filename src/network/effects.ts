/**
 * Every cluster event's effect, in one table, and the two ways an event
 * comes to be applied:
 *
 * - emit(): a change made here. Its effect runs (state changed, local users
 *   told, the caller's copy in their reply buffer), then it is published
 *   for the other nodes. Commands change shared state only through emit, so
 *   forgetting to tell the other nodes is impossible.
 * - receive(): an event from another node. The same effect runs, with no
 *   caller and no numerics; it is never published again.
 *
 * The handler before emit() does what only the origin does: permission
 * checks, limits, charging the caller, numerics.
 */
import type { ClusterEvent, ClusterEventType, EventOf, Stamp } from '../bus/events.js';
import { applyInvite, applyJoin, applyKick, applyMode, applyPart, applyTopic } from './channels.js';
import type { Caller } from './fanout.js';
import type { NetworkHost } from './host.js';
import { applyMessage, applyNetworkNotice, applyRedact, applyWallops } from './messages.js';
import { applyMetadata } from './metadata.js';
import { applyBurst, applyNodeGone, applyNodeUnknown } from './nodes.js';
import { applyChannelRegister } from './registered.js';
import { applyAccount, applyAway, applyHost, applyKill, applyNick, applyQuit, applyRealname, applyRegister, applyUserMode } from './users.js';

type Effect<T extends ClusterEventType> = (host: NetworkHost, event: EventOf<T>, caller: Caller | null) => void;

const EFFECTS: { [T in ClusterEventType]: Effect<T> } = {
  'user.register': applyRegister,
  'user.nick': applyNick,
  'user.mode': applyUserMode,
  'user.away': applyAway,
  'user.realname': applyRealname,
  'user.host': applyHost,
  'user.account': applyAccount,
  'user.quit': applyQuit,
  'user.kill': applyKill,
  'channel.join': applyJoin,
  'channel.part': applyPart,
  'channel.kick': applyKick,
  'channel.topic': applyTopic,
  'channel.mode': applyMode,
  'channel.invite': applyInvite,
  'channel.register': applyChannelRegister,
  message: applyMessage,
  'message.redact': applyRedact,
  wallops: applyWallops,
  'network.notice': applyNetworkNotice,
  metadata: applyMetadata,
  'node.burst': applyBurst,
  'node.gone': applyNodeGone,
  'node.unknown': applyNodeUnknown,
};

function apply(host: NetworkHost, event: ClusterEvent, caller: Caller | null): void {
  (EFFECTS[event.type] as Effect<ClusterEventType>)(host, event as never, caller);
  if (host.membershipChanged === undefined) return;
  if (event.type === 'channel.join' || event.type === 'channel.part') host.membershipChanged(event.userId);
  else if (event.type === 'channel.kick') host.membershipChanged(event.targetId);
}

/** Apply a change made on this node, deliver it here, and publish it to the others. */
export function emit(host: NetworkHost, event: ClusterEvent, caller: Caller | null): void {
  try {
    apply(host, event, caller);
  } finally {
    // Even if telling someone here failed, the state changed: the other nodes must follow.
    host.bus.publish(event);
  }
}

/** Apply an event from another node. A fault is logged and costs only that event. */
export function receive(host: NetworkHost, event: ClusterEvent): void {
  if (event.origin === host.bus.nodeId) return;
  try {
    apply(host, event, null);
  } catch (err) {
    host.log.error({ err, event: 'cluster-event-failed', type: event.type, node: event.origin }, 'an event from another node failed to apply');
  }
}

/** What makes events: a command's context (with its caller), or the server itself (the admin API, REHASH). */
export interface Emitter {
  /** This node's id, the origin of what it emits. */
  readonly nodeId: string;
  emit(event: ClusterEvent): void;
  /** A new msgid and the time now. */
  stamp(): Stamp;
}

/** An emitter with no caller, for changes the server makes on its own. */
export function serverEmitter(host: NetworkHost & { nextMsgId(): string }): Emitter {
  return {
    get nodeId() {
      return host.bus.nodeId;
    },
    emit: (event) => emit(host, event, null),
    stamp: () => ({ msgid: host.nextMsgId(), time: Date.now() }),
  };
}
