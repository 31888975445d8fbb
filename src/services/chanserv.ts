/**
 * ChanServ: channel registration (REGISTER, OP, DEOP, VOICE, DEVOICE, AMODE,
 * DROP, INFO). A registered channel belongs to its founder's account: its
 * topic, modes and lists are kept across restarts, it exists while empty,
 * and the founder and the accounts given an auto-mode get their status when
 * they join (network/registered.ts). Nobody gets ops by joining it empty.
 */
import type { CommandContext } from '../commands/context.js';
import type { NetworkHost } from '../network/host.js';
import { CHANTYPES } from '../commands/channel.js';
import { serverEmitter } from '../network/effects.js';
import { dueModes, grantAutoModes, saveRegistration, serviceModes } from '../network/registered.js';
import { isChannelName } from '../protocol/names.js';
import type { Channel, Registration } from '../state/channel.js';
import type { User } from '../state/user.js';
import type { ServiceCall, ServiceCommand, Service } from './service.js';

const NICK = 'ChanServ';

/** ChanServ's mask on this server: the source of its NOTICEs and MODEs. */
export function chanServSource(serverName: string): string {
  return `${NICK}!${NICK}@${serverName}`;
}

/** The caller's account, casefolded; null (after saying how to log in) when they are not logged in. */
function loggedIn(call: ServiceCall, doing: string): string | null {
  const account = call.ctx.user.account;
  if (account !== null) return call.ctx.registry.fold(account);
  call.reply(`You must be logged in to ${doing}. Log in with SASL or /msg NickServ IDENTIFY <account> <password>.`);
  return null;
}

/** The registered channel called `name`, or null after saying why not. */
function registeredChannel(call: ServiceCall, name: string): { channel: Channel; registration: Registration } | null {
  if (!isChannelName(name, CHANTYPES)) {
    call.reply(`${name} is not a channel name (channel names start with #).`);
    return null;
  }
  const channel = call.ctx.registry.findChannel(name);
  if (channel === undefined || channel.registration === null) {
    call.reply(`${channel?.name ?? name} is not registered.`);
    return null;
  }
  return { channel, registration: channel.registration };
}

function emitRegistration(ctx: CommandContext, channel: Channel, registration: Registration | null): void {
  const info = registration === null ? null : { founder: registration.founder, registeredAt: registration.registeredAt, amodes: { ...registration.amodes } };
  ctx.emit({ type: 'channel.register', origin: ctx.nodeId, channel: channel.name, registration: info });
}

/**
 * Tell the network of `channel`'s new registration (founder, auto-modes; null:
 * dropped) and save it; the reply waits for the write. When the store fails,
 * the previous registration is put back and false returned (after saying so).
 */
async function publishRegistration(call: ServiceCall, channel: Channel, registration: Registration | null): Promise<boolean> {
  const { ctx } = call;
  const previous = channel.registration;
  emitRegistration(ctx, channel, registration);
  try {
    if (registration === null) await ctx.server.store.channels.deleteChannel(channel.folded);
    else await saveRegistration(ctx.server, channel);
    return true;
  } catch (err) {
    ctx.session.log.error({ err, event: 'channel-save-failed', channel: channel.name }, 'could not save a channel registration');
    if (ctx.registry.findChannel(channel.name) === channel) emitRegistration(ctx, channel, previous);
    call.reply('Sorry, that could not be saved just now; nothing was changed. Try again later.');
    return false;
  }
}

async function register(call: ServiceCall, [name]: string[]): Promise<void> {
  const { ctx } = call;
  const account = loggedIn(call, 'register a channel');
  if (account === null) return;
  if (!isChannelName(name as string, CHANTYPES)) {
    call.reply(`${name} is not a channel name (channel names start with #).`);
    return;
  }
  const channel = ctx.registry.findChannel(name as string);
  if (channel === undefined || !channel.has(ctx.user)) {
    call.reply(`You must be in ${channel?.name ?? name} to register it: join it first.`);
    return;
  }
  if (channel.registration !== null) {
    call.reply(`${channel.name} is already registered (founder: ${channel.registration.founder}).`);
    return;
  }
  if (!channel.isOp(ctx.user)) {
    call.reply(`You must be a channel operator of ${channel.name} to register it.`);
    return;
  }
  // Another node (sharing the store) may have registered it a moment ago.
  const stored = await ctx.server.store.channels.getChannel(channel.folded);
  const founder = stored?.founder ?? (channel.registration as Registration | null)?.founder;
  if (founder !== undefined) {
    call.reply(`${channel.name} is already registered (founder: ${founder}).`);
    return;
  }
  if (ctx.registry.findChannel(channel.name) !== channel) {
    call.reply(`${channel.name} no longer exists: join it again and retry.`);
    return;
  }
  if (!(await publishRegistration(call, channel, { founder: account, registeredAt: Date.now(), amodes: {} }))) return;
  call.reply(`${channel.name} is now registered to your account ${ctx.user.account}.`);
  call.reply(`Its topic, modes and bans are kept across restarts, and you get operator status (+o) whenever you join it.`);
  call.reply(`Give other accounts auto-modes with /msg ChanServ AMODE ${channel.name} +o <account>.`);
}

