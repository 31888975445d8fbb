/**
 * Finding out about users, and presence: WHO, WHOIS, WHOWAS, AWAY, ISON, USERHOST.
 * https://modern.ircdocs.horse/#user-based-queries
 */
import type { IrcMessage } from '../protocol/message.js';
import { isChannelName } from '../protocol/names.js';
import {
  ERR_NONICKNAMEGIVEN,
  ERR_NOSUCHNICK,
  ERR_NOSUCHSERVER,
  ERR_TOOMANYMATCHES,
  ERR_TOOMANYMATCHES_SCANNED,
  ERR_WASNOSUCHNICK,
  RPL_AWAY,
  RPL_ENDOFWHO,
  RPL_ENDOFWHOIS,
  RPL_ENDOFWHOWAS,
  RPL_ISON,
  RPL_NOWAWAY,
  RPL_UNAWAY,
  RPL_USERHOST,
  RPL_WHOISACCOUNT,
  RPL_WHOISBOT,
  RPL_WHOISCERTFP,
  RPL_WHOISCHANNELS,
  RPL_WHOISHOST,
  RPL_WHOISIDLE,
  RPL_WHOISKEYVALUE,
  RPL_WHOISMODES,
  RPL_WHOISOPERATOR,
  RPL_WHOISSECURE,
  RPL_WHOISSERVER,
  RPL_WHOISUSER,
  RPL_WHOREPLY,
  RPL_WHOSPCRPL,
  RPL_WHOWASUSER,
} from '../protocol/replies.js';
import { CAP } from '../protocol/caps.js';
import { truncateUtf8 } from '../protocol/serialize.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import { own } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import type { User } from '../state/user.js';
import { broadcastWait, chargeBroadcast, refuseBroadcast } from './broadcast.js';
import { CHANTYPES, commaList } from './channel.js';
import { CappedReplies, type CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';
import { audienceFor } from '../network/fanout.js';
import { uniqueNames } from './targets.js';

/** May `viewer` see `target` in WHO results? Invisible users only to those sharing a channel. */
function isVisible(viewer: User, target: User): boolean {
  if (viewer === target || !target.isInvisible || viewer.isOper) return true;
  for (const channel of target.channels) if (channel.has(viewer)) return true;
  return false;
}

/** The channel a WHO reply names: the one listed, else the first the viewer may see, else none. */
function shownChannel(ctx: CommandContext, target: User, channel: Channel | null): Channel | null {
  if (channel) return channel;
  for (const c of target.channels) if (c.isVisibleTo(ctx.user)) return c;
  return null;
}

/** WHO flags: H/G (here/gone), * for opers, B for bots, then the prefix in the channel shown. */
function whoFlags(ctx: CommandContext, target: User, shown: Channel | null): string {
  let flags = target.away !== null ? 'G' : 'H';
  if (target.isOper) flags += '*';
  if (target.isBot) flags += 'B';
  if (shown) flags += shown.prefixOf(target, ctx.session.hasCap(CAP.MULTI_PREFIX));
  return flags;
}

/** A WHOX request (`%fields[,token]`): the field letters in the standard order, and the token. */
interface Whox {
  fields: string;
  token: string;
}

const WHOX_ORDER = 'tcuihsnfdlaor';

function parseWhox(param: string | undefined): Whox | null {
  if (param === undefined) return null;
  const percent = param.indexOf('%');
  if (percent < 0) return null;
  const [letters = '', token = ''] = param.slice(percent + 1).split(',', 2);
  const fields = [...WHOX_ORDER].filter((field) => letters.includes(field)).join('');
  return { fields, token };
}

/** One reply for `target`: 352, or 354 with exactly the WHOX fields asked for. */
function whoReply(ctx: CommandContext, target: User, channel: Channel | null, whox: Whox | null) {
  const shown = shownChannel(ctx, target, channel);
  const flags = whoFlags(ctx, target, shown);
  if (whox === null) return RPL_WHOREPLY(shown?.name ?? '*', target.username, target.host, target.server ?? ctx.serverName, target.nick, flags, target.realname);
  const viewer = ctx.user;
  const fields: string[] = [];
  for (const field of whox.fields) {
    switch (field) {
      case 't': fields.push(whox.token || '0'); break;
      case 'c': fields.push(shown?.name ?? '*'); break;
      case 'u': fields.push(target.username); break;
      case 'i': fields.push(viewer === target || viewer.isOper ? displayAddress(target.ip) : '255.255.255.255'); break;
      case 'h': fields.push(target.host); break;
      case 's': fields.push(target.server ?? ctx.serverName); break;
      case 'n': fields.push(target.nick); break;
      case 'f': fields.push(flags); break;
      case 'd': fields.push('0'); break;
      case 'l': fields.push(String(Math.max(0, ctx.nowSeconds() - target.lastSpokeAt))); break;
      case 'a': fields.push(target.account ?? '0'); break;
      case 'o': fields.push('n/a'); break;
      case 'r': fields.push(target.realname); break;
    }
  }
  return RPL_WHOSPCRPL(fields);
}

/** An IPv6 address starting with ':' would read as a trailing parameter. */
function displayAddress(ip: string): string {
  return ip.startsWith(':') ? `0${ip}` : ip;
}

export function handleWho(ctx: CommandContext, msg: IrcMessage): void {
  const viewer = ctx.user;
  const rawMask = msg.params[0] ?? '*';
  const whox = parseWhox(msg.params[1]);
  // Flags before the '%' (or the whole second parameter): 'o' lists operators only.
  const flagsParam = msg.params[1] ?? '';
  const opersOnly = (whox ? flagsParam.slice(0, flagsParam.indexOf('%')) : flagsParam).includes('o');
  const mask = rawMask === '' || rawMask === '0' ? '*' : rawMask;
  const { registry } = ctx;
  const results = new CappedReplies(ctx, 'WHO', ctx.config.limits.who_results);

  if (isChannelName(mask, CHANTYPES)) {
    const channel = registry.findChannel(mask);
    if (channel && channel.isVisibleTo(viewer)) {
      const member = channel.has(viewer);
      for (const target of channel.members.keys()) {
        if (!member && target.isInvisible && !viewer.isOper) continue;
        if (opersOnly && !target.isOper) continue;
        if (!results.add(whoReply(ctx, target, channel, whox))) break;
      }
    }
    ctx.reply(RPL_ENDOFWHO(mask));
    return;
  }

  const folded = registry.fold(mask);
  const exact = registry.findUser(mask);
  if (exact && !/[*?]/.test(mask)) {
    if (!opersOnly || exact.isOper) ctx.reply(whoReply(ctx, exact, null, whox));
  } else {
    // The scan, not only the replies, is bounded: at most limits.who_scan users
    // are looked at (opers are exempt, as from flood control), then 416.
    const scanMax = viewer.isOper ? Infinity : ctx.config.limits.who_scan;
    const serverMatches = wildcardMatch(folded, registry.fold(ctx.serverName));
    let examined = 0;
    for (const target of registry.users) {
      if (examined === scanMax) {
        ctx.reply(ERR_TOOMANYMATCHES_SCANNED('WHO', scanMax));
        break;
      }
      examined++;
      if (opersOnly && !target.isOper) continue;
      if (!isVisible(viewer, target)) continue;
      const matches =
        (target.server === null ? serverMatches : wildcardMatch(folded, registry.fold(target.server))) ||
        wildcardMatch(folded, target.folded) ||
        wildcardMatch(folded, registry.fold(target.username)) ||
        wildcardMatch(folded, registry.fold(target.host)) ||
        wildcardMatch(folded, registry.fold(target.realname)) ||
        ((viewer.isOper || viewer === target) && wildcardMatch(folded, target.ip));
      if (matches && !results.add(whoReply(ctx, target, null, whox))) break;
    }
  }
  ctx.reply(RPL_ENDOFWHO(mask));
}

export function handleWhois(ctx: CommandContext, msg: IrcMessage): void {
  // WHOIS [server] nick: with two parameters the first names a server.
  const [first, second] = msg.params as [string, string | undefined];
  if (second !== undefined && ctx.registry.findUser(first) === undefined && ctx.registry.fold(first) !== ctx.registry.fold(ctx.serverName)) {
    ctx.reply(ERR_NOSUCHSERVER(first));
    return;
  }
  const nicks = second ?? first;
  if (nicks === '') {
    ctx.reply(ERR_NONICKNAMEGIVEN());
    return;
  }
  const max = ctx.config.limits.targets;
  uniqueNames(commaList(nicks), ctx.registry.fold)
    .slice(0, max)
    .forEach((nick) => whoisOne(ctx, nick));
}

function whoisOne(ctx: CommandContext, nick: string): void {
  const viewer = ctx.user;
  const target = ctx.registry.findUser(nick);
  if (!target) {
    ctx.reply(ERR_NOSUCHNICK(nick));
    ctx.reply(RPL_ENDOFWHOIS(nick));
    return;
  }
  const privileged = viewer === target || viewer.isOper;
  ctx.reply(RPL_WHOISUSER(target.nick, target.username, target.host, target.realname));
  const channels: string[] = [];
  // +i hides a user from WHO and NAMES, not their public channels from WHOIS
  // (as in Ergo, InspIRCd and charybdis); secret channels only show to members and opers.
  for (const channel of target.channels) {
    if (!channel.isVisibleTo(viewer) && !viewer.isOper) continue;
    channels.push(channel.prefixOf(target, ctx.session.hasCap(CAP.MULTI_PREFIX)) + channel.name);
  }
  if (channels.length > 0) ctx.reply(RPL_WHOISCHANNELS(target.nick, channels.join(' ')));
  // Another node's user: its server name; every node of one network shares the description.
  ctx.reply(RPL_WHOISSERVER(target.nick, target.server ?? ctx.serverName, ctx.config.server.description));
  if (target.away !== null) ctx.reply(RPL_AWAY(target.nick, target.away));
  if (target.account !== null) ctx.reply(RPL_WHOISACCOUNT(target.nick, target.account));
  if (target.isOper) ctx.reply(RPL_WHOISOPERATOR(target.nick));
  if (target.isBot) ctx.reply(RPL_WHOISBOT(target.nick, ctx.config.server.network));
  if (target.secure) ctx.reply(RPL_WHOISSECURE(target.nick));
  if (target.certfp !== null && privileged) ctx.reply(RPL_WHOISCERTFP(target.nick, target.certfp));
  if (privileged) {
    ctx.reply(RPL_WHOISHOST(target.nick, target.username, target.host, target.ip));
    if (target.hasModes) ctx.reply(RPL_WHOISMODES(target.nick, target.modeString()));
  }
  if (ctx.session.hasCap(CAP.METADATA)) for (const [key, value] of target.metadata) ctx.reply(RPL_WHOISKEYVALUE(target.nick, key, '*', value));
  if (target.endpoint) ctx.reply(RPL_WHOISIDLE(target.nick, Math.max(0, ctx.nowSeconds() - target.lastSpokeAt), target.signonAt));
  ctx.reply(RPL_ENDOFWHOIS(target.nick));
}

export function handleWhowas(ctx: CommandContext, msg: IrcMessage): void {
  const nicks = uniqueNames(commaList(msg.params[0]), ctx.registry.fold);
  if (nicks.length === 0) {
    ctx.reply(ERR_NONICKNAMEGIVEN());
    return;
  }
  const count = Number(msg.params[1] ?? 0);
  const limit = Number.isInteger(count) && count > 0 ? count : 0;
  // At most whowas_results entries over all the nicks asked for; then 416, and
  // the nicks not reached get only their 369.
  const max = ctx.config.limits.whowas_results;
  let shown = 0;
  let capped = false;
  for (const nick of nicks.slice(0, ctx.config.limits.targets)) {
    const entries = capped ? [] : ctx.server.whowas.lookup(ctx.registry.fold(nick), limit);
    if (entries.length === 0 && !capped) ctx.reply(ERR_WASNOSUCHNICK(nick));
    for (const entry of entries) {
      if (shown === max) {
        ctx.reply(ERR_TOOMANYMATCHES('WHOWAS', max));
        capped = true;
        break;
      }
      shown++;
      ctx.reply(RPL_WHOWASUSER(entry.nick, entry.username, entry.host, entry.realname));
      ctx.reply(RPL_WHOISSERVER(entry.nick, entry.server, new Date(entry.at * 1000).toUTCString()));
    }
    ctx.reply(RPL_ENDOFWHOWAS(nick));
  }
}

export function handleAway(ctx: CommandContext, msg: IrcMessage): void {
  const text = msg.params[0];
  const user = ctx.user;
  const away = text === undefined || text === '' ? null : own(truncateUtf8(text, ctx.config.limits.away_length));
  const done = () => ctx.reply(away === null ? RPL_UNAWAY() : RPL_NOWAWAY());
  // Setting the same state again tells nobody.
  if (away === user.away) {
    done();
    return;
  }
  // away-notify: peers (and extended-monitor watchers), never the user themself.
  let wait = broadcastWait(ctx);
  if (wait === 0) wait = chargeBroadcast(ctx, audienceFor(ctx.registry, user, CAP.AWAY_NOTIFY, false).size);
  if (wait > 0) {
    refuseBroadcast(ctx, 'AWAY', wait);
    return;
  }
  done();
  ctx.emit({ type: 'user.away', origin: ctx.nodeId, userId: user.id, message: away, ...ctx.stamp() });
}

/** SETNAME: change the realname (https://ircv3.net/specs/extensions/setname). */
export function handleSetname(ctx: CommandContext, msg: IrcMessage): void {
  const realname = msg.params[0] ?? '';
  if (realname === '' || Buffer.byteLength(realname) > ctx.config.limits.realname_length) {
    ctx.standardReply('FAIL', 'SETNAME', 'INVALID_REALNAME', `Realname is not valid: 1 to ${ctx.config.limits.realname_length} bytes`);
    return;
  }
  const user = ctx.user;
  // Only clients with the setname capability hear of it; the sender's confirmation too.
  let wait = broadcastWait(ctx);
  if (wait === 0) wait = chargeBroadcast(ctx, audienceFor(ctx.registry, user, CAP.SETNAME, false).size);
  if (wait > 0) {
    refuseBroadcast(ctx, 'SETNAME', wait);
    return;
  }
  ctx.emit({ type: 'user.realname', origin: ctx.nodeId, userId: user.id, realname, ...ctx.stamp() });
}

export function handleIson(ctx: CommandContext, msg: IrcMessage): void {
  // Nicks may come as separate parameters or space-separated in one.
  const online: string[] = [];
  for (const param of msg.params) {
    for (const nick of param.split(' ')) {
      const user = nick ? ctx.registry.findUser(nick) : undefined;
      if (user) online.push(user.nick);
    }
  }
  ctx.reply(RPL_ISON(online));
}

export function handleUserhost(ctx: CommandContext, msg: IrcMessage): void {
  const entries: string[] = [];
  for (const nick of msg.params.slice(0, 5)) {
    const user = ctx.registry.findUser(nick);
    if (!user) continue;
    const host = user === ctx.user || ctx.user.isOper ? user.ip : user.host;
    entries.push(`${user.nick}${user.isOper ? '*' : ''}=${user.away !== null ? '-' : '+'}${user.username}@${host}`);
  }
  ctx.reply(RPL_USERHOST(entries));
}

export const userCommands: CommandSpec[] = [
  { verb: 'WHO', minParams: 0, penalty: 2000, handle: handleWho },
  { verb: 'WHOIS', minParams: 1, penalty: 1000, handle: handleWhois },
  { verb: 'WHOWAS', minParams: 1, penalty: 1000, handle: handleWhowas },
  { verb: 'AWAY', minParams: 0, penalty: 1000, handle: handleAway },
  { verb: 'SETNAME', minParams: 1, penalty: 2000, handle: handleSetname },
  { verb: 'ISON', minParams: 1, penalty: 500, handle: handleIson },
  { verb: 'USERHOST', minParams: 1, penalty: 500, handle: handleUserhost },
];
