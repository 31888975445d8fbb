/**
 * The services this server runs, found by nick (for PRIVMSG) or by command
 * name (NS, NICKSERV, CS, CHANSERV).
 */
import type { CommandContext } from '../commands/context.js';
import type { IrcMessage } from '../protocol/message.js';
import type { CommandSpec } from '../commands/spec.js';
import { chanServ } from './chanserv.js';
import { nickServ } from './nickserv.js';
import { runService, type Service } from './service.js';

export const SERVICES: readonly Service[] = [nickServ, chanServ];

const BY_NICK = new Map(SERVICES.map((service) => [service.nick.toUpperCase(), service]));
const NICK_LENGTHS = new Set(SERVICES.map((service) => service.nick.length));

/** The service whose nick is `nick` (compared case-insensitively), if any. Asked for every PRIVMSG to a nick: no string is made unless the length fits. */
export function findService(nick: string): Service | undefined {
  return NICK_LENGTHS.has(nick.length) ? BY_NICK.get(nick.toUpperCase()) : undefined;
}

/** NS, NICKSERV, CS, CHANSERV: the rest of the line is the service command. */
export const serviceCommands: CommandSpec[] = SERVICES.flatMap((service) =>
  [service.nick.toUpperCase(), ...service.aliases].map((verb) => ({
    verb,
    minParams: 0,
    penalty: 1000,
    handle: (ctx: CommandContext, msg: IrcMessage) => runService(service, ctx, msg.params.join(' ')),
  })),
);
