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

/** The entry's server tags (msgid, account, bot) and client-only tags; with `withId` false, no msgid. */
function metaOf(entry: HistoryEntry, withId: boolean) {
  let clientTags: Map<string, string> | null = null;
  let bot = false;
  for (const [key, value] of entry.tags ?? []) {
    if (key === BOT_TAG) bot = true;
    else (clientTags ??= new Map()).set(key, value);
  }
  return withId ? { msgid: entry.msgid, account: entry.account, bot, clientTags } : { account: entry.account, bot, clientTags };
}

function lineOf(entry: HistoryEntry, params: string[], withId = true): Outgoing {
  return new Outgoing({ tags: null, source: entry.source, command: entry.command, params }, metaOf(entry, withId), entry.time);
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
    // As delivered live: the tags on the BATCH line, the lines bare but for the concat tag.
    replies.startBatch('draft/multiline', [target], lineOf(entry, []));
    for (const line of lines) {
      const concat = line.concat ? { clientTags: new Map([['draft/multiline-concat', '']]) } : null;
      replies.message(new Outgoing({ tags: null, source: entry.source, command: entry.command, params: [target, line.text] }, concat, entry.time));
    }
    replies.endBatch();
    return;
  }
  // One line per non-blank line, the msgid on the first.
  lines
    .filter((line) => line.text !== '')
    .forEach((line, index) => replies.message(lineOf(entry, [target, line.text], index === 0)));
}
