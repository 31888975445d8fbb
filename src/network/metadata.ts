/**
 * The effect of a draft/metadata-3 change: subscribers here hear of it
 * (members of a channel; for a user, those sharing a channel or monitoring
 * them), never the client that made it. The node where METADATA ran has
 * checked the limits, stored the value and charged for it; a replica stores
 * it here, charging the same owner without refusing.
 */
import type { EventOf } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import { N } from '../protocol/numerics.js';
import { Outgoing } from '../protocol/outgoing.js';
import { channelMetadataCost, metadataCost, own } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import type { User } from '../state/user.js';
import { isRemote, type NetworkHost } from './host.js';

/** Visibility of every key: everyone may see it. */
export const VISIBLE = '*';

export function applyMetadata(host: NetworkHost, event: EventOf<'metadata'>): void {
  const { registry } = host;
  const author = registry.byId(event.userId);
  const user = event.targetUser === null ? null : (registry.byId(event.targetUser) ?? null);
  const channel = event.targetChannel === null ? null : (registry.findChannel(event.targetChannel) ?? null);
  if (user === null && channel === null) return;
  if (isRemote(host, event)) {
    if (user !== null) storeUserKey(host, user, event.key, event.value);
    else storeChannelKey(host, channel as Channel, event.key, event.value, event.userId);
  }
  const recipients = new Set<User>();
  if (channel !== null) {
    for (const member of channel.members.keys()) recipients.add(member);
  } else {
    for (const peer of registry.peersOf(user as User)) recipients.add(peer);
    for (const watcher of registry.watchersOf((user as User).folded)) recipients.add(watcher);
  }
  if (author !== undefined) recipients.delete(author);
  const name = user !== null ? user.nick : (channel as Channel).name;
  const line = new Outgoing({
    tags: null,
    source: host.info.name,
    command: event.value === null ? N.RPL_KEYNOTSET : N.RPL_KEYVALUE,
    params: event.value === null ? ['*', name, event.key, 'Key deleted'] : ['*', name, event.key, VISIBLE, event.value],
  });
  for (const recipient of recipients) {
    const endpoint = recipient.endpoint;
    if (endpoint && (endpoint.capMask & CAP.METADATA) !== 0 && endpoint.metadataSubs.has(event.key)) endpoint.send(line);
  }
}

/** A replica's copy of a user's key: the user is charged for it. */
function storeUserKey(host: NetworkHost, user: User, key: string, value: string | null): void {
  const budget = host.registry.budget;
  const old = user.metadata.get(key);
  if (old !== undefined) budget.credit(user.id, metadataCost(key, old));
  if (value === null) {
    if (old !== undefined) user.editableMetadata().delete(key);
    return;
  }
  user.editableMetadata().set(own(key), own(value));
  budget.charge(user.id, metadataCost(key, value));
}

/** A replica's copy of a channel's key: whoever set it is charged for it. */
function storeChannelKey(host: NetworkHost, channel: Channel, key: string, value: string | null, setter: string): void {
  const budget = host.registry.budget;
  const old = channel.metadata.get(key);
  if (old !== undefined) budget.credit(channel.metadataOwners.get(key) ?? '', channelMetadataCost(key, old));
  if (value === null) {
    channel.metadata.delete(key);
    channel.metadataOwners.delete(key);
    return;
  }
  const stored = own(key);
  channel.metadata.set(stored, own(value));
  channel.metadataOwners.set(stored, setter);
  budget.charge(setter, channelMetadataCost(key, value));
}
