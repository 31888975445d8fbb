/**
 * Completing registration: once NICK and USER are in and CAP negotiation (if
 * any) has ended, check the server password, then welcome the user with
 * 001-005, LUSERS and the MOTD.
 */
import { checkNickOwnership, ownerIfNotYou, RESERVED_REASON } from '../accounts/enforce.js';
import { runLoginHooks } from '../accounts/login.js';
import { CommandContext } from '../commands/context.js';
import { abortSasl } from '../commands/sasl.js';
import { lusersReplies } from '../commands/info.js';
import { burstOwnMetadata } from '../commands/metadata.js';
import { emit } from '../network/effects.js';
import { userInfo } from '../network/users.js';
import { verifyPassword } from '../config/password.js';
import { CAP } from '../protocol/caps.js';
import { middle, serializeBody } from '../protocol/serialize.js';
import { ERR_NICKNAMEINUSE, ERR_PASSWDMISMATCH, ERR_UNAVAILRESOURCE, RPL_WELCOME } from '../protocol/replies.js';
import { ReplyBuffer } from './replybuffer.js';
import { renderReply, welcomeTemplate, writeLines } from './welcome.js';
import { attachIfLoggedIn, attachTarget, holdsOwnNick } from './multiclient.js';
import type { ObrolServer } from './server.js';
import type { Session } from './session.js';

/** Register the session's user if everything is in. Returns a promise while a password is checked. */
export function completeRegistration(server: ObrolServer, session: Session): Promise<void> | undefined {
  const user = session.user;
  if (user.registered || session.closed) return undefined;
  if (!session.userGiven || session.capNegotiating) return undefined;
  // No nick yet is fine for a login that will attach (its NICK named its own user's nick before SASL ended, and got 433).
  if (user.nick === '*' && (session.account === null || attachTarget(server, session) === null)) return undefined;
  const hash = server.config.server.password;
  if (hash === null) return claimAndWelcome(server, session);
  const given = session.password ?? '';
  // Password checks (scrypt) share one small server-wide limit with OPER's.
  return server.operGuard.limit(() => verifyPassword(given, hash)).then((outcome) => {
    if (session.closed || user.registered) return;
    if (outcome === true) return claimAndWelcome(server, session);
    if (outcome === 'refused') {
      session.log.info({ event: 'password-busy' }, 'registration refused: too many password checks waiting');
      server.disconnect(user, 'Server busy: too many logins at once, try again');
      return;
    }
    session.log.info({ event: 'bad-password' }, 'registration refused: wrong server password');
    const replies = new ReplyBuffer(server.info.name, session);
    replies.numeric(ERR_PASSWDMISMATCH());
    replies.flush();
    server.disconnect(user, 'Bad password');
  });
}

/**
 * Welcome the user once the network's directory gives them their nick (at
 * once on a node alone, where the registry decided when NICK came). A nick
 * taken on another node gets 433, an unreachable directory 437; the client
 * stays unregistered until it picks another.
 */
function claimAndWelcome(server: ObrolServer, session: Session): Promise<void> | undefined {
  // Logged into an account whose user is here already: this connection becomes one more session of it (multiclient).
  if (attachIfLoggedIn(server, session) || !holdsOwnNick(server, session)) return undefined;
  const accounts = server.config.accounts;
  if (!accounts.enabled || accounts.nick_enforcement !== 'refuse') return claimNickAndWelcome(server, session);
  // nick_enforcement refuse: a registered nick needs its account (SASL) to register with it.
  const user = session.user;
  const nick = user.nick;
  return ownerIfNotYou(server, nick, session.account).then((owner) => {
    if (session.closed || user.registered || user.nick !== nick) return;
    if (owner === null) return claimNickAndWelcome(server, session);
    server.registry.dropNick(user);
    session.log.info({ event: 'nick-reserved', nick }, 'registration waits: the nick belongs to an account');
    const replies = new ReplyBuffer(server.info.name, session);
    replies.numeric(ERR_NICKNAMEINUSE(nick, RESERVED_REASON));
    replies.flush();
  });
}

