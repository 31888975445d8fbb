/**
 * REDACT <target> <msgid> [:reason]: delete a message
 * (https://ircv3.net/specs/extensions/message-redaction). The message is
 * looked up in the history store, so only messages the server kept can be
 * redacted; it is dropped from history and the REDACT relayed to those who
 * negotiated draft/message-redaction.
 *
 * Who may: the sender (the same account if the message was sent logged in;
 * otherwise the same nick!user@host, not logged in), an operator of the
 * channel, or an IRC operator. Ergo allows self-redaction to logged-in users
 * only; Obrol also lets a guest take back what they just said. Errors are
 * FAIL REDACT with the spec's codes; a message of another conversation is
 * UNKNOWN_MSGID, so nobody learns of messages they could not see.
 */
import { isChannelName } from '../protocol/names.js';
import type { IrcMessage } from '../protocol/message.js';
import type { Channel } from '../state/channel.js';
import type { User } from '../state/user.js';
import type { HistoryEntry } from '../store/types.js';
import { CHANTYPES } from './channel.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

/** What REDACT may delete. */
const REDACTABLE = new Set(['PRIVMSG', 'NOTICE', 'TAGMSG']);

/**
 * The names a user may be stored under as one side of a direct conversation
 * (HistoryEntry.peers, history/keys.ts): `~` and the casefolded account when
 * logged in, else the casefolded nick (which they may also have sent under
 * before logging in).
 */
function sidesOf(ctx: CommandContext, user: User): string[] {
  const fold = ctx.registry.fold;
  return user.account === null ? [user.folded] : [`~${fold(user.account)}`, user.folded];
}

/** Is `entry` a message of this channel, or of the conversation between the caller and `recipient`? */
function belongs(ctx: CommandContext, entry: HistoryEntry, channel: Channel | null, recipient: User | null): boolean {
  if (!REDACTABLE.has(entry.command)) return false;
  if (channel !== null) return entry.peers === null && entry.target === ctx.registry.fold(channel.name);
  const peers = entry.peers;
  if (peers === null || recipient === null) return false;
  const mine = sidesOf(ctx, ctx.user);
  const theirs = sidesOf(ctx, recipient);
  return (mine.includes(peers[0]) && theirs.includes(peers[1])) || (mine.includes(peers[1]) && theirs.includes(peers[0]));
}

/** Did the caller send `entry`? */
function isOwn(ctx: CommandContext, entry: HistoryEntry): boolean {
  const { user, registry } = ctx;
  if (entry.account !== null) return user.account !== null && registry.fold(user.account) === registry.fold(entry.account);
  // Not logged in: the same mask, and sent since the caller took their nick (an earlier holder of it is someone else).
  return user.account === null && entry.source === user.mask && entry.time >= user.nickSince;
}

export async function handleRedact(ctx: CommandContext, msg: IrcMessage): Promise<void> {
  const [target, msgid] = msg.params as [string, string];
  const reason = msg.params[2] ?? null;
  const fail = (code: string, description: string, context: string[]) => ctx.standardReply('FAIL', 'REDACT', code, description, context);
  const { registry, user } = ctx;

  let channel: Channel | null = null;
  let recipient: User | null = null;
  if (isChannelName(target, CHANTYPES)) {
    channel = registry.findChannel(target) ?? null;
    if (channel === null || (!channel.has(user) && !user.isOper)) {
      fail('INVALID_TARGET', `You cannot delete messages from ${target}`, [target]);
      return;
    }
  } else {
    recipient = registry.findUser(target) ?? null;
    if (recipient === null) {
      fail('INVALID_TARGET', `You cannot delete messages from ${target}`, [target]);
      return;
    }
  }

  const history = ctx.server.store.history;
  const entry = await history.find(msgid);
  if (entry === null || !belongs(ctx, entry, channel, recipient)) {
    fail('UNKNOWN_MSGID', 'This message does not exist or is too old', [target, msgid]);
    return;
  }
  if (!isOwn(ctx, entry) && !(channel !== null && channel.isOp(user)) && !user.isOper) {
    fail('REDACT_FORBIDDEN', 'You are not authorised to delete this message', [target, msgid]);
    return;
  }
  // Dropped from this node's history before anyone is told; the other nodes drop it as the event reaches them.
  if (!(await history.remove(entry.target, msgid))) {
    fail('UNKNOWN_MSGID', 'This message does not exist or is too old', [target, msgid]);
    return;
  }
  ctx.emit({
    type: 'message.redact',
    origin: ctx.nodeId,
    userId: user.id,
    target: channel !== null ? channel.name : (recipient as User).nick,
    channel: channel?.name ?? null,
    recipientId: recipient?.id ?? null,
    redacted: msgid,
    reason,
    historyTarget: entry.target,
    ...ctx.stamp(),
  });
}

export const redactCommands: CommandSpec[] = [{ verb: 'REDACT', minParams: 2, penalty: 1000, handle: handleRedact }];
