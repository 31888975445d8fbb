/**
 * The effects of user events, on this node's state and users, the same for
 * the node where the change happened and for every other node: a user
 * arriving, renaming, leaving, going away, changing real name, host or modes,
 * being killed. Each function applies the change (in the order its lines need:
 * a QUIT goes to peers before the user is forgotten) and delivers the lines.
 */
import type { EventOf, UserInfo } from '../bus/events.js';
import { CAP } from '../protocol/caps.js';
import { parseModeString } from '../protocol/modes.js';
import { Outgoing } from '../protocol/outgoing.js';
import { User, USER_MODES } from '../state/user.js';
import { audienceFor, deliver, deliverTo, type Caller } from './fanout.js';
import { fromActorAt, fromUserAt, isRemote, joinFor, statusModeLine, type NetworkHost } from './host.js';
import { recordUserEvent } from '../history/record.js';

/** A registered user as other nodes learn of them (bus/events.ts UserInfo). */
export function userInfo(user: User, serverName: string): UserInfo {
  return {
    id: user.id,
    nick: user.nick,
    username: user.username,
    host: user.host,
    ip: user.ip,
    realname: user.realname,
    modes: user.modeString(),
    account: user.account,
    away: user.away,
    server: user.server ?? serverName,
    signonAt: user.signonAt,
    secure: user.secure,
  };
}

/**
 * Tell everyone here monitoring `user`'s nick that it came online (730) or
 * went offline (731). `nick` overrides the nick announced (the old one after
 * a rename).
 */
export function announcePresence(host: NetworkHost, user: User, online: boolean, nick = user.nick): void {
  const watchers = host.registry.watchersOf(host.registry.fold(nick));
  if (watchers.size === 0) return;
  // One line for all: the target is '*' as the specification allows.
  const line = new Outgoing({ tags: null, source: host.info.name, command: online ? '730' : '731', params: ['*', online ? user.mask : nick] });
  for (const watcher of watchers) if (watcher !== user) watcher.endpoint?.send(line);
}

/**
 * Another node's user takes `nick`, which the network's directory gave them.
 * A client here that is still registering may hold it locally (the directory
 * is asked only when registration completes): it gives the nick up and is
 * told, as if its NICK had been refused. False if a registered user here
 * holds it (the replicas disagree: the event is not applied).
 */
function makeRoomFor(host: NetworkHost, nick: string, user: User): boolean {
  const holder = host.registry.nickHolder(nick);
  if (holder === undefined || holder === user) return true;
  if (holder.registered) {
    host.log.warn({ event: 'nick-collision', nick, node: user.origin }, 'a user of another node has a nick a user here holds: not applied');
    return false;
  }
  host.registry.dropNick(holder);
  holder.endpoint?.send(new Outgoing({ tags: null, source: host.info.name, command: '433', params: ['*', nick, 'Nickname is already in use'] }));
  return true;
}

/** A user finished registering: a replica of them if they are another node's; MONITOR online notices. */
export function applyRegister(host: NetworkHost, event: EventOf<'user.register'>): void {
  const { registry } = host;
  let user = registry.byId(event.user.id);
  // Another node's user already known here (a second burst): no news.
  if (user !== undefined && isRemote(host, event)) return;
  if (user === undefined) {
    if (!isRemote(host, event)) return;
    const info = event.user;
    user = new User(info.id, info.ip, info.host, event.origin, null);
    if (!makeRoomFor(host, info.nick, user) || !registry.claimNick(user, info.nick)) return;
    user.setUsername(info.username);
    user.realname = info.realname;
    for (const mode of info.modes.replace('+', '')) user.setMode(mode, true);
    user.account = info.account;
    user.away = info.away;
    user.secure = info.secure;
    // Workers of one server share its name: their users are this server's, as LUSERS and WHOIS tell it.
    user.server = info.server === host.info.name ? null : info.server;
    registry.nodes.set(event.origin, info.server);
    registry.register(user, info.signonAt);
  }
  announcePresence(host, user, true);
}

