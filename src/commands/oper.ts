/**
 * IRC operators: OPER, KILL, WALLOPS, REHASH, RESTART, DIE.
 * https://modern.ircdocs.horse/#operator-messages
 * Oper passwords are scrypt hashes in the config (see config/password.ts).
 */
import { DUMMY_HASH, verifyPassword } from '../config/password.js';
import type { OperBlock } from '../config/schema.js';
import type { IrcMessage } from '../protocol/message.js';
import { Outgoing } from '../protocol/outgoing.js';
import {
  ERR_CANTKILLSERVER,
  ERR_NOSUCHNICK,
  ERR_PASSWDMISMATCH,
  RPL_REHASHING,
  RPL_YOUREOPER,
} from '../protocol/replies.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import { CAP } from '../protocol/caps.js';
import { STATUS_MODES } from '../state/channel.js';
import type { Logger } from 'pino';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import { fromUser, type CommandContext, type ServerApi } from './context.js';
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
  if (ctx.registry.setUserMode(user, 'o', true)) {
    ctx.send(ctx.fromUser('MODE', [user.nick, '+o']));
  }
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
  killUser(ctx.server, target, reason, {
    name: ctx.user.nick,
    kill: ctx.fromUser('KILL', [target.nick, reason]),
    deliver: (out) => ctx.deliver(out, [target]),
    log: ctx.session.log,
  });
}

/** Who kills: a name for the QUIT and ERROR texts, their KILL line, how it reaches the victim, where it is logged. */
export interface Killer {
  name: string;
  kill: Outgoing;
  deliver(out: Outgoing): void;
  log: Logger;
}

/**
 * What KILL does, for an operator's KILL and the admin API alike: the victim
 * is told who killed them and why, then gets ERROR and is gone; their peers
 * see the QUIT.
 */
export function killUser(server: ServerApi, target: User, reason: string, killer: Killer): void {
  // The reason is message text: logged only with log.message_text.
  const logText = server.config.log.message_text;
  killer.log.info({ event: 'kill', target: target.nick, by: killer.name, ...(logText ? { reason } : {}) }, 'user killed');
  killer.deliver(killer.kill);
  const quit = `Killed (${killer.name} (${reason}))`;
  server.disconnect(target, quit, `Killed by ${killer.name}: ${reason}`, false, logText ? quit : `Killed (${killer.name})`);
}

export function handleWallops(ctx: CommandContext, msg: IrcMessage): void {
  ctx.deliver(ctx.fromUser('WALLOPS', [msg.params[0] as string]), wallopsAudience(ctx.registry));
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
  const change = fromUser(ctx.server, target, 'CHGHOST', [target.username, host]);
  const quit = fromUser(ctx.server, target, 'QUIT', ['Changing hostname']);
  const peers = ctx.registry.peersOf(target);
  target.setHost(host);
  for (const peer of peers) {
    const endpoint = peer.endpoint;
    if (!endpoint) continue;
    if ((endpoint.capMask & CAP.CHGHOST) !== 0) {
      endpoint.send(change);
      continue;
    }
    endpoint.send(quit);
    // The rejoin looks like any JOIN to this peer: extended with extended-join, then AWAY with away-notify.
    const extended = (endpoint.capMask & CAP.EXTENDED_JOIN) !== 0;
    const awayNotify = target.away !== null && (endpoint.capMask & CAP.AWAY_NOTIFY) !== 0;
    for (const channel of target.channels) {
      if (!channel.has(peer)) continue;
      endpoint.send(fromUser(ctx.server, target, 'JOIN', extended ? [channel.name, target.account ?? '*', target.realname] : [channel.name]));
      if (awayNotify) endpoint.send(fromUser(ctx.server, target, 'AWAY', [target.away as string]));
      const prefixes = STATUS_MODES.filter((s) => (channel.status(target) & s.bit) !== 0);
      if (prefixes.length > 0) {
        const modes = `+${prefixes.map((s) => s.mode).join('')}`;
        endpoint.send(ctx.fromServer('MODE', [channel.name, modes, ...prefixes.map(() => target.nick)]));
      }
    }
  }
  // extended-monitor watchers with chghost, and the user themself with chghost.
  for (const watcher of ctx.audienceFor(target, CAP.CHGHOST, true)) if (!peers.has(watcher)) ctx.deliver(change, [watcher]);
  ctx.deliver(ctx.fromServer('396', [target.nick, host, 'is now your displayed host']), [target]);
  ctx.session.log.info({ event: 'chghost', target: target.nick, host, by: ctx.user.nick }, 'host changed');
  ctx.server.bus.publish({ type: 'user.host', origin: ctx.server.bus.nodeId, userId: target.id, username: target.username, host });
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
