/**
 * Nodes joining and leaving the network. A node that starts (or comes back
 * after a partition) publishes a burst: its own users and the channels they
 * are on; the others add them (a netjoin: members here see them JOIN) and
 * answer with their own bursts. A node that stops, or whose lease runs out,
 * takes its users with it: they QUIT here with the two server names as the
 * reason, as in a netsplit.
 *
 * Consistency: a channel this node does not have is taken whole from the
 * burst; one it already has keeps its modes and topic and gains the members.
 */
import type { ChannelSnapshot, EventOf } from '../bus/events.js';
import { channelCost, listEntryCost, own, topicCost } from '../state/budget.js';
import type { Channel, ListMode } from '../state/channel.js';
import type { User } from '../state/user.js';
import { deliverToChannel } from './fanout.js';
import { isRemote, joinFor, statusModeLine, type NetworkHost } from './host.js';
import { applyQuit, applyRegister, userInfo } from './users.js';

/** This node's registered users and the channels they are on, as a burst. */
export function burstOf(host: NetworkHost, askBack: boolean): EventOf<'node.burst'> {
  const nodeId = host.bus.nodeId;
  const users = [];
  const channels = new Set<Channel>();
  for (const user of host.registry.users) {
    if (user.origin !== nodeId) continue;
    users.push(userInfo(user, host.info.name));
    for (const channel of user.channels) channels.add(channel);
  }
  return { type: 'node.burst', origin: nodeId, server: host.info.name, askBack, users, channels: [...channels].map((c) => snapshotOf(c, nodeId)) };
}

function snapshotOf(channel: Channel, nodeId: string): ChannelSnapshot {
  const lists: ChannelSnapshot['lists'] = [];
  for (const mode of ['b', 'e', 'I'] as const) {
    for (const entry of channel.lists[mode]) lists.push({ mode, mask: entry.mask, setBy: entry.setBy, setAt: entry.setAt, byOper: entry.byOper, owner: entry.owner });
  }
  const members: Array<[string, number]> = [];
  for (const [member, status] of channel.members) if (member.origin === nodeId) members.push([member.id, status]);
  return {
    name: channel.name,
    createdAt: channel.createdAt,
    flags: [...channel.flags].join(''),
    key: channel.key,
    limit: channel.limit,
    topic: channel.topic,
    topicSetBy: channel.topicSetBy,
    topicSetAt: channel.topicSetAt,
    topicOwner: channel.topicOwner,
    owner: channel.owner,
    lists,
    members,
  };
}

/** Another node's burst: its users (MONITOR hears of them), then its channels and memberships (members here see them JOIN). */
export function applyBurst(host: NetworkHost, event: EventOf<'node.burst'>): void {
  if (!isRemote(host, event)) return;
  host.registry.nodes.set(event.origin, event.server);
  for (const user of event.users) applyRegister(host, { type: 'user.register', origin: event.origin, user });
  for (const snapshot of event.channels) mergeChannel(host, snapshot);
}

function mergeChannel(host: NetworkHost, snapshot: ChannelSnapshot): void {
  const { registry } = host;
  const joining: Array<[User, number]> = [];
  for (const [id, status] of snapshot.members) {
    const user = registry.byId(id);
    if (user !== undefined) joining.push([user, status]);
  }
  if (joining.length === 0) return;
  let channel = registry.findChannel(snapshot.name);
  if (channel === undefined) {
    channel = registry.channelFor(own(snapshot.name), snapshot.createdAt).channel;
    adopt(host, channel, snapshot);
  }
  const now = Date.now();
  for (const [user, status] of joining) {
    if (channel.has(user)) continue;
    registry.join(user, channel, status);
    deliverToChannel(channel, joinFor(user, channel.name, { msgid: host.nextMsgId(), time: now }), null, { skip: user });
    // Their status comes back as a server MODE, as after a netsplit on linked networks.
    const mode = statusModeLine(host.info.name, channel, user, status);
    if (mode !== null) deliverToChannel(channel, mode, null, { skip: user });
  }
}

/** A channel first seen in a burst takes its state whole, each stored part charged to the same owner as on its node. */
function adopt(host: NetworkHost, channel: Channel, snapshot: ChannelSnapshot): void {
  const budget = host.registry.budget;
  channel.owner = snapshot.owner;
  channel.ownerCost = channelCost(channel.name, channel.folded);
  budget.charge(channel.owner, channel.ownerCost);
  for (const mode of snapshot.flags) channel.flags.add(mode);
  channel.key = snapshot.key;
  channel.limit = snapshot.limit;
  if (snapshot.topicOwner !== '' || snapshot.topic !== '') {
    channel.topic = own(snapshot.topic);
    channel.topicSetBy = own(snapshot.topicSetBy);
    channel.topicSetAt = snapshot.topicSetAt;
    channel.topicOwner = snapshot.topicOwner;
    budget.charge(channel.topicOwner, topicCost(channel.topic, channel.topicSetBy));
  }
  for (const entry of snapshot.lists) {
    channel.lists[entry.mode as ListMode].push({ mask: own(entry.mask), setBy: own(entry.setBy), setAt: entry.setAt, byOper: entry.byOper, owner: entry.owner });
    budget.charge(entry.owner, listEntryCost(entry.mask, entry.setBy));
  }
}

/** Another node's count of connections not yet registered. */
export function applyNodeUnknown(host: NetworkHost, event: EventOf<'node.unknown'>): void {
  if (isRemote(host, event)) host.registry.nodeUnknown.set(event.origin, event.count);
}

/** A node is gone: each of its users quits here, with `this-server gone-server` as the reason. */
export function applyNodeGone(host: NetworkHost, event: EventOf<'node.gone'>): void {
  if (!isRemote(host, event)) return;
  host.registry.nodes.delete(event.origin);
  host.registry.nodeUnknown.delete(event.origin);
  const reason = `${host.info.name} ${event.server}`;
  const gone = [...host.registry.users].filter((user) => user.origin === event.origin);
  const time = Date.now();
  for (const user of gone) applyQuit(host, { type: 'user.quit', origin: event.origin, userId: user.id, reason, msgid: host.nextMsgId(), time });
}
