/**
 * Multiclient (accounts.multiclient), modelled on Ergo's bouncer: a
 * connection that finishes registration logged into an account (SASL) while
 * a local user of that account exists attaches to that user as one more
 * session, instead of becoming a user of its own. It takes the user's nick
 * (whatever NICK it sent) and channels, and gets the welcome burst and a
 * JOIN, topic and NAMES per channel. Its capabilities stay its own: fan-out
 * (network/fanout.ts) renders and picks per session.
 */
import { CommandContext } from '../commands/context.js';
import { sendNames } from '../commands/channel.js';
import { markerOnJoin } from '../commands/readmarker.js';
import { joinFor } from '../network/host.js';
import { each } from '../network/fanout.js';
import { ERR_NICKNAMEINUSE, RPL_TOPIC, RPL_TOPICWHOTIME } from '../protocol/replies.js';
import { subscriptionCost } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import type { Registry } from '../state/registry.js';
import { EndpointGroup, mayAttach, sessionCount, type User } from '../state/user.js';
import { replayMissed } from './alwayson.js';
import { sendWelcome } from './registration.js';
import { ReplyBuffer } from './replybuffer.js';
import type { ObrolServer } from './server.js';
import { Session } from './session.js';

export { sessionCount };

/** The local user `session`'s account may attach to, or null (not logged in, none, or multiclient refuses). */
export function attachTarget(server: ObrolServer, session: Session): User | null {
  const account = session.account;
  if (account === null) return null;
  const { registry, config } = server;
  const multiclient = config.accounts.multiclient;
  // The nick asked for first: the usual case, and no scan.
  const byNick = registry.nickHolder(session.user.nick);
  if (byNick !== session.user && mayAttach(byNick, account, registry.fold, multiclient)) return byNick;
  // Logins are rare next to messages: a scan of the users is cheap enough here.
  for (const user of registry.users) if (user !== session.user && mayAttach(user, account, registry.fold, multiclient)) return user;
  return null;
}

/**
 * Attach `session` (registering now) to its account's user if there is one.
 * Returns whether it did; if not, registration goes on as usual.
 */
export function attachIfLoggedIn(server: ObrolServer, session: Session): boolean {
  const target = attachTarget(server, session);
  if (target === null) return false;
  attach(server, session, target);
  return true;
}

/** Make `session` one more session of `target`, and tell it what it joined. */
export function attach(server: ObrolServer, session: Session, target: User): void {
  const own = session.user;
  // The connection's own, unregistered user goes, with the nick it held (if it held one).
  server.registry.remove(own);
  session.user = target;
  // Its metadata subscriptions were credited with its own user: from now they are charged to the one it joins.
  for (const key of session.metadataSubs) server.registry.budget.charge(target.id, subscriptionCost(key));
  const endpoint = target.endpoint;
  if (endpoint instanceof EndpointGroup && endpoint.members.length > 0) endpoint.members.push(session);
  else if (endpoint !== null && !(endpoint instanceof EndpointGroup)) target.endpoint = new EndpointGroup([endpoint, session]);
  else target.endpoint = session;
  server.stats.registrations++;
  server.noteRegistered();
  session.password = null;

  sendWelcome(server, session);
  // As Ergo: the channels the user is in, as if just joined (to this session alone).
  const replies = new ReplyBuffer(server.info.name, session);
  const ctx = new CommandContext(server, session, target, replies);
  const now = { msgid: server.nextMsgId(), time: Date.now() };
  for (const channel of target.channels) {
    const join = joinFor(target, channel.name, now)(session.capMask);
    if (join !== null) each(join, (line) => replies.message(line));
    sendChannelState(ctx, channel);
  }
  replies.flush();
  replayMissed(server, session, target);
  server.log.info({ conn: session.id, event: 'attach', nick: target.nick, account: target.account, sessions: sessionCount(target) }, 'client attached to its account’s user');
}

/** The topic, read marker and NAMES of a channel just joined (the marker before 366, as draft/read-marker asks). */
function sendChannelState(ctx: CommandContext, channel: Channel): void {
  if (channel.topic) {
    ctx.reply(RPL_TOPIC(channel.name, channel.topic));
    ctx.reply(RPL_TOPICWHOTIME(channel.name, channel.topicSetBy, channel.topicSetAt));
  }
  markerOnJoin(ctx, channel);
  sendNames(ctx, channel);
}

/**
 * A JOIN from one session: the user's other sessions saw the JOIN line (as
 * members); they also get the topic and NAMES, as Ergo sends them, so their
 * clients can show the channel.
 */
export function joinedFromOneSession(server: ObrolServer, user: User, channel: Channel, from: unknown): void {
  const endpoint = user.endpoint;
  if (!(endpoint instanceof EndpointGroup)) return;
  for (const member of endpoint.members) {
    if (member === from || !(member instanceof Session) || member.closed) continue;
    const replies = new ReplyBuffer(server.info.name, member);
    sendChannelState(new CommandContext(server, member, user, replies), channel);
    replies.flush();
  }
}

/**
 * A connection that did not attach must hold the nick it asked for: NICK
 * let it name its account's user's nick (to attach by), and that user may
 * have gone since, or the login failed. Claim it now, or answer 433 and wait
 * for another NICK (the client is `*` again).
 */
export function holdsOwnNick(server: ObrolServer, session: Session): boolean {
  const { registry } = server;
  const user = session.user;
  // No nick (its account's user went while a password was checked): wait for NICK.
  if (user.nick === '*') return false;
  if (registry.nickHolder(user.nick) === user || registry.claimNick(user, user.nick)) return true;
  const nick = user.nick;
  user.setNick('*', '*');
  const replies = new ReplyBuffer(server.info.name, session);
  replies.numeric(ERR_NICKNAMEINUSE(nick));
  replies.flush();
  return false;
}

/** A session leaves a user that stays (or goes without it): what it subscribed to is no longer charged to the user. */
export function creditSubscriptions(registry: Registry, user: User, session: Session): void {
  for (const key of session.metadataSubs) registry.budget.credit(user.id, subscriptionCost(key));
}

/**
 * Take `session` off its user's endpoint: the group shrinks (a group of one
 * becomes that session again, so a lone session costs no indirection), and
 * an always-on user's last leaves an empty group (present, nothing delivered).
 */
export function detachFromUser(user: User, session: Session): void {
  const endpoint = user.endpoint;
  if (endpoint instanceof EndpointGroup) {
    const at = endpoint.members.indexOf(session);
    if (at >= 0) endpoint.members.splice(at, 1);
    if (endpoint.members.length === 1) user.endpoint = endpoint.members[0] ?? null;
    else if (endpoint.members.length === 0 && !user.alwaysOn) user.endpoint = null;
  } else if (endpoint === session) {
    user.endpoint = user.alwaysOn ? new EndpointGroup() : null;
  }
}
