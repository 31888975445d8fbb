/**
 * AUTHENTICATE: SASL (https://ircv3.net/specs/extensions/sasl-3.1, sasl-3.2)
 * with PLAIN, EXTERNAL (the TLS client certificate) and SCRAM-SHA-256.
 *
 * Payloads are base64 in chunks of 400 bytes: a chunk of exactly 400 means
 * more follows, `+` is an empty chunk (and ends a payload of a multiple of
 * 400). A longer line is 905; more than MAX_PAYLOAD in all is 904.
 * `AUTHENTICATE *` aborts (906), as does CAP END in the middle of an exchange.
 * Before registration a success goes into the session (the user gets it at
 * the welcome); after, it logs the user in at once. A second login is 907.
 */
import { accountsOf } from '../accounts/accounts.js';
import { currentAccount, logIn } from '../accounts/login.js';
import { fakeScram, parseClientFirst, ScramExchange } from '../accounts/scram.js';
import type { IrcMessage } from '../protocol/message.js';
import { ERR_SASLABORTED, ERR_SASLALREADY, ERR_SASLFAIL, ERR_SASLTOOLONG, RPL_SASLMECHS, RPL_SASLSUCCESS } from '../protocol/replies.js';
import type { AccountRecord } from '../store/types.js';
import type { CommandContext, SessionState } from './context.js';
import type { CommandSpec } from './spec.js';

const CHUNK = 400;
/** Base64 bytes of one payload: far more than any of our mechanisms needs. */
const MAX_PAYLOAD = 8192;

export const MECHANISMS = ['PLAIN', 'EXTERNAL', 'SCRAM-SHA-256'] as const;
type Mechanism = (typeof MECHANISMS)[number];

/** The mechanisms offered to a connection: EXTERNAL only over TLS, where a client certificate can exist (Ergo lists it on every connection). */
export function mechanismsFor(secure: boolean): string[] {
  return MECHANISMS.filter((m) => m !== 'EXTERNAL' || secure);
}

interface Exchange {
  mechanism: Mechanism;
  /** Base64 received so far of the payload being assembled. */
  buffer: string;
  /** SCRAM: after client-first, the exchange; after the server's final message, done. */
  scram: { exchange: ScramExchange; record: AccountRecord | null; name: string } | null;
  scramDone: AccountRecord | null;
}

const exchanges = new WeakMap<SessionState, Exchange>();

/** A client ended CAP negotiation (or registration completes) mid-exchange: abort it with 906. */
export function abortSasl(ctx: CommandContext): void {
  if (!exchanges.delete(ctx.session)) return;
  ctx.reply(ERR_SASLABORTED());
}

function fail(ctx: CommandContext): void {
  exchanges.delete(ctx.session);
  ctx.reply(ERR_SASLFAIL());
}

function succeed(ctx: CommandContext, record: AccountRecord): void {
  exchanges.delete(ctx.session);
  logIn(ctx, record.name);
  ctx.reply(RPL_SASLSUCCESS());
}

