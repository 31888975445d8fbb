/**
 * MODE for users (+i +w, -o) and channels (+Cimnst, +k, +l, +o/+v, and the
 * lists +b, +e, +I). https://modern.ircdocs.horse/#mode-message
 */
import type { IrcMessage } from '../protocol/message.js';
import { formatModeChanges, parseModeString, type ModeChange, type ModeKind } from '../protocol/modes.js';
import { isChannelName, isValidChannelKey } from '../protocol/names.js';
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
import { FLAG_MODES, LIST_MODES, STATUS_MODES, type Channel, type ListEntry, type ListMode } from '../state/channel.js';
import { listEntryCost, own } from '../state/budget.js';
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

export function channelModeKind(mode: string): ModeKind | undefined {
  if (LIST_MODES.includes(mode)) return 'list';
  if (mode === 'k' || STATUS_MODES.some((s) => s.mode === mode)) return 'always';
  if (mode === 'l') return 'onSet';
  if (FLAG_MODES.includes(mode)) return 'flag';
  return undefined;
}

/**
 * Complete a ban-style mask: `nick` -> `nick!*@*`, `user@host` -> `*!user@host`,
 * `host.name` -> `*!*@host.name`, `nick!user` -> `nick!user@*`.
 */
export function normalizeMask(mask: string): string {
  let nick = '*';
  let user = '*';
  let host = '*';
  const at = mask.lastIndexOf('@');
  const bang = mask.indexOf('!');
  if (bang >= 0 && (at < 0 || bang < at)) {
    nick = mask.slice(0, bang);
    if (at >= 0) {
      user = mask.slice(bang + 1, at);
      host = mask.slice(at + 1);
    } else {
      user = mask.slice(bang + 1);
    }
  } else if (at >= 0) {
    user = mask.slice(0, at);
    host = mask.slice(at + 1);
  } else if (mask.includes('.') || mask.includes(':')) {
    host = mask;
  } else {
    nick = mask;
  }
  return `${nick || '*'}!${user || '*'}@${host || '*'}`;
}

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

  const parsed = parseModeString(modeString, params, channelModeKind);
  for (const mode of parsed.unknown) ctx.reply(ERR_UNKNOWNMODE(mode));
  // `MODE #c -k` without the key is common and harmless: accept it.
  const changes = parsed.changes.concat(parsed.missingParam.filter((c) => c.mode === 'k' && !c.adding));

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

/** Apply one change; returns the change as it should be announced, or null if nothing changed. */
function applyChannelChange(ctx: CommandContext, channel: Channel, change: ModeChange): ModeChange | null {
  const { mode, adding, param } = change;
  const { registry, config } = ctx;

  const status = STATUS_MODES.find((s) => s.mode === mode);
  if (status) {
    const member = registry.findUser(param as string);
    if (!member) {
      ctx.reply(ERR_NOSUCHNICK(param as string));
      return null;
    }
    const bits = channel.members.get(member);
    if (bits === undefined) {
      ctx.reply(ERR_USERNOTINCHANNEL(member.nick, channel.name));
      return null;
    }
    const next = adding ? bits | status.bit : bits & ~status.bit;
    if (next === bits) return null;
    channel.members.set(member, next);
    return { adding, mode, param: member.nick };
  }

  if (LIST_MODES.includes(mode)) {
    const list = channel.lists[mode as ListMode];
    const mask = normalizeMask(param as string);
    const folded = registry.fold(mask);
    const index = list.findIndex((entry) => registry.fold(entry.mask) === folded);
    if (adding) {
      if (index >= 0) return null;
      const { mask_length, list_entries } = config.limits;
      if (Buffer.byteLength(mask) > mask_length) {
        ctx.reply(ERR_INVALIDMODEPARAM(channel.name, mode, '*', `Mask too long: at most ${mask_length} bytes`));
        return null;
      }
      // One total for b, e and I, as MAXLIST=beI:N says.
      if (channel.listEntryCount >= list_entries) {
        ctx.reply(ERR_BANLISTFULL(channel.name, mode, `Channel list is full: +b, +e and +I hold ${list_entries} entries together`));
        return null;
      }
      const entry: ListEntry = { mask: own(mask), setBy: ctx.user.mask, setAt: ctx.nowSeconds(), byOper: ctx.user.isOper, owner: ctx.user.id };
      const refusal = ctx.store(listEntryCost(entry.mask, entry.setBy));
      if (refusal !== null) {
        ctx.reply(ERR_BANLISTFULL(channel.name, mode, storageRefusal(refusal, config.limits)));
        return null;
      }
      list.push(entry);
      return { adding, mode, param: mask };
    }
    if (index < 0) return null;
    const [removed] = list.splice(index, 1) as [ListEntry];
    // Credited to whoever set it, whoever removes it.
    registry.budget.credit(removed.owner, listEntryCost(removed.mask, removed.setBy));
    return { adding, mode, param: removed.mask };
  }

  if (mode === 'k') {
    if (!adding) {
      if (channel.key === null) return null;
      channel.key = null;
      return { adding, mode, param: '*' };
    }
    if (!isValidChannelKey(param as string, config.limits.key_length)) {
      ctx.reply(ERR_INVALIDMODEPARAM(channel.name, 'k', '*', 'Invalid key: 1 to ' + config.limits.key_length + ' printable characters without spaces or commas'));
      return null;
    }
    if (channel.key === param) return null;
    channel.key = param as string;
    return { adding, mode, param };
  }

  if (mode === 'l') {
    if (!adding) {
      if (channel.limit === null) return null;
      channel.limit = null;
      return { adding, mode };
    }
    const limit = /^\d+$/.test(param as string) ? Number(param) : NaN;
    if (!(limit > 0 && limit <= 1_000_000)) {
      ctx.reply(ERR_INVALIDMODEPARAM(channel.name, 'l', param as string, 'Invalid limit: a positive number of users'));
      return null;
    }
    if (channel.limit === limit) return null;
    channel.limit = limit;
    return { adding, mode, param: String(limit) };
  }

  // Flag modes: i m n s t.
  if (channel.flags.has(mode) === adding) return null;
  if (adding) channel.flags.add(mode);
  else channel.flags.delete(mode);
  return { adding, mode };
}

export const modeCommands: CommandSpec[] = [{ verb: 'MODE', minParams: 1, penalty: 1000, handle: handleMode }];
