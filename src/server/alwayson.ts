/**
 * Always-on (accounts.always_on): an always-on account's user stays present,
 * in its channels and holding its nick, with no session attached (its
 * endpoint an empty EndpointGroup: nothing is delivered, WHOIS shows it). Its
 * channels are kept in the account record as they change and, at start,
 * every always-on account is restored as a present user before the server
 * listens. A login attaches to it as in multiclient (server/multiclient.ts).
 */
import { emit } from '../network/effects.js';
import { userInfo } from '../network/users.js';
import { CAP } from '../protocol/caps.js';
import { CHANTYPES } from '../commands/channel.js';
import { isValidChannelName, isValidNick, sanitizeUsername } from '../protocol/names.js';
import { Outgoing } from '../protocol/outgoing.js';
import { channelCost, own } from '../state/budget.js';
import { OP } from '../state/channel.js';
import { EndpointGroup, sessionCount, User } from '../state/user.js';
import type { AccountRecord } from '../store/types.js';
import type { ObrolServer } from './server.js';
import type { Session } from './session.js';

/** The most missed channel messages played back to an attaching client without chathistory, per channel. */
const PLAYBACK_LIMIT = 100;

/** When each always-on user's last session left (Unix ms), for playback on the next attach. */
const detachedAt = new WeakMap<User, number>();
/** Each user's pending account write: writes of one account run in order. */
const saving = new WeakMap<User, Promise<void>>();

/** Does the config let `record` be always-on? (Under opt-out, REGISTER creates accounts with alwaysOn set.) */
export function alwaysOnFor(server: ObrolServer, record: AccountRecord): boolean {
  return server.config.accounts.always_on !== 'disabled' && record.alwaysOn;
}

/** A user registered logged in: if their account is always-on, they become so (and their channels are recorded from now). */
export function noteLogin(server: ObrolServer, user: User): void {
  const account = user.account;
  if (account === null || server.config.accounts.always_on === 'disabled') return;
  server.store.accounts
    .getAccount(server.registry.fold(account))
    .then((record) => {
      if (record === null || !alwaysOnFor(server, record) || user.forgotten || user.account !== account) return;
      // One always-on user per account: a second user logged into it (no SASL at connect, or multiclient off) stays ordinary.
      if (server.registry.loggedInAs(server.registry.fold(account)).some((other) => other !== user && other.alwaysOn)) return;
      user.alwaysOn = true;
      saveChannels(server, user);
    })
    .catch((err: unknown) => server.log.warn({ err, event: 'always-on-lookup-failed' }, 'could not read the account to check always-on'));
}

/** The last session of an always-on user left: remember when, for playback. */
export function noteDetached(server: ObrolServer, user: User): void {
  detachedAt.set(user, server.clock.now());
}

/** A local user joined, parted or was kicked: an always-on user's channels are written to its account. */
export function channelsChanged(server: ObrolServer, userId: string): void {
  const user = server.registry.byId(userId);
  if (user !== undefined && user.alwaysOn && user.server === null) saveChannels(server, user);
}

/** Write `user`'s channels (as they are now) and always-on flag into its account record, after any write still pending. */
export function saveChannels(server: ObrolServer, user: User): Promise<void> {
  const account = user.account;
  if (account === null) return Promise.resolve();
  const folded = server.registry.fold(account);
  const channels = [...user.channels].map((channel) => channel.name);
  const alwaysOn = user.alwaysOn;
  const next = (saving.get(user) ?? Promise.resolve())
    .then(async () => {
      const record = await server.store.accounts.getAccount(folded);
      if (record !== null) await server.store.accounts.updateAccount(folded, { ...record, alwaysOn, channels });
    })
    .catch((err: unknown) => server.log.warn({ err, event: 'always-on-save-failed', account }, 'could not save an always-on account’s channels'));
  saving.set(user, next);
  return next;
}

export type AlwaysOnResult = 'ok' | 'disabled' | 'not-logged-in';

/**
 * NickServ `SET ALWAYS-ON on|off` for `user` (a local user, logged in).
 * 'disabled' when accounts.always_on is; resolves once the account is written.
 */
export async function setAlwaysOn(server: ObrolServer, user: User, on: boolean): Promise<AlwaysOnResult> {
  if (server.config.accounts.always_on === 'disabled') return 'disabled';
  if (user.account === null) return 'not-logged-in';
  user.alwaysOn = on;
  // Turned off with nobody attached (an operator's tool): the user goes as if its last session quit.
  if (!on && sessionCount(user) === 0 && user.endpoint instanceof EndpointGroup) {
    await saveChannels(server, user);
    server.disconnect(user, 'Always-on turned off');
    return 'ok';
  }
  await saveChannels(server, user);
  return 'ok';
}

