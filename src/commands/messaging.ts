/**
 * PRIVMSG, NOTICE and TAGMSG, one implementation: to nicks, to channels, to
 * the ops or voiced of a channel (`@#chan`, `+#chan`), to several targets.
 * https://modern.ircdocs.horse/#privmsg-message,
 * https://ircv3.net/specs/extensions/message-tags (TAGMSG, client-only tags),
 * https://ircv3.net/specs/extensions/echo-message
 *
 * NOTICE never triggers automatic replies (RFC 2812 3.3.2): no error numerics
 * and no RPL_AWAY, so two bots can never loop.
 */
import type { IrcMessage, Tags } from '../protocol/message.js';
import { isChannelName } from '../protocol/names.js';
import {
  ERR_CANNOTSENDTOCHAN,
  ERR_NORECIPIENT,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTEXTTOSEND,
  ERR_TOOMANYTARGETS,
  RPL_AWAY,
  type Reply,
} from '../protocol/replies.js';
import { OP, VOICE, type SpeakRefusal } from '../state/channel.js';
import { CHANTYPES, commaList } from './channel.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';
import { findService } from '../services/index.js';
import { runService } from '../services/service.js';

/** STATUSMSG prefixes and the member bits that receive them: @ reaches ops, + reaches voiced and ops. */
export const STATUSMSG = '@+';
const STATUS_BITS: Record<string, number> = { '@': OP, '+': OP | VOICE };

const SPEAK_REASONS: Record<SpeakRefusal, string> = {
  'no-external': 'no external messages, +n',
  moderated: 'moderated, +m',
  banned: 'you are banned, +b',
  'no-ctcp': 'CTCP requests are not allowed here, +C',
};

