/**
 * What the effects of cluster events need of the server: its state, its
 * name, the bus, and the power to end a local connection (a KILL). The
 * server (server/server.ts) implements it, and so does the unit-test world
 * (test/helpers/harness.ts), which thereby runs the real effects.
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import type { Actor, ClusterEvent, Stamp } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import { Outgoing } from '../protocol/outgoing.js';
import { STATUS_MODES, type Channel } from '../state/channel.js';
import type { Tags } from '../protocol/message.js';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import type { WhowasHistory } from '../state/whowas.js';
import type { Store } from '../store/types.js';
import type { Pick } from './fanout.js';

export interface NetworkHost {
  readonly config: Config;
  readonly info: { readonly name: string };
  readonly registry: Registry;
  readonly whowas: WhowasHistory;
  readonly bus: Bus;
  readonly log: Logger;
  /** Where history is recorded (src/history/record.ts) and registered channels are saved (network/registered.ts). */
  readonly store: Store;
  /** A local user logged into an account (always-on bookkeeping: server/alwayson.ts); absent in tests that do not need it. */
  accountLoggedIn?(user: User): void;
  /** A new network-unique message id (lines this node makes up itself, as in a netjoin). */
  nextMsgId(): string;
  /** Counters the effects bump (plain fields: no call per delivery). */
  readonly stats: { messageDeliveries: number };
  /**
   * End a local user's connection: QUIT to their peers, ERROR to them; the log gets `logReason` if given.
   * With `session` (one of the user's sessions), only that session ends if the user has others or is always-on.
   */
  disconnect(user: User, quitReason: string, errorReason?: string, dropQueued?: boolean, logReason?: string, session?: object): void;
  /** Told after a JOIN, PART or KICK changed the channels of the user with this id (always-on accounts record theirs). */
  membershipChanged?(userId: string): void;
}

/** Did `event` come from another node (so this node applies it as a replica)? */
export function isRemote(host: NetworkHost, event: ClusterEvent): boolean {
  return event.origin !== host.bus.nodeId;
}

/** A message from `user` with the event's msgid and time, their bot flag and account, and client-only tags. */
export function fromUserAt(user: User, command: string, params: string[], stamp: Stamp, clientTags: Tags | null = null): Outgoing {
  return new Outgoing(
    { tags: null, source: user.mask, command, params },
    { msgid: stamp.msgid, bot: user.isBot, account: user.account, clientTags },
    stamp.time,
  );
}

/** The JOIN of `user` to `channel` as each recipient sees it: with account and real name for extended-join. One msgid for both. */
export function joinFor(user: User, channel: string, stamp: Stamp): Pick {
  const join = fromUserAt(user, 'JOIN', [channel], stamp);
  const extended = new Outgoing({ ...join.message, params: [channel, user.account ?? '*', user.realname] }, join.meta, join.at);
  return (mask) => ((mask & CAP.EXTENDED_JOIN) !== 0 ? extended : join);
}

/** `MODE #channel +ov nick nick` from the server, giving back `user`'s `status` bits (after a netjoin, a CHGHOST rejoin); null for none. */
export function statusModeLine(serverName: string, channel: Channel, user: User, status: number): Outgoing | null {
  const prefixes = STATUS_MODES.filter((s) => (status & s.bit) !== 0);
  if (prefixes.length === 0) return null;
  const params = [channel.name, `+${prefixes.map((s) => s.mode).join('')}`, ...prefixes.map(() => user.nick)];
  return new Outgoing({ tags: null, source: serverName, command: 'MODE', params });
}

/** The source an actor's lines carry: the user's mask, or the server's name; null when the user is unknown here. */
export function sourceOf(host: NetworkHost, actor: Actor): { source: string; user: User | null } | null {
  if ('server' in actor) return { source: actor.server, user: null };
  const user = host.registry.byId(actor.user);
  return user === undefined ? null : { source: user.mask, user };
}

/** A message from an actor with the event's msgid and time. */
export function fromActorAt(host: NetworkHost, actor: Actor, command: string, params: string[], stamp: Stamp): Outgoing | null {
  const from = sourceOf(host, actor);
  if (from === null) return null;
  if (from.user !== null) return fromUserAt(from.user, command, params, stamp);
  return new Outgoing({ tags: null, source: from.source, command, params }, { msgid: stamp.msgid }, stamp.time);
}
