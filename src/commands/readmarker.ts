/**
 * MARKREAD: where a user has read up to, per channel or nick
 * (https://ircv3.net/specs/extensions/read-marker, draft/read-marker).
 *
 * Markers only grow. A logged-in user's markers belong to their account: kept
 * in the store, shared by every client of the account, and restored at login
 * (commands/accountstate.ts); the user's own copy is a cache for JOIN. Without
 * an account they belong to the connection.
 */
import { CAP } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { isChannelName, isValidNick } from '../protocol/names.js';
import { markerCost, own } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import { CHANTYPES } from './channel.js';
import type { Config } from '../config/schema.js';
import type { BudgetRefusal } from '../state/budget.js';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import { accountMarkread } from './accountstate.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

const TIMESTAMP_RE = /^timestamp=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/;

export function markread(ctx: CommandContext, target: string, value: string): void {
  ctx.send(ctx.fromServer('MARKREAD', [target, value]));
}

export function handleMarkread(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const [target, timestamp] = msg.params;
  if (target === undefined || target === '') {
    ctx.standardReply('FAIL', 'MARKREAD', 'NEED_MORE_PARAMS', 'Missing parameters');
    return;
  }
  if (!isChannelName(target, CHANTYPES) && !isValidNick(target, ctx.config.limits.nick_length)) {
    ctx.standardReply('FAIL', 'MARKREAD', 'INVALID_PARAMS', 'The target must be a channel or a nick', [target]);
    return;
  }
  const markers = ctx.user.readMarkers;
  const folded = ctx.registry.fold(target);
  if (timestamp === undefined) {
    if (ctx.user.account !== null) return accountMarkread(ctx, target, folded, null);
    markread(ctx, target, markers.get(folded) ?? '*');
    return;
  }
  const m = TIMESTAMP_RE.exec(timestamp);
  // A real instant: 2019-02-30 would parse (rolled over) but not round-trip.
  if (!m || !isRealInstant(m[1] as string)) {
    ctx.standardReply('FAIL', 'MARKREAD', 'INVALID_PARAMS', 'The timestamp must be timestamp=YYYY-MM-DDThh:mm:ss.sssZ', [timestamp]);
    return;
  }
  if (ctx.user.account !== null) return accountMarkread(ctx, target, folded, timestamp);
  // The marker only moves forward; an older one is answered with the stored value.
  const stored = markers.get(folded);
  if (stored === undefined || timestamp > stored) {
    const refusal = rememberMarker(ctx.registry, ctx.config.limits, ctx.user, folded, timestamp);
    if (refusal !== null) {
      ctx.failStore('MARKREAD', refusal, [target]);
      return;
    }
  }
  // Read again: before the first write `markers` was the shared empty map.
  markread(ctx, target, ctx.user.readMarkers.get(folded) as string);
}

/**
 * Keep `value` as `user`'s marker for `folded`, charged to them. Bounded:
 * past limits.read_markers, or when the stored-state budget refuses, the
 * markers set longest ago are forgotten to make room. Null, or the refusal
 * (the old marker is then gone too).
 */
export function rememberMarker(registry: Registry, limits: Config['limits'], user: User, folded: string, value: string): BudgetRefusal | null {
  const editable = user.editableReadMarkers();
  const stored = editable.get(folded);
  if (stored !== undefined) {
    editable.delete(folded);
    registry.budget.credit(user.id, markerCost(folded, stored));
  }
  const refusal = registry.store(user, markerCost(folded, value), limits);
  if (refusal !== null) return refusal;
  editable.set(own(folded), own(value));
  if (editable.size > limits.read_markers) registry.forgetOldestMarker(user);
  return null;
}

function isRealInstant(iso: string): boolean {
  const time = Date.parse(iso);
  return !Number.isNaN(time) && new Date(time).toISOString() === iso;
}

/** After a JOIN, before its 366: the channel's marker, for clients with the capability. */
export function markerOnJoin(ctx: CommandContext, channel: Channel): void {
  if (!ctx.session.hasCap(CAP.READ_MARKER)) return;
  markread(ctx, channel.name, ctx.user.readMarkers.get(channel.folded) ?? '*');
}

export const readMarkerCommands: CommandSpec[] = [{ verb: 'MARKREAD', minParams: 0, penalty: 500, handle: handleMarkread }];
