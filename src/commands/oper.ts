/**
 * IRC operators: OPER, KILL, WALLOPS, REHASH, RESTART, DIE.
 * https://modern.ircdocs.horse/#operator-messages
 * Oper passwords are scrypt hashes in the config (see config/password.ts).
 */
import { DUMMY_HASH, verifyPassword } from '../config/password.js';
import type { OperBlock } from '../config/schema.js';
import type { IrcMessage } from '../protocol/message.js';
import {
  ERR_CANTKILLSERVER,
  ERR_NOSUCHNICK,
  ERR_PASSWDMISMATCH,
  RPL_REHASHING,
  RPL_YOUREOPER,
} from '../protocol/replies.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import { CAP } from '../protocol/caps.js';
import type { Logger } from 'pino';
import type { Actor } from '../bus/events.js';
import type { Emitter } from '../network/effects.js';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

/**
 * OPER name password. Every refusal is the same 464, whether the name is
 * unknown, the host does not match or the password is wrong, and takes the
 * same time: a password hash runs for each attempt, after the back-off the
 * address's and the name's past failures impose (see operguard.ts), so
 * neither the reply nor its timing tells which oper names exist.
 */
export function handleOper(ctx: CommandContext, msg: IrcMessage): Promise<void> {
  const [name, password] = msg.params as [string, string];
  const { user, config } = ctx;
  const block = config.opers.find((oper) => oper.name === name);
  const fold = ctx.registry.fold;
  const hostOk =
    block !== undefined &&
    block.hosts.some((mask) => {
      const pattern = fold(mask);
      return wildcardMatch(pattern, fold(`${user.username}@${user.host}`)) || wildcardMatch(pattern, fold(`${user.username}@${user.ip}`));
    });
  // Unknown names check against some other hash of the same cost.
  const hash = block?.password ?? config.opers[0]?.password ?? DUMMY_HASH;
  const backoff = { firstMs: config.timeouts.oper_backoff * 1000, maxMs: config.timeouts.oper_backoff_max * 1000 };
  const check = () => verifyPassword(password, hash).then((ok) => ok && hostOk);
  return ctx.server.operGuard.attempt(user.ip, name, backoff, check).then((outcome) => {
    if (outcome === 'ok') finishOper(ctx, block as OperBlock);
    else refuseOper(ctx, block, outcome === 'refused' ? 'busy' : !block ? 'no such oper' : !hostOk ? 'host' : 'password');
  });
}

function refuseOper(ctx: CommandContext, block: OperBlock | undefined, reason: string): void {
  // The text given as a name is never logged: it may be a mistyped password.
  ctx.session.log.warn({ event: 'oper-failed', ...(block ? { name: block.name } : {}), reason }, 'OPER refused');
  if (ctx.user.endpoint) ctx.reply(ERR_PASSWDMISMATCH());
}

function finishOper(ctx: CommandContext, block: OperBlock): void {
  const { user, session } = ctx;
  // The user may have gone while the hash was computed.
  if (!user.endpoint) return;
  user.operName = block.name;
  if (!user.isOper) ctx.emit({ type: 'user.mode', origin: ctx.nodeId, by: { user: user.id }, userId: user.id, modes: '+o', ...ctx.stamp() });
  ctx.reply(RPL_YOUREOPER());
  session.log.info({ event: 'oper', name: block.name, nick: user.nick }, 'user is now an operator');
}

export function handleKill(ctx: CommandContext, msg: IrcMessage): void {
  const [nick, reasonParam] = msg.params as [string, string | undefined];
  const target = ctx.registry.findUser(nick);
  if (!target) {
    if (ctx.registry.fold(nick) === ctx.registry.fold(ctx.serverName)) ctx.reply(ERR_CANTKILLSERVER());
    else ctx.reply(ERR_NOSUCHNICK(nick));
    return;
  }
  const reason = reasonParam || 'No reason given';
  killUser(ctx, target, reason, { user: ctx.user.id }, ctx.user.nick, ctx.session.log, ctx.config.log.message_text);
}

/**
 * What KILL does, for an operator's KILL and the admin API alike: logged
 * here; the node holding the victim's connection tells them who killed them
 * and why, and ends it; their peers everywhere see the QUIT.
 */
