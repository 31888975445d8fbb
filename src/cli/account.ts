/**
 * `obrol account-add NAME`: create an account from the command line, the
 * password read from standard input. For operators (with
 * accounts.registration off this is the way accounts are made) and for
 * passwords too long for a REGISTER line. Writes to the data file directly;
 * safe while the server runs (the server reads accounts from the file at
 * every login).
 */
import { readFileSync } from 'node:fs';
import { newAccountRecord } from '../accounts/accounts.js';
import type { Config } from '../config/schema.js';
import { makeFolder } from '../protocol/casemap.js';
import { isValidNick } from '../protocol/names.js';
import { openStore } from '../store/open.js';
import { StoreOpenError } from '../store/types.js';

/** What went wrong, for the message; the exit status follows sysexits: 65 bad input, 73 exists, 78 the data file. */
export class AccountAddError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function addAccount(config: Config, configFile: string | null, name: string, email: string | null, verified: boolean): Promise<string> {
  if (!isValidNick(name, config.limits.nick_length)) throw new AccountAddError(`"${name}" is not a valid account name (account names follow the rules of nicks)`, 65);
  if (config.store.backend !== 'sqlite') throw new AccountAddError(`store.backend is ${config.store.backend}: there is no data file to add the account to`, 78);
  const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (password.length < config.accounts.password_min_length) {
    throw new AccountAddError(`the password (read from standard input) must be at least ${config.accounts.password_min_length} characters long`, 65);
  }
  let store;
  try {
    store = openStore(config.store, configFile);
  } catch (err) {
    if (err instanceof StoreOpenError) throw new AccountAddError(err.message, 78);
    throw err;
  }
  try {
    const record = await newAccountRecord(name, email, password, { verified, alwaysOn: config.accounts.always_on === 'opt-out', now: Date.now() });
    const folded = makeFolder(config.server.casemapping)(name);
    if ((await store.accounts.createAccount(folded, record)) === 'exists') throw new AccountAddError(`the account ${name} already exists`, 73);
    return `account ${name} created in ${store.path ?? 'memory'}`;
  } finally {
    await store.close();
  }
}
