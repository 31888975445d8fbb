/**
 * METADATA: key/value data on users and channels, as the work-in-progress
 * IRCv3 specification describes it (draft/metadata-3, in the form Ergo and
 * irctest implement: https://github.com/ircv3/ircv3-specifications/pull/501).
 *
 * Users set their own keys (also before registration: before-connect),
 * channel operators set a channel's. Clients subscribe to keys (SUB) and
 * are told of changes with RPL_KEYVALUE / RPL_KEYNOTSET for users they share
 * a channel with or monitor, and for channels they are on. GET, LIST, CLEAR
 * and SYNC answer inside a `metadata` batch. Errors are standard replies.
 */
import { CAP } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { isChannelName } from '../protocol/names.js';
import { ERR_NEEDMOREPARAMS, RPL_KEYNOTSET, RPL_KEYVALUE, RPL_METADATASUBOK, RPL_METADATASUBS, RPL_METADATAUNSUBOK } from '../protocol/replies.js';
import { own, subscriptionCost } from '../state/budget.js';
import { dropMetadata, metadataOf, setMetadata } from '../state/metadata.js';
import type { Channel } from '../state/channel.js';
import type { User } from '../state/user.js';
import { broadcastWait, chargeBroadcast } from './broadcast.js';
import { CHANTYPES } from './channel.js';
import { storageRefusal, type CommandContext, type ServerApi } from './context.js';
import type { CommandSpec } from './spec.js';
import { VISIBLE } from '../network/metadata.js';
import { saveAccountMetadata } from './accountstate.js';

const KEY_RE = /^[a-z0-9_./-]+$/;

/** The capability value: before-connect and the limits. */
export function metadataCapValue(limits: { metadata_subscriptions: number; metadata_keys: number; metadata_value_bytes: number }): string {
  return `before-connect,max-subs=${limits.metadata_subscriptions},max-keys=${limits.metadata_keys},max-value-bytes=${limits.metadata_value_bytes}`;
}

type Target = { kind: 'user'; user: User; name: string } | { kind: 'channel'; channel: Channel; name: string };

function fail(ctx: CommandContext, code: string, description: string, context: string[] = []): void {
  ctx.standardReply('FAIL', 'METADATA', code, description, context);
}

/** A valid key: the specification's characters, at most limits.metadata_key_length of them. Else FAIL INVALID_KEY. */
function checkKey(ctx: CommandContext, key: string): boolean {
  const max = ctx.config.limits.metadata_key_length;
  if (KEY_RE.test(key) && key.length <= max) return true;
  fail(ctx, 'INVALID_KEY', key.length > max ? `Keys may be at most ${max} bytes` : 'Invalid key name', [key.length > max ? '*' : key]);
  return false;
}

/** `*` is the caller; otherwise an existing nick or channel. */
function resolveTarget(ctx: CommandContext, name: string): Target | null {
  if (name === '*') return { kind: 'user', user: ctx.user, name: ctx.user.registered ? ctx.user.nick : '*' };
  if (isChannelName(name, CHANTYPES)) {
    const channel = ctx.registry.findChannel(name);
    return channel ? { kind: 'channel', channel, name: channel.name } : null;
  }
  const user = ctx.registry.findUser(name);
  return user ? { kind: 'user', user, name: user.nick } : null;
}

/** Users' metadata is public; a channel's is for its members (and opers). */
function canSee(ctx: CommandContext, target: Target): boolean {
  return target.kind === 'user' || target.channel.has(ctx.user) || ctx.user.isOper;
}

/** Users edit their own; channel operators their channel's; opers anything. */
function canEdit(ctx: CommandContext, target: Target): boolean {
  if (ctx.user.isOper) return true;
  return target.kind === 'user' ? target.user === ctx.user : target.channel.isOp(ctx.user);
}

