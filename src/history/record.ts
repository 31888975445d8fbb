/**
 * Recording history as the network's effects apply (network/messages.ts,
 * channels.ts, users.ts): one call per effect. Only the node where an
 * event happened records it (each node writes its own events; nodes that
 * share a store file would otherwise store it twice). Appending only queues:
 * the store commits once per turn, so a delivery never waits on the disk.
 */
import type { ClusterEvent, EventOf, Stamp } from '../bus/events.js';
import type { NetworkHost } from '../network/host.js';
import type { User } from '../state/user.js';
import type { HistoryEntry } from '../store/types.js';
import { conversationKey, isAccountSide, peersOf, sideOf } from './keys.js';

/**
 * A TAGMSG is stored only when it carries one of these (reactions, and the
 * tag clients use to ask for it): typing notices and the like are moments,
 * not history. Ergo's tagmsg-storage whitelist, the same names.
 */
export const STORED_TAGMSG_TAGS: ReadonlySet<string> = new Set(['+draft/react', '+react', '+draft/persist', '+persist']);

/** The tag that marks a bot's message in stored tags (replayed as the `bot` tag). */
export const BOT_TAG = 'bot';

function records(host: NetworkHost, event: ClusterEvent): boolean {
  return host.config.history.enabled && event.origin === host.bus.nodeId;
}

function entry(stamp: Stamp, target: string, command: string, source: string, account: string | null, params: string[], tags: Array<[string, string]> | null = null): HistoryEntry {
  return { msgid: stamp.msgid, time: stamp.time, target, command, source, account, params, tags, lines: null, peers: null };
}

/** A PRIVMSG, NOTICE or TAGMSG to a channel or a user, by `sender`. */
export function recordMessage(host: NetworkHost, event: EventOf<'message'>, sender: User): void {
  if (!records(host, event)) return;
  if (event.command === 'TAGMSG' && !(event.tags ?? []).some(([key]) => STORED_TAGMSG_TAGS.has(key))) return;
  // @#chan messages reach only some members: not history everyone in the channel may read.
  if (event.statusMask !== 0) return;
  const { registry } = host;
  let target: string;
  let peers: [string, string] | null = null;
  if (event.channel !== null) {
    target = registry.fold(event.channel);
  } else {
    if (!host.config.history.direct_messages || event.recipientId === null) return;
    const recipient = registry.byId(event.recipientId);
    if (recipient === undefined) return;
    const from = sideOf(sender, registry.fold);
    const to = sideOf(recipient, registry.fold);
    if (!isAccountSide(from) && !isAccountSide(to)) return;
    target = conversationKey(from, to);
    peers = peersOf(from, to);
  }
  let tags = event.tags === null ? null : event.tags.map(([k, v]): [string, string] => [k, v]);
  if (sender.isBot) (tags ??= []).push([BOT_TAG, '']);
  const params = event.command === 'TAGMSG' ? [event.target] : [event.target, event.text];
  const stored = entry(event, target, event.command, sender.mask, sender.account, params, tags);
  stored.peers = peers;
  stored.lines = event.lines ?? null;
  host.store.history.append([stored]);
}

/**
 * A JOIN, PART, KICK, TOPIC or MODE in `channel` (draft/event-playback):
 * `source` is who did it (a mask or a server name), `params` the line's
 * parameters, channel first. A JOIN keeps the extended-join form
 * (channel, account, real name); replay shortens it for other clients.
 */
export function recordChannelEvent(host: NetworkHost, event: ClusterEvent & Stamp, channel: string, command: string, source: string, account: string | null, params: string[]): void {
  if (!records(host, event)) return;
  host.store.history.append([entry(event, host.registry.fold(channel), command, source, account, params)]);
}

/** A QUIT or NICK of `user`: one entry in each channel they are on. `source` is their mask before the change. */
export function recordUserEvent(host: NetworkHost, event: ClusterEvent & Stamp, user: User, command: 'QUIT' | 'NICK', source: string, params: string[]): void {
  if (!records(host, event) || user.channels.size === 0) return;
  const entries: HistoryEntry[] = [];
  for (const channel of user.channels) entries.push(entry(event, channel.folded, command, source, user.account, params));
  host.store.history.append(entries);
}
