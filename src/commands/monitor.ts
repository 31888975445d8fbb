/**
 * MONITOR: being told when nicks come online and go offline.
 * https://ircv3.net/specs/extensions/monitor (limit: MONITOR in ISUPPORT).
 */
import type { IrcMessage } from '../protocol/message.js';
import { isValidNick } from '../protocol/names.js';
import { Outgoing } from '../protocol/outgoing.js';
import { ERR_MONLISTFULL, RPL_ENDOFMONLIST, RPL_MONLIST, RPL_MONOFFLINE, RPL_MONONLINE, type Reply } from '../protocol/replies.js';
import { monitorCost } from '../state/budget.js';
import type { User } from '../state/user.js';
import { commaList } from './channel.js';
import { storageRefusal, type CommandContext, type ServerApi } from './context.js';
import type { CommandSpec } from './spec.js';
import { uniqueNames } from './targets.js';

/** Room for the list on one 730-732 line, leaving space for the prefix and nick. */
const LIST_BUDGET = 400;

/** Send `build(chunk)` for chunks of `items` that fit on a line. */
function chunked(items: string[], build: (chunk: string[]) => Reply, reply: (r: Reply) => void): void {
  let chunk: string[] = [];
  let length = 0;
  for (const item of items) {
    if (chunk.length > 0 && length + 1 + item.length > LIST_BUDGET) {
      reply(build(chunk));
      chunk = [];
      length = 0;
    }
    chunk.push(item);
    length += item.length + 1;
  }
  if (chunk.length > 0) reply(build(chunk));
}

/** 730 (online, with the full mask) or 731 (offline) for each of `nicks`, as the caller sees them. */
function sendStatus(ctx: CommandContext, nicks: string[]): void {
  const online: string[] = [];
  const offline: string[] = [];
  for (const nick of nicks) {
    const user = ctx.registry.findUser(nick);
    if (user) online.push(user.mask);
    else offline.push(nick);
  }
  chunked(online, RPL_MONONLINE, (r) => ctx.reply(r));
  chunked(offline, RPL_MONOFFLINE, (r) => ctx.reply(r));
}

export function handleMonitor(ctx: CommandContext, msg: IrcMessage): void {
  const { registry, user } = ctx;
  const op = (msg.params[0] as string).toUpperCase();
  switch (op) {
    case '+': {
      const limit = ctx.config.limits.monitor_entries;
      const added: string[] = [];
      const targets = uniqueNames(commaList(msg.params[1]), registry.fold).filter((nick) => isValidNick(nick, ctx.config.limits.nick_length));
      for (const [index, nick] of targets.entries()) {
        const folded = registry.fold(nick);
        if (user.monitoring.has(folded)) continue;
        if (user.monitoring.size >= limit) {
          ctx.reply(ERR_MONLISTFULL(limit, targets.slice(index).join(',')));
          break;
        }
        // Credited by registry.unmonitor (MONITOR -, C, or the user quitting).
        const refusal = ctx.store(monitorCost(folded, nick));
        if (refusal !== null) {
          ctx.reply(ERR_MONLISTFULL(limit, targets.slice(index).join(','), storageRefusal(refusal, ctx.config.limits)));
          break;
        }
        registry.monitor(user, nick);
        added.push(nick);
      }
      sendStatus(ctx, added);
      return;
    }
    case '-':
      for (const nick of uniqueNames(commaList(msg.params[1]), registry.fold)) registry.unmonitor(user, nick);
      return;
    case 'C':
      registry.clearMonitor(user);
      return;
    case 'L':
      chunked([...user.monitoring.values()], RPL_MONLIST, (r) => ctx.reply(r));
      ctx.reply(RPL_ENDOFMONLIST());
      return;
    case 'S':
      sendStatus(ctx, [...user.monitoring.values()]);
      return;
    default:
      // Unknown modifiers are ignored, as the specification lists only these five.
      return;
  }
}

/**
 * Tell everyone monitoring `user`'s nick that it came online (730) or went
 * offline (731). `nick` overrides the nick announced (the old one after a rename).
 */
export function announcePresence(server: ServerApi, user: User, online: boolean, nick = user.nick): void {
  const watchers = server.registry.watchersOf(server.registry.fold(nick));
  if (watchers.size === 0) return;
  // One line for all: the target is '*' as the specification allows.
  const line = new Outgoing({ tags: null, source: server.info.name, command: online ? '730' : '731', params: ['*', online ? user.mask : nick] });
  for (const watcher of watchers) if (watcher !== user) watcher.endpoint?.send(line);
}

export const monitorCommands: CommandSpec[] = [{ verb: 'MONITOR', minParams: 1, penalty: 1000, handle: handleMonitor }];