/** May `account` change status `mode` in the channel: the founder, or an auto-mode at least as high. */
function mayGrant(registration: Registration, account: string, mode: 'o' | 'v'): boolean {
  if (account === registration.founder) return true;
  const letters = registration.amodes[account] ?? '';
  return letters.includes('o') || (mode === 'v' && letters.includes('v'));
}

/** OP, DEOP, VOICE, DEVOICE <#channel> [nick]. */
function statusCommand(mode: 'o' | 'v', adding: boolean): (call: ServiceCall, args: string[]) => void {
  const what = mode === 'o' ? 'operator status (+o)' : 'voice (+v)';
  return (call, [name, nick]) => {
    const { ctx } = call;
    const account = loggedIn(call, `use ${adding ? '' : 'DE'}${mode === 'o' ? 'OP' : 'VOICE'}`);
    if (account === null) return;
    const found = registeredChannel(call, name as string);
    if (found === null) return;
    const { channel, registration } = found;
    if (!mayGrant(registration, account, mode)) {
      call.reply(`You do not have access to change ${what} on ${channel.name}: only its founder and accounts with an auto-mode do.`);
      return;
    }
    const target: User | undefined = nick === undefined ? ctx.user : ctx.registry.findUser(nick);
    if (target === undefined) {
      call.reply(`There is nobody called ${nick} on the network.`);
      return;
    }
    if (!channel.has(target)) {
      call.reply(`${target === ctx.user ? 'You are' : `${target.nick} is`} not on ${channel.name}.`);
      return;
    }
    const changed = serviceModes(ctx.server, ctx, chanServSource(ctx.serverName), channel, [{ user: target, letters: mode }], adding);
    if (changed.length === 0) call.reply(`${target.nick} ${adding ? 'already has' : 'does not have'} ${what} on ${channel.name}.`);
    else call.reply(`${adding ? 'Gave' : 'Took'} ${what} ${adding ? 'to' : 'from'} ${target.nick} on ${channel.name}.`);
  };
}

const AMODE_RE = /^([+-])([ov])$/;

async function amode(call: ServiceCall, [name, change, target]: string[]): Promise<void> {
  const { ctx } = call;
  const account = loggedIn(call, 'use AMODE');
  if (account === null) return;
  const found = registeredChannel(call, name as string);
  if (found === null) return;
  const { channel, registration } = found;
  if (change === undefined) {
    if (account !== registration.founder && registration.amodes[account] === undefined) {
      call.reply(`Only the founder of ${channel.name} and accounts with an auto-mode there may see its auto-modes.`);
      return;
    }
    const entries = Object.entries(registration.amodes);
    call.reply(`Auto-modes of ${channel.name} (the founder ${registration.founder} always gets +o):`);
    for (const [who, letters] of entries) call.reply(`  +${letters} ${who}`);
    call.reply(`End of the list: ${entries.length} ${entries.length === 1 ? 'account' : 'accounts'}.`);
    return;
  }
  const m = AMODE_RE.exec(change);
  if (m === null || target === undefined) {
    call.reply('Syntax: AMODE <#channel> [+o|+v|-o|-v <account>]');
    return;
  }
  if (account !== registration.founder) {
    call.reply(`Only the founder of ${channel.name} may change its auto-modes.`);
    return;
  }
  const [, sign, mode] = m as unknown as [string, '+' | '-', 'o' | 'v'];
  const who = ctx.registry.fold(target);
  if (sign === '+' && (await ctx.server.store.accounts.getAccount(who)) === null) {
    call.reply(`There is no account called ${target}.`);
    return;
  }
  // Read again after the wait: the registration may have changed (or gone) meanwhile.
  const current = channel.registration;
  if (current === null || ctx.registry.findChannel(channel.name) !== channel) {
    call.reply(`${channel.name} is not registered.`);
    return;
  }
  const old = current.amodes[who] ?? '';
  const letters = sign === '+' ? (old.includes(mode) ? old : old + mode) : old.replace(mode, '');
  if (letters === old) {
    call.reply(`${target} ${sign === '+' ? 'already has' : 'does not have'} the auto-mode +${mode} on ${channel.name}.`);
    return;
  }
  const amodes = { ...current.amodes };
  if (letters === '') delete amodes[who];
  else amodes[who] = letters;
  if (!(await publishRegistration(call, channel, { ...current, amodes }))) return;
  call.reply(sign === '+' ? `${target} will now get +${mode} when joining ${channel.name}.` : `${target} will no longer get +${mode} when joining ${channel.name}.`);
}

