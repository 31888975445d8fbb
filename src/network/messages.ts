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
import { CONCAT_TAG, MULTILINE_BATCH } from '../protocol/multiline.js';
import type { User } from '../state/user.js';
import { deliverTo, deliverToChannel, deliverToOtherSessions, type Caller, type Pick, type Replies } from './fanout.js';
import { fromActorAt, fromUserAt, isRemote, type NetworkHost } from './host.js';
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
  const multi = event.lines === undefined ? null : multilineForms(sender, event, tags, event.lines);
  const out = fromUserAt(sender, event.command, isTagmsg ? [event.target] : [event.target, event.text], event, tags);
  const what: Outgoing | Pick = multi !== null ? multi.pick : isTagmsg ? onlyTagCapable(out) : out;
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
    if ((mask & CAP.ECHO_MESSAGE) === 0) return;
    if (multi !== null) multi.echo(caller.replies, mask);
    else if (!isTagmsg || (mask & CAP.MESSAGE_TAGS) !== 0) caller.replies.message(out);
  }
}

/**
 * A draft/multiline message as each recipient gets it
 * (https://ircv3.net/specs/extensions/multiline): to clients with
 * draft/multiline and batch, one batch whose BATCH line carries the msgid,
 * time, account and client-only tags, then the lines (concat tags kept);
 * to the others, each line that is not blank as a message of its own, the
 * msgid on the first only. Every recipient of the batch shares one
 * reference tag (made from the msgid, so it never meets a connection's own
 * counter ids, which have no dash), so the bytes are made once per rendering.
 */
function multilineForms(sender: User, event: EventOf<'message'>, tags: Tags | null, lines: ReadonlyArray<{ text: string; concat: boolean }>) {
  const { command, target } = event;
  const ref = `ml-${event.msgid.replace(/[^A-Za-z0-9-]/g, '')}`;
  const head = fromUserAt(sender, 'BATCH', [`+${ref}`, MULTILINE_BATCH, target], event, tags);
  const line = (text: string, fixedTags: string) => new Outgoing({ tags: null, source: sender.mask, command, params: [target, text] }, { fixedTags }, event.time);
  const batched: Outgoing[] = [
    head,
    ...lines.map((l) => line(l.text, l.concat ? `batch=${ref};${CONCAT_TAG}` : `batch=${ref}`)),
    new Outgoing({ tags: null, source: sender.mask, command: 'BATCH', params: [`-${ref}`] }, null, event.time),
  ];
  const nonBlank = lines.filter((l) => l.text !== '');
  const fallback = nonBlank.map((l, k) =>
    new Outgoing({ tags: null, source: sender.mask, command, params: [target, l.text] }, { msgid: k === 0 ? event.msgid : undefined, bot: sender.isBot, account: sender.account, clientTags: tags }, event.time),
  );
  const wantsBatch = (mask: number) => (mask & (CAP.MULTILINE | CAP.BATCH)) === (CAP.MULTILINE | CAP.BATCH);
  return {
    pick: ((mask: number) => (wantsBatch(mask) ? batched : fallback)) as Pick,
    /** The sender's own copy, through its reply buffer (which numbers the batch and may put a label on it). */
    echo(replies: Replies, mask: number): void {
      if (!wantsBatch(mask)) {
        for (const out of fallback) replies.message(out);
        return;
      }
      replies.startBatch(MULTILINE_BATCH, [target], head);
      for (const l of lines) replies.message(l.concat ? line(l.text, CONCAT_TAG) : new Outgoing({ tags: null, source: sender.mask, command, params: [target, l.text] }, null, event.time));
      replies.endBatch();
    },
  };
}

/**
 * REDACT (https://ircv3.net/specs/extensions/message-redaction): to the
 * channel's members or the other side of the conversation that negotiated
 * draft/message-redaction (the others get nothing), and to the redactor as
 * the answer to their command. The node where it was asked already dropped
 * the message from its history; the others drop it from theirs.
 */
export function applyRedact(host: NetworkHost, event: EventOf<'message.redact'>, caller: Caller | null): void {
  if (isRemote(host, event)) {
    host.store.history.remove(event.historyTarget, event.redacted).catch((err: unknown) => {
      host.log.warn({ err, event: 'redact-failed', msgid: event.redacted }, 'a redacted message could not be dropped from history');
    });
  }
  const { registry } = host;
  const redactor = registry.byId(event.userId);
  if (redactor === undefined) return;
  const params = event.reason === null ? [event.target, event.redacted] : [event.target, event.redacted, event.reason];
  const out = fromUserAt(redactor, 'REDACT', params, event);
  const capable: Pick = (mask) => ((mask & CAP.MESSAGE_REDACTION) !== 0 ? out : null);
  if (event.channel !== null) {
    const channel = registry.findChannel(event.channel);
    if (channel !== undefined) deliverToChannel(channel, capable, null, { skip: redactor });
  } else if (event.recipientId !== null) {
    const recipient = registry.byId(event.recipientId);
    if (recipient !== undefined && recipient !== redactor) deliverTo(recipient, capable, null);
  }
  // The redactor's other clients (multiclient) stop showing it too.
  deliverToOtherSessions(redactor, capable, caller);
  if (caller !== null && caller.user === redactor) caller.replies.message(out);
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
