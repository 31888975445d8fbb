/**
 * Channel membership and channel information: JOIN, PART, TOPIC, NAMES, LIST,
 * KICK, INVITE. https://modern.ircdocs.horse/#channel-operations
 */
import type { IrcMessage } from '../protocol/message.js';
import { isValidChannelName } from '../protocol/names.js';
import { CAP } from '../protocol/caps.js';
import {
  ERR_BADCHANNELKEY,
  ERR_BANNEDFROMCHAN,
  ERR_CHANNELISFULL,
  ERR_CHANOPRIVSNEEDED,
  ERR_INVITEONLYCHAN,
  ERR_NEEDMOREPARAMS,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTONCHANNEL,
  ERR_TOOMANYCHANNELS,
  ERR_TOOMANYTARGETS,
  ERR_USERNOTINCHANNEL,
  ERR_UNAVAILRESOURCE,
  ERR_USERONCHANNEL,
  RPL_AWAY,
  RPL_ENDOFINVITELIST,
  RPL_ENDOFNAMES,
  RPL_INVITELIST,
  RPL_INVITING,
  RPL_LIST,
  RPL_LISTEND,
  RPL_LISTSTART,
  RPL_NAMREPLY,
  RPL_NOTOPIC,
  RPL_TOPIC,
  RPL_TOPICWHOTIME,
  type Reply,
} from '../protocol/replies.js';
import { truncateUtf8 } from '../protocol/serialize.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import { channelCost, INVITE_COST } from '../state/budget.js';
import { OP, type Channel, type JoinRefusal } from '../state/channel.js';
import type { User } from '../state/user.js';
import type { ChannelClaim } from '../bus/directory.js';
import { CappedReplies, type CommandContext } from './context.js';
import { syncOnJoin } from './metadata.js';
import { markerOnJoin } from './readmarker.js';
import { replayOnJoin } from './chathistory.js';
import { autoModesOnJoin } from '../services/chanserv.js';
import type { CommandSpec } from './spec.js';
import { uniqueByFold, uniqueNames } from './targets.js';

export const CHANTYPES = '#';

const JOIN_REFUSALS: Record<JoinRefusal, (channel: string) => Reply> = {
  banned: ERR_BANNEDFROMCHAN,
  'invite-only': ERR_INVITEONLYCHAN,
  'bad-key': ERR_BADCHANNELKEY,
  full: ERR_CHANNELISFULL,
};

/** Split a comma list, dropping empty items. */
export function commaList(param: string | undefined): string[] {
  if (!param) return [];
  // One target is the usual case (every PRIVMSG to one nick or channel): no split, no filter.
  if (param.indexOf(',') < 0) return [param];
  return param.split(',').filter((item) => item.length > 0);
}

export function handleJoin(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const names = msg.params[0] as string;
  if (names === '0') {
    partAll(ctx);
    return;
  }
  const keys = commaList(msg.params[1]);
  // Keys pair with the names by position; a repeated name keeps its first key.
  const pairs = commaList(names).map((name, index) => ({ name, key: keys[index] }));
  const unique = uniqueByFold(pairs, ctx.registry.fold, (pair) => pair.name);
  // No JOIN can take a user past channels_per_user, so no more distinct targets
  // than that are looked at (TARGMAX JOIN): a refused JOIN costs a ban-list check.
  const max = ctx.config.limits.channels_per_user;
  const dropped = unique[max];
  const tooMany = () => {
    if (dropped) ctx.reply(ctx.user.channels.size >= max ? ERR_TOOMANYCHANNELS(dropped.name) : ERR_TOOMANYTARGETS(dropped.name, max));
  };
  // One after another: a new channel on a network of nodes waits for the directory.
  const joins = unique.slice(0, max);
  const next = (index: number): void | Promise<void> => {
    for (let k = index; k < joins.length; k++) {
      const { name, key } = joins[k] as { name: string; key: string | undefined };
      const pending = joinOne(ctx, name, key);
      if (pending !== undefined) return pending.then(() => next(k + 1));
    }
    tooMany();
  };
  return next(0);
}