function claimNickAndWelcome(server: ObrolServer, session: Session): Promise<void> | undefined {
  const directory = server.directory;
  if (directory === null) {
    welcome(server, session);
    return undefined;
  }
  const user = session.user;
  const nick = user.nick;
  const holder = { node: server.bus.nodeId, user: user.id };
  return directory.claimNick(user.folded, holder).then((claim) => {
    if (session.closed || user.registered || user.nick !== nick) {
      if (claim === 'ok') void directory.releaseNick(server.registry.fold(nick), holder);
      return;
    }
    if (claim === 'ok') {
      welcome(server, session);
      return;
    }
    // The client is `*` again (so registration is not retried on every line) until it sends another NICK.
    server.registry.dropNick(user);
    session.log.info({ event: 'nick-refused', nick, claim }, 'registration waits: the nick is held elsewhere or cannot be checked');
    const replies = new ReplyBuffer(server.info.name, session);
    replies.numeric(claim === 'taken' ? ERR_NICKNAMEINUSE(nick) : ERR_UNAVAILRESOURCE(nick));
    replies.flush();
  });
}

function welcome(server: ObrolServer, session: Session): void {
  const user = session.user;
  const { registry, config, info } = server;
  for (const mode of config.server.default_user_modes.replace('+', '')) user.setMode(mode, true);
  // Logged in with SASL while registering: the registration burst carries the account.
  if (session.account !== null) user.account = session.account;
  registry.register(user, Math.floor(server.clock.now() / 1000));
  server.stats.registrations++;
  server.noteRegistered();
  session.password = null;
  sendWelcome(server, session);

  // Every client logs this: through the server's logger, so no per-connection child logger is made for it.
  server.log.info({ conn: session.id, event: 'registered', nick: user.nick, username: user.username }, 'client registered');
  // MONITOR online notices here; a replica of the user on the other nodes.
  emit(server, { type: 'user.register', origin: server.bus.nodeId, user: userInfo(user, info.name) }, null);
  // Logged in with SASL: the account's markers, metadata and always-on state (accounts/login.ts).
  if (user.account !== null) runLoginHooks(server, user, user.account);
  if (config.accounts.enabled) {
    void checkNickOwnership(server, user).catch((err: unknown) => session.log.error({ err, event: 'nick-enforcement-failed' }, 'nick enforcement failed'));
  }
}

/**
 * 001-005, LUSERS, the user's metadata, the MOTD and user modes, to `session`
 * (a new user's, or one attaching to its account's user). The lines that
 * follow the configuration come pre-rendered (server/welcome.ts) and the
 * burst is encoded at once; the bytes are those of each reply sent through
 * the reply buffer (numerics carry no tags but server-time's).
 */
export function sendWelcome(server: ObrolServer, session: Session): void {
  const user = session.user;
  const name = server.info.name;
  const replies = new ReplyBuffer(name, session);
  const ctx = new CommandContext(server, session, user, replies);
  // A client that never sent CAP END may still be mid-SASL: that exchange is over (sasl-3.1).
  abortSasl(ctx);
  replies.flush();
  const template = welcomeTemplate(server);
  const nick = user.nick;
  const tag = session.renderKey & CAP.SERVER_TIME ? `@time=${new Date().toISOString()} ` : '';
  let text = renderReply(name, middle(nick), RPL_WELCOME(template.network, user.mask), tag) + template.static.render(nick, tag);
  for (const reply of lusersReplies(server)) text += renderReply(name, middle(nick), reply, tag);
  if (session.hasCap(CAP.METADATA)) {
    // Its own metadata, in a batch, between LUSERS and the MOTD.
    writeLines(session, text);
    text = '';
    burstOwnMetadata(ctx);
    replies.flush();
  }
  text += template.motd.render(nick, tag);
  if (user.hasModes) text += `${tag}${serializeBody(user.mask, 'MODE', [nick, user.modeString()])}\r\n`;
  writeLines(session, text);
}
