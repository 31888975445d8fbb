/**
 * Built-in services: NickServ and ChanServ answer `/msg NickServ ...` (and
 * the NS, NICKSERV, CS, CHANSERV commands) as on networks with separate
 * services, but run inside the server. A service is a table of commands; its
 * replies are NOTICEs from the service's nick, through the caller's reply
 * buffer, so they come in order and carry the caller's label.
 *
 * The service nicks are reserved: nobody can take them (432).
 */
import type { CommandContext } from '../commands/context.js';
import { Outgoing } from '../protocol/outgoing.js';

export interface ServiceCommand {
  /** Upper case, e.g. "REGISTER". */
  name: string;
  /** Fewer arguments than this: the syntax line is sent back. */
  minArgs: number;
  /** e.g. "REGISTER <password> [email]". */
  syntax: string;
  /** One line for HELP. */
  help: string;
  /** Registered users only (every service command, today). */
  handle(call: ServiceCall, args: string[]): void | Promise<void>;
}

export interface Service {
  /** The nick it answers to, e.g. "NickServ". */
  nick: string;
  /** Other command names for it, e.g. ["NS", "NICKSERV"]. */
  aliases: string[];
  description: string;
  commands: ServiceCommand[];
}

/** One command to a service: who asked, and how to answer them. */
export class ServiceCall {
  constructor(
    readonly service: Service,
    readonly ctx: CommandContext,
  ) {}

  /** The service's source mask. */
  get source(): string {
    return `${this.service.nick}!${this.service.nick}@${this.ctx.serverName}`;
  }

  /** A NOTICE from the service to the caller. */
  reply(text: string): void {
    this.ctx.send(new Outgoing({ tags: null, source: this.source, command: 'NOTICE', params: [this.ctx.user.nick, text] }));
  }
}

/** Run `text` (e.g. "REGISTER hunter2 me@example.org") as a command to `service`. */
export function runService(service: Service, ctx: CommandContext, text: string): void | Promise<void> {
  const call = new ServiceCall(service, ctx);
  const words = text.trim().split(/\s+/).filter((word) => word !== '');
  const name = (words[0] ?? '').toUpperCase();
  if (name === '' || name === 'HELP') {
    helpFor(call, words[1]);
    return undefined;
  }
  const command = service.commands.find((c) => c.name === name);
  if (command === undefined) {
    call.reply(`Unknown command ${name}. Try /msg ${service.nick} HELP`);
    return undefined;
  }
  const args = words.slice(1);
  if (args.length < command.minArgs) {
    call.reply(`Syntax: ${command.syntax}`);
    return undefined;
  }
  return command.handle(call, args);
}

function helpFor(call: ServiceCall, about: string | undefined): void {
  const { service } = call;
  if (about !== undefined) {
    const command = service.commands.find((c) => c.name === about.toUpperCase());
    if (command !== undefined) {
      call.reply(`Syntax: ${command.syntax}`);
      call.reply(command.help);
      return;
    }
  }
  call.reply(`${service.nick}: ${service.description}. Commands:`);
  for (const command of service.commands) call.reply(`  ${command.syntax.padEnd(36)} ${command.help}`);
}