function challenge(ctx: CommandContext, data: string): void {
  const encoded = data === '' ? '+' : Buffer.from(data, 'utf8').toString('base64');
  for (let k = 0; k < encoded.length; k += CHUNK) ctx.send(ctx.fromServer('AUTHENTICATE', [encoded.slice(k, k + CHUNK)]));
  // A last chunk of exactly 400 bytes is followed by an empty one.
  if (encoded.length % CHUNK === 0) ctx.send(ctx.fromServer('AUTHENTICATE', ['+']));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function handleAuthenticate(ctx: CommandContext, msg: IrcMessage): void | Promise<void> {
  const param = msg.params[0] as string;
  const session = ctx.session;
  if (!ctx.config.accounts.enabled) {
    ctx.reply(ERR_SASLFAIL());
    return;
  }
  if (param === '*') {
    exchanges.delete(session);
    ctx.reply(ERR_SASLABORTED());
    return;
  }
  const exchange = exchanges.get(session);
  if (exchange === undefined) return start(ctx, param);
  if (param.length > CHUNK) {
    exchanges.delete(session);
    ctx.reply(ERR_SASLTOOLONG());
    return;
  }
  if (param !== '+') exchange.buffer += param;
  if (exchange.buffer.length > MAX_PAYLOAD) {
    fail(ctx);
    return;
  }
  if (param.length === CHUNK) return;
  const encoded = exchange.buffer;
  exchange.buffer = '';
  if (!BASE64.test(encoded)) {
    fail(ctx);
    return;
  }
  return step(ctx, exchange, Buffer.from(encoded, 'base64'));
}

function start(ctx: CommandContext, param: string): void {
  if (currentAccount(ctx) !== null) {
    ctx.reply(ERR_SASLALREADY());
    return;
  }
  const offered = mechanismsFor(ctx.session.secure);
  const mechanism = param.toUpperCase();
  if (!offered.includes(mechanism)) {
    ctx.reply(RPL_SASLMECHS(offered.join(',')));
    ctx.reply(ERR_SASLFAIL());
    return;
  }
  exchanges.set(ctx.session, { mechanism: mechanism as Mechanism, buffer: '', scram: null, scramDone: null });
  ctx.send(ctx.fromServer('AUTHENTICATE', ['+']));
}

function step(ctx: CommandContext, exchange: Exchange, payload: Buffer): void | Promise<void> {
  switch (exchange.mechanism) {
    case 'PLAIN':
      return plain(ctx, payload);
    case 'EXTERNAL':
      return external(ctx, payload);
    case 'SCRAM-SHA-256':
      return scram(ctx, exchange, payload);
  }
}

/** RFC 4616: authzid NUL authcid NUL password; an authzid must be the authcid's own account. */
async function plain(ctx: CommandContext, payload: Buffer): Promise<void> {
  const parts = payload.toString('utf8').split('\0');
  const [authzid, authcid, password] = parts as [string, string, string];
  const accounts = accountsOf(ctx.server);
  if (parts.length !== 3 || authcid === '' || password === '' || (authzid !== '' && accounts.fold(authzid) !== accounts.fold(authcid))) {
    fail(ctx);
    return;
  }
  const outcome = await accounts.login(ctx.session.remoteAddress, authcid, password);
  if (outcome.result !== 'ok') {
    ctx.session.log.info({ event: 'sasl-failed', mechanism: 'PLAIN', reason: outcome.result }, 'SASL login failed');
    fail(ctx);
    return;
  }
  succeed(ctx, outcome.record);
}

/** The client certificate's fingerprint names the account; an authzid, if given, must be it. */
async function external(ctx: CommandContext, payload: Buffer): Promise<void> {
  const certfp = ctx.session.certfp;
  const accounts = accountsOf(ctx.server);
  const record = certfp === null ? null : await accounts.byCertfp(certfp);
  const authzid = payload.toString('utf8');
  if (record === null || (authzid !== '' && accounts.fold(authzid) !== accounts.fold(record.name))) {
    ctx.session.log.info({ event: 'sasl-failed', mechanism: 'EXTERNAL' }, 'SASL EXTERNAL failed');
    fail(ctx);
    return;
  }
  succeed(ctx, record);
}

async function scram(ctx: CommandContext, exchange: Exchange, payload: Buffer): Promise<void> {
  const accounts = accountsOf(ctx.server);
  if (exchange.scramDone !== null) {
    // The client's empty answer to our final message.
    if (payload.length === 0) succeed(ctx, exchange.scramDone);
    else fail(ctx);
    return;
  }
  const text = payload.toString('utf8');
  if (exchange.scram === null) {
    const first = parseClientFirst(text);
    if (first === null) {
      fail(ctx);
      return;
    }
    const record = await accounts.find(first.user);
    // An unknown (or unverified) name gets credentials made up from it, so the exchange looks the same.
    const usable = record !== null && record.verified && record.scram !== null ? record : null;
    const credentials = usable?.scram ?? fakeScram(accounts.fold(first.user));
    const scramExchange = new ScramExchange(first, text, credentials);
    exchange.scram = { exchange: scramExchange, record: usable, name: first.user };
    challenge(ctx, scramExchange.serverFirst);
    return;
  }
  const { exchange: scramExchange, record, name } = exchange.scram;
  let serverFinal: string | null = null;
  const outcome = await accounts.guarded(ctx.session.remoteAddress, name, () => {
    serverFinal = scramExchange.finish(text);
    return Promise.resolve(serverFinal !== null && record !== null);
  });
  if (outcome !== 'ok' || record === null || serverFinal === null) {
    ctx.session.log.info({ event: 'sasl-failed', mechanism: 'SCRAM-SHA-256' }, 'SASL login failed');
    fail(ctx);
    return;
  }
  exchange.scramDone = record;
  challenge(ctx, serverFinal);
}

export const saslCommands: CommandSpec[] = [{ verb: 'AUTHENTICATE', minParams: 1, beforeRegistration: true, penalty: 500, handle: handleAuthenticate }];
