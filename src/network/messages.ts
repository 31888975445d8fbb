/**
 * The effects of messages: PRIVMSG, NOTICE and TAGMSG to a channel or a
 * user, WALLOPS, and the network-wide server notice. The sender's own copy
 * (echo-message) goes through their reply buffer; everyone else's straight to
 * their connection, one serialisation per capability set.
 */
import type { EventOf } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import type { Tags } from '../protocol/message.js';
import { Outgoing } from '../protocol/outgoing.js';
import { deliverTo, deliverToChannel, deliverToOtherSessions, type Caller, type Pick } from './fanout.js';
import { fromActorAt, fromUserAt, type NetworkHost } from './host.js';
import { recordMessage } from '../history/record.js';

/** TAGMSG only reaches clients that negotiated message-tags. */
const onlyTagCapable =
  (out: Outgoing): Pick =>
  (mask) =>
    (mask & CAP.MESSAGE_TAGS) !== 0 ? out : null;

export function applyMessage(host: NetworkHost, event: EventOf<'message'>, caller: Caller | null): void {
  const { registry } = host;
  const sender = registry.byId(event.userId);
  if (sender === undefined) return;
  const isTagmsg = event.command === 'TAGMSG';
  recordMessage(host, event, sender);
  const tags: Tags | null = event.tags === null ? null : new Map(event.tags);
  const out = fromUserAt(sender, event.command, isTagmsg ? [event.target] : [event.target, event.text], event, tags);
  const what = isTagmsg ? onlyTagCapable(out) : out;
  if (event.channel !== null) {
    const channel = registry.findChannel(event.channel);
    if (channel !== undefined) {
      host.stats.messageDeliveries += deliverToChannel(channel, what, null, { skip: sender, statusMask: event.statusMask });
    }
  } else if (event.recipientId !== null) {
    const recipient = registry.byId(event.recipientId);
    // Straight to the recipient (not through the caller's reply buffer, even
    // when messaging oneself): only the echo carries a label. Every session of theirs.
    if (recipient !== undefined && deliverTo(recipient, what, null)) host.stats.messageDeliveries++;
  }
  // The sender's other sessions (multiclient) always get a copy.
  if (event.recipientId !== sender.id) deliverToOtherSessions(sender, what, caller);
  // echo-message: the sender's copy, in order with its replies. A TAGMSG never
  // reaches a client without message-tags, its own echo included.
  if (caller !== null && caller.user === sender) {
    const mask = caller.session?.capMask ?? sender.endpoint?.capMask ?? 0;
    if ((mask & CAP.ECHO_MESSAGE) !== 0 && (!isTagmsg || (mask & CAP.MESSAGE_TAGS) !== 0)) caller.replies.message(out);
  }
}

/** WALLOPS: every user here with +w. */
export function applyWallops(host: NetworkHost, event: EventOf<'wallops'>, caller: Caller | null): void {
  const out = fromActorAt(host, event.by, 'WALLOPS', [event.text], event);
  if (out === null) return;
  for (const user of host.registry.users) if (user.hasMode('w')) deliverTo(user, out, caller);
}

/** A server notice to every registered user here. */
export function applyNetworkNotice(host: NetworkHost, event: EventOf<'network.notice'>): void {
  const source = host.info.name;
  for (const user of host.registry.users) {
    user.endpoint?.send(new Outgoing({ tags: null, source, command: 'NOTICE', params: [user.nick, event.text] }));
  }
}
