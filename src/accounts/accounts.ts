/**
 * Accounts: names, creation, password and certificate checks, e-mail
 * verification codes, and the login back-off. Commands (REGISTER, VERIFY,
 * AUTHENTICATE, NickServ) call this; it reaches the store through the
 * server (ctx.server.store.accounts), and keeps no state of its own but the
 * back-off (the server's OperGuard, whose bounded concurrency every password
 * check shares) and nick enforcement timers (enforce.ts).
 *
 * Account names are nicks: the same syntax, folded with the server's
 * casemapping; the record keeps the spelling it was registered with.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import type { ServerApi } from '../commands/context.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../config/password.js';
import { isValidNick } from '../protocol/names.js';
import { systemClock, type Clock } from '../server/clock.js';
import type { AccountRecord } from '../store/types.js';
import { deriveScram } from './scram.js';

export type RegisterOutcome =
  | { ok: true; record: AccountRecord; folded: string }
  | { ok: false; code: 'ACCOUNT_EXISTS' | 'BAD_ACCOUNT_NAME' | 'WEAK_PASSWORD' | 'INVALID_EMAIL' | 'TEMPORARILY_UNAVAILABLE'; message: string };

/** ok with the record; failed (wrong password, no such account, unverified); refused (back-off or busy). */
export type LoginOutcome = { result: 'ok'; record: AccountRecord } | { result: 'failed' | 'refused' | 'unverified' };

const EMAIL_RE = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const HOUR_MS = 3_600_000;

/**
 * A new account's record: the password as an scrypt hash and as SCRAM-SHA-256
 * keys (the password itself is kept nowhere). Unverified accounts get the
 * code VERIFY expects. Used by REGISTER, NickServ and `obrol account-add`.
 */
export async function newAccountRecord(
  name: string,
  email: string | null,
  password: string,
  options: { verified: boolean; alwaysOn: boolean; now: number },
): Promise<AccountRecord> {
  return {
    name,
    passwordHash: await hashPassword(password),
    scram: await deriveScram(password),
    email,
    verified: options.verified,
    verifyCode: options.verified ? null : newCode(),
    registeredAt: options.now,
    certfps: [],
    // opt-out: every new account stays present unless it says otherwise (NickServ SET ALWAYS-ON OFF).
    alwaysOn: options.alwaysOn,
    channels: [],
  };
}

export class Accounts {
  /** When each address created accounts in the last hour (accounts.registrations_per_hour). */
  private readonly recentByAddress = new Map<string, number[]>();

  constructor(private readonly server: ServerApi) {}

  /**
   * Whether `address` may create another account now: at most
   * registrations_per_hour per address, so one client cannot fill the data
   * file or keep the password hasher busy with throwaway accounts.
   */
  private mayRegisterFrom(address: string): boolean {
    const limit = this.config.registrations_per_hour;
    if (limit === 0) return true;
    const now = this.clock.now();
    const recent = (this.recentByAddress.get(address) ?? []).filter((at) => now - at < HOUR_MS);
    // Forget addresses whose hour has passed, so the map stays as small as the recent registrations.
    if (this.recentByAddress.size > 10_000) for (const [key, times] of this.recentByAddress) if (times.every((at) => now - at >= HOUR_MS)) this.recentByAddress.delete(key);
    if (recent.length >= limit) {
      this.recentByAddress.set(address, recent);
      return false;
    }
    recent.push(now);
    this.recentByAddress.set(address, recent);
    return true;
  }

  get clock(): Clock {
    return this.server.clock ?? systemClock;
  }

  get store() {
    return this.server.store.accounts;
  }

  get config() {
    return this.server.config.accounts;
  }

  fold(name: string): string {
    return this.server.registry.fold(name);
  }

  /** A valid account name is a valid nick. */
  validName(name: string): boolean {
    return isValidNick(name, this.server.config.limits.nick_length);
  }

  validEmail(email: string): boolean {
    return email.length <= 254 && EMAIL_RE.test(email);
  }

  async find(name: string): Promise<AccountRecord | null> {
    if (!this.validName(name)) return null;
    return this.store.getAccount(this.fold(name));
  }

