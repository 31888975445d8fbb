/**
 * Nick ownership (accounts.nick_enforcement). A registered nick belongs to
 * its account:
 * - rename: someone else using it is told by NickServ to IDENTIFY, and after
 *   enforce_grace seconds is renamed to <guest_prefix><number> unless they
 *   logged into the account meanwhile (the timer is cancelled when they log
 *   in, change nick or leave, and checked again when it fires);
 * - refuse: NICK to it (and registration with it) gets 433, as Ergo's
 *   "strict" enforcement does;
 * - none: nothing.
 */
import { randomInt } from 'node:crypto';
import type { ServerApi } from '../commands/context.js';
import { emit } from '../network/effects.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { TimerHandle } from '../server/clock.js';
import type { User } from '../state/user.js';
import { accountsOf } from './accounts.js';

const timers = new WeakMap<ServerApi, Map<string, TimerHandle>>();

function timersOf(server: ServerApi): Map<string, TimerHandle> {
  let map = timers.get(server);
  if (map === undefined) {
    map = new Map();
    timers.set(server, map);
  }
  return map;
}

/** Stop the rename pending for `user`, if any. */
export function cancelEnforcement(server: ServerApi, user: User): void {
  const map = timersOf(server);
  const timer = map.get(user.id);
  if (timer === undefined) return;
  accountsOf(server).clock.clearTimeout(timer);
  map.delete(user.id);
}

/** The account `nick` belongs to, if it is registered and `account` (the user's) is not it. */
export async function ownerIfNotYou(server: ServerApi, nick: string, account: string | null): Promise<string | null> {
  if (!server.config.accounts.enabled || server.config.accounts.nick_enforcement === 'none') return null;
  const accounts = accountsOf(server);
  const folded = accounts.fold(nick);
  if (account !== null && accounts.fold(account) === folded) return null;
  const record = await accounts.store.getAccount(folded);
  // An unverified account (a code never confirmed) holds no nick: else anyone could reserve others' nicks with fake addresses.
  return record === null || !record.verified ? null : record.name;
}

/** The refusal text of `refuse` mode (433's reason). */
export const RESERVED_REASON = 'Nickname is reserved by a different account; log in to use it';

function noticeFromNickServ(server: ServerApi, user: User, text: string): void {
  user.endpoint?.send(new Outgoing({ tags: null, source: `NickServ!NickServ@${server.info.name}`, command: 'NOTICE', params: [user.nick, text] }));
}

/**
 * `user` (registered, local) now has their nick: with `rename`, warn them
 * and start the grace timer if the nick is someone else's account.
 */
export async function checkNickOwnership(server: ServerApi, user: User): Promise<void> {
  cancelEnforcement(server, user);
  if (server.config.accounts.nick_enforcement !== 'rename' || user.endpoint === null) return;
  const nick = user.nick;
  const owner = await ownerIfNotYou(server, nick, user.account);
  if (owner === null || !user.registered || user.nick !== nick || user.endpoint === null) return;
  const grace = server.config.accounts.enforce_grace;
  noticeFromNickServ(
    server,
    user,
    `The nick ${nick} belongs to the account ${owner}. If it is yours, log in with /msg NickServ IDENTIFY ${owner} <password> within ${grace} seconds, or pick another nick with /nick; otherwise you will be renamed.`,
  );
  const clock = accountsOf(server).clock;
  const map = timersOf(server);
  cancelEnforcement(server, user);
  map.set(
    user.id,
    clock.setTimeout(() => {
      map.delete(user.id);
      void enforce(server, user, nick).catch((err: unknown) => server.log.error({ err, event: 'nick-enforcement-failed' }, 'nick enforcement failed'));
    }, grace * 1000),
  );
}

/** The grace is over: rename `user` to a guest nick if they still hold `nick` without its account. */
async function enforce(server: ServerApi, user: User, nick: string): Promise<void> {
  const { registry } = server;
  if (registry.byId(user.id) !== user || user.endpoint === null || registry.fold(user.nick) !== registry.fold(nick)) return;
  if ((await ownerIfNotYou(server, nick, user.account)) === null) return;
  const prefix = server.config.accounts.guest_prefix;
  for (let attempt = 0; attempt < 10; attempt++) {
    const guest = `${prefix}${randomInt(10_000, 100_000)}`;
    if (registry.byId(user.id) !== user || registry.fold(user.nick) !== registry.fold(nick)) return;
    if (!registry.nickFreeFor(user, guest)) continue;
    if (server.directory !== null) {
      const claim = await server.directory.renameNick(user.folded, registry.fold(guest), { node: server.bus.nodeId, user: user.id });
      if (claim !== 'ok') continue;
    }
    // The user may have logged into the nick's account while the store or the directory was asked.
    if ((await ownerIfNotYou(server, nick, user.account)) === null || registry.byId(user.id) !== user) return;
    const clock = accountsOf(server).clock;
    emit(server, { type: 'user.nick', origin: server.bus.nodeId, userId: user.id, nick: guest, msgid: server.nextMsgId(), time: clock.now() }, null);
    noticeFromNickServ(server, user, `You were renamed to ${guest}: the nick ${nick} belongs to another account.`);
    server.log.info({ event: 'nick-enforced', from: nick, to: guest }, 'renamed a user holding a registered nick');
    return;
  }
}
