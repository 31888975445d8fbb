/**
 * MARKREAD: where a user has read up to, per channel or nick
 * (https://ircv3.net/specs/extensions/read-marker, draft/read-marker).
 *
 * Markers only grow. Without accounts they belong to the connection; when
 * accounts exist they will be stored per account and shared by its clients.
 */
import { CAP } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { isChannelName, isValidNick } from '../protocol/names.js';
import { markerCost, own } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import { CHANTYPES } from './channel.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

const TIMESTAMP_RE = /^timestamp=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/;

function markread(ctx: CommandContext, target: string, value: string): void {
  ctx.send(ctx.fromServer('MARKREAD', [target, value]));
}

export function handleMarkread(ctx: CommandContext, msg: IrcMessage): void {
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
    markread(ctx, target, markers.get(folded) ?? '*');
    return;
  }
  const m = TIMESTAMP_RE.exec(timestamp);
  // A real instant: 2019-02-30 would parse (rolled over) but not round-trip.
  if (!m || !isRealInstant(m[1] as string)) {
    ctx.standardReply('FAIL', 'MARKREAD', 'INVALID_PARAMS', 'The timestamp must be timestamp=YYYY-MM-DDThh:mm:ss.sssZ', [timestamp]);
    return;
  }
  // The marker only moves forward; an older one is answered with the stored value.
  const stored = markers.get(folded);
  if (stored === undefined || timestamp > stored) {
    // Bounded: past limits.read_markers, or when the stored-state budget
    // refuses, the markers set longest ago are forgotten to make room.
    const editable = ctx.user.editableReadMarkers();
    if (stored !== undefined) {
      editable.delete(folded);
      ctx.registry.budget.credit(ctx.user.id, markerCost(folded, stored));
    }
    const refusal = ctx.store(markerCost(folded, timestamp));
    if (refusal !== null) {
      ctx.failStore('MARKREAD', refusal, [target]);
      return;
    }
    editable.set(own(folded), own(timestamp));
    if (editable.size > ctx.config.limits.read_markers) ctx.registry.forgetOldestMarker(ctx.user);
  }
  // Read again: before the first write `markers` was the shared empty map.
  markread(ctx, target, ctx.user.readMarkers.get(folded) as string);
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
