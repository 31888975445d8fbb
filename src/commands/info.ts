/**
 * Server information: MOTD, LUSERS, VERSION, TIME, ADMIN, INFO, HELP.
 * https://modern.ircdocs.horse/#server-queries-and-commands
 */
import type { IrcMessage } from '../protocol/message.js';
import {
  ERR_HELPNOTFOUND,
  ERR_NOPRIVILEGES,
  ERR_NOMOTD,
  ERR_NOSUCHSERVER,
  RPL_ADMINEMAIL,
  RPL_ADMINLOC1,
  RPL_ADMINLOC2,
  RPL_ADMINME,
  RPL_ENDOFHELP,
  RPL_ENDOFINFO,
  RPL_ENDOFSTATS,
  RPL_ENDOFLINKS,
  RPL_ENDOFMOTD,
  RPL_GLOBALUSERS,
  RPL_HELPSTART,
  RPL_HELPTXT,
  RPL_INFO,
  RPL_ISUPPORT,
  RPL_LINKS,
  RPL_LOCALUSERS,
  RPL_LUSERCHANNELS,
  RPL_LUSERCLIENT,
  RPL_LUSERME,
  RPL_LUSEROP,
  RPL_LUSERUNKNOWN,
  RPL_MOTD,
  RPL_MOTDSTART,
  RPL_STATSCOMMANDS,
  RPL_STATSCONN,
  RPL_STATSDEBUG,
  RPL_STATSUPTIME,
  RPL_TIME,
  RPL_VERSION,
  type Reply,
} from '../protocol/replies.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import type { CommandContext, ServerApi } from './context.js';
import { HELP_INDEX, HELP_TOPICS } from './helptext.js';
import type { CommandSpec } from './spec.js';

/** A `[server]` parameter must name this server (a mask may match it); false after replying 402. */
function isThisServer(ctx: CommandContext, target: string | undefined): boolean {
  if (target === undefined || target === '') return true;
  const fold = ctx.registry.fold;
  if (wildcardMatch(fold(target), fold(ctx.serverName))) return true;
  ctx.reply(ERR_NOSUCHSERVER(target));
  return false;
}

/** 375, a 372 per line, 376; or 422 when there is no MOTD. */
export function motdReplies(server: ServerApi): Reply[] {
  const lines = server.motd();
  if (lines === null) return [ERR_NOMOTD()];
  return [RPL_MOTDSTART(server.info.name), ...lines.map((line) => RPL_MOTD(line)), RPL_ENDOFMOTD()];
}

/** 251-255, 265, 266 and 250: the figures as they are now. */
export function lusersReplies(server: ServerApi): Reply[] {
  const registry = server.registry;
  const name = server.info.name;
  // Users of the whole network, and of this server (its clients, on every worker); nodes sharing a name are one server.
  const users = registry.userCount;
  const local = registry.localUsers;
  const invisible = registry.invisibleCount;
  const otherServers = registry.otherServers(name);
  return [
    RPL_LUSERCLIENT(users - invisible, invisible, 1 + otherServers),
    RPL_LUSEROP(registry.operCount),
    RPL_LUSERUNKNOWN(server.unknownConnections()),
    RPL_LUSERCHANNELS(registry.channels.size),
    RPL_LUSERME(local, otherServers),
    RPL_LOCALUSERS(local, registry.maxLocalUsers),
    RPL_GLOBALUSERS(users, registry.maxUsers),
    RPL_STATSCONN(server.maxConnections, local),
  ];
}

/** The 005 lines. */
export function isupportReplies(server: ServerApi): Reply[] {
  return server.isupportLines().map((tokens) => RPL_ISUPPORT([...tokens]));
}

// The registration burst renders these same replies, once per configuration (server/welcome.ts).
export function sendMotd(ctx: CommandContext): void {
  for (const reply of motdReplies(ctx.server)) ctx.reply(reply);
}

export function sendLusers(ctx: CommandContext): void {
  for (const reply of lusersReplies(ctx.server)) ctx.reply(reply);
}

export function sendIsupport(ctx: CommandContext): void {
  for (const reply of isupportReplies(ctx.server)) ctx.reply(reply);
}

export function handleMotd(ctx: CommandContext, msg: IrcMessage): void {
  if (isThisServer(ctx, msg.params[0])) sendMotd(ctx);
}

export function handleLusers(ctx: CommandContext, msg: IrcMessage): void {
  // LUSERS [mask [server]]: the mask is ignored on a single server.
  if (isThisServer(ctx, msg.params[1])) sendLusers(ctx);
}

export function handleVersion(ctx: CommandContext, msg: IrcMessage): void {
  if (!isThisServer(ctx, msg.params[0])) return;
  const { info } = ctx.server;
  const comment = ctx.config.server.show_versions ? `Obrol IRC server on Node.js ${process.version}` : 'Obrol IRC server';
  ctx.reply(RPL_VERSION(info.version, ctx.serverName, comment));
  sendIsupport(ctx);
}

