/**
 * Logging a connection into an account, and out. A registered user's login
 * is the cluster event `user.account` (network/users.ts applyAccount); a
 * connection still registering keeps the account in its session until the
 * welcome (server/registration.ts), which gives it to the user before the
 * registration burst.
 *
 * onLogin: functions run on the node of the connection once a registered
 * user has an account (after SASL at the welcome, IDENTIFY, REGISTER,
 * VERIFY). Other features plug in here (read markers and metadata restored
 * from the account, several clients sharing one account).
 */
import { restoreOnLogin } from '../commands/accountstate.js';
import type { CommandContext } from '../commands/context.js';
import type { NetworkHost } from '../network/host.js';
import { RPL_LOGGEDIN, RPL_LOGGEDOUT } from '../protocol/replies.js';
import type { User } from '../state/user.js';
import { checkNickOwnership } from './enforce.js';

export type LoginHook = (host: NetworkHost, user: User, account: string) => void;

/** Called in order; a hook that throws is logged and the others still run. */
export const onLogin: LoginHook[] = [
  // The account's read markers and metadata (commands/accountstate.ts).
  restoreOnLogin,
  // Always-on, when the account chose it (server/alwayson.ts, through the host).
  (host, user) => host.accountLoggedIn?.(user),
];

/** Run the onLogin hooks for `user`, logged in as `account`. */
export function runLoginHooks(host: NetworkHost, user: User, account: string): void {
  for (const hook of onLogin) {
    try {
      hook(host, user, account);
    } catch (err) {
      host.log.error({ err, event: 'login-hook-failed', account }, 'a login hook failed');
    }
  }
}

/** The mask 900 and 901 name: nick!user@host, or `*` parts before they are known. */
function maskOf(user: User): string {
  return `${user.nick}!${user.username || '*'}@${user.host}`;
}

/**
 * Log the caller into `account` (its name as registered): 900 to them, and
 * for a registered user the event that tells the network, then the hooks.
 */
export function logIn(ctx: CommandContext, account: string): void {
  const user = ctx.user;
  ctx.reply(RPL_LOGGEDIN(maskOf(user), account));
  ctx.session.log.info({ event: 'login', account }, 'logged in');
  if (!user.registered) {
    ctx.session.account = account;
    return;
  }
  ctx.emit({ type: 'user.account', origin: ctx.nodeId, userId: user.id, account });
  // A pending rename stops if this account owns the nick (and goes on if it is another's).
  void checkNickOwnership(ctx.server, user).catch((err: unknown) => ctx.session.log.error({ err, event: 'nick-enforcement-failed' }, 'nick enforcement failed'));
  runLoginHooks(ctx.server, user, account);
}

/** Log the caller out (901). */
export function logOut(ctx: CommandContext): void {
  const user = ctx.user;
  ctx.session.account = null;
  // From now on their direct-message history is keyed by nick again: only what comes after this.
  user.nickSince = ctx.nowSeconds() * 1000;
  if (user.registered && user.account !== null) ctx.emit({ type: 'user.account', origin: ctx.nodeId, userId: user.id, account: null });
  ctx.reply(RPL_LOGGEDOUT(maskOf(user)));
}

/** The account the caller is logged into (registered or not), or null. */
export function currentAccount(ctx: CommandContext): string | null {
  return ctx.user.registered ? ctx.user.account : ctx.session.account;
}
