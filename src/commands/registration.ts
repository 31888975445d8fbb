/**
 * Connection registration and liveness: PASS, NICK, USER, QUIT, PING, PONG.
 * https://modern.ircdocs.horse/#connection-registration
 * Registration completes in server/registration.ts once NICK and USER are in
 * (and CAP negotiation, if any, has ended).
 */
import { checkNickOwnership, ownerIfNotYou, RESERVED_REASON } from '../accounts/enforce.js';
import { isValidNick, sanitizeUsername } from '../protocol/names.js';
import { noteRefusedNick } from './account.js';
import { findService } from '../services/index.js';
import { truncateUtf8 } from '../protocol/serialize.js';
import {
  ERR_ALREADYREGISTERED,
  ERR_ERRONEUSNICKNAME,
  ERR_NEEDMOREPARAMS,
  ERR_NICKNAMEINUSE,
  ERR_NICKTOOFAST,
  ERR_NONICKNAMEGIVEN,
  ERR_UNAVAILRESOURCE,
} from '../protocol/replies.js';
import { own } from '../state/budget.js';
import { mayAttach } from '../state/user.js';
import type { IrcMessage } from '../protocol/message.js';
import { broadcastWait, chargeBroadcast } from './broadcast.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

export function handlePass(ctx: CommandContext, msg: IrcMessage): void {
  if (ctx.user.registered) {
    ctx.reply(ERR_ALREADYREGISTERED());
    return;
  }
  ctx.session.password = msg.params[0] as string;
}

export function handleNick(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const nick = msg.params[0] ?? '';
  if (nick === '') {
    ctx.reply(ERR_NONICKNAMEGIVEN());
    return;
  }
  // The built-in services' nicks are reserved.
  if (!isValidNick(nick, ctx.config.limits.nick_length) || findService(nick) !== undefined) {
    ctx.reply(ERR_ERRONEUSNICKNAME(nick));
    return;
  }
  const user = ctx.user;
  if (nick === user.nick) return;
  const accounts = ctx.config.accounts;
  if (user.registered && accounts.enabled && accounts.nick_enforcement === 'refuse' && ctx.registry.fold(nick) !== user.folded) {
    // A registered nick is refused to anyone not logged into its account (registration checks it too).
    return ownerIfNotYou(ctx.server, nick, user.account).then((owner) => {
      if (owner !== null) ctx.reply(ERR_NICKNAMEINUSE(nick, RESERVED_REASON));
      else if (user.registered && user.endpoint !== null) return changeNick(ctx, nick);
      return undefined;
    });
  }
  return changeNick(ctx, nick);
}

function changeNick(ctx: CommandContext, nick: string): void | Promise<void> {
  const user = ctx.user;
  const oldFolded = user.folded;
  const { registry } = ctx;
  if (user.registered && registry.nickFreeFor(user, nick)) {
    // Everyone sharing a channel sees the change: the charge counts them and
    // MONITOR watchers of both nicks (unless only the case changes).
    let wait = broadcastWait(ctx);
    if (wait === 0) {
      const folded = registry.fold(nick);
      const watchers = folded === oldFolded ? 0 : registry.watchersOf(oldFolded).size + registry.watchersOf(folded).size;
      wait = chargeBroadcast(ctx, registry.peersOf(user).size + watchers);
    }
    if (wait > 0) {
      ctx.reply(ERR_NICKTOOFAST(nick, wait));
      return;
    }
  }
  if (!user.registered && mayAttach(registry.nickHolder(nick), ctx.session.account, registry.fold, ctx.config.accounts.multiclient)) {
    // The nick of this login's account's user: registration attaches to it (server/multiclient.ts); nothing is claimed.
    registry.dropNick(user);
    user.setNick(own(nick), registry.fold(nick));
    return;
  }
  if (!registry.nickFreeFor(user, nick)) {
    if (!user.registered) noteRefusedNick(ctx.session, nick);
    ctx.reply(ERR_NICKNAMEINUSE(nick));
    return;
  }
  if (!user.registered) {
    registry.claimNick(user, nick);
    return;
  }
  const directory = ctx.server.directory;
  if (directory === null) {
    rename(ctx, nick);
    return;
  }
  // On a network of nodes the directory decides, atomically, who holds the new nick.
  const holder = { node: ctx.nodeId, user: user.id };
  const newFolded = registry.fold(nick);
  return directory.renameNick(oldFolded, newFolded, holder).then((claim) => {
    if (!user.registered || user.endpoint === null) {
      if (claim === 'ok' && newFolded !== oldFolded) void directory.releaseNick(newFolded, holder);
      return;
    }
    if (claim === 'ok' && registry.nickFreeFor(user, nick)) rename(ctx, nick);
    else ctx.reply(claim === 'unavailable' ? ERR_UNAVAILRESOURCE(nick) : ERR_NICKNAMEINUSE(nick));
  });
}

