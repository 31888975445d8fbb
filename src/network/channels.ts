/**
 * The effects of channel events on this node's state and users: JOIN, PART,
 * KICK, TOPIC, MODE and INVITE. The node where the command ran has checked
 * permissions and limits and charged the caller for what they store; a
 * replica applies the same change without refusing (it must converge, never
 * diverge) and charges the same owner, so every node's accounting agrees.
 */
import type { EventOf } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import { channelCost, INVITE_COST, own } from '../state/budget.js';
import { applyModeString } from '../state/channelmodes.js';
import { OP } from '../state/channel.js';
import { deliverTo, deliverToChannel, type Caller } from './fanout.js';
import { fromActorAt, fromUserAt, isRemote, joinFor, sourceOf, type NetworkHost } from './host.js';
import { recordChannelEvent } from '../history/record.js';
import { persistChannel } from './registered.js';

/** JOIN: the channel is made if it is new; every member (the joiner too) sees the JOIN. */
export function applyJoin(host: NetworkHost, event: EventOf<'channel.join'>, caller: Caller | null): void {
  const { registry } = host;
  const user = registry.byId(event.userId);
  if (user === undefined) return;
  let channel = registry.findChannel(event.channel);
  if (channel?.has(user)) return;
  if (channel === undefined) {
    const created = event.created ?? { at: Math.floor(event.time / 1000), flags: '' };
    channel = registry.channelFor(own(event.channel), created.at).channel;
    // A new channel is charged to its creator until it goes (limits.user_state_bytes);
    // the creating node charged them when it checked the limit.
    channel.owner = user.id;
    channel.ownerCost = channelCost(channel.name, channel.folded);
    if (isRemote(host, event)) registry.budget.charge(user.id, channel.ownerCost);
    for (const mode of created.flags) channel.flags.add(mode);
  }
  registry.join(user, channel, event.status);
  recordChannelEvent(host, event, channel.name, 'JOIN', user.mask, user.account, [channel.name, user.account ?? '*', user.realname]);
  deliverToChannel(channel, joinFor(user, channel.name, event), caller);
  if (user.away !== null) {
    // away-notify: members learn that the newcomer is away.
    const away = fromUserAt(user, 'AWAY', [user.away], event);
    deliverToChannel(channel, (mask) => ((mask & CAP.AWAY_NOTIFY) !== 0 ? away : null), caller, { skip: user });
  }
}

/** PART: every member (the leaver too) sees it; an empty channel ceases to exist. */
export function applyPart(host: NetworkHost, event: EventOf<'channel.part'>, caller: Caller | null): void {
  const { registry } = host;
  const user = registry.byId(event.userId);
  const channel = registry.findChannel(event.channel);
  if (user === undefined || channel === undefined || !channel.has(user)) return;
  const params = event.reason ? [channel.name, event.reason] : [channel.name];
  recordChannelEvent(host, event, channel.name, 'PART', user.mask, user.account, params);
  deliverToChannel(channel, fromUserAt(user, 'PART', params, event), caller);
  registry.leave(user, channel);
}

/** KICK: every member (the target too) sees it, or only the target when the whole channel is being closed. */
export function applyKick(host: NetworkHost, event: EventOf<'channel.kick'>, caller: Caller | null): void {
  const { registry } = host;
  const target = registry.byId(event.targetId);
  const channel = registry.findChannel(event.channel);
  if (target === undefined || channel === undefined || !channel.has(target)) return;
  const kick = fromActorAt(host, event.by, 'KICK', [channel.name, target.nick, event.reason], event);
  if (kick !== null) {
    recordChannelEvent(host, event, channel.name, 'KICK', kick.message.source as string, kick.meta?.account ?? null, kick.message.params);
    if (event.onlyTarget) deliverTo(target, kick, caller);
    else deliverToChannel(channel, kick, caller);
  }
  registry.leave(target, channel);
}

/**
 * INVITE: the invitee is let past +i once and told; invite-notify, as
 * InspIRCd's "dynamic", tells the ops of an invite-only channel, every
 * member of an open one. The inviter's RPL_INVITING is their command's.
 */
export function applyInvite(host: NetworkHost, event: EventOf<'channel.invite'>, caller: Caller | null): void {
  const { registry } = host;
  const inviter = registry.byId(event.userId);
  const target = registry.byId(event.targetId);
  const channel = registry.findChannel(event.channel);
  if (inviter === undefined || target === undefined || channel === undefined) return;
  // A pending invite is charged to the inviter until it is used or the channel goes.
  if (!channel.invited.has(target)) {
    registry.invite(target, channel, inviter.id);
    if (isRemote(host, event)) registry.budget.charge(inviter.id, INVITE_COST);
  }
  const invite = fromUserAt(inviter, 'INVITE', [target.nick, channel.name], event);
  deliverTo(target, invite, caller);
  deliverToChannel(channel, (mask) => ((mask & CAP.INVITE_NOTIFY) !== 0 ? invite : null), caller, {
    skip: inviter,
    statusMask: channel.flags.has('i') ? OP : 0,
  });
}

/**
 * TOPIC: every member sees it. The origin set it with its limits checked
 * (commands/channel.ts); a replica sets it the same way, trusted.
 */
export function applyTopic(host: NetworkHost, event: EventOf<'channel.topic'>, caller: Caller | null): void {
  const { registry } = host;
  const channel = registry.findChannel(event.channel);
  if (channel === undefined) return;
  if (isRemote(host, event)) {
    const setter = { id: 'user' in event.by ? event.by.user : '', mask: event.setBy };
    registry.setTopic(channel, event.topic, setter, event.setAt, { trusted: true });
  }
  const line = fromActorAt(host, event.by, 'TOPIC', [channel.name, event.topic], event);
  if (line !== null) {
    recordChannelEvent(host, event, channel.name, 'TOPIC', line.message.source as string, line.meta?.account ?? null, line.message.params);
    deliverToChannel(channel, line, caller);
  }
  persistChannel(host, event);
}

/** MODE: every member sees the changes as applied; a replica applies them first, through the same verbs, trusted. */
export function applyMode(host: NetworkHost, event: EventOf<'channel.mode'>, caller: Caller | null): void {
  const { registry } = host;
  const channel = registry.findChannel(event.channel);
  if (channel === undefined) return;
  if (isRemote(host, event)) {
    const from = sourceOf(host, event.by);
    const actor = from?.user ?? { id: '', mask: from?.source ?? event.origin, isOper: true };
    const applied = applyModeString(registry, channel, event.modes, event.params, actor, { trusted: true, now: Math.floor(event.time / 1000) });
    if (applied.length === 0) return;
  }
  const line = fromActorAt(host, event.by, 'MODE', [channel.name, event.modes, ...event.params], event);
  if (line !== null) {
    recordChannelEvent(host, event, channel.name, 'MODE', line.message.source as string, line.meta?.account ?? null, line.message.params);
    deliverToChannel(channel, line, caller);
  }
  persistChannel(host, event);
}
