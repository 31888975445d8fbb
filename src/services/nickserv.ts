/**
 * NickServ: accounts for clients that expect a service
 * (REGISTER, IDENTIFY, GHOST, REGAIN, DROP, SET PASSWORD, INFO, CERT).
 * The same accounts as REGISTER/VERIFY and SASL (src/accounts/).
 */
import { sessionCount } from '../state/user.js';
import { forgetAccount } from './chanserv.js';
import { accountsOf } from '../accounts/accounts.js';
import { logIn, logOut } from '../accounts/login.js';
import { handleNick } from '../commands/registration.js';
import { message } from '../protocol/message.js';
import type { AccountRecord } from '../store/types.js';
import type { User } from '../state/user.js';
import type { Service, ServiceCall, ServiceCommand } from './service.js';

function accountsOn(call: ServiceCall): boolean {
  if (call.ctx.config.accounts.enabled) return true;
  call.reply('Accounts are turned off on this server.');
  return false;
}

/** The caller's account record, or null after telling them to log in. */
async function ownRecord(call: ServiceCall): Promise<AccountRecord | null> {
  const account = call.ctx.user.account;
  if (account === null) {
    call.reply('You are not logged in. Log in first with /msg NickServ IDENTIFY <account> <password>');
    return null;
  }
  const record = await accountsOf(call.ctx.server).find(account);
  if (record === null) call.reply(`Your account ${account} no longer exists.`);
  return record;
}

function sameAccount(call: ServiceCall, a: string | null, b: string): boolean {
  return a !== null && call.ctx.registry.fold(a) === call.ctx.registry.fold(b);
}

/** Everyone on the network logged into `account`. */
function loggedInAs(call: ServiceCall, account: string): User[] {
  return call.ctx.registry.loggedInAs(call.ctx.registry.fold(account));
}

/**
 * May the caller act on the nick `nick` (GHOST, REGAIN)? Yes if logged into
 * the account that owns it or the account its holder is logged into, or if
 * `password` is that account's password.
 */
async function mayClaim(call: ServiceCall, nick: string, holder: User, password: string | undefined): Promise<boolean> {
  const mine = call.ctx.user.account;
  if (sameAccount(call, mine, nick) || (holder.account !== null && sameAccount(call, mine, holder.account))) return true;
  if (password === undefined) return false;
  const outcome = await accountsOf(call.ctx.server).login(call.ctx.session.remoteAddress, nick, password);
  return outcome.result === 'ok';
}

/** End `target`'s connection for GHOST/REGAIN, wherever they are connected. */
function ghost(call: ServiceCall, target: User): void {
  const ctx = call.ctx;
  const reason = `GHOST command used by ${ctx.user.nick}`;
  if (target.endpoint !== null) {
    ctx.server.disconnect(target, reason);
    return;
  }
  ctx.emit({ type: 'user.kill', origin: ctx.nodeId, by: { server: ctx.serverName }, byName: 'NickServ', targetId: target.id, reason, ...ctx.stamp() });
}

const register: ServiceCommand = {
  name: 'REGISTER',
  minArgs: 1,
  syntax: 'REGISTER <password> [email]',
  help: 'Registers your current nick as an account, with this password, and logs you in.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    if (!ctx.config.accounts.registration) {
      call.reply('Registering accounts is turned off on this server.');
      return;
    }
    if (ctx.user.account !== null) {
      call.reply(`You are already logged in as ${ctx.user.account}.`);
      return;
    }
    const [password, email] = args as [string, string | undefined];
    const outcome = await accountsOf(ctx.server).register(ctx.user.nick, email ?? null, password, ctx.user.ip);
    if (!outcome.ok) {
      call.reply(outcome.code === 'ACCOUNT_EXISTS' ? `The nick ${ctx.user.nick} is already registered. If it is yours, use /msg NickServ IDENTIFY <password>` : `${outcome.message}.`);
      return;
    }
    const record = outcome.record;
    if (!record.verified) {
      call.reply(`Account ${record.name} created. A code was sent to ${record.email ?? 'you'}: send /msg NickServ VERIFY ${record.name} <code> (or the VERIFY command) to finish.`);
      return;
    }
    if (ctx.user.account === null) logIn(ctx, record.name);
    call.reply(`Account ${record.name} registered; you are now logged in. Next time, log in with /msg NickServ IDENTIFY <password>, or set up SASL in your client.`);
  },
};