/** The rename itself, WHOWAS and MONITOR are the effect's (network/users.ts). */
function rename(ctx: CommandContext, nick: string): void {
  const oldNick = ctx.user.nick;
  const oldFolded = ctx.user.folded;
  ctx.emit({ type: 'user.nick', origin: ctx.nodeId, userId: ctx.user.id, nick, ...ctx.stamp() });
  ctx.session.log.info({ event: 'nick', from: oldNick, to: nick }, 'nick changed');
  // nick_enforcement rename: a new nick may be someone's account (and the old one's timer is over).
  if (ctx.config.accounts.enabled && ctx.user.folded !== oldFolded) {
    void checkNickOwnership(ctx.server, ctx.user).catch((err: unknown) => ctx.session.log.error({ err, event: 'nick-enforcement-failed' }, 'nick enforcement failed'));
  }
}

export function handleUser(ctx: CommandContext, msg: IrcMessage): void {
  if (ctx.user.registered || ctx.session.userGiven) {
    ctx.reply(ERR_ALREADYREGISTERED());
    return;
  }
  const [rawUsername, mode, , realname] = msg.params as [string, string, string, string];
  if (rawUsername === '' || realname === '') {
    ctx.reply(ERR_NEEDMOREPARAMS('USER'));
    return;
  }
  const limits = ctx.config.limits;
  // Copies: a slice would keep the whole USER line (and its tags) alive, here and in WHOWAS.
  ctx.user.setUsername(own(sanitizeUsername(rawUsername, limits.user_length) ?? 'user'));
  ctx.user.realname = own(truncateUtf8(realname, limits.realname_length));
  // RFC 2812: a numeric mode asks for +w (bit 2) and +i (bit 3).
  const bits = /^\d+$/.test(mode) ? Number(mode) : 0;
  if (bits & 4) ctx.user.setMode('w', true);
  if (bits & 8) ctx.user.setMode('i', true);
  ctx.session.userGiven = true;
}

export function handleQuit(ctx: CommandContext, msg: IrcMessage): void {
  const reason = msg.params[0];
  const quit = reason ? `Quit: ${reason}` : 'Client Quit';
  ctx.server.disconnect(ctx.user, quit, undefined, false, quit, ctx.session);
}

export function handlePing(ctx: CommandContext, msg: IrcMessage): void {
  const token = msg.params[0];
  if (token === undefined) {
    ctx.reply(ERR_NEEDMOREPARAMS('PING'));
    return;
  }
  ctx.send(ctx.fromServer('PONG', [ctx.serverName, token]));
}

/** Any line counts as a sign of life (the session notes it), so PONG itself has nothing to do. */
export function handlePong(): void {}

export const registrationCommands: CommandSpec[] = [
  { verb: 'PASS', minParams: 1, beforeRegistration: true, penalty: 1000, handle: handlePass },
  { verb: 'NICK', minParams: 0, beforeRegistration: true, penalty: 3000, handle: handleNick },
  { verb: 'USER', minParams: 4, beforeRegistration: true, penalty: 1000, handle: handleUser },
  { verb: 'QUIT', minParams: 0, beforeRegistration: true, penalty: 500, handle: handleQuit },
  { verb: 'PING', minParams: 0, beforeRegistration: true, penalty: 500, handle: handlePing },
  { verb: 'PONG', minParams: 0, beforeRegistration: true, penalty: 500, handle: handlePong },
];