/**
 * JOIN one channel. A channel this node does not know is new, or (on a
 * network of nodes) made elsewhere a moment ago: the directory says which,
 * and only its creator gets ops. `claim` is the directory's answer, once
 * asked.
 */
function joinOne(ctx: CommandContext, name: string, key: string | undefined, claim?: ChannelClaim): Promise<void> | undefined {
  const { user, registry, config } = ctx;
  if (user.endpoint === null) return undefined;
  if (!isValidChannelName(name, CHANTYPES, config.limits.channel_length)) {
    ctx.reply(ERR_NOSUCHCHANNEL(name));
    return undefined;
  }
  const existing = registry.findChannel(name);
  if (existing?.has(user)) return undefined;
  if (user.channels.size >= config.limits.channels_per_user) {
    ctx.reply(ERR_TOOMANYCHANNELS(name));
    return undefined;
  }
  if (existing) {
    const refusal = existing.joinRefusal(user, key, registry.fold);
    if (refusal) {
      ctx.reply(JOIN_REFUSALS[refusal](existing.name));
      return undefined;
    }
  }
  const directory = ctx.server.directory;
  if (existing === undefined && directory !== null && claim === undefined) {
    return directory.claimChannel(registry.fold(name), ctx.nodeId).then((answer) => joinOne(ctx, name, key, answer));
  }
  if (existing === undefined && claim === 'unavailable') {
    ctx.reply(ERR_UNAVAILRESOURCE(name));
    return undefined;
  }
  // A new channel is charged to its creator until it goes (limits.user_state_bytes).
  const cost = existing ? 0 : channelCost(name, registry.fold(name));
  const refusal = cost === 0 ? null : ctx.store(cost);
  if (refusal !== null) {
    if (claim === 'created') void directory?.releaseChannel(registry.fold(name));
    ctx.failStore('JOIN', refusal, [name]);
    return undefined;
  }
  // A new channel is made by the JOIN's effect (network/channels.ts); its creator gets ops.
  const founder = existing === undefined && claim !== 'exists';
  const created = existing === undefined ? { at: ctx.nowSeconds(), flags: ctx.config.channels.default_modes.replace('+', '') } : null;
  ctx.emit({ type: 'channel.join', origin: ctx.nodeId, userId: user.id, channel: existing?.name ?? name, status: founder ? OP : 0, created, ...ctx.stamp() });
  const channel = registry.findChannel(name) as Channel;
  // Before NAMES, so that it shows the status ChanServ gives.
  autoModesOnJoin(ctx, channel);
  if (channel.topic) {
    ctx.reply(RPL_TOPIC(channel.name, channel.topic));
    ctx.reply(RPL_TOPICWHOTIME(channel.name, channel.topicSetBy, channel.topicSetAt));
  }
  sendNamReplies(ctx, channel);
  markerOnJoin(ctx, channel);
  ctx.reply(RPL_ENDOFNAMES(channel.name));
  syncOnJoin(ctx, channel);
  ctx.server.joinedFromOneSession?.(user, channel, ctx.session);
  return replayOnJoin(ctx, channel);
}

/** JOIN 0: leave every channel. */
function partAll(ctx: CommandContext): void {
  for (const channel of [...ctx.user.channels]) partOne(ctx, channel, null);
}

function partOne(ctx: CommandContext, channel: Channel, reason: string | null): void {
  ctx.emit({ type: 'channel.part', origin: ctx.nodeId, userId: ctx.user.id, channel: channel.name, reason, ...ctx.stamp() });
}

export function handlePart(ctx: CommandContext, msg: IrcMessage): void {
  const reason = msg.params[1] ?? null;
  for (const name of uniqueNames(commaList(msg.params[0]), ctx.registry.fold)) {
    const channel = ctx.registry.findChannel(name);
    if (!channel) ctx.reply(ERR_NOSUCHCHANNEL(name));
    else if (!channel.has(ctx.user)) ctx.reply(ERR_NOTONCHANNEL(channel.name));
    else partOne(ctx, channel, reason);
  }
}