const verify: ServiceCommand = {
  name: 'VERIFY',
  minArgs: 2,
  syntax: 'VERIFY <account> <code>',
  help: 'Finishes a registration with the code you were sent.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const [name, code] = args as [string, string];
    const record = await accountsOf(call.ctx.server).verify(name, code);
    if (record === null) {
      call.reply('That code is not right for this account, or it is already verified.');
      return;
    }
    call.reply(`Account ${record.name} verified.`);
    if (call.ctx.user.account === null) logIn(call.ctx, record.name);
  },
};

const identify: ServiceCommand = {
  name: 'IDENTIFY',
  minArgs: 1,
  syntax: 'IDENTIFY [account] <password>',
  help: 'Logs you into an account (your current nick if you name none).',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    if (ctx.user.account !== null) {
      call.reply(`You are already logged in as ${ctx.user.account}.`);
      return;
    }
    const [name, password] = args.length >= 2 ? (args as [string, string]) : [ctx.user.nick, args[0] as string];
    const outcome = await accountsOf(ctx.server).login(ctx.session.remoteAddress, name, password);
    if (outcome.result === 'refused') {
      call.reply('Too many failed logins: wait a while and try again.');
      return;
    }
    if (outcome.result === 'unverified') {
      call.reply(`The account ${name} is not verified yet: send VERIFY ${name} <code> first.`);
      return;
    }
    if (outcome.result !== 'ok') {
      call.reply(`Wrong password for ${name}, or no such account.`);
      return;
    }
    if (ctx.user.account !== null) return;
    logIn(ctx, outcome.record.name);
    call.reply(`You are now logged in as ${outcome.record.name}.`);
  },
};

const ghostCommand: ServiceCommand = {
  name: 'GHOST',
  minArgs: 1,
  syntax: 'GHOST <nick> [password]',
  help: 'Disconnects an old connection of yours that still holds your nick.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const [nick, password] = args as [string, string | undefined];
    const target = call.ctx.registry.findUser(nick);
    if (target === undefined) {
      call.reply(`Nobody is using the nick ${nick}.`);
      return;
    }
    if (target === call.ctx.user) {
      call.reply('That is you.');
      return;
    }
    if (!(await mayClaim(call, nick, target, password))) {
      call.reply(`You may not ghost ${nick}: log into its account first, or give its password.`);
      return;
    }
    if (call.ctx.registry.findUser(nick) !== target) return;
    ghost(call, target);
    call.reply(`${nick} has been disconnected.`);
  },
};

const regain: ServiceCommand = {
  name: 'REGAIN',
  minArgs: 1,
  syntax: 'REGAIN <nick> [password]',
  help: 'Disconnects whoever holds your nick, and gives it to you.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    const [nick, password] = args as [string, string | undefined];
    const target = ctx.registry.findUser(nick);
    if (target === ctx.user) {
      call.reply('You already have that nick.');
      return;
    }
    // Another node's user leaves once their node hears of it: the nick is free a moment later.
    const remote = target !== undefined && target.endpoint === null;
    if (target !== undefined) {
      if (!(await mayClaim(call, nick, target, password))) {
        call.reply(`You may not regain ${nick}: log into its account first, or give its password.`);
        return;
      }
      if (ctx.registry.findUser(nick) === target) ghost(call, target);
    } else if (!sameAccount(call, ctx.user.account, nick) && !(password !== undefined && (await mayClaim(call, nick, ctx.user, password)))) {
      call.reply(`You may not regain ${nick}: log into its account first, or give its password.`);
      return;
    }
    if (ctx.user.endpoint === null) return;
    if (remote) {
      call.reply(`${nick} has been disconnected; use /nick ${nick} in a moment.`);
      return;
    }
    call.reply(`${nick} is yours again.`);
    await handleNick(ctx, message('NICK', [nick]));
  },
};

