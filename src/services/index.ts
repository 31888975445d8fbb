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

/** The service whose nick is `nick` (compared case-insensitively), if any. */
export function findService(nick: string): Service | undefined {
  const upper = nick.toUpperCase();
  return SERVICES.find((service) => service.nick.toUpperCase() === upper);
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