export function killUser(emitter: Emitter, target: User, reason: string, by: Actor, byName: string, log: Logger, logText: boolean): void {
  // The reason is message text: logged only with log.message_text.
  log.info({ event: 'kill', target: target.nick, by: byName, ...(logText ? { reason } : {}) }, 'user killed');
  emitter.emit({ type: 'user.kill', origin: emitter.nodeId, by, byName, targetId: target.id, reason, ...emitter.stamp() });
}

export function handleWallops(ctx: CommandContext, msg: IrcMessage): void {
  ctx.emit({ type: 'wallops', origin: ctx.nodeId, by: { user: ctx.user.id }, text: msg.params[0] as string, ...ctx.stamp() });
}

/** Who gets WALLOPS: users with +w. */
export function wallopsAudience(registry: Registry): User[] {
  return [...registry.users].filter((user) => user.hasMode('w'));
}

/**
 * REHASH: 382, then each problem: as standard replies (WARN for what could
 * not be applied, FAIL when the new config is refused) to clients that
 * support them, as server notices to others.
 */
export async function handleRehash(ctx: CommandContext): Promise<void> {
  const result = await ctx.server.rehash();
  ctx.reply(RPL_REHASHING(result.file));
  const standard = ctx.session.hasCap(CAP.STANDARD_REPLIES);
  for (const problem of result.problems) {
    if (!standard) ctx.notice(`*** REHASH: ${problem}`);
    else if (result.ok) ctx.standardReply('WARN', 'REHASH', 'CONFIG_PROBLEM', problem);
    else ctx.standardReply('FAIL', 'REHASH', 'CONFIG_BAD', problem);
  }
  if (!result.ok) {
    if (standard) ctx.standardReply('FAIL', 'REHASH', 'CONFIG_BAD', 'The previous configuration stays in force');
    else ctx.notice('*** REHASH failed: the previous configuration stays in force');
  }
  ctx.session.log.info({ event: 'rehash', by: ctx.user.nick, ok: result.ok }, 'rehash requested');
}

/** A host name an oper may give a user: letters, digits, dots, dashes, colons and slashes, not starting with ':'. */
const HOST_RE = /^[A-Za-z0-9.\-/][A-Za-z0-9.\-/:]{0,62}$/;

/**
 * CHGHOST <nick> <host>: an oper changes a user's visible host (as InspIRCd's
 * command). Clients with chghost see CHGHOST (https://ircv3.net/specs/extensions/chghost);
 * the others see the user quit and rejoin their shared channels, with their status.
 */
export function handleChghost(ctx: CommandContext, msg: IrcMessage): void {
  const [nick, host] = msg.params as [string, string];
  const target = ctx.registry.findUser(nick);
  if (!target) {
    ctx.reply(ERR_NOSUCHNICK(nick));
    return;
  }
  if (!HOST_RE.test(host)) {
    ctx.standardReply('FAIL', 'CHGHOST', 'INVALID_HOSTNAME', `${host} is not a valid host name`, [target.nick]);
    return;
  }
  if (host === target.host) return;
  ctx.session.log.info({ event: 'chghost', target: target.nick, host, by: ctx.user.nick }, 'host changed');
  ctx.emit({ type: 'user.host', origin: ctx.nodeId, userId: target.id, username: target.username, host, ...ctx.stamp() });
}

export function handleRestart(ctx: CommandContext): void {
  ctx.session.log.warn({ event: 'restart', by: ctx.user.nick }, 'restart requested');
  void ctx.server.restart(`Server restarting (requested by ${ctx.user.nick})`);
}

export function handleDie(ctx: CommandContext): void {
  ctx.session.log.warn({ event: 'die', by: ctx.user.nick }, 'shutdown requested');
  ctx.server.shutdown(`Server shutting down (requested by ${ctx.user.nick})`);
}

export const operCommands: CommandSpec[] = [
  { verb: 'OPER', minParams: 2, penalty: 3000, handle: handleOper },
  { verb: 'KILL', minParams: 1, operOnly: true, penalty: 500, handle: handleKill },
  { verb: 'WALLOPS', minParams: 1, operOnly: true, penalty: 1000, handle: handleWallops },
  { verb: 'CHGHOST', minParams: 2, operOnly: true, penalty: 1000, handle: handleChghost },
  { verb: 'REHASH', minParams: 0, operOnly: true, penalty: 2000, handle: handleRehash },
  { verb: 'RESTART', minParams: 0, operOnly: true, penalty: 1000, handle: handleRestart },
  { verb: 'DIE', minParams: 0, operOnly: true, penalty: 1000, handle: handleDie },
];