/** A WHOWAS entry for `user` under `nick` (the one they leave behind), at `time` (milliseconds). */
function rememberNick(host: NetworkHost, user: User, nick: string, folded: string, time: number): void {
  host.whowas.record(folded, {
    nick,
    username: user.username,
    host: user.host,
    realname: user.realname,
    server: user.server ?? host.info.name,
    at: Math.floor(time / 1000),
  });
}

/** NICK: the user and everyone sharing a channel see it once; WHOWAS keeps the old nick; MONITOR hears of both. */
export function applyNick(host: NetworkHost, event: EventOf<'user.nick'>, caller: Caller | null): void {
  const { registry } = host;
  const user = registry.byId(event.userId);
  if (user === undefined) return;
  const oldNick = user.nick;
  const oldFolded = user.folded;
  // Made before the change, so its source is the old mask.
  const out = fromUserAt(user, 'NICK', [event.nick], event);
  if (isRemote(host, event) && !makeRoomFor(host, event.nick, user)) return;
  if (!registry.claimNick(user, event.nick)) return;
  user.nickSince = event.time;
  recordUserEvent(host, event, user, 'NICK', out.message.source as string, [event.nick]);
  rememberNick(host, user, oldNick, oldFolded, event.time);
  const recipients = registry.peersOf(user);
  recipients.add(user);
  deliver(out, recipients, caller);
  // MONITOR: the old nick went offline, the new one came online (unless only its case changed).
  if (oldFolded !== user.folded) {
    announcePresence(host, user, false, oldNick);
    announcePresence(host, user, true);
  }
}

/**
 * A registered user leaves: QUIT once to everyone here sharing a channel with
 * them, MONITOR offline notices, a WHOWAS entry, and the user forgotten
 * (channels left, empty ones gone). Their own connection is closed by the
 * server (ERROR), not here.
 */
export function applyQuit(host: NetworkHost, event: EventOf<'user.quit'>): void {
  const { registry } = host;
  const user = registry.byId(event.userId);
  if (user === undefined) return;
  const quit = fromUserAt(user, 'QUIT', [event.reason], event);
  recordUserEvent(host, event, user, 'QUIT', user.mask, [event.reason]);
  registry.forEachPeer(user, (peer) => peer.endpoint?.send(quit));
  announcePresence(host, user, false);
  rememberNick(host, user, user.nick, user.folded, event.time);
  registry.remove(user);
}

/** KILL: the node holding the victim's connection tells them who and why, and ends it (which publishes their QUIT). */
export function applyKill(host: NetworkHost, event: EventOf<'user.kill'>, caller: Caller | null): void {
  const target = host.registry.byId(event.targetId);
  if (target === undefined || target.endpoint === null) return;
  const kill = fromActorAt(host, event.by, 'KILL', [target.nick, event.reason], event);
  if (kill !== null) deliverTo(target, kill, caller);
  const quit = `Killed (${event.byName} (${event.reason}))`;
  // The reason is message text: logged only with log.message_text.
  const logReason = host.config.log.message_text ? quit : `Killed (${event.byName})`;
  host.disconnect(target, quit, `Killed by ${event.byName}: ${event.reason}`, false, logReason);
}

/** AWAY with away-notify: peers (and extended-monitor watchers), never the user themself. */
export function applyAway(host: NetworkHost, event: EventOf<'user.away'>, caller: Caller | null): void {
  const user = host.registry.byId(event.userId);
  if (user === undefined || !user.setAway(event.message)) return;
  const audience = audienceFor(host.registry, user, CAP.AWAY_NOTIFY, false);
  deliver(fromUserAt(user, 'AWAY', event.message === null ? [] : [event.message], event), audience, caller);
}

/** SETNAME: clients with the setname capability hear of it, the user's own too. */
export function applyRealname(host: NetworkHost, event: EventOf<'user.realname'>, caller: Caller | null): void {
  const user = host.registry.byId(event.userId);
  if (user === undefined || !user.setRealname(event.realname)) return;
  deliver(fromUserAt(user, 'SETNAME', [event.realname], event), audienceFor(host.registry, user, CAP.SETNAME, true), caller);
}

