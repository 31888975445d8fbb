/**
 * Stored entries back into lines, for CHATHISTORY and replay on join: the
 * original msgid, time, source, account and client-only tags, rendered by
 * the usual serializer for the caller's capabilities.
 *
 * Without draft/event-playback a client gets only PRIVMSG and NOTICE (the
 * specification's MUST); with it, also TAGMSG and the channel events.
 * A draft/multiline message replays as a multiline batch to clients with
 * the capability (and batch), else as one PRIVMSG or NOTICE per line, the
 * msgid on the first.
 */
import type { Replies } from '../network/fanout.js';
import { CAP } from '../protocol/caps.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { HistoryEntry } from '../store/types.js';
import { BOT_TAG } from './record.js';

/** Does a client with `capMask` see `entry` in a history batch? */
export function visibleTo(entry: HistoryEntry, capMask: number): boolean {
  if (entry.command === 'PRIVMSG' || entry.command === 'NOTICE') return true;
  if ((capMask & CAP.EVENT_PLAYBACK) === 0) return false;
  // A TAGMSG never reaches a client without message-tags.
  return entry.command !== 'TAGMSG' || (capMask & CAP.MESSAGE_TAGS) !== 0;
}

function lineOf(entry: HistoryEntry, params: string[], withId: boolean, extraTags: Map<string, string> | null = null): Outgoing {
  let clientTags: Map<string, string> | null = extraTags;
  let bot = false;
  if (withId) {
    for (const [key, value] of entry.tags ?? []) {
      if (key === BOT_TAG) bot = true;
      else (clientTags ??= new Map()).set(key, value);
    }
  }
  const meta = withId ? { msgid: entry.msgid, account: entry.account, bot, clientTags } : { account: entry.account, clientTags };
  return new Outgoing({ tags: null, source: entry.source, command: entry.command, params }, meta, entry.time);
}

/** Add `entry`'s lines to `replies` as a client with `capMask` should see them (it must be visibleTo it). */
export function replayEntry(replies: Replies, entry: HistoryEntry, capMask: number): void {
  if (entry.command === 'JOIN' && (capMask & CAP.EXTENDED_JOIN) === 0) {
    replies.message(lineOf(entry, entry.params.slice(0, 1), true));
    return;
  }
  const lines = entry.lines;
  if (lines === null || lines.length === 0) {
    replies.message(lineOf(entry, entry.params, true));
    return;
  }
  const target = entry.params[0] as string;
  if ((capMask & CAP.MULTILINE) !== 0 && (capMask & CAP.BATCH) !== 0) {
    replies.startBatch('draft/multiline', [target], lineOf(entry, [], true));
    for (const line of lines) {
      replies.message(lineOf(entry, [target, line.text], false, line.concat ? new Map([['draft/multiline-concat', '']]) : null));
    }
    replies.endBatch();
    return;
  }
  lines.forEach((line, index) => replies.message(lineOf(entry, [target, line.text], index === 0)));
}
