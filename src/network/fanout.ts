/**
 * The one way a line reaches local users other than as a command's reply:
 * a message rendered once per capability set (Outgoing caches each
 * variant), written to each recipient's endpoint. The user whose command
 * caused it (the caller) gets their copy through the command's reply buffer,
 * in order with its numerics. Users of other nodes have no endpoint here and
 * are skipped: their node delivers the same event to them.
 */
import { CAP } from '../protocol/caps.js';
import type { Outgoing } from '../protocol/outgoing.js';
import type { Reply } from '../protocol/replies.js';
import type { Channel } from '../state/channel.js';
import type { Registry } from '../state/registry.js';
import { EndpointGroup, type Endpoint, type User } from '../state/user.js';

/** Lines for the caller, sent in order when the command is done. */
export interface Replies {
  numeric(reply: Reply): void;
  message(out: Outgoing): void;
  /**
   * Lines from here to endBatch() form an IRCv3 batch (for clients with the
   * batch capability). The BATCH line comes from the server, or takes the
   * source, tags and time of `opener` (a replayed draft/multiline message).
   */
  startBatch(type: string, params: string[], opener?: Outgoing): void;
  endBatch(): void;
  /**
   * The label of the request (labeled-response), or null. A handler may take
   * it for a later command's answer (a draft/multiline batch is answered at
   * BATCH -, with the label of BATCH +), leaving this one unanswered.
   */
  label: string | null;
}

/** The local user whose command caused an event, and where their copy goes. */
export interface Caller {
  readonly user: User;
  readonly replies: Replies;
  /** The session the command came from, when the user has several (multiclient): its copy goes through `replies`. */
  readonly session?: { readonly capMask: number };
}

/** Choose the message (or lines, in order: a draft/multiline message) a recipient gets from its capabilities; null: nothing. */
export type Pick = (capMask: number) => Outgoing | readonly Outgoing[] | null;

/** Give `user` what `what` picks for them (through `caller`'s replies if it is the caller); false if nothing was sent. */
export function deliverTo(user: User, what: Outgoing | Pick, caller: Caller | null): boolean {
  const endpoint = user.endpoint;
  if (endpoint === null) return false;
  if (endpoint instanceof EndpointGroup) return deliverToGroup(endpoint, what, caller !== null && user === caller.user ? caller : null, null) > 0;
  const out = typeof what === 'function' ? what(endpoint.capMask) : what;
  if (out === null) return false;
  if (caller !== null && user === caller.user) each(out, (line) => caller.replies.message(line));
  else if (!Array.isArray(out)) endpoint.send(out as Outgoing); // one line, the usual case: no closure
  else each(out, (line) => endpoint.send(line));
  return true;
}

/** Each line of what a Pick chose (one line, or a multiline message's lines in order). */
export function each(out: Outgoing | readonly Outgoing[], send: (line: Outgoing) => void): void {
  if (Array.isArray(out)) for (const line of out as readonly Outgoing[]) send(line);
  else send(out as Outgoing);
}

/** Deliver to each of `recipients` (see deliverTo). */
export function deliver(what: Outgoing | Pick, recipients: Iterable<User>, caller: Caller | null): void {
  for (const user of recipients) deliverTo(user, what, caller);
}

export interface ChannelDelivery {
  /** Leave out this user (the sender of a message: echo-message is its own rule). */
  skip?: User | null;
  /** Only members whose status has any of these bits (0: everyone). */
  statusMask?: number;
}

/** Deliver to the local members of `channel`; returns how many were given it. */
export function deliverToChannel(channel: Channel, what: Outgoing | Pick, caller: Caller | null, options: ChannelDelivery = {}): number {
  const { skip = null, statusMask = 0 } = options;
  const single = typeof what === 'function' ? null : what;
  let delivered = 0;
  for (const [member, status] of channel.members) {
    if (member === skip) continue;
    if (statusMask !== 0 && (status & statusMask) === 0) continue;
    const endpoint = member.endpoint;
    if (endpoint === null) continue;
    if (endpoint instanceof EndpointGroup) {
      if (deliverToGroup(endpoint, what, caller !== null && member === caller.user ? caller : null, null) > 0) delivered++;
      continue;
    }
    const out = single ?? (what as Pick)(endpoint.capMask);
    if (out === null) continue;
    if (caller !== null && member === caller.user) each(out, (line) => caller.replies.message(line));
    else each(out, (line) => endpoint.send(line));
    delivered++;
  }
  return delivered;
}

/**
 * Each session of a user with several picks for its own capabilities; the
 * session the command came from (`own`'s) gets its copy through the reply
 * buffer, and `skip` (a session, or null) gets none. Returns how many sessions were given it.
 */
export function deliverToGroup(group: EndpointGroup, what: Outgoing | Pick, own: Caller | null, skip: object | null): number {
  let delivered = 0;
  for (const member of group.members) {
    if (member === skip) continue;
    const out = typeof what === 'function' ? what(member.capMask) : what;
    if (out === null) continue;
    if (own !== null && member === (own.session as Endpoint | undefined)) each(out, (line) => own.replies.message(line));
    else each(out, (line) => member.send(line));
    delivered++;
  }
  return delivered;
}

/**
 * What a user sent from one session, to their other sessions (multiclient):
 * they always get it, as if echoed, while the sending session gets its echo
 * only with echo-message. Nothing for a user with one session.
 */
export function deliverToOtherSessions(user: User, what: Outgoing | Pick, caller: Caller | null): void {
  const endpoint = user.endpoint;
  if (!(endpoint instanceof EndpointGroup)) return;
  deliverToGroup(endpoint, what, null, caller !== null && caller.user === user ? (caller.session ?? null) : null);
}

/**
 * Everyone local who should hear about a change to `user` that needs
 * capability `bit` (away-notify, chghost, setname, account-notify): those
 * sharing a channel, and those monitoring the user with extended-monitor,
 * each once.
 */
export function audienceFor(registry: Registry, user: User, bit: number, includeSelf: boolean): Set<User> {
  const audience = new Set<User>();
  for (const peer of registry.peersOf(user)) if (peer.endpoint && (peer.endpoint.capMask & bit) !== 0) audience.add(peer);
  for (const watcher of registry.watchersOf(user.folded)) {
    const mask = watcher.endpoint?.capMask ?? 0;
    if ((mask & bit) !== 0 && (mask & CAP.EXTENDED_MONITOR) !== 0 && watcher !== user) audience.add(watcher);
  }
  if (includeSelf && user.endpoint && (user.endpoint.capMask & bit) !== 0) audience.add(user);
  return audience;
}
