/**
 * The effect of a draft/metadata-3 change: subscribers here hear of it
 * (members of a channel; for a user, those sharing a channel or monitoring
 * them), never the client that made it. The node where METADATA ran has
 * checked the limits and stored the value (state/metadata.ts); a replica
 * stores it through the same code, trusted.
 */
import type { EventOf } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import { N } from '../protocol/numerics.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { Channel } from '../state/channel.js';
import { dropMetadata, setMetadata, type MetadataHolder } from '../state/metadata.js';
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
    const holder: MetadataHolder = user !== null ? { kind: 'user', user } : { kind: 'channel', channel: channel as Channel };
    if (event.value === null) dropMetadata(registry.budget, holder, event.key);
    else setMetadata(registry.budget, holder, event.key, event.value, event.userId, null);
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
