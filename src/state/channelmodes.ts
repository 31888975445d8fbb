/**
 * What channel modes mean: applying one change (+o nick, +b mask, +k key, +l
 * number, a flag) to a channel. The MODE command applies through here after
 * its permission checks, and so does a replica applying a change announced by
 * another node, so both end up with the same channel.
 *
 * A local change is refused when it breaks a limit (mask length, list size,
 * key length, the storage budget); a trusted one (announced by the node that
 * already checked those limits) is applied whatever this node's limits say,
 * because a replica must converge with its origin, never diverge from it.
 * What no node could have admitted (a key with a space, +l that is not a
 * number, a nick or member this node does not know) is refused either way.
 */
import { parseModeString, type ModeChange, type ModeKind, type ParsedModes } from '../protocol/modes.js';
import { isValidChannelKey } from '../protocol/names.js';
import { listEntryCost, own, type BudgetLimits, type BudgetRefusal } from './budget.js';
import { FLAG_MODES, LIST_MODES, STATUS_MODES, type Channel, type ListEntry, type ListMode } from './channel.js';
import type { Registry } from './registry.js';

/** The highest +l accepted: a sanity bound on the number, not a setting. */
export const MAX_CHANNEL_LIMIT = 1_000_000;

/** Who makes a change: list entries record their mask and oper flag and are charged to their id. A User is one. */
export interface ModeActor {
  readonly id: string;
  readonly mask: string;
  readonly isOper: boolean;
}

/** The limits a local change must keep (the same keys as the config's `limits`). */
export interface ChannelModeLimits extends BudgetLimits {
  mask_length: number;
  list_entries: number;
  key_length: number;
}

/** `now` (Unix seconds) is when list entries are set. */
export type ModeOptions =
  /** A change made here: refused when it breaks `limits`. */
  | { trusted: false; limits: ChannelModeLimits; now: number }
  /** A change another node made and checked: applied whatever this node's limits, still charged to its owner. */
  | { trusted: true; now: number };

/** Why a change was not applied, with what the reply needs. */
export type ModeRefusal =
  | { refused: 'no-such-nick'; nick: string }
  | { refused: 'not-on-channel'; nick: string }
  | { refused: 'mask-too-long'; maxBytes: number }
  | { refused: 'list-full'; maxEntries: number }
  | { refused: 'storage'; limit: BudgetRefusal }
  | { refused: 'invalid-key'; maxLength: number }
  | { refused: 'invalid-limit'; param: string };

/**
 * The change as it must be announced (nick as the member now spells it, the
 * completed mask, `*` for -k, the canonical number for +l), null when it
 * changed nothing, or why it was refused.
 */
export type ModeOutcome = ModeChange | ModeRefusal | null;

/** How a channel mode takes its parameter (see protocol/modes.ts), or undefined for a mode Obrol does not know. */
export function channelModeKind(mode: string): ModeKind | undefined {
  if (LIST_MODES.includes(mode)) return 'list';
  if (mode === 'k' || STATUS_MODES.some((s) => s.mode === mode)) return 'always';
  if (mode === 'l') return 'onSet';
  if (FLAG_MODES.includes(mode)) return 'flag';
  return undefined;
}

/**
 * Split a channel mode string into changes. `-k` without its key is kept as
 * a change: clients commonly send it so, and removing the key needs none.
 */
export function parseChannelModes(modes: string, params: readonly string[]): ParsedModes {
  const parsed = parseModeString(modes, params, channelModeKind);
  const keyRemovals = parsed.missingParam.filter((c) => c.mode === 'k' && !c.adding);
  return { ...parsed, changes: parsed.changes.concat(keyRemovals), missingParam: parsed.missingParam.filter((c) => !keyRemovals.includes(c)) };
}

/**
 * Complete a ban-style mask: `nick` -> `nick!*@*`, `user@host` -> `*!user@host`,
 * `host.name` -> `*!*@host.name`, `nick!user` -> `nick!user@*`. A complete
 * mask comes back unchanged, so an announced mask normalises to itself.
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

/**
 * Apply one change to `channel`. A change that needs a parameter must carry
 * one (parseModeString drops those that lack it), except -k, which needs none.
 * A list mode without a parameter is a query, not a change: it changes
 * nothing here (null) and the caller answers it.
 */