export function handleTopic(ctx: CommandContext, msg: IrcMessage): void {
  const name = msg.params[0] as string;
  const channel = ctx.registry.findChannel(name);
  if (!channel || !channel.isVisibleTo(ctx.user)) {
    ctx.reply(ERR_NOSUCHCHANNEL(name));
    return;
  }
  const text = msg.params[1];
  if (text === undefined) {
    if (!channel.topic) ctx.reply(RPL_NOTOPIC(channel.name));
    else {
      ctx.reply(RPL_TOPIC(channel.name, channel.topic));
      ctx.reply(RPL_TOPICWHOTIME(channel.name, channel.topicSetBy, channel.topicSetAt));
    }
    return;
  }
  if (!channel.has(ctx.user)) {
    ctx.reply(ERR_NOTONCHANNEL(channel.name));
    return;
  }
  if (channel.flags.has('t') && !channel.isOp(ctx.user)) {
    ctx.reply(ERR_CHANOPRIVSNEEDED(channel.name));
    return;
  }
  const topic = truncateUtf8(text, ctx.config.limits.topic_length);
  const stamp = ctx.stamp();
  const setAt = Math.floor(stamp.time / 1000);
  // Charged to whoever set it last (the old setter is credited); refused past the caller's limits.
  const set = ctx.registry.setTopic(channel, topic, ctx.user, setAt, { trusted: false, limits: ctx.config.limits });
  if (typeof set === 'object') {
    ctx.failStore('TOPIC', set.limit, [channel.name]);
    return;
  }
  ctx.emit({ type: 'channel.topic', origin: ctx.nodeId, by: { user: ctx.user.id }, channel: channel.name, topic, setBy: ctx.user.mask, setAt, ...stamp });
}

/** 353 lines and 366 for one channel, as after a JOIN. */
export function sendNames(ctx: CommandContext, channel: Channel): void {
  sendNamReplies(ctx, channel);
  ctx.reply(RPL_ENDOFNAMES(channel.name));
}

/**
 * The 353 lines for one channel, as many as the 512-byte limit needs.
 * multi-prefix shows every prefix of a member, userhost-in-names their full mask.
 * With `capped`, lines go through it and stop once it is full (false returned).
 */
function sendNamReplies(ctx: CommandContext, channel: Channel, capped?: CappedReplies): boolean {
  const viewer = ctx.user;
  const isMember = channel.has(viewer);
  const symbol = channel.flags.has('s') ? '@' : '=';
  const allPrefixes = ctx.session.hasCap(CAP.MULTI_PREFIX);
  const fullMask = ctx.session.hasCap(CAP.USERHOST_IN_NAMES);
  // Room for ":server 353 nick = #channel :" plus CRLF.
  const budget = 510 - (ctx.serverName.length + viewer.nick.length + channel.name.length + 12);
  const emit = (text: string): boolean => {
    const reply = RPL_NAMREPLY(symbol, channel.name, text);
    if (capped) return capped.add(reply);
    ctx.reply(reply);
    return true;
  };
  let line = '';
  for (const member of channel.members.keys()) {
    if (!isMember && member.isInvisible) continue;
    const entry = channel.prefixOf(member, allPrefixes) + (fullMask ? member.mask : member.nick);
    if (line.length > 0 && line.length + 1 + entry.length > budget) {
      if (!emit(line)) return false;
      line = entry;
    } else {
      line = line.length > 0 ? `${line} ${entry}` : entry;
    }
  }
  return line.length > 0 ? emit(line) : true;
}