const drop: ServiceCommand = {
  name: 'DROP',
  minArgs: 0,
  syntax: 'DROP [account] [password]',
  help: 'Deletes an account for good: yours, or one whose password you give.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    const accounts = accountsOf(ctx.server);
    const [given, password] = args as [string | undefined, string | undefined];
    const name = given ?? ctx.user.account;
    if (name === null) {
      call.reply('You are not logged in: use DROP <account> <password>.');
      return;
    }
    if (!sameAccount(call, ctx.user.account, name)) {
      if (password === undefined) {
        call.reply(`To drop ${name}, log into it first or give its password: DROP ${name} <password>`);
        return;
      }
      const outcome = await accounts.login(ctx.session.remoteAddress, name, password);
      if (outcome.result !== 'ok' && outcome.result !== 'unverified') {
        call.reply(`Wrong password for ${name}, or no such account.`);
        return;
      }
    }
    const record = await accounts.find(name);
    if (record === null || !(await accounts.store.deleteAccount(accounts.fold(name)))) {
      call.reply(`There is no account ${name}.`);
      return;
    }
    ctx.session.log.info({ event: 'account-dropped', account: record.name }, 'account dropped');
    for (const user of loggedInAs(call, record.name)) {
      if (user === ctx.user) logOut(ctx);
      // An always-on user with no client attached has nobody to stay for.
      else if (user.server === null && user.endpoint !== null && sessionCount(user) === 0) ctx.server.disconnect(user, 'Account dropped');
      else ctx.emit({ type: 'user.account', origin: ctx.nodeId, userId: user.id, account: null });
    }
    // Its channels and auto-modes go with it: a new account of the same name inherits nothing.
    await forgetAccount(call, accounts.fold(record.name));
    call.reply(`The account ${record.name} has been dropped.`);
  },
};

const set: ServiceCommand = {
  name: 'SET',
  minArgs: 2,
  syntax: 'SET PASSWORD <new password> | SET ALWAYS-ON ON|OFF',
  help: 'Changes the password of the account you are logged into, or whether it stays present with no client connected.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const [what, value] = args as [string, string];
    const setting = what.toUpperCase();
    if (setting === 'ALWAYS-ON' || setting === 'ALWAYSON') {
      await setAlwaysOnFor(call, value);
      return;
    }
    if (setting !== 'PASSWORD') {
      call.reply(`Unknown setting ${what}. Syntax: SET PASSWORD <new password> | SET ALWAYS-ON ON|OFF`);
      return;
    }
    const min = call.ctx.config.accounts.password_min_length;
    if (value.length < min) {
      call.reply(`The password must be at least ${min} characters long.`);
      return;
    }
    const record = await ownRecord(call);
    if (record === null) return;
    if (!(await accountsOf(call.ctx.server).setPassword(record, value))) {
      call.reply('The password could not be changed; try again later.');
      return;
    }
    call.reply('Your password has been changed.');
  },
};

/** SET ALWAYS-ON ON|OFF: stay in your channels with no client connected (server/alwayson.ts). */
async function setAlwaysOnFor(call: ServiceCall, value: string): Promise<void> {
  const on = /^(on|true|yes|1)$/i.test(value);
  if (!on && !/^(off|false|no|0)$/i.test(value)) {
    call.reply('Syntax: SET ALWAYS-ON ON|OFF');
    return;
  }
  const result = (await call.ctx.server.setAlwaysOn?.(call.ctx.user, on)) ?? 'disabled';
  if (result === 'not-logged-in') call.reply('You must be logged into an account (IDENTIFY) to change that.');
  else if (result === 'disabled') call.reply('This server does not let accounts stay present without a client (accounts.always_on is disabled).');
  else if (on) call.reply('Always-on is now ON: your nick stays in your channels while no client is connected.');
  else call.reply('Always-on is now OFF: you leave the network when your last client disconnects.');
}