/**
 * An account was dropped (NickServ DROP): the channels it founded are no
 * longer registered and its auto-modes go, so whoever registers the name
 * next inherits nothing. Returns how many channels changed.
 */
export async function forgetAccount(call: ServiceCall, folded: string): Promise<number> {
  let changed = 0;
  for (const channel of [...call.ctx.registry.channels.values()]) {
    const registration = channel.registration;
    if (registration === null) continue;
    if (registration.founder === folded) {
      if (await publishRegistration(call, channel, null)) changed++;
    } else if (Object.hasOwn(registration.amodes, folded)) {
      const amodes = { ...registration.amodes };
      delete amodes[folded];
      if (await publishRegistration(call, channel, { ...registration, amodes })) changed++;
    }
  }
  return changed;
}

async function drop(call: ServiceCall, [name]: string[]): Promise<void> {
  const account = loggedIn(call, 'drop a channel');
  if (account === null) return;
  const found = registeredChannel(call, name as string);
  if (found === null) return;
  const { channel, registration } = found;
  if (account !== registration.founder) {
    call.reply(`Only the founder of ${channel.name} may drop it.`);
    return;
  }
  if (!(await publishRegistration(call, channel, null))) return;
  call.reply(`${channel.name} is no longer registered. Its topic and modes stay as they are until it empties; nothing is kept after that.`);
}

function info(call: ServiceCall, [name]: string[]): void {
  const found = registeredChannel(call, name as string);
  if (found === null) return;
  const { channel, registration } = found;
  call.reply(`Information on ${channel.name}:`);
  call.reply(`  Founder:    ${registration.founder}`);
  call.reply(`  Registered: ${new Date(registration.registeredAt).toUTCString()}`);
  call.reply(`  Auto-modes: ${Object.keys(registration.amodes).length}`);
  // A secret channel's topic is for its members, as TOPIC says.
  const topic = channel.isVisibleTo(call.ctx.user) ? channel.topic : '';
  call.reply(`  Topic:      ${topic === '' ? '(none)' : topic}`);
}

const commands: ServiceCommand[] = [
  { name: 'REGISTER', minArgs: 1, syntax: 'REGISTER <#channel>', help: 'Register a channel you operate to your account.', handle: register },
  { name: 'OP', minArgs: 1, syntax: 'OP <#channel> [nick]', help: 'Give operator status (you by default).', handle: statusCommand('o', true) },
  { name: 'DEOP', minArgs: 1, syntax: 'DEOP <#channel> [nick]', help: 'Take operator status (yours by default).', handle: statusCommand('o', false) },
  { name: 'VOICE', minArgs: 1, syntax: 'VOICE <#channel> [nick]', help: 'Give voice (you by default).', handle: statusCommand('v', true) },
  { name: 'DEVOICE', minArgs: 1, syntax: 'DEVOICE <#channel> [nick]', help: 'Take voice (yours by default).', handle: statusCommand('v', false) },
  {
    name: 'AMODE',
    minArgs: 1,
    syntax: 'AMODE <#channel> [+o|+v|-o|-v <account>]',
    help: 'List auto-modes, or (founder) give or take one from an account.',
    handle: amode,
  },
  { name: 'DROP', minArgs: 1, syntax: 'DROP <#channel>', help: 'Unregister a channel you founded.', handle: drop },
  { name: 'INFO', minArgs: 1, syntax: 'INFO <#channel>', help: 'Show who founded a channel and when.', handle: info },
];

export const chanServ: Service = {
  nick: NICK,
  aliases: ['CS'],
  description: 'registers channels and keeps their modes, topic and operators',
  commands,
};

/** After a JOIN (commands/channel.ts): the founder gets +o, accounts with auto-modes theirs, from ChanServ. */
export function autoModesOnJoin(ctx: CommandContext, channel: Channel): void {
  if (channel.registration === null || ctx.user.account === null) return;
  grantAutoModes(ctx.server, ctx, chanServSource(ctx.serverName), channel, ctx.user);
}

/** After a login (services/accountstate.ts): auto-modes in the registered channels `user` is already on. */
export function autoModesOnLogin(server: NetworkHost, user: User): void {
  const emitter = serverEmitter(server);
  for (const channel of user.channels) {
    if (dueModes(server.registry, channel, user) !== '') grantAutoModes(server, emitter, chanServSource(server.info.name), channel, user);
  }
}