export function handleMetadata(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const [targetName, rawSub, ...args] = msg.params as [string, string, ...string[]];
  const sub = rawSub.toUpperCase();
  switch (sub) {
    case 'SUB':
      subscribe(ctx, args);
      return;
    case 'UNSUB':
      unsubscribe(ctx, args);
      return;
    case 'SUBS':
      listSubscriptions(ctx);
      return;
    case 'GET':
    case 'LIST':
    case 'SET':
    case 'CLEAR':
    case 'SYNC':
      break;
    default:
      fail(ctx, 'INVALID_PARAMS', 'Invalid subcommand', [rawSub]);
      return;
  }
  if ((sub === 'GET' || sub === 'SET') && args.length === 0) {
    ctx.reply(ERR_NEEDMOREPARAMS('METADATA'));
    return;
  }
  if (!ctx.user.registered && targetName !== '*') {
    fail(ctx, 'KEY_NO_PERMISSION', 'Before registration you can only use your own metadata', [targetName, '*']);
    return;
  }
  const target = resolveTarget(ctx, targetName);
  if (target === null) {
    fail(ctx, 'INVALID_TARGET', 'Invalid metadata target', [targetName]);
    return;
  }
  switch (sub) {
    case 'SET':
      return setKey(ctx, target, args[0] as string, args[1]);
    case 'CLEAR':
      return clear(ctx, target);
    default:
      if (!canSee(ctx, target)) {
        fail(ctx, 'KEY_NO_PERMISSION', 'You do not have permission to see this metadata', [target.name, '*']);
        return;
      }
      if (sub === 'GET') get(ctx, target, args);
      else if (sub === 'LIST') list(ctx, target);
      else sync(ctx, target);
  }
}

function get(ctx: CommandContext, target: Target, keys: string[]): void {
  const store = metadataOf(target);
  ctx.replies.startBatch('metadata', [target.name]);
  for (const key of keys) {
    if (!checkKey(ctx, key)) continue;
    const value = store.get(key);
    ctx.reply(value === undefined ? RPL_KEYNOTSET(target.name, key) : RPL_KEYVALUE(target.name, key, VISIBLE, value));
  }
  ctx.replies.endBatch();
}

function list(ctx: CommandContext, target: Target): void {
  ctx.replies.startBatch('metadata', [target.name]);
  for (const [key, value] of metadataOf(target)) ctx.reply(RPL_KEYVALUE(target.name, key, VISIBLE, value));
  ctx.replies.endBatch();
}

function setKey(ctx: CommandContext, target: Target, key: string, value: string | undefined): void | Promise<void> {
  if (!checkKey(ctx, key)) return;
  if (!canEdit(ctx, target)) {
    fail(ctx, 'KEY_NO_PERMISSION', `You do not have permission to set ${key} on ${target.name}`, [target.name, key]);
    return;
  }
  const limits = ctx.config.limits;
  const store = metadataOf(target);
  if (value === undefined || value === '') {
    if (store.has(key) && !chargeUserChange(ctx, target, [key])) return;
    const existed = dropMetadata(ctx.registry.budget, target, key);
    ctx.reply(RPL_KEYNOTSET(target.name, key));
    if (existed) notify(ctx, target, key, undefined);
    return existed ? saveOwn(ctx, target, [[key, null]]) : undefined;
  }
  if (Buffer.byteLength(value) > limits.metadata_value_bytes) {
    fail(ctx, 'INVALID_VALUE', `Values may be at most ${limits.metadata_value_bytes} bytes`, [key]);
    return;
  }
  if (!store.has(key) && store.size >= limits.metadata_keys) {
    fail(ctx, 'LIMIT_REACHED', 'Metadata limit reached', [target.name, String(limits.metadata_keys)]);
    return;
  }
  const changed = store.get(key) !== value;
  if (changed && !chargeUserChange(ctx, target, [key])) return;
  // The caller's own charge may forget their oldest read markers to make room; anyone else's is only checked.
  const charge = (owner: string, bytes: number) => (owner === ctx.user.id ? ctx.store(bytes) : ctx.registry.budget.tryCharge(owner, bytes, limits));
  const refusal = setMetadata(ctx.registry.budget, target, key, value, ctx.user.id, charge);
  if (refusal !== null) {
    fail(ctx, 'LIMIT_REACHED', storageRefusal(refusal, limits), [target.name]);
    return;
  }
  ctx.reply(RPL_KEYVALUE(target.name, key, VISIBLE, value));
  if (changed) notify(ctx, target, key, value);
  return changed ? saveOwn(ctx, target, [[key, value]]) : undefined;
}