/** `+[vendor/]name`: https://ircv3.net/specs/extensions/message-tags#format */
const CLIENT_TAG_KEY = /^\+([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\/)?[A-Za-z0-9-]+$/;

/** The client-only (+) tags of a message: the only ones relayed (others, and malformed keys, are dropped). */
export function clientOnlyTags(tags: Tags | null): Array<[string, string]> | null {
  if (tags === null) return null;
  let out: Array<[string, string]> | null = null;
  for (const [key, value] of tags) {
    if (key.charCodeAt(0) !== 0x2b || !CLIENT_TAG_KEY.test(key)) continue;
    (out ??= []).push([key, value]);
  }
  return out;
}

/** One message to one target, as speakTo takes it. */
export interface Spoken {
  command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG';
  /** As the client wrote it: a nick, a channel, or `@#chan` (STATUSMSG). */
  target: string;
  /** The text (for a multiline message, its first line). */
  text: string;
  /** Client-only tags to relay. */
  tags: Array<[string, string]> | null;
  /** draft/multiline: every line. */
  lines?: Array<{ text: string; concat: boolean }>;
}

/**
 * Send one message to one target, if the caller may: the checks a PRIVMSG
 * makes (no such nick or channel, +n, +m, bans, +C), then the `message`
 * event. `error` gets the refusal numerics (NOTICE passes a no-op). A message
 * to a built-in service returns the service's work, to run after the rest.
 */
export function speakTo(ctx: CommandContext, spoken: Spoken, error: (reply: Reply) => void): (() => void | Promise<void>) | null {
  const { registry, user } = ctx;
  const { command, target, text, tags, lines } = spoken;
  const multiline = lines === undefined ? {} : { lines };

  // A STATUSMSG target (`@#chan`): strip the prefixes, remember whom they address.
  let statusMask = 0;
  let name = target;
  let skip = 0;
  while (skip < target.length - 1 && STATUSMSG.includes(target[skip] as string)) skip++;
  if (skip > 0 && isChannelName(target.slice(skip), CHANTYPES)) {
    for (let k = 0; k < skip; k++) statusMask |= STATUS_BITS[target[k] as string] as number;
    name = target.slice(skip);
  }

  if (isChannelName(name, CHANTYPES)) {
    const channel = registry.findChannel(name);
    if (!channel) {
      error(ERR_NOSUCHCHANNEL(name));
      return null;
    }
    // +C looks at the whole message: a CTCP hidden in a later line is still one.
    const whole = lines === undefined ? text : lines.map((line) => line.text).join('\n');
    const refusal = channel.speakRefusal(user, whole, registry.fold);
    if (refusal) {
      error(ERR_CANNOTSENDTOCHAN(channel.name, SPEAK_REASONS[refusal]));
      return null;
    }
    ctx.emit({ type: 'message', origin: ctx.nodeId, userId: user.id, command, target, channel: channel.name, statusMask, recipientId: null, text, tags, ...multiline, ...ctx.stamp() });
    return null;
  }

  // `/msg NickServ ...`: a command to a built-in service (never for NOTICE: services must not loop with bots).
  const service = findService(target);
  if (service !== undefined) {
    return command === 'PRIVMSG' ? () => runService(service, ctx, text) : null;
  }

  const recipient = registry.findUser(target);
  if (!recipient) {
    error(ERR_NOSUCHNICK(target));
    return null;
  }
  ctx.emit({ type: 'message', origin: ctx.nodeId, userId: user.id, command, target: recipient.nick, channel: null, statusMask: 0, recipientId: recipient.id, text, tags, ...multiline, ...ctx.stamp() });
  if (command === 'PRIVMSG' && recipient.away !== null) ctx.reply(RPL_AWAY(recipient.nick, recipient.away));
  return null;
}

function relay(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const command = msg.command as 'PRIVMSG' | 'NOTICE' | 'TAGMSG';
  const isNotice = command === 'NOTICE';
  const isTagmsg = command === 'TAGMSG';
  const error = (reply: Reply) => {
    if (!isNotice) ctx.reply(reply);
  };
  const targets = commaList(msg.params[0]);
  if (targets.length === 0) {
    error(ERR_NORECIPIENT(command));
    return;
  }
  const text = msg.params[1];
  if (!isTagmsg && (text === undefined || text === '')) {
    error(ERR_NOTEXTTOSEND());
    return;
  }
  const tags = clientOnlyTags(msg.tags);
  const max = ctx.config.limits.targets;
  ctx.user.lastSpokeAt = ctx.nowSeconds();
  // One target, the usual case: nothing to deduplicate or count.
  if (targets.length === 1) {
    const step = speakTo(ctx, { command, target: targets[0] as string, text: text ?? '', tags }, error);
    return step === null ? undefined : step();
  }
  const seen = new Set<string>();
  // Service commands run after the messages, one after another (they may wait for the store).
  const work: Array<() => void | Promise<void>> = [];

  for (const target of targets) {
    const folded = ctx.registry.fold(target);
    if (seen.has(folded)) continue;
    seen.add(folded);
    if (seen.size > max) {
      error(ERR_TOOMANYTARGETS(target, max));
      continue;
    }
    const step = speakTo(ctx, { command, target, text: text ?? '', tags }, error);
    if (step !== null) work.push(step);
  }
  return runInOrder(work);
}

function runInOrder(work: Array<() => void | Promise<void>>): void | Promise<void> {
  let chain: Promise<void> | undefined;
  for (const step of work) chain = chain === undefined ? (step() ?? undefined) : chain.then(step);
  return chain;
}

export const handlePrivmsg = relay;
export const handleNotice = relay;
export const handleTagmsg = relay;

export const messagingCommands: CommandSpec[] = [
  { verb: 'PRIVMSG', minParams: 0, penalty: 1000, handle: handlePrivmsg },
  { verb: 'NOTICE', minParams: 0, penalty: 1000, handle: handleNotice },
  { verb: 'TAGMSG', minParams: 0, penalty: 1000, handle: handleTagmsg },
];
