/**
 * IRC operators: OPER, KILL, WALLOPS, REHASH, RESTART, DIE.
 * https://modern.ircdocs.horse/#operator-messages
 * Oper passwords are scrypt hashes in the config (see config/password.ts).
 */
import { verifyPassword } from '../config/password.js';
import type { IrcMessage } from '../protocol/message.js';
import { Outgoing } from '../protocol/outgoing.js';
import {
  ERR_CANTKILLSERVER,
  ERR_NOOPERHOST,
  ERR_NOSUCHNICK,
  ERR_PASSWDMISMATCH,
  RPL_REHASHING,
  RPL_YOUREOPER,
} from '../protocol/replies.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

export async function handleOper(ctx: CommandContext, msg: IrcMessage): Promise<void> {
  const [name, password] = msg.params as [string, string];
  const { user, session } = ctx;
  const block = ctx.config.opers.find((oper) => oper.name === name);
  const fold = ctx.registry.fold;
  const hostOk =
    block !== undefined &&
    block.hosts.some((mask) => {
      const pattern = fold(mask);
      return wildcardMatch(pattern, fold(`${user.username}@${user.host}`)) || wildcardMatch(pattern, fold(`${user.username}@${user.ip}`));
    });
  if (!block || !hostOk) {
    session.log.warn({ event: 'oper-failed', name, reason: block ? 'host' : 'no such oper' }, 'OPER refused');
    ctx.reply(ERR_NOOPERHOST());
    return;
  }
  const ok = await verifyPassword(password, block.password);
  // The user may have gone while the hash was computed.
  if (!user.endpoint) return;
  if (!ok) {
    session.log.warn({ event: 'oper-failed', name, reason: 'password' }, 'OPER refused');
    ctx.reply(ERR_PASSWDMISMATCH());
    return;
  }
  user.operName = block.name;
  if (ctx.registry.setUserMode(user, 'o', true)) {
    ctx.send(new Outgoing({ tags: null, source: user.mask, command: 'MODE', params: [user.nick, '+o'] }));
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
  const killer = ctx.user;
  ctx.session.log.info({ event: 'kill', target: target.nick, by: killer.nick, reason }, 'user killed');
  // The victim is told who killed them and why, then gets ERROR and is gone.
  ctx.deliver(new Outgoing({ tags: null, source: killer.mask, command: 'KILL', params: [target.nick, reason] }), [target]);
  ctx.server.disconnect(target, `Killed (${killer.nick} (${reason}))`, `Killed by ${killer.nick}: ${reason}`);
}

export function handleWallops(ctx: CommandContext, msg: IrcMessage): void {
  const out = ctx.fromUser('WALLOPS', [msg.params[0] as string]);
  const recipients = [...ctx.registry.users].filter((user) => user.modes.has('w'));
  ctx.deliver(out, recipients);
}

export function handleRehash(ctx: CommandContext): void {
  const result = ctx.server.rehash();
  ctx.reply(RPL_REHASHING(result.file));
  for (const problem of result.problems) ctx.notice(`*** REHASH: ${problem}`);
  if (!result.ok) ctx.notice('*** REHASH failed: the previous configuration stays in force');
  ctx.session.log.info({ event: 'rehash', by: ctx.user.nick, ok: result.ok }, 'rehash requested');
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
  { verb: 'REHASH', minParams: 0, operOnly: true, penalty: 2000, handle: handleRehash },
  { verb: 'RESTART', minParams: 0, operOnly: true, penalty: 0, handle: handleRestart },
  { verb: 'DIE', minParams: 0, operOnly: true, penalty: 0, handle: handleDie },
];