/** A logged-in user's own keys belong to their account: saved to the store (the reply waits for it). */
function saveOwn(ctx: CommandContext, target: Target, changes: Array<[string, string | null]>): Promise<void> | undefined {
  return target.kind === 'user' ? saveAccountMetadata(ctx, target.user, changes) : undefined;
}

function clear(ctx: CommandContext, target: Target): void | Promise<void> {
  if (!canEdit(ctx, target)) {
    fail(ctx, 'KEY_NO_PERMISSION', `You do not have permission to clear ${target.name}`, [target.name, '*']);
    return;
  }
  const keys = [...metadataOf(target).keys()];
  if (!chargeUserChange(ctx, target, keys)) return;
  for (const key of keys) dropMetadata(ctx.registry.budget, target, key);
  ctx.replies.startBatch('metadata', [target.name]);
  for (const key of keys) ctx.reply(RPL_KEYNOTSET(target.name, key));
  ctx.replies.endBatch();
  for (const key of keys) notify(ctx, target, key, undefined);
  return saveOwn(ctx, target, keys.map((key) => [key, null]));
}

/** The subscribed keys of the target (and, for a channel, of its members), in a metadata batch. */
function sync(ctx: CommandContext, target: Target): void {
  ctx.replies.startBatch('metadata', [target.name]);
  sendSubscribed(ctx, target.name, metadataOf(target));
  if (target.kind === 'channel') for (const member of target.channel.members.keys()) sendSubscribed(ctx, member.nick, member.metadata);
  ctx.replies.endBatch();
}

function sendSubscribed(ctx: CommandContext, name: string, store: ReadonlyMap<string, string>): void {
  const subs = ctx.session.metadataSubs;
  for (const [key, value] of store) if (subs.has(key)) ctx.reply(RPL_KEYVALUE(name, key, VISIBLE, value));
}

function subscribe(ctx: CommandContext, keys: string[]): void {
  if (keys.length === 0) {
    ctx.reply(ERR_NEEDMOREPARAMS('METADATA'));
    return;
  }
  const subs = ctx.session.editableMetadataSubs();
  const limit = ctx.config.limits.metadata_subscriptions;
  const added: string[] = [];
  for (const key of keys) {
    if (!checkKey(ctx, key)) continue;
    if (!subs.has(key)) {
      if (subs.size >= limit) {
        fail(ctx, 'TOO_MANY_SUBS', 'Too many subscriptions', [key]);
        break;
      }
      const refusal = ctx.store(subscriptionCost(key));
      if (refusal !== null) {
        fail(ctx, 'TOO_MANY_SUBS', storageRefusal(refusal, ctx.config.limits), [key]);
        break;
      }
      subs.add(own(key));
    }
    added.push(key);
  }
  if (added.length > 0) ctx.reply(RPL_METADATASUBOK(added));
}

function unsubscribe(ctx: CommandContext, keys: string[]): void {
  const removed: string[] = [];
  for (const key of keys) {
    if (!checkKey(ctx, key)) continue;
    if (ctx.session.editableMetadataSubs().delete(key)) ctx.registry.budget.credit(ctx.user.id, subscriptionCost(key));
    removed.push(key);
  }
  if (removed.length > 0) ctx.reply(RPL_METADATAUNSUBOK(removed));
}

function listSubscriptions(ctx: CommandContext): void {
  ctx.replies.startBatch('metadata-subs', []);
  const keys = [...ctx.session.metadataSubs];
  for (let k = 0; k < keys.length; k += 10) ctx.reply(RPL_METADATASUBS(keys.slice(k, k + 10)));
  ctx.replies.endBatch();
}