export function handleTime(ctx: CommandContext, msg: IrcMessage): void {
  if (!isThisServer(ctx, msg.params[0])) return;
  const now = new Date();
  ctx.reply(RPL_TIME(ctx.serverName, Math.floor(now.getTime() / 1000), now.toUTCString()));
}

export function handleAdmin(ctx: CommandContext, msg: IrcMessage): void {
  if (!isThisServer(ctx, msg.params[0])) return;
  const admin = ctx.config.admin;
  ctx.reply(RPL_ADMINME(ctx.serverName));
  ctx.reply(RPL_ADMINLOC1(admin.location));
  ctx.reply(RPL_ADMINLOC2(admin.organisation));
  ctx.reply(RPL_ADMINEMAIL(admin.email));
}

export function handleInfo(ctx: CommandContext, msg: IrcMessage): void {
  if (!isThisServer(ctx, msg.params[0])) return;
  const { info } = ctx.server;
  const lines = [
    `${info.version}: Obrol, an IRC server for Node.js`,
    'Obrol is from the Indonesian "ngobrol", to chat.',
    // The exact runtime version only when the config asks for it (server.show_versions).
    ...(ctx.config.server.show_versions ? [`Running on Node.js ${process.version}`] : []),
    `Up since ${info.createdAt.toUTCString()}`,
  ];
  for (const line of lines) ctx.reply(RPL_INFO(line));
  ctx.reply(RPL_ENDOFINFO());
}

/** LINKS [[server] mask]: a single server links only to itself. */
export function handleLinks(ctx: CommandContext, msg: IrcMessage): void {
  const mask = msg.params.at(-1) ?? '*';
  const fold = ctx.registry.fold;
  if (wildcardMatch(fold(mask), fold(ctx.serverName))) {
    ctx.reply(RPL_LINKS(ctx.serverName, ctx.serverName, 0, ctx.config.server.description));
  }
  ctx.reply(RPL_ENDOFLINKS(mask));
}

/** STATS letters only operators may ask for: what the server is busy with says too much. */
const OPER_STATS = new Set(['m', 'z']);

/**
 * STATS <query>: u (uptime), and for operators m (commands used) and z
 * (memory and table sizes); others get 481 for those.
 * https://modern.ircdocs.horse/#stats-message
 */
export function handleStats(ctx: CommandContext, msg: IrcMessage): void {
  const query = msg.params[0] ?? '';
  if (!isThisServer(ctx, msg.params[1])) return;
  const letter = query.slice(0, 1);
  if (OPER_STATS.has(letter) && !ctx.user.isOper) {
    ctx.reply(ERR_NOPRIVILEGES());
    return;
  }
  if (letter === 'u') {
    ctx.reply(RPL_STATSUPTIME(Math.floor((Date.now() - ctx.server.info.createdAt.getTime()) / 1000)));
  } else if (letter === 'm') {
    const counts = [...ctx.server.commandCounts].sort(([a], [b]) => a.localeCompare(b));
    for (const [command, count] of counts) ctx.reply(RPL_STATSCOMMANDS(command, count));
  } else if (letter === 'z') {
    for (const line of ctx.server.debugStats()) ctx.reply(RPL_STATSDEBUG('z', line));
  }
  ctx.reply(RPL_ENDOFSTATS(query === '' ? '*' : letter));
}

export function handleHelp(ctx: CommandContext, msg: IrcMessage): void {
  const subject = (msg.params[0] ?? '').toUpperCase();
  const lines = subject === '' ? HELP_INDEX : HELP_TOPICS[subject];
  const shownSubject = subject === '' ? '*' : subject;
  if (!lines) {
    ctx.reply(ERR_HELPNOTFOUND(msg.params[0] as string));
    return;
  }
  lines.forEach((line, index) => {
    if (index === 0) ctx.reply(RPL_HELPSTART(shownSubject, line));
    else ctx.reply(RPL_HELPTXT(shownSubject, line));
  });
  ctx.reply(RPL_ENDOFHELP(shownSubject, 'End of /HELP'));
}

export const infoCommands: CommandSpec[] = [
  { verb: 'MOTD', minParams: 0, penalty: 2000, handle: handleMotd },
  { verb: 'LUSERS', minParams: 0, penalty: 2000, handle: handleLusers },
  { verb: 'VERSION', minParams: 0, penalty: 2000, handle: handleVersion },
  { verb: 'TIME', minParams: 0, penalty: 1000, handle: handleTime },
  { verb: 'ADMIN', minParams: 0, penalty: 2000, handle: handleAdmin },
  { verb: 'INFO', minParams: 0, penalty: 2000, handle: handleInfo },
  { verb: 'STATS', minParams: 0, penalty: 2000, handle: handleStats },
  { verb: 'LINKS', minParams: 0, penalty: 2000, handle: handleLinks },
  { verb: 'HELP', minParams: 0, beforeRegistration: true, penalty: 1000, handle: handleHelp },
  // InspIRCd's and UnrealIRCd's name for HELP; clients send either.
  { verb: 'HELPOP', minParams: 0, beforeRegistration: true, penalty: 1000, handle: handleHelp },
];
