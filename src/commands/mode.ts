/**
 * MODE for users (+i +w, -o) and channels (+Cimnst, +k, +l, +o/+v, and the
 * lists +b, +e, +I). https://modern.ircdocs.horse/#mode-message
 */
import type { Config } from '../config/schema.js';
import type { IrcMessage } from '../protocol/message.js';
import { formatModeChanges, parseModeString, type ModeChange } from '../protocol/modes.js';
import { isChannelName } from '../protocol/names.js';
import {
  ERR_BANLISTFULL,
  ERR_CHANOPRIVSNEEDED,
  ERR_INVALIDMODEPARAM,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_UMODEUNKNOWNFLAG,
  ERR_UNKNOWNMODE,
  ERR_USERNOTINCHANNEL,
  ERR_USERSDONTMATCH,
  RPL_BANLIST,
  RPL_CHANNELMODEIS,
  RPL_CREATIONTIME,
  RPL_ENDOFBANLIST,
  RPL_ENDOFEXCEPTLIST,
  RPL_ENDOFINVEXLIST,
  RPL_EXCEPTLIST,
  RPL_INVEXLIST,
  RPL_UMODEIS,
  type Reply,
} from '../protocol/replies.js';
import type { Channel, ListMode } from '../state/channel.js';
import { applyChannelMode, channelModeKind, parseChannelModes, type ModeRefusal } from '../state/channelmodes.js';
import { USER_MODES } from '../state/user.js';
import { CHANTYPES } from './channel.js';
import { storageRefusal, type CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

/** The list replies of each list mode: entry and end numerics. */
const LIST_REPLIES: Record<ListMode, { entry: (c: string, m: string, by: string, at: number) => Reply; end: (c: string) => Reply }> = {
  b: { entry: RPL_BANLIST, end: RPL_ENDOFBANLIST },
  e: { entry: RPL_EXCEPTLIST, end: RPL_ENDOFEXCEPTLIST },
  I: { entry: RPL_INVEXLIST, end: RPL_ENDOFINVEXLIST },
};

export function handleMode(ctx: CommandContext, msg: IrcMessage): void {
  const target = msg.params[0] as string;
  if (isChannelName(target, CHANTYPES)) channelMode(ctx, target, msg.params.slice(1));
  else userMode(ctx, target, msg.params[1]);
}

function userMode(ctx: CommandContext, nick: string, modeString: string | undefined): void {
  const user = ctx.user;
  const target = ctx.registry.findUser(nick);
  if (!target) {
    ctx.reply(ERR_NOSUCHNICK(nick));
    return;
  }
  if (target !== user) {
    ctx.reply(ERR_USERSDONTMATCH());
    return;
  }
  if (modeString === undefined) {
    ctx.reply(RPL_UMODEIS(user.modeString()));
    return;
  }
  const { changes, unknown } = parseModeString(modeString, [], (m) => (USER_MODES.includes(m) ? 'flag' : undefined));
  // Each letter once, in its last state, and only what changes (the effect applies them).
  const wanted = new Map<string, boolean>();
  for (const change of changes) {
    // +o comes only from OPER; anyone may drop it.
    if (change.mode === 'o' && change.adding) continue;
    wanted.delete(change.mode);
    wanted.set(change.mode, change.adding);
  }
  const applied: ModeChange[] = [];
  for (const [mode, adding] of wanted) if (user.hasMode(mode) !== adding) applied.push({ mode, adding });
  if (unknown.length > 0) ctx.reply(ERR_UMODEUNKNOWNFLAG());
  if (applied.length === 0) return;
  const { modes } = formatModeChanges(applied);
  ctx.emit({ type: 'user.mode', origin: ctx.nodeId, by: { user: user.id }, userId: user.id, modes, ...ctx.stamp() });
}

function channelMode(ctx: CommandContext, name: string, args: string[]): void {
  const channel = ctx.registry.findChannel(name);
  if (!channel || !channel.isVisibleTo(ctx.user)) {
    ctx.reply(ERR_NOSUCHCHANNEL(name));
    return;
  }
  const [modeString, ...params] = args;
  if (modeString === undefined) {
    const { modes, params: modeParams } = channel.modeString(channel.has(ctx.user));
    ctx.reply(RPL_CHANNELMODEIS(channel.name, modes, modeParams));
    ctx.reply(RPL_CREATIONTIME(channel.name, channel.createdAt));
    return;
  }

  const { changes, unknown } = parseChannelModes(modeString, params);
  for (const mode of unknown) ctx.reply(ERR_UNKNOWNMODE(mode));

  const isOp = channel.isOp(ctx.user);
  const applied: ModeChange[] = [];
  const listed = new Set<string>();
  let paramChanges = 0;
  let refused = false;
  for (const change of changes) {
    const kind = channelModeKind(change.mode);
    if (kind === 'list' && change.param === undefined) {
      if (!listed.has(change.mode)) sendList(ctx, channel, change.mode as ListMode);
      listed.add(change.mode);
      continue;
    }
    if (!isOp) {
      refused = true;
      continue;
    }
    if (change.param !== undefined && ++paramChanges > ctx.config.limits.modes_per_command) continue;
    const done = applyChannelChange(ctx, channel, change);
    if (done) applied.push(done);
  }
  if (refused) ctx.reply(ERR_CHANOPRIVSNEEDED(channel.name));
  if (applied.length === 0) return;
  const { modes, params: outParams } = formatModeChanges(applied);
  // Applied above, with the checks only this node makes; the effect tells the members and the other nodes.
  ctx.emit({ type: 'channel.mode', origin: ctx.nodeId, by: { user: ctx.user.id }, channel: channel.name, modes, params: outParams, ...ctx.stamp() });
}

function sendList(ctx: CommandContext, channel: Channel, mode: ListMode): void {
  const replies = LIST_REPLIES[mode];
  for (const entry of channel.lists[mode]) ctx.reply(replies.entry(channel.name, entry.mask, entry.setBy, entry.setAt));
  ctx.reply(replies.end(channel.name));
}

/** Apply one change through state/channelmodes.ts and answer a refusal with the numeric MODE has always sent. */
function applyChannelChange(ctx: CommandContext, channel: Channel, change: ModeChange): ModeChange | null {
  const { limits } = ctx.config;
  const outcome = applyChannelMode(ctx.registry, channel, change, ctx.user, { trusted: false, limits, now: ctx.nowSeconds() });
  if (outcome === null || !('refused' in outcome)) return outcome;
  ctx.reply(refusalReply(channel, change, outcome, limits));
  return null;
}

function refusalReply(channel: Channel, change: ModeChange, refusal: ModeRefusal, limits: Config['limits']): Reply {
  switch (refusal.refused) {
    case 'no-such-nick':
      return ERR_NOSUCHNICK(refusal.nick);
    case 'not-on-channel':
      return ERR_USERNOTINCHANNEL(refusal.nick, channel.name);
    case 'mask-too-long':
      return ERR_INVALIDMODEPARAM(channel.name, change.mode, '*', `Mask too long: at most ${refusal.maxBytes} bytes`);
    case 'list-full':
      return ERR_BANLISTFULL(channel.name, change.mode, `Channel list is full: +b, +e and +I hold ${refusal.maxEntries} entries together`);
    case 'storage':
      return ERR_BANLISTFULL(channel.name, change.mode, storageRefusal(refusal.limit, limits));
    case 'invalid-key':
      return ERR_INVALIDMODEPARAM(channel.name, 'k', '*', `Invalid key: 1 to ${refusal.maxLength} printable characters without spaces or commas`);
    case 'invalid-limit':
      return ERR_INVALIDMODEPARAM(channel.name, 'l', refusal.param, 'Invalid limit: a positive number of users');
  }
}

export const modeCommands: CommandSpec[] = [{ verb: 'MODE', minParams: 1, penalty: 1000, handle: handleMode }];