/** Those who may hear of a change to `target`'s keys: members of a channel; for a user, peers and watchers. */
function audienceOf(server: ServerApi, target: Target, author: User): Set<User> {
  const recipients = new Set<User>();
  if (target.kind === 'channel') {
    for (const member of target.channel.members.keys()) recipients.add(member);
  } else {
    for (const peer of server.registry.peersOf(target.user)) recipients.add(peer);
    for (const watcher of server.registry.watchersOf(target.user.folded)) recipients.add(watcher);
  }
  recipients.delete(author);
  return recipients;
}

/**
 * A change to a user's own keys reaches every peer subscribed to them, so it
 * draws on the caller's broadcast budget (commands/broadcast.ts): one unit per
 * line sent. False (after FAIL METADATA RATE_LIMITED) when the budget is short.
 */
function chargeUserChange(ctx: CommandContext, target: Target, keys: string[]): boolean {
  if (target.kind !== 'user' || keys.length === 0) return true;
  let wait = broadcastWait(ctx);
  if (wait === 0) {
    let lines = 0;
    for (const user of audienceOf(ctx.server, target, ctx.user)) {
      const endpoint = user.endpoint;
      if (!endpoint || (endpoint.capMask & CAP.METADATA) === 0) continue;
      for (const key of keys) if (endpoint.metadataSubs.has(key)) lines++;
    }
    wait = chargeBroadcast(ctx, lines);
  }
  if (wait === 0) return true;
  fail(ctx, 'RATE_LIMITED', `Too many changes seen by many users; wait ${wait} seconds`, [target.name, keys[0] as string, String(wait)]);
  return false;
}

/**
 * Tell subscribers of `key` about a change, here and on the other nodes
 * (network/metadata.ts): members of a channel; for a user, those sharing a
 * channel or monitoring them. Never the client that made it. Nobody hears of
 * an unregistered user's keys (before-connect) until they are registered.
 */
function notify(ctx: CommandContext, target: Target, key: string, value: string | undefined): void {
  if (target.kind === 'user' && !target.user.registered) return;
  ctx.emit({
    type: 'metadata',
    origin: ctx.nodeId,
    userId: ctx.user.id,
    targetUser: target.kind === 'user' ? target.user.id : null,
    targetChannel: target.kind === 'channel' ? target.channel.name : null,
    key,
    value: value ?? null,
  });
}

/** On JOIN: the channel's and its members' subscribed keys, for a client with the capability. */
export function syncOnJoin(ctx: CommandContext, channel: Channel): void {
  if (!ctx.session.hasCap(CAP.METADATA) || ctx.session.metadataSubs.size === 0) return;
  const subscribed = (store: ReadonlyMap<string, string>) => [...store.keys()].some((key) => ctx.session.metadataSubs.has(key));
  const others = [...channel.members.keys()].filter((member) => member !== ctx.user && member.metadata.size > 0);
  if (!subscribed(channel.metadata) && !others.some((member) => subscribed(member.metadata))) return;
  ctx.replies.startBatch('metadata', [channel.name]);
  sendSubscribed(ctx, channel.name, channel.metadata);
  for (const member of others) sendSubscribed(ctx, member.nick, member.metadata);
  ctx.replies.endBatch();
}

/** In the registration burst: the user's own metadata (set before registration), always as a batch. */
export function burstOwnMetadata(ctx: CommandContext): void {
  if (!ctx.session.hasCap(CAP.METADATA)) return;
  const user = ctx.user;
  ctx.replies.startBatch('metadata', [user.nick]);
  for (const [key, value] of user.metadata) ctx.reply(RPL_KEYVALUE(user.nick, key, VISIBLE, value));
  ctx.replies.endBatch();
}

export const metadataCommands: CommandSpec[] = [
  { verb: 'METADATA', minParams: 2, beforeRegistration: true, penalty: 1000, handle: handleMetadata },
];