export function applyChannelMode(registry: Registry, channel: Channel, change: ModeChange, actor: ModeActor, options: ModeOptions): ModeOutcome {
  const { mode, adding } = change;
  const param = change.param ?? '';
  const status = STATUS_MODES.find((s) => s.mode === mode);
  if (status) return applyStatus(registry, channel, adding, status.mode, status.bit, param);
  if (LIST_MODES.includes(mode)) {
    if (change.param === undefined) return null;
    return applyListEntry(registry, channel, adding, mode as ListMode, param, actor, options);
  }
  if (mode === 'k') return applyKey(channel, adding, param, options);
  if (mode === 'l') return applyLimit(channel, adding, param);
  if (!FLAG_MODES.includes(mode)) return null;
  if (channel.flags.has(mode) === adding) return null;
  if (adding) channel.flags.add(mode);
  else channel.flags.delete(mode);
  return { adding, mode };
}

/**
 * Parse an announced mode string (`+o-k nick *`) and apply each change, as a
 * replica does with another node's `channel.mode` event. Returns the changes
 * that changed something here; a refused one (a nick this node does not know)
 * is skipped, as are list queries and unknown modes.
 */
export function applyModeString(
  registry: Registry,
  channel: Channel,
  modes: string,
  params: readonly string[],
  actor: ModeActor,
  options: ModeOptions,
): ModeChange[] {
  const applied: ModeChange[] = [];
  for (const change of parseChannelModes(modes, params).changes) {
    const outcome = applyChannelMode(registry, channel, change, actor, options);
    if (outcome !== null && !('refused' in outcome)) applied.push(outcome);
  }
  return applied;
}

function applyStatus(registry: Registry, channel: Channel, adding: boolean, mode: string, bit: number, nick: string): ModeOutcome {
  const member = registry.findUser(nick);
  if (!member) return { refused: 'no-such-nick', nick };
  const bits = channel.members.get(member);
  if (bits === undefined) return { refused: 'not-on-channel', nick: member.nick };
  const next = adding ? bits | bit : bits & ~bit;
  if (next === bits) return null;
  channel.members.set(member, next);
  return { adding, mode, param: member.nick };
}

function applyListEntry(
  registry: Registry,
  channel: Channel,
  adding: boolean,
  mode: ListMode,
  param: string,
  actor: ModeActor,
  options: ModeOptions,
): ModeOutcome {
  const list = channel.lists[mode];
  const mask = normalizeMask(param);
  const folded = registry.fold(mask);
  const index = list.findIndex((entry) => registry.fold(entry.mask) === folded);
  if (!adding) {
    if (index < 0) return null;
    const [removed] = list.splice(index, 1) as [ListEntry];
    // Credited to whoever set it, whoever removes it.
    registry.budget.credit(removed.owner, listEntryCost(removed.mask, removed.setBy));
    return { adding, mode, param: removed.mask };
  }
  if (index >= 0) return null;
  const entry: ListEntry = { mask: own(mask), setBy: own(actor.mask), setAt: options.now, byOper: actor.isOper, owner: actor.id };
  const cost = listEntryCost(entry.mask, entry.setBy);
  if (options.trusted) {
    registry.budget.charge(entry.owner, cost);
  } else {
    const { mask_length, list_entries } = options.limits;
    if (Buffer.byteLength(mask) > mask_length) return { refused: 'mask-too-long', maxBytes: mask_length };
    // One total for b, e and I, as MAXLIST=beI:N says.
    if (channel.listEntryCount >= list_entries) return { refused: 'list-full', maxEntries: list_entries };
    const limit = registry.store(actor, cost, options.limits);
    if (limit !== null) return { refused: 'storage', limit };
  }
  list.push(entry);
  return { adding, mode, param: mask };
}

function applyKey(channel: Channel, adding: boolean, key: string, options: ModeOptions): ModeOutcome {
  if (!adding) {
    if (channel.key === null) return null;
    channel.key = null;
    return { adding, mode: 'k', param: '*' };
  }
  // The characters allowed are the protocol's; only the length is this node's setting.
  const maxLength = options.trusted ? Infinity : options.limits.key_length;
  if (!isValidChannelKey(key, maxLength)) return { refused: 'invalid-key', maxLength };
  if (channel.key === key) return null;
  channel.key = own(key);
  return { adding, mode: 'k', param: key };
}

function applyLimit(channel: Channel, adding: boolean, param: string): ModeOutcome {
  if (!adding) {
    if (channel.limit === null) return null;
    channel.limit = null;
    return { adding, mode: 'l' };
  }
  const limit = /^\d+$/.test(param) ? Number(param) : NaN;
  if (!(limit > 0 && limit <= MAX_CHANNEL_LIMIT)) return { refused: 'invalid-limit', param };
  if (channel.limit === limit) return null;
  channel.limit = limit;
  return { adding, mode: 'l', param: String(limit) };
}