  /**
   * Create an account; resolves once the store committed it. With e-mail
   * verification on, the account starts unverified with a code, which is
   * handed to the verify command (or logged).
   */
  async register(name: string, email: string | null, password: string, address: string): Promise<RegisterOutcome> {
    const config = this.config;
    if (!this.validName(name)) return { ok: false, code: 'BAD_ACCOUNT_NAME', message: 'That is not a valid account name (account names follow the rules of nicknames)' };
    if (password.length < config.password_min_length) {
      return { ok: false, code: 'WEAK_PASSWORD', message: `The password must be at least ${config.password_min_length} characters long` };
    }
    if (email !== null && !this.validEmail(email)) return { ok: false, code: 'INVALID_EMAIL', message: 'That is not a valid e-mail address' };
    if (email === null && (config.email_required || config.email_verification)) {
      return { ok: false, code: 'INVALID_EMAIL', message: 'An e-mail address is required to register' };
    }
    const folded = this.fold(name);
    if ((await this.store.getAccount(folded)) !== null) return { ok: false, code: 'ACCOUNT_EXISTS', message: 'That account already exists' };
    if (!this.mayRegisterFrom(address)) {
      return { ok: false, code: 'TEMPORARILY_UNAVAILABLE', message: `Too many accounts were registered from your address; try again in an hour` };
    }
    const verifying = config.email_verification;
    const record = await newAccountRecord(name, email, password, { verified: !verifying, alwaysOn: config.always_on === 'opt-out', now: this.clock.now() });
    let created: 'ok' | 'exists';
    try {
      created = await this.store.createAccount(folded, record);
    } catch (err) {
      this.server.log.error({ err, event: 'account-store-failed' }, 'could not save a new account');
      return { ok: false, code: 'TEMPORARILY_UNAVAILABLE', message: 'Accounts cannot be created right now, try again later' };
    }
    if (created === 'exists') return { ok: false, code: 'ACCOUNT_EXISTS', message: 'That account already exists' };
    this.server.log.info({ event: 'account-registered', account: name, verified: record.verified }, 'account registered');
    if (verifying) this.sendCode(record);
    return { ok: true, record, folded };
  }

  /** Hand the verification code to accounts.verify_command, or log it. */
  sendCode(record: AccountRecord): void {
    const command = this.config.verify_command;
    const code = record.verifyCode ?? '';
    if (command === null) {
      this.server.log.info({ event: 'verify-code', account: record.name, email: record.email, code }, 'verification code (no verify_command configured)');
      return;
    }
    execFile(command, [record.name, record.email ?? '', code], { timeout: 30_000 }, (err) => {
      // Not `err` itself: its message and cmd carry the arguments, the code among them.
      if (err) this.server.log.error({ event: 'verify-command-failed', account: record.name, exitCode: err.code, signal: err.signal }, 'the verify command failed');
    });
  }

  /** VERIFY: true once the account is verified with `code`. */
  async verify(name: string, code: string): Promise<AccountRecord | null> {
    if (!this.validName(name)) return null;
    const folded = this.fold(name);
    const record = await this.store.getAccount(folded);
    if (record === null || record.verified || record.verifyCode === null || !sameText(record.verifyCode, code)) return null;
    const updated = { ...record, verified: true, verifyCode: null };
    if (!(await this.store.updateAccount(folded, updated))) return null;
    return updated;
  }

  /**
   * Run a login check for `name` from `address` under the back-off (per
   * address and per account, doubling per failure) and the server-wide
   * bound on password checks running at once.
   */
  async guarded(address: string, name: string, check: () => Promise<boolean>): Promise<'ok' | 'failed' | 'refused'> {
    const backoff = { firstMs: this.config.login_backoff * 1000, maxMs: this.config.login_backoff_max * 1000 };
    return this.server.operGuard.attempt(`account:${address}`, `account:${this.fold(name)}`, backoff, check);
  }

  /** Check a password for `name` (PLAIN, IDENTIFY). */
  async login(address: string, name: string, password: string): Promise<LoginOutcome> {
    let record: AccountRecord | null = null;
    const outcome = await this.guarded(address, name, async () => {
      record = await this.find(name);
      // A missing account costs a hash all the same: timing does not tell which names exist.
      const ok = await verifyPassword(password, record?.passwordHash ?? DUMMY_HASH);
      return ok && record !== null;
    });
    if (outcome !== 'ok') return { result: outcome };
    const found = record as AccountRecord | null;
    if (found === null) return { result: 'failed' };
    if (!found.verified) return { result: 'unverified' };
    return { result: 'ok', record: found };
  }

  /** The verified account that certificate fingerprint `certfp` logs into. */
  async byCertfp(certfp: string): Promise<AccountRecord | null> {
    const found = await this.store.findByCertfp(certfp.toLowerCase());
    return found !== null && found.record.verified ? found.record : null;
  }

  /** Replace the password (hash and SCRAM keys); committed when it resolves. */
  async setPassword(record: AccountRecord, password: string): Promise<boolean> {
    // Hashing shares the bounded password-check pool (OperGuard), so sessions cannot keep every core busy with it.
    const hashed = await this.server.operGuard.limit(async () => ({ passwordHash: await hashPassword(password), scram: await deriveScram(password) }));
    if (hashed === 'refused') return false;
    return this.store.updateAccount(this.fold(record.name), { ...record, ...hashed });
  }
}

function newCode(): string {
  return randomBytes(12).toString('base64url').slice(0, 16) + String(randomInt(10));
}

function sameText(a: string, b: string): boolean {
  return a.length === b.length && a === b;
}

const perServer = new WeakMap<ServerApi, Accounts>();

/** The accounts of `server` (one per server object). */
export function accountsOf(server: ServerApi): Accounts {
  let accounts = perServer.get(server);
  if (accounts === undefined) {
    accounts = new Accounts(server);
    perServer.set(server, accounts);
  }
  return accounts;
}
