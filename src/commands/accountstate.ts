/**
 * What an account keeps for its user across connections: read markers
 * (draft/read-marker) and the user's own metadata (draft/metadata-3). Both
 * live in the store, keyed by the casefolded account; a logged-in user's
 * copies in memory are caches (JOIN sends the marker before 366 without
 * waiting). restoreAccountState() loads them at login.
 *
 * Writes of one account run one after another (a read-compare-write of a
 * marker must not interleave with another client's), per store.
 */
import { CAP } from '../protocol/caps.js';
import { N } from '../protocol/numerics.js';
import { Outgoing } from '../protocol/outgoing.js';
import { VISIBLE } from '../network/metadata.js';
import { serverEmitter } from '../network/effects.js';
import { setMetadata } from '../state/metadata.js';
import type { User } from '../state/user.js';
import type { Store } from '../store/types.js';
import { autoModesOnLogin } from '../services/chanserv.js';
import { deliverTo, deliverToOtherSessions, type Pick } from '../network/fanout.js';
import type { NetworkHost } from '../network/host.js';
import type { CommandContext } from './context.js';
import { markread, rememberMarker } from './readmarker.js';

const queues = new WeakMap<Store, Map<string, Promise<unknown>>>();

/** Run `work` after every earlier work of `account` in `store` is done. */
function serialized<T>(store: Store, account: string, work: () => Promise<T>): Promise<T> {
  let byAccount = queues.get(store);
  if (byAccount === undefined) queues.set(store, (byAccount = new Map()));
  const previous = byAccount.get(account) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  byAccount.set(account, settled);
  // Forget the queue once it is idle, so accounts seen once do not stay.
  void settled.then(() => {
    if (byAccount.get(account) === settled) byAccount.delete(account);
  });
  return next;
}

/** The local users logged into `account` (casefolded). */
function usersOf(server: NetworkHost, account: string): User[] {
  return server.registry.loggedInAs(account).filter((user) => user.endpoint !== null);
}

/** A MARKREAD from the server, for recipients with the capability. */
function markreadFor(server: NetworkHost, target: string, value: string): Pick {
  const line = new Outgoing({ tags: null, source: server.info.name, command: 'MARKREAD', params: [target, value] });
  return (mask) => ((mask & CAP.READ_MARKER) !== 0 ? line : null);
}

/**
 * MARKREAD for a logged-in user: `timestamp` null asks for the marker, else
 * sets it if newer. The answer comes from the store once it is written; the
 * account's other clients (with the capability) are told of a new marker.
 */
export function accountMarkread(ctx: CommandContext, target: string, folded: string, timestamp: string | null): Promise<void> {
  const { server } = ctx;
  const account = ctx.registry.fold(ctx.user.account as string);
  return serialized(server.store, account, async () => {
    let value: string | null;
    try {
      const stored = (await server.store.markers.markers(account)).get(folded) ?? null;
      value = stored;
      if (timestamp !== null && (stored === null || timestamp > stored)) {
        await server.store.markers.setMarker(account, folded, timestamp);
        value = timestamp;
      }
    } catch (err) {
      ctx.session.log.error({ err, event: 'marker-save-failed' }, 'could not read or save a read marker');
      ctx.standardReply('FAIL', 'MARKREAD', 'TEMPORARILY_UNAVAILABLE', 'Read markers cannot be read or saved right now; try again later', [target]);
      return;
    }
    if (value !== null) {
      for (const user of usersOf(server, account)) {
        if (user.readMarkers.get(folded) === value) continue;
        // A cache: when the budget refuses, JOIN shows no marker but MARKREAD still answers from the store.
        rememberMarker(server.registry, server.config.limits, user, folded, value);
        if (user !== ctx.user) deliverTo(user, markreadFor(server, target, value), null);
      }
      // The caller's other clients on this user (multiclient) hear of the new marker too.
      if (timestamp !== null && value === timestamp) deliverToOtherSessions(ctx.user, markreadFor(server, target, value), ctx);
    }
    markread(ctx, target, value ?? '*');
  });
}

/**
 * METADATA SET or CLEAR on a logged-in user's own keys: saved to their
 * account (value null deletes). Undefined when there is nothing to save.
 */
