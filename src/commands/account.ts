/**
 * REGISTER and VERIFY (https://ircv3.net/specs/extensions/account-registration,
 * offered as draft/account-registration). REGISTER is answered only after the
 * store committed the account, so "REGISTER SUCCESS" means it survives a
 * crash. Without verification the new account is logged into at once.
 */
import { accountsOf } from '../accounts/accounts.js';
import { currentAccount, logIn } from '../accounts/login.js';
import type { IrcMessage } from '../protocol/message.js';
import { findService } from '../services/index.js';
import type { CommandContext, SessionState } from './context.js';
import type { CommandSpec } from './spec.js';

/** The CAP LS 302 value of draft/account-registration. */
export function registrationCapValue(accounts: { register_before_connect: boolean; email_required: boolean; email_verification: boolean }): string {
  const flags: string[] = [];
  if (accounts.register_before_connect) flags.push('before-connect');
  if (accounts.email_required || accounts.email_verification) flags.push('email-required');
  flags.push('custom-account-name');
  return flags.join(',');
}

function failRegister(ctx: CommandContext, code: string, account: string, text: string): void {
  ctx.standardReply('FAIL', 'REGISTER', code, text, [account]);
}

/** What stops REGISTER or VERIFY before the account is even looked at, or null. */
function refusal(ctx: CommandContext, command: string, account: string): boolean {
  const config = ctx.config.accounts;
  const fail = (code: string, text: string) => ctx.standardReply('FAIL', command, code, text, [account]);
  if (!config.enabled || (command === 'REGISTER' && !config.registration)) {
    fail('TEMPORARILY_UNAVAILABLE', 'Account registration is not available on this server');
    return true;
  }
  if (!ctx.user.registered && !config.register_before_connect) {
    fail('COMPLETE_CONNECTION_REQUIRED', 'Finish connecting (NICK and USER) before registering an account');
    return true;
  }
  if (currentAccount(ctx) !== null) {
    fail('ALREADY_AUTHENTICATED', 'You are already logged into an account');
    return true;
  }
  return false;
}

/**
 * The nick a connection still registering last asked for and was refused
 * (433): `REGISTER *` then means that nick, which someone else holds, so it
 * is refused rather than read as "no nick yet" (no land grabs, as in Ergo).
 */
const refusedNicks = new WeakMap<SessionState, string>();

export function noteRefusedNick(session: SessionState, nick: string): void {
  refusedNicks.set(session, nick);
}

export async function handleRegister(ctx: CommandContext, msg: IrcMessage): Promise<void> {
  const [given, emailParam, password] = msg.params as [string, string, string];
  const nick = ctx.user.nick === '*' ? (refusedNicks.get(ctx.session) ?? '*') : ctx.user.nick;
  const name = given === '*' ? nick : given;
  if (refusal(ctx, 'REGISTER', name)) return;
  if (name === '*') {
    failRegister(ctx, 'NEED_NICK', '*', 'Send NICK first, or name the account');
    return;
  }
  const accounts = accountsOf(ctx.server);
  if (!accounts.validName(name) || findService(name) !== undefined) {
    failRegister(ctx, 'BAD_ACCOUNT_NAME', name, 'That is not a valid account name (account names follow the rules of nicknames)');
    return;
  }
  // A nick someone else is using cannot be registered out from under them.
  const holder = ctx.registry.nickHolder(name);
  if (holder !== undefined && holder !== ctx.user && (holder.account === null || accounts.fold(holder.account) !== accounts.fold(name))) {
    failRegister(ctx, 'ACCOUNT_EXISTS', name, 'That name is in use by someone else');
    return;
  }
  const email = emailParam === '*' ? null : emailParam;
  const outcome = await accounts.register(name, email, password, ctx.user.ip);
  if (!outcome.ok) {
    failRegister(ctx, outcome.code, name, outcome.message);
    return;
  }
  const record = outcome.record;
  if (!record.verified) {
    ctx.send(ctx.fromServer('REGISTER', ['VERIFICATION_REQUIRED', record.name, `Account created; send VERIFY ${record.name} <code> with the code sent to ${record.email ?? 'you'}`]));
    return;
  }
  ctx.send(ctx.fromServer('REGISTER', ['SUCCESS', record.name, `Account ${record.name} registered`]));
  // A user could have logged in some other way while the account was being saved.
  if (currentAccount(ctx) === null) logIn(ctx, record.name);
}

export async function handleVerify(ctx: CommandContext, msg: IrcMessage): Promise<void> {
  const [name, code] = msg.params as [string, string];
  if (refusal(ctx, 'VERIFY', name)) return;
  const record = await accountsOf(ctx.server).verify(name, code);
  if (record === null) {
    ctx.standardReply('FAIL', 'VERIFY', 'INVALID_CODE', 'That code is not right for this account, or it is already verified', [name]);
    return;
  }
  ctx.send(ctx.fromServer('VERIFY', ['SUCCESS', record.name, `Account ${record.name} verified`]));
  if (currentAccount(ctx) === null) logIn(ctx, record.name);
}

export const accountCommands: CommandSpec[] = [
  { verb: 'REGISTER', minParams: 3, beforeRegistration: true, penalty: 5000, handle: handleRegister },
  { verb: 'VERIFY', minParams: 2, beforeRegistration: true, penalty: 5000, handle: handleVerify },
];