export function handleNames(ctx: CommandContext, msg: IrcMessage): void {
  const names = uniqueNames(commaList(msg.params[0]), ctx.registry.fold);
  if (names.length === 0) {
    // Listing every channel on the network is what RFC 1459 did; like Ergo we
    // answer only the end marker (https://modern.ircdocs.horse/#names-message).
    ctx.reply(RPL_ENDOFNAMES('*'));
    return;
  }
  // At most limits.targets channels (TARGMAX NAMES) and names_results 353
  // lines in all (then 416), as WHO and LIST are capped.
  const { targets, names_results: maxLines } = ctx.config.limits;
  const asked = names.slice(0, targets);
  if (names.length > targets) ctx.reply(ERR_TOOMANYTARGETS(names[targets] as string, targets));
  // The 353s of every channel asked for, then one 366 naming the request (RFC 2812 3.2.5).
  const lines = new CappedReplies(ctx, 'NAMES', maxLines);
  for (const name of asked) {
    const channel = ctx.registry.findChannel(name);
    if (channel && channel.isVisibleTo(ctx.user) && !sendNamReplies(ctx, channel, lines)) break;
  }
  ctx.reply(RPL_ENDOFNAMES(asked.length === 1 ? (asked[0] as string) : asked.join(',')));
}

/**
 * One ELIST term of LIST (ELIST=CMNTU): `>n` / `<n` users, `C>n` / `C<n` minutes
 * since creation, `T>n` / `T<n` minutes since the topic was set, a mask, or
 * `!mask`. Masks are alternatives; the other terms must all hold.
 */
interface ListTerm {
  isMask: boolean;
  test(channel: Channel, now: number): boolean;
}

function parseListTerm(token: string, fold: (s: string) => string): ListTerm | null {
  const m = /^([CT]?)([<>])(\d+)$/.exec(token);
  if (m) {
    const [, field, op, raw] = m;
    const n = Number(raw);
    if (field === '') return { isMask: false, test: (c) => (op === '>' ? c.members.size > n : c.members.size < n) };
    return {
      isMask: false,
      test: (c, now) => {
        const at = field === 'C' ? c.createdAt : c.topicSetAt;
        if (field === 'T' && at === 0) return false;
        const minutes = (now - at) / 60;
        return op === '>' ? minutes > n : minutes < n;
      },
    };
  }
  const negate = token.startsWith('!');
  const mask = fold(negate ? token.slice(1) : token);
  if (mask.length === 0) return null;
  return { isMask: true, test: (c) => wildcardMatch(mask, c.folded) !== negate };
}

export function handleList(ctx: CommandContext, msg: IrcMessage): void {
  const { registry, user } = ctx;
  const terms = commaList(msg.params[0])
    .map((token) => parseListTerm(token, registry.fold))
    .filter((term): term is ListTerm => term !== null);
  const masks = terms.filter((term) => term.isMask);
  const conditions = terms.filter((term) => !term.isMask);
  const now = ctx.nowSeconds();
  const results = new CappedReplies(ctx, 'LIST', ctx.config.limits.list_results);
  ctx.reply(RPL_LISTSTART());
  for (const channel of registry.channels.values()) {
    if (!channel.isVisibleTo(user)) continue;
    if (masks.length > 0 && !masks.some((term) => term.test(channel, now))) continue;
    if (!conditions.every((term) => term.test(channel, now))) continue;
    if (!results.add(RPL_LIST(channel.name, visibleCount(channel, user), channel.topic))) break;
  }
  ctx.reply(RPL_LISTEND());
}

/** Members a viewer may count: invisible users are hidden from non-members. */
function visibleCount(channel: Channel, viewer: User): number {
  if (channel.has(viewer)) return channel.members.size;
  let n = 0;
  for (const member of channel.members.keys()) if (!member.isInvisible) n++;
  return n;
}

export function handleKick(ctx: CommandContext, msg: IrcMessage): void {
  const channels = commaList(msg.params[0]);
  const targets = commaList(msg.params[1]);
  const reason = truncateUtf8(msg.params[2] || ctx.user.nick, ctx.config.limits.kick_length);
  // Either one channel and several nicks, or pairs of channel and nick.
  if (channels.length !== 1 && channels.length !== targets.length) {
    ctx.reply(ERR_NEEDMOREPARAMS('KICK'));
    return;
  }
  const max = ctx.config.limits.targets;
  targets.forEach((nick, index) => {
    if (index >= max) {
      ctx.reply(ERR_TOOMANYTARGETS(nick, max));
      return;
    }
    kickOne(ctx, channels[channels.length === 1 ? 0 : index] as string, nick, reason);
  });
}

