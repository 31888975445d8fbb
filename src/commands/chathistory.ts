/**
 * CHATHISTORY (https://ircv3.net/specs/extensions/chathistory, draft/chathistory):
 * LATEST, BEFORE, AFTER, AROUND and BETWEEN over a channel the caller is in
 * or a direct conversation they are a side of, and TARGETS, the
 * conversations with something new in a time range. Replies come in a
 * `chathistory` batch (`draft/chathistory-targets` for TARGETS), each line
 * with its original msgid and time; errors are FAIL CHATHISTORY with the
 * specification's codes. Also the replay of a channel's last messages on
 * JOIN (history.replay_on_join).
 */
import { sideOf, isAccountSide, conversationKey } from '../history/keys.js';
import { select, type Keep, type Selection } from '../history/query.js';
import { replayEntry, visibleTo } from '../history/replay.js';
import { CAP } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { isChannelName, isValidNick } from '../protocol/names.js';
import type { Channel } from '../state/channel.js';
import type { HistoryEntry, HistoryRef } from '../store/types.js';
import { CHANTYPES } from './channel.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

const SUBCOMMANDS = ['LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BETWEEN', 'TARGETS'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Parameters after the subcommand each one needs. */
const ARITY: Record<Subcommand, number> = { LATEST: 3, BEFORE: 3, AFTER: 3, AROUND: 3, BETWEEN: 4, TARGETS: 3 };

/** The most conversations TARGETS looks at before cutting to the range and limit. */
const TARGETS_SCAN = 100_000;

const TIMESTAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

class Invalid extends Error {
  constructor(readonly param: string) {
    super(param);
  }
}

/** `msgid=...` or `timestamp=YYYY-MM-DDThh:mm:ss.sssZ`; `*` where allowed (null). */
function parseRef(param: string, star: boolean, msgid: boolean): HistoryRef | null {
  if (star && param === '*') return null;
  if (msgid && param.startsWith('msgid=') && param.length > 6) return { msgid: param.slice(6) };
  if (param.startsWith('timestamp=')) {
    const text = param.slice(10);
    const time = Date.parse(text);
    if (TIMESTAMP_RE.test(text) && !Number.isNaN(time)) return { time };
  }
  throw new Invalid(param);
}

/** A positive count, at most history.query_limit (0 asks for the most there is). */
function parseLimit(param: string, max: number): number {
  if (!/^\d{1,9}$/.test(param)) throw new Invalid(param);
  const limit = Number(param);
  return limit === 0 ? max : Math.min(limit, max);
}

export function handleChathistory(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const [subParam, ...rest] = msg.params;
  if (subParam === undefined || subParam === '') {
    ctx.standardReply('FAIL', 'CHATHISTORY', 'NEED_MORE_PARAMS', 'Missing parameters', ['*']);
    return;
  }
  const sub = subParam.toUpperCase() as Subcommand;
  if (!SUBCOMMANDS.includes(sub)) {
    ctx.standardReply('FAIL', 'CHATHISTORY', 'UNKNOWN_COMMAND', 'Unknown command', [subParam]);
    return;
  }
  if (rest.length < ARITY[sub]) {
    ctx.standardReply('FAIL', 'CHATHISTORY', 'NEED_MORE_PARAMS', 'Missing parameters', [sub]);
    return;
  }
  const history = ctx.config.history;
  if (!history.enabled) {
    ctx.standardReply('FAIL', 'CHATHISTORY', 'MESSAGE_ERROR', 'History is not kept on this server', [sub, sub === 'TARGETS' ? '*' : (rest[0] as string)]);
    return;
  }
  try {
    if (sub === 'TARGETS') {
      const [fromParam, toParam, limitParam] = rest as [string, string, string];
      const from = parseRef(fromParam, false, false) as { time: number };
      const to = parseRef(toParam, false, false) as { time: number };
      return targets(ctx, from.time, to.time, parseLimit(limitParam, history.query_limit));
    }
    const target = rest[0] as string;
    let selection: Selection;
    let limitParam: string;
    if (sub === 'BETWEEN') {
      const from = parseRef(rest[1] as string, false, true) as HistoryRef;
      const to = parseRef(rest[2] as string, false, true) as HistoryRef;
      selection = { kind: 'BETWEEN', from, to };
      limitParam = rest[3] as string;
    } else {
      const ref = parseRef(rest[1] as string, sub === 'LATEST', true);
      selection = sub === 'LATEST' ? { kind: 'LATEST', after: ref } : { kind: sub, ref: ref as HistoryRef };
      limitParam = rest[2] as string;
    }
    return query(ctx, sub, target, selection, parseLimit(limitParam, history.query_limit));
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    ctx.standardReply('FAIL', 'CHATHISTORY', 'INVALID_PARAMS', 'Invalid parameters', [sub, err.param]);
  }
}

/** What the caller may read: a channel they are in, or their side of a direct conversation. */
interface Conversation {
  key: string;
  /** Only entries from this time (Unix ms) on: a caller not logged in sees nothing from before they connected. */
  since: number;
}

async function conversationFor(ctx: CommandContext, target: string): Promise<Conversation | 'invalid' | 'none'> {
  const { registry, user } = ctx;
  if (isChannelName(target, CHANTYPES)) {
    const channel = registry.findChannel(target);
    if (channel === undefined || !channel.has(user)) return 'invalid';
    // An unregistered channel that emptied and was made again is another channel: its members read from its creation on.
    return { key: channel.folded, since: channel.registration !== null ? 0 : channel.createdAt * 1000 };
  }
  if (!isValidNick(target, Math.max(ctx.config.limits.nick_length, target.length))) return 'invalid';
  if (!ctx.config.history.direct_messages) return 'none';
  const mine = sideOf(user, registry.fold);
  const folded = registry.fold(target);
  let theirs: string;
  if (folded === user.folded) theirs = mine;
  else {
    const online = registry.findUser(target);
    if (online !== undefined) theirs = sideOf(online, registry.fold);
    else theirs = (await ctx.server.store.accounts.getAccount(folded)) !== null ? `~${folded}` : folded;
  }
  if (!isAccountSide(mine) && !isAccountSide(theirs)) return 'none';
  return { key: conversationKey(mine, theirs), since: await readableSince(ctx, mine) };
}

/**
 * From when the caller may read their direct messages (Unix ms): an account
 * from its registration (a dropped name registered again is someone else),
 * a user not logged in from when they took their nick.
 */
async function readableSince(ctx: CommandContext, mine: string): Promise<number> {
  if (!isAccountSide(mine)) return ctx.user.nickSince;
  // No record: a login without a stored account (tests, or a store that lost it); DROP logs everyone out, so nobody reads a dropped name's history.
  const record = await ctx.server.store.accounts.getAccount(mine.slice(1));
  return record?.registeredAt ?? 0;
}

/** Entries older than this (Unix ms) are past history.max_age; 0 when there is no age limit. */
function expiredBefore(ctx: CommandContext): number {
  const maxAge = ctx.config.history.max_age;
  return maxAge > 0 ? ctx.nowSeconds() * 1000 - maxAge * 1000 : 0;
}

async function query(ctx: CommandContext, sub: Subcommand, target: string, selection: Selection, limit: number): Promise<void> {
  const store = ctx.server.store.history;
  let entries: HistoryEntry[] = [];
  try {
    const conversation = await conversationFor(ctx, target);
    if (conversation === 'invalid') {
      ctx.standardReply('FAIL', 'CHATHISTORY', 'INVALID_TARGET', 'You cannot read the history of that target', [sub, target]);
      return;
    }
    if (conversation !== 'none') {
      const mask = ctx.session.capMask;
      // Past history.max_age an entry is gone, even before the retention timer prunes it.
      const since = Math.max(conversation.since, expiredBefore(ctx));
      const keep: Keep = (entry) => entry.time >= since && visibleTo(entry, mask);
      await store.flush();
      entries = await select(store, conversation.key, selection, limit, keep);
    }
  } catch (err) {
    ctx.session.log.warn({ err, event: 'chathistory-failed' }, 'a CHATHISTORY query failed');
    ctx.standardReply('FAIL', 'CHATHISTORY', 'MESSAGE_ERROR', 'Messages could not be retrieved', [sub, target]);
    return;
  }
  sendHistoryBatch(ctx, target, entries);
}

function sendHistoryBatch(ctx: CommandContext, target: string, entries: HistoryEntry[]): void {
  const mask = ctx.session.capMask;
  ctx.replies.startBatch('chathistory', [target]);
  for (const entry of entries) replayEntry(ctx.replies, entry, mask);
  ctx.replies.endBatch();
}

async function targets(ctx: CommandContext, from: number, to: number, limit: number): Promise<void> {
  const { registry, user } = ctx;
  const byFolded = new Map<string, Channel>();
  for (const channel of user.channels) byFolded.set(channel.folded, channel);
  const mine = sideOf(user, registry.fold);
  // Only what the caller may read: since their nick (not logged in) or their account (logged in) was theirs.
  let lo = Math.min(from, to);
  const hi = Math.max(from, to);
  lo = Math.max(lo, (await readableSince(ctx, mine)) - 1);
  let found: Array<{ target: string; peerName: string | null; time: number }>;
  try {
    const store = ctx.server.store.history;
    await store.flush();
    // A target counts by its latest entry: one whose latest is past the range is left out,
    // even with entries inside it. So ask without the upper bound and cut here.
    const latest = await store.targets([...byFolded.keys()], ctx.config.history.direct_messages ? mine : null, lo, Number.MAX_SAFE_INTEGER, TARGETS_SCAN);
    found = latest.filter((row) => row.time < hi).slice(0, limit);
  } catch (err) {
    ctx.session.log.warn({ err, event: 'chathistory-failed' }, 'a CHATHISTORY TARGETS query failed');
    ctx.standardReply('FAIL', 'CHATHISTORY', 'MESSAGE_ERROR', 'Messages could not be retrieved', ['TARGETS', '*']);
    return;
  }
  const names = await Promise.all(found.map((row) => (row.peerName === null ? (byFolded.get(row.target)?.name ?? row.target) : nameOfSide(ctx, row.peerName))));
  ctx.replies.startBatch('draft/chathistory-targets', []);
  found.forEach((row, index) => ctx.send(ctx.fromServer('CHATHISTORY', ['TARGETS', names[index] as string, new Date(row.time).toISOString()])));
  ctx.replies.endBatch();
}

/** How to name the other side of a conversation: an online user's nick, else the account as registered, else the nick as stored. */
async function nameOfSide(ctx: CommandContext, side: string): Promise<string> {
  const { registry } = ctx;
  if (!isAccountSide(side)) return registry.findUser(side)?.nick ?? side;
  const account = side.slice(1);
  const online = registry.loggedInAs(account)[0];
  if (online !== undefined) return online.nick;
  return (await ctx.server.store.accounts.getAccount(account))?.name ?? account;
}

/**
 * After a JOIN's names (history.replay_on_join > 0): the channel's last
 * messages, in a chathistory batch for clients with batch, else as plain
 * lines (with server-time if they have it). Clients with draft/chathistory
 * ask for what they want themselves and get nothing here. Undefined when
 * there is nothing to wait for.
 */
export function replayOnJoin(ctx: CommandContext, channel: Channel): Promise<void> | undefined {
  const { replay_on_join: count, enabled } = ctx.config.history;
  if (!enabled || count === 0 || ctx.session.hasCap(CAP.CHATHISTORY)) return undefined;
  const store = ctx.server.store.history;
  const since = expiredBefore(ctx);
  const keep: Keep = (entry) => (entry.command === 'PRIVMSG' || entry.command === 'NOTICE') && entry.time >= since;
  return store
    .flush()
    .then(() => select(store, channel.folded, { kind: 'LATEST', after: null }, count, keep))
    .then(
      (entries) => {
        if (entries.length > 0) sendHistoryBatch(ctx, channel.name, entries);
      },
      (err: unknown) => ctx.session.log.warn({ err, event: 'replay-on-join-failed' }, 'history could not be replayed on join'),
    );
}

export const chathistoryCommands: CommandSpec[] = [{ verb: 'CHATHISTORY', minParams: 0, penalty: 1000, handle: handleChathistory }];