const info: ServiceCommand = {
  name: 'INFO',
  minArgs: 0,
  syntax: 'INFO [account]',
  help: 'Shows when an account was registered and who is logged into it.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    const name = args[0] ?? ctx.user.account ?? ctx.user.nick;
    const record = await accountsOf(ctx.server).find(name);
    if (record === null) {
      call.reply(`${name} is not registered.`);
      return;
    }
    const mine = sameAccount(call, ctx.user.account, record.name);
    call.reply(`Account ${record.name}, registered ${new Date(record.registeredAt).toUTCString()}${record.verified ? '' : ' (not verified yet)'}.`);
    const online = loggedInAs(call, record.name).map((user) => user.nick);
    call.reply(online.length > 0 ? `Logged in now: ${online.join(' ')}` : 'Nobody is logged into it now.');
    if (mine) {
      if (record.email !== null) call.reply(`E-mail: ${record.email}`);
      call.reply(`Certificates: ${record.certfps.length}`);
    }
  },
};

const CERTFP = /^[0-9a-f]{64}$/;

const cert: ServiceCommand = {
  name: 'CERT',
  minArgs: 1,
  syntax: 'CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST',
  help: 'Manages the TLS client certificates that log you in (SASL EXTERNAL); ADD with no fingerprint adds the one you are connected with.',
  async handle(call, args) {
    if (!accountsOn(call)) return;
    const ctx = call.ctx;
    const sub = (args[0] as string).toUpperCase();
    const record = await ownRecord(call);
    if (record === null) return;
    const accounts = accountsOf(ctx.server);
    if (sub === 'LIST') {
      if (record.certfps.length === 0) call.reply('No certificates are set for your account.');
      for (const fp of record.certfps) call.reply(fp);
      return;
    }
    if (sub !== 'ADD' && sub !== 'DEL') {
      call.reply('Syntax: CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST');
      return;
    }
    const raw = args[1] ?? (sub === 'ADD' ? ctx.session.certfp : null);
    if (raw === null || raw === undefined) {
      call.reply(sub === 'ADD' ? 'You are not connected with a client certificate: give its SHA-256 fingerprint.' : 'Syntax: CERT DEL <fingerprint>');
      return;
    }
    const fp = raw.toLowerCase().replace(/:/g, '');
    if (!CERTFP.test(fp)) {
      call.reply(`${raw} is not a SHA-256 fingerprint (64 hexadecimal digits).`);
      return;
    }
    if (sub === 'ADD') {
      if (record.certfps.includes(fp)) {
        call.reply(`${fp} is already on your account.`);
        return;
      }
      const other = await accounts.store.findByCertfp(fp);
      if (other !== null) {
        call.reply('That certificate is already on another account.');
        return;
      }
      await accounts.store.updateAccount(accounts.fold(record.name), { ...record, certfps: [...record.certfps, fp] });
      call.reply(`Added ${fp}: connecting with it logs you in with SASL EXTERNAL.`);
      return;
    }
    if (!record.certfps.includes(fp)) {
      call.reply(`${fp} is not on your account.`);
      return;
    }
    await accounts.store.updateAccount(accounts.fold(record.name), { ...record, certfps: record.certfps.filter((f) => f !== fp) });
    call.reply(`Removed ${fp}.`);
  },
};

export const nickServ: Service = {
  nick: 'NickServ',
  aliases: ['NS'],
  description: 'registers and identifies accounts',
  commands: [register, identify, verify, ghostCommand, regain, drop, set, info, cert],
};