function kickOne(ctx: CommandContext, name: string, nick: string, reason: string): void {
  const channel = ctx.registry.findChannel(name);
  if (!channel) {
    ctx.reply(ERR_NOSUCHCHANNEL(name));
    return;
  }
  if (!channel.has(ctx.user)) {
    ctx.reply(ERR_NOTONCHANNEL(channel.name));
    return;
  }
  if (!channel.isOp(ctx.user)) {
    ctx.reply(ERR_CHANOPRIVSNEEDED(channel.name));
    return;
  }
  const target = ctx.registry.findUser(nick);
  if (!target) {
    ctx.reply(ERR_NOSUCHNICK(nick));
    return;
  }
  if (!channel.has(target)) {
    ctx.reply(ERR_USERNOTINCHANNEL(target.nick, channel.name));
    return;
  }
  const by = { user: ctx.user.id };
  ctx.emit({ type: 'channel.kick', origin: ctx.nodeId, by, channel: channel.name, targetId: target.id, reason, onlyTarget: false, ...ctx.stamp() });
}

export function handleInvite(ctx: CommandContext, msg: IrcMessage): void {
  if (msg.params.length === 0) {
    // No parameters: the channels the caller is invited to.
    for (const channel of ctx.user.invitedTo) ctx.reply(RPL_INVITELIST(channel.name));
    ctx.reply(RPL_ENDOFINVITELIST());
    return;
  }
  if (msg.params.length < 2) {
    ctx.reply(ERR_NEEDMOREPARAMS('INVITE'));
    return;
  }
  const [nick, name] = msg.params as [string, string];
  const target = ctx.registry.findUser(nick);
  if (!target) {
    ctx.reply(ERR_NOSUCHNICK(nick));
    return;
  }
  const channel = ctx.registry.findChannel(name);
  if (!channel) {
    ctx.reply(ERR_NOSUCHCHANNEL(name));
    return;
  }
  if (!channel.has(ctx.user)) {
    ctx.reply(ERR_NOTONCHANNEL(channel.name));
    return;
  }
  if (channel.flags.has('i') && !channel.isOp(ctx.user)) {
    ctx.reply(ERR_CHANOPRIVSNEEDED(channel.name));
    return;
  }
  if (channel.has(target)) {
    ctx.reply(ERR_USERONCHANNEL(target.nick, channel.name));
    return;
  }
  // A pending invite is charged to the inviter until it is used or the channel goes.
  if (!channel.invited.has(target)) {
    const refusal = ctx.store(INVITE_COST);
    if (refusal !== null) {
      ctx.failStore('INVITE', refusal, [target.nick, channel.name]);
      return;
    }
  }
  ctx.reply(RPL_INVITING(target.nick, channel.name));
  if (target.away !== null) ctx.reply(RPL_AWAY(target.nick, target.away));
  // The invite itself is stored by the effect (network/channels.ts), which tells the invitee and invite-notify.
  ctx.emit({ type: 'channel.invite', origin: ctx.nodeId, userId: ctx.user.id, targetId: target.id, channel: channel.name, ...ctx.stamp() });
}

export const channelCommands: CommandSpec[] = [
  { verb: 'JOIN', minParams: 1, penalty: 2000, handle: handleJoin },
  { verb: 'PART', minParams: 1, penalty: 1000, handle: handlePart },
  { verb: 'TOPIC', minParams: 1, penalty: 1000, handle: handleTopic },
  { verb: 'NAMES', minParams: 0, penalty: 1000, handle: handleNames },
  { verb: 'LIST', minParams: 0, penalty: 2000, handle: handleList },
  { verb: 'KICK', minParams: 2, penalty: 1000, handle: handleKick },
  { verb: 'INVITE', minParams: 0, penalty: 2000, handle: handleInvite },
];