/**
 * A new visible host (CHGHOST). Clients with chghost see CHGHOST
 * (https://ircv3.net/specs/extensions/chghost); the others see the user quit
 * and rejoin their shared channels, with their status. The user, if here,
 * gets 396.
 */
export function applyHost(host: NetworkHost, event: EventOf<'user.host'>, caller: Caller | null): void {
  const { registry } = host;
  const target = registry.byId(event.userId);
  if (target === undefined) return;
  const change = fromUserAt(target, 'CHGHOST', [event.username, event.host], event);
  const quit = fromUserAt(target, 'QUIT', ['Changing hostname'], event);
  const peers = registry.peersOf(target);
  if (!target.setUserHost(event.username, event.host)) return;
  for (const peer of peers) {
    const endpoint = peer.endpoint;
    if (!endpoint) continue;
    if ((endpoint.capMask & CAP.CHGHOST) !== 0) {
      deliverTo(peer, change, caller);
      continue;
    }
    deliverTo(peer, quit, caller);
    // The rejoin looks like any JOIN to this peer: extended with extended-join, then AWAY with away-notify.
    const awayNotify = target.away !== null && (endpoint.capMask & CAP.AWAY_NOTIFY) !== 0;
    for (const channel of target.channels) {
      if (!channel.has(peer)) continue;
      deliverTo(peer, joinFor(target, channel.name, event), caller);
      if (awayNotify) deliverTo(peer, fromUserAt(target, 'AWAY', [target.away as string], event), caller);
      const mode = statusModeLine(host.info.name, channel, target, channel.status(target));
      if (mode !== null) deliverTo(peer, mode, caller);
    }
  }
  // extended-monitor watchers with chghost, and the user themself with chghost.
  for (const watcher of audienceFor(registry, target, CAP.CHGHOST, true)) if (!peers.has(watcher)) deliverTo(watcher, change, caller);
  deliverTo(target, new Outgoing({ tags: null, source: host.info.name, command: '396', params: [target.nick, event.host, 'is now your displayed host'] }), caller);
}

/** User modes applied (`+o-i`): the counters follow; the user, if here, sees the MODE line. */
export function applyUserMode(host: NetworkHost, event: EventOf<'user.mode'>, caller: Caller | null): void {
  const { registry } = host;
  const user = registry.byId(event.userId);
  if (user === undefined) return;
  const { changes } = parseModeString(event.modes, [], (m) => (USER_MODES.includes(m) ? 'flag' : undefined));
  for (const change of changes) {
    registry.setUserMode(user, change.mode, change.adding);
    if (change.mode === 'o' && !change.adding) user.operName = null;
  }
  const line = fromActorAt(host, event.by, 'MODE', [user.nick, event.modes], event);
  if (line !== null) deliverTo(user, line, caller);
}

/**
 * A user logged into an account or out: User.account follows (account-tag,
 * extended-join, WHOX and WHOIS read it), and clients sharing a channel with
 * account-notify (or monitoring them with extended-monitor) see
 * `ACCOUNT <name>` or `ACCOUNT *`. https://ircv3.net/specs/extensions/account-notify
 */
export function applyAccount(host: NetworkHost, event: EventOf<'user.account'>, caller: Caller | null): void {
  const user = host.registry.byId(event.userId);
  if (user === undefined || user.account === event.account) return;
  user.account = event.account;
  // Always-on belongs to the account that chose it: a logout, a DROP or another login ends it (it is set again at a login to such an account).
  user.alwaysOn = false;
  const line = new Outgoing({ tags: null, source: user.mask, command: 'ACCOUNT', params: [event.account ?? '*'] });
  deliver(line, audienceFor(host.registry, user, CAP.ACCOUNT_NOTIFY, false), caller);
}