/**
 * At start, before listening: every always-on account becomes a present
 * user (nick: the account name) in the channels recorded for it.
 */
export async function restoreAlwaysOn(server: ObrolServer): Promise<number> {
  if (server.config.accounts.always_on === 'disabled') return 0;
  const accounts = await server.store.accounts.alwaysOnAccounts();
  let restored = 0;
  for (const { folded, record } of accounts) {
    try {
      if (await restoreOne(server, folded, record)) restored++;
    } catch (err) {
      server.log.error({ err, event: 'always-on-restore-failed', account: record.name }, 'could not restore an always-on account');
    }
  }
  if (restored > 0) server.log.info({ event: 'always-on-restored', users: restored }, 'always-on accounts restored');
  return restored;
}

async function restoreOne(server: ObrolServer, folded: string, record: AccountRecord): Promise<boolean> {
  const { registry, config, info } = server;
  const nick = record.name;
  if (!isValidNick(nick, config.limits.nick_length) || registry.nickHolder(nick) !== undefined) {
    server.log.warn({ event: 'always-on-nick-taken', account: record.name }, 'always-on account not restored: its nick is invalid or taken');
    return false;
  }
  const nodeId = server.bus.nodeId;
  // No connection behind it: no address; the host shown is the server's name.
  const user = new User(`${nodeId}/~${folded}`, '0.0.0.0', info.name, nodeId, new EndpointGroup());
  // Workers sharing one data file each read every always-on account: the one that claims the nick in the network's directory restores it.
  if (server.directory !== null && (await server.directory.claimNick(registry.fold(nick), { node: nodeId, user: user.id })) !== 'ok') return false;
  if (registry.nickHolder(nick) !== undefined) return false;
  registry.claimNick(user, nick);
  user.setUsername(own(sanitizeUsername(nick, config.limits.user_length) ?? 'user'));
  user.realname = own(record.name);
  user.account = own(record.name);
  const now = server.clock.now();
  for (const mode of config.server.default_user_modes.replace('+', '')) user.setMode(mode, true);
  registry.register(user, Math.floor(now / 1000));
  detachedAt.set(user, now);
  emit(server, { type: 'user.register', origin: nodeId, user: userInfo(user, info.name) }, null);
  for (const name of record.channels) {
    const existing = registry.findChannel(name);
    if (existing?.has(user)) continue;
    if (user.channels.size >= config.limits.channels_per_user) break;
    if (!isValidChannelName(name, CHANTYPES, config.limits.channel_length)) continue;
    const created = existing === undefined ? { at: Math.floor(now / 1000), flags: config.channels.default_modes.replace('+', '') } : null;
    if (existing === undefined) registry.budget.charge(user.id, channelCost(name, registry.fold(name)));
    emit(server, { type: 'channel.join', origin: nodeId, userId: user.id, channel: existing?.name ?? name, status: existing === undefined ? OP : 0, created, msgid: server.nextMsgId(), time: Date.now() }, null);
  }
  // Set last, so the joins above do not each write back the list they came from.
  user.alwaysOn = true;
  return true;
}

/**
 * An attaching client without chathistory (which would ask for itself):
 * the channel messages it missed since the always-on user's last session
 * left, from history, up to PLAYBACK_LIMIT per channel. Best effort.
 */
export function replayMissed(server: ObrolServer, session: Session, user: User): void {
  const since = detachedAt.get(user);
  if (since === undefined || !user.alwaysOn) return;
  detachedAt.delete(user);
  if (!server.config.history.enabled || (session.capMask & CAP.CHATHISTORY) !== 0) return;
  const channels = [...user.channels];
  void (async () => {
    for (const channel of channels) {
      const entries = await server.store.history.after(channel.folded, { time: since }, PLAYBACK_LIMIT);
      for (const entry of entries) {
        if (session.closed) return;
        if (entry.command !== 'PRIVMSG' && entry.command !== 'NOTICE') continue;
        const tags = entry.tags === null ? null : new Map(entry.tags);
        session.send(new Outgoing({ tags: null, source: entry.source, command: entry.command, params: entry.params }, { msgid: entry.msgid, account: entry.account, clientTags: tags }, entry.time));
      }
    }
  })().catch((err: unknown) => server.log.warn({ err, event: 'playback-failed' }, 'could not play back missed messages'));
}