export function saveAccountMetadata(ctx: CommandContext, user: User, changes: ReadonlyArray<[string, string | null]>): Promise<void> | undefined {
  if (user.account === null || changes.length === 0) return undefined;
  const { store } = ctx.server;
  const account = ctx.registry.fold(user.account);
  return serialized(store, account, async () => {
    try {
      for (const [key, value] of changes) await store.metadata.setAccountMetadata(account, key, value);
    } catch (err) {
      // The change is made and told; only its copy in the account is missing.
      ctx.session.log.error({ err, event: 'metadata-save-failed' }, 'could not save metadata to an account');
    }
  });
}

/**
 * At login (SASL, NickServ IDENTIFY): give `user` what `account` keeps.
 * Read markers: the newer of the stored one and this connection's wins, and
 * a newer one of this connection is saved. Metadata: keys this connection
 * set win and are saved to the account; the account's other keys come back
 * (up to limits.metadata_keys). A user already registered hears of what
 * came back (their MARKREAD for channels they are on, RPL_KEYVALUE) and
 * their peers of the keys; in registered channels they are on, ChanServ
 * gives them their auto-modes.
 */
export async function restoreAccountState(server: NetworkHost, user: User, account: string): Promise<void> {
  const folded = server.registry.fold(account);
  const { store, registry } = server;
  const limits = server.config.limits;
  const restored = await serialized(store, folded, async () => {
    const [markers, metadata] = await Promise.all([store.markers.markers(folded), store.metadata.accountMetadata(folded)]);
    const writes: Array<Promise<void>> = [];
    for (const [target, value] of user.readMarkers) {
      const saved = markers.get(target);
      if (saved === undefined || value > saved) {
        writes.push(store.markers.setMarker(folded, target, value));
        markers.set(target, value);
      }
    }
    for (const [key, value] of user.metadata) if (metadata.get(key) !== value) writes.push(store.metadata.setAccountMetadata(folded, key, value));
    await Promise.all(writes);
    const changedMarkers: Array<[string, string]> = [];
    const loadedKeys: Array<[string, string]> = [];
    // Gone while the store answered: nothing to charge to them.
    if (user.forgotten) return { changedMarkers, loadedKeys };
    for (const [target, value] of markers) {
      if (user.readMarkers.get(target) === value) continue;
      if (rememberMarker(registry, limits, user, target, value) === null) changedMarkers.push([target, value]);
    }
    for (const [key, value] of metadata) {
      if (user.metadata.has(key)) continue;
      if (user.metadata.size >= limits.metadata_keys) break;
      const refusal = setMetadata(registry.budget, { kind: 'user', user }, key, value, user.id, (_owner, bytes) => registry.store(user, bytes, limits));
      if (refusal === null) loadedKeys.push([key, value]);
    }
    return { changedMarkers, loadedKeys };
  });
  if (!user.registered || user.forgotten) return;
  announceRestored(server, user, restored.changedMarkers, restored.loadedKeys);
  autoModesOnLogin(server, user);
}

/** restoreAccountState as an onLogin hook (accounts/login.ts): it runs on, and a failure is logged. */
export function restoreOnLogin(host: NetworkHost, user: User, account: string): void {
  restoreAccountState(host, user, account).catch((err: unknown) => {
    host.log.error({ err, event: 'account-restore-failed', account }, 'could not restore the read markers and metadata of an account');
  });
}

/** A registered user logged in: their markers of channels they are on and their restored keys, to them; the keys to their peers. */
function announceRestored(server: NetworkHost, user: User, markers: ReadonlyArray<[string, string]>, keys: ReadonlyArray<[string, string]>): void {
  for (const channel of user.channels) {
    const value = markers.find(([target]) => target === channel.folded)?.[1];
    if (value !== undefined) deliverTo(user, markreadFor(server, channel.name, value), null);
  }
  for (const [key, value] of keys) {
    const line = new Outgoing({ tags: null, source: server.info.name, command: N.RPL_KEYVALUE, params: [user.nick, user.nick, key, VISIBLE, value] });
    deliverTo(user, (mask) => ((mask & CAP.METADATA) !== 0 ? line : null), null);
  }
  const emitter = serverEmitter(server);
  for (const [key, value] of keys) emitter.emit({ type: 'metadata', origin: emitter.nodeId, userId: user.id, targetUser: user.id, targetChannel: null, key, value });
}
