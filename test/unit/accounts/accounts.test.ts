/**
 * Accounts against the World: SCRAM-SHA-256 against RFC 7677's test vector,
 * REGISTER and VERIFY, SASL PLAIN / SCRAM / EXTERNAL with chunking and
 * aborts, account-notify and WHOIS after a login, the login back-off with
 * an injected clock, and nick enforcement with a manual clock.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountsOf } from '../../../src/accounts/accounts.js';
import { onLogin } from '../../../src/accounts/login.js';
import { deriveScram, parseClientFirst, ScramExchange } from '../../../src/accounts/scram.js';
import { OperGuard } from '../../../src/commands/operguard.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { ManualClock } from '../../helpers/clock.js';
import { World, type FakeClient } from '../../helpers/harness.js';
import { until } from '../../helpers/until.js';

const S = ':obrol.local';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('SCRAM-SHA-256 (RFC 7677 section 3)', () => {
  const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';

  it('derives the keys, sends the server-first message and checks the proof', async () => {
    const credentials = await deriveScram('pencil', salt, 4096);
    const first = parseClientFirst(clientFirst);
    expect(first).toEqual({ user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO', bare: 'n=user,r=rOprNGfwEbeRWgbNEkqO' });
    const exchange = new ScramExchange(first!, clientFirst, credentials, serverNonce);
    expect(exchange.serverFirst).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(exchange.finish(clientFinal)).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('refuses a wrong proof, a wrong nonce and a wrong channel binding', async () => {
    const credentials = await deriveScram('not pencil', salt, 4096);
    const first = parseClientFirst(clientFirst)!;
    expect(new ScramExchange(first, clientFirst, credentials, serverNonce).finish(clientFinal)).toBeNull();
    const right = await deriveScram('pencil', salt, 4096);
    expect(new ScramExchange(first, clientFirst, right, 'other').finish(clientFinal)).toBeNull();
    expect(new ScramExchange(first, clientFirst, right, serverNonce).finish(clientFinal.replace('c=biws', 'c=eSws'))).toBeNull();
  });

  it('refuses malformed client-first messages', () => {
    for (const bad of ['n=user,r=abc', 'p=tls-unique,,n=user,r=abc', 'n,,r=abc', 'n,,n=,r=abc', 'n,,n=a=2Xb,r=abc', 'n,a=other,n=user,r=abc']) {
      expect(parseClientFirst(bad)).toBeNull();
    }
    expect(parseClientFirst('n,,n=a=2Cb=3Dc,r=xyz')?.user).toBe('a,b=c');
  });
});

/** A SCRAM client for one exchange: the messages it sends, given the server's. */
function scramClient(user: string, password: string) {
  const nonce = 'clientnonce123';
  const bare = `n=${user},r=${nonce}`;
  let authMessage = '';
  let salted = Buffer.alloc(0);
  return {
    first: `n,,${bare}`,
    final(serverFirst: string): string {
      const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
      const withoutProof = `c=biws,r=${attrs.r}`;
      authMessage = `${bare},${serverFirst},${withoutProof}`;
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const signature = createHmac('sha256', storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((byte, k) => byte ^ (signature[k] as number)));
      return `${withoutProof},p=${proof.toString('base64')}`;
    },
    expectedServerFinal(): string {
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      return `v=${createHmac('sha256', serverKey).update(authMessage).digest('base64')}`;
    },
  };
}

function decode(line: string | undefined): string {
  return Buffer.from((line ?? '').split(' ').pop()!, 'base64').toString('utf8');
}

async function worldWithAccount(config: ConfigInput = {}): Promise<World> {
  const world = new World({ config });
  world.operGuard = new OperGuard({ sleep: () => Promise.resolve() });
  const outcome = await accountsOf(world).register('Jilles', null, 'sesame', '127.0.0.1');
  expect(outcome.ok).toBe(true);
  return world;
}

describe('REGISTER and VERIFY', () => {
  it('registers the current nick with *, logs in after the account is stored, and refuses it twice', async () => {
    const world = new World();
    const bar = world.connect('bar');
    expect(await bar.runAsync('REGISTER * * shivarampassphrase')).toEqual([
      `${S} REGISTER SUCCESS bar :Account bar registered`,
      `${S} 900 bar bar!bar@127.0.0.1 bar :You are now logged in as bar`,
    ]);
    expect(bar.user.account).toBe('bar');
    expect((await world.store.accounts.getAccount('bar'))?.scram?.iterations).toBe(4096);
    const other = world.connect('other');
    expect(await other.runAsync('REGISTER BAR * anotherpassword')).toEqual([`${S} FAIL REGISTER ACCOUNT_EXISTS BAR :That account already exists`]);
    expect(await bar.runAsync('REGISTER baz * anotherpassword')).toEqual([`${S} FAIL REGISTER ALREADY_AUTHENTICATED baz :You are already logged into an account`]);
  });

  it('lets one address create registrations_per_hour accounts an hour, then says TEMPORARILY_UNAVAILABLE', async () => {
    const world = new World({ config: { accounts: { registrations_per_hour: 2 } } });
    const clients = ['ann', 'ben', 'cat'].map((nick) => world.connect(nick));
    for (const c of clients.slice(0, 2)) expect((await c.runAsync('REGISTER * * longenough'))[0]).toMatch(/REGISTER SUCCESS/);
    expect(await clients[2]!.runAsync('REGISTER * * longenough')).toEqual([
      `${S} FAIL REGISTER TEMPORARILY_UNAVAILABLE cat :Too many accounts were registered from your address; try again in an hour`,
    ]);
    expect(await world.store.accounts.getAccount('cat')).toBeNull();
  });

  it('names the refusals the specification lists', async () => {
    const world = new World({ config: { accounts: { email_required: true } } });
    const c = world.connect('carol');
    world.connect('dave');
    expect(await c.runAsync('REGISTER * * longenough')).toEqual([`${S} FAIL REGISTER INVALID_EMAIL carol :An e-mail address is required to register`]);
    expect(await c.runAsync('REGISTER * carol@example.org abc')).toEqual([`${S} FAIL REGISTER WEAK_PASSWORD carol :The password must be at least 5 characters long`]);
    expect(await c.runAsync('REGISTER * not-an-address longenough')).toEqual([`${S} FAIL REGISTER INVALID_EMAIL carol :That is not a valid e-mail address`]);
    expect(await c.runAsync('REGISTER #bad x@example.org longenough')).toEqual([
      `${S} FAIL REGISTER BAD_ACCOUNT_NAME #bad :That is not a valid account name (account names follow the rules of nicknames)`,
    ]);
    expect(await c.runAsync('REGISTER NickServ x@example.org longenough')).toEqual([
      `${S} FAIL REGISTER BAD_ACCOUNT_NAME NickServ :That is not a valid account name (account names follow the rules of nicknames)`,
    ]);
    expect(await c.runAsync('REGISTER dave x@example.org longenough')).toEqual([`${S} FAIL REGISTER ACCOUNT_EXISTS dave :That name is in use by someone else`]);
    const early = world.connect(null);
    expect(await early.runAsync('REGISTER * x@example.org longenough')).toEqual([`${S} FAIL REGISTER NEED_NICK * :Send NICK first, or name the account`]);
    // A nick refused at NICK (someone holds it) is not free to register either.
    expect(early.run('NICK dave')).toEqual([`${S} 433 * dave :Nickname is already in use`]);
    expect(await early.runAsync('REGISTER * x@example.org longenough')).toEqual([`${S} FAIL REGISTER ACCOUNT_EXISTS dave :That name is in use by someone else`]);
  });

  it('before-connect off: COMPLETE_CONNECTION_REQUIRED; accounts off: TEMPORARILY_UNAVAILABLE', async () => {
    const world = new World({ config: { accounts: { register_before_connect: false } } });
    const early = world.connect('early', { register: false });
    expect(await early.runAsync('REGISTER * * longenough')).toEqual([`${S} FAIL REGISTER COMPLETE_CONNECTION_REQUIRED early :Finish connecting (NICK and USER) before registering an account`]);
    const off = new World({ config: { accounts: { enabled: false } } }).connect('x');
    expect(await off.runAsync('REGISTER * * longenough')).toEqual([`${S} FAIL REGISTER TEMPORARILY_UNAVAILABLE x :Account registration is not available on this server`]);
  });

  it('with verification: VERIFICATION_REQUIRED, no login until VERIFY with the logged code', async () => {
    const world = new World({ config: { accounts: { email_verification: true } } });
    const logged: Array<Record<string, unknown>> = [];
    Object.defineProperty(world, 'log', { value: { info: (o: Record<string, unknown>) => logged.push(o), error: () => {}, warn: () => {} } });
    const eve = world.connect('eve');
    expect(await eve.runAsync('REGISTER * eve@example.org longenough')).toEqual([
      `${S} REGISTER VERIFICATION_REQUIRED eve :Account created; send VERIFY eve <code> with the code sent to eve@example.org`,
    ]);
    expect(eve.user.account).toBeNull();
    const code = logged.find((o) => o.event === 'verify-code')?.code as string;
    expect(code).toMatch(/^\S{6,}$/);
    expect(await eve.runAsync('VERIFY eve wrongcode')).toEqual([`${S} FAIL VERIFY INVALID_CODE eve :That code is not right for this account, or it is already verified`]);
    expect(await eve.runAsync(`VERIFY eve ${code}`)).toEqual([`${S} VERIFY SUCCESS eve :Account eve verified`, `${S} 900 eve eve!eve@127.0.0.1 eve :You are now logged in as eve`]);
  });
});

describe('verify_command', () => {
  it('runs with the account, the address and the code as its arguments, without a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obrol-verify-'));
    try {
      const out = join(dir, 'out');
      const script = join(dir, 'send-code');
      writeFileSync(script, `#!/bin/sh\nprintf '%s|' "$@" > '${out}'\n`);
      chmodSync(script, 0o755);
      const world = new World({ config: { accounts: { email_verification: true, verify_command: script } } });
      const c = world.connect('mallory');
      await c.runAsync('REGISTER * m;echo$IFS@example.org longenough');
      await until(() => existsSync(out) && readFileSync(out, 'utf8').endsWith('|'), 'the verify command to run');
      const code = (await world.store.accounts.getAccount('mallory'))!.verifyCode!;
      // The address reaches the command as one argument, its ; and $ untouched by any shell.
      expect(readFileSync(out, 'utf8')).toBe(`mallory|m;echo$IFS@example.org|${code}|`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AUTHENTICATE', () => {
  it('PLAIN before registration: 900 then 903, kept in the session', async () => {
    const world = await worldWithAccount();
    const c = world.connect('guest', { register: false });
    expect(c.run('AUTHENTICATE PLAIN')).toEqual([`${S} AUTHENTICATE :+`]);
    expect(await c.runAsync(`AUTHENTICATE ${b64('\0jilles\0sesame')}`)).toEqual([
      `${S} 900 guest guest!guest@127.0.0.1 Jilles :You are now logged in as Jilles`,
      `${S} 903 guest :SASL authentication successful`,
    ]);
    expect(c.session.account).toBe('Jilles');
    expect(c.run('AUTHENTICATE PLAIN')).toEqual([`${S} 907 guest :You have already authenticated using SASL`]);
  });

  it('PLAIN failures: wrong password, other authzid, bad base64, unknown mechanism (908 then 904)', async () => {
    const world = await worldWithAccount();
    const c = world.connect('guest', { register: false });
    c.run('AUTHENTICATE PLAIN');
    expect(await c.runAsync(`AUTHENTICATE ${b64('jilles\0jilles\0millet')}`)).toEqual([`${S} 904 guest :SASL authentication failed`]);
    c.run('AUTHENTICATE PLAIN');
    expect(await c.runAsync(`AUTHENTICATE ${b64('someone\0jilles\0sesame')}`)).toEqual([`${S} 904 guest :SASL authentication failed`]);
    c.run('AUTHENTICATE PLAIN');
    expect(c.run('AUTHENTICATE !!!')).toEqual([`${S} 904 guest :SASL authentication failed`]);
    expect(c.run('AUTHENTICATE FOO')).toEqual([`${S} 908 guest PLAIN,SCRAM-SHA-256 :are available SASL mechanisms`, `${S} 904 guest :SASL authentication failed`]);
    expect(c.session.account).toBeNull();
  });

  it('chunking: 400-byte chunks continue, + ends a multiple of 400, a longer line is 905, * aborts (906)', async () => {
    const world = new World();
    world.operGuard = new OperGuard({ sleep: () => Promise.resolve() });
    await accountsOf(world).register('foo', null, 'x'.repeat(400), '127.0.0.1');
    const c = world.connect('guest', { register: false });
    // 2+1+3+1+400 = 407 bytes: 544 base64 characters, in two lines.
    const payload = b64(`foo\0foo\0${'x'.repeat(400)}`);
    c.run('AUTHENTICATE PLAIN');
    expect(c.run(`AUTHENTICATE ${payload.slice(0, 400)}`)).toEqual([]);
    expect(await c.runAsync(`AUTHENTICATE ${payload.slice(400)}`)).toContain(`${S} 903 guest :SASL authentication successful`);

    const d = world.connect('other', { register: false });
    // Exactly 400 characters: a following + ends it. (297 bytes of payload make 396; pad to 300 = 400.)
    await accountsOf(world).register('bar', null, 'y'.repeat(292), '127.0.0.1');
    const exact = b64(`bar\0bar\0${'y'.repeat(292)}`);
    expect(exact.length).toBe(400);
    d.run('AUTHENTICATE PLAIN');
    expect(d.run(`AUTHENTICATE ${exact}`)).toEqual([]);
    expect(await d.runAsync('AUTHENTICATE +')).toContain(`${S} 903 other :SASL authentication successful`);

    const e = world.connect('third', { register: false });
    e.run('AUTHENTICATE PLAIN');
    expect(e.run(`AUTHENTICATE ${'A'.repeat(401)}`)).toEqual([`${S} 905 third :SASL message too long`]);
    e.run('AUTHENTICATE PLAIN');
    expect(e.run('AUTHENTICATE *')).toEqual([`${S} 906 third :SASL authentication aborted`]);
    // Endless 400-byte chunks: refused once past the bound, not stored forever.
    e.run('AUTHENTICATE PLAIN');
    const replies: string[] = [];
    for (let k = 0; k < 30; k++) replies.push(...e.run(`AUTHENTICATE ${'A'.repeat(400)}`));
    expect(replies[0]).toBe(`${S} 904 third :SASL authentication failed`);
  });

  it('CAP END in the middle of an exchange aborts it (906)', () => {
    const world = new World();
    const c = world.connect('guest', { register: false });
    c.run('CAP LS 302');
    c.run('AUTHENTICATE PLAIN');
    expect(c.run('CAP END')).toEqual([`${S} 906 guest :SASL authentication aborted`]);
  });

  it('SCRAM-SHA-256: server-first, server-final v=, then 900 and 903; a wrong password is 904', async () => {
    const world = await worldWithAccount();
    const c = world.connect('guest', { register: false });
    const client = scramClient('jilles', 'sesame');
    expect(c.run('AUTHENTICATE SCRAM-SHA-256')).toEqual([`${S} AUTHENTICATE :+`]);
    const serverFirst = decode((await c.runAsync(`AUTHENTICATE ${b64(client.first)}`))[0]);
    expect(serverFirst).toMatch(/^r=clientnonce123\S+,s=\S+,i=4096$/);
    const serverFinal = decode((await c.runAsync(`AUTHENTICATE ${b64(client.final(serverFirst))}`))[0]);
    expect(serverFinal).toBe(client.expectedServerFinal());
    expect(await c.runAsync('AUTHENTICATE +')).toEqual([
      `${S} 900 guest guest!guest@127.0.0.1 Jilles :You are now logged in as Jilles`,
      `${S} 903 guest :SASL authentication successful`,
    ]);

    const d = world.connect('other', { register: false });
    const wrong = scramClient('jilles', 'wrong');
    d.run('AUTHENTICATE SCRAM-SHA-256');
    const first = decode((await d.runAsync(`AUTHENTICATE ${b64(wrong.first)}`))[0]);
    expect(await d.runAsync(`AUTHENTICATE ${b64(wrong.final(first))}`)).toEqual([`${S} 904 other :SASL authentication failed`]);
  });

  it('SCRAM for an unknown name answers like a real one (a stable fake salt), then fails', async () => {
    const world = await worldWithAccount();
    const salts: string[] = [];
    for (const nick of ['a', 'b']) {
      const c = world.connect(nick, { register: false });
      c.run('AUTHENTICATE SCRAM-SHA-256');
      const first = decode((await c.runAsync(`AUTHENTICATE ${b64(scramClient('nobody', 'x').first)}`))[0]);
      expect(first).toMatch(/^r=clientnonce123\S+,s=\S+,i=4096$/);
      salts.push(/s=([^,]+)/.exec(first)![1]!);
      expect(await c.runAsync(`AUTHENTICATE ${b64(scramClient('nobody', 'x').final(first))}`)).toEqual([`${S} 904 ${nick} :SASL authentication failed`]);
    }
    expect(salts[0]).toBe(salts[1]);
  });

  it('EXTERNAL matches the certificate fingerprint; offered only over TLS', async () => {
    const world = await worldWithAccount();
    const fp = 'ab'.repeat(32);
    const record = (await world.store.accounts.getAccount('jilles'))!;
    await world.store.accounts.updateAccount('jilles', { ...record, certfps: [fp] });
    const c = world.connect('guest', { register: false });
    Object.assign(c.session, { secure: true, certfp: fp });
    expect(c.run('AUTHENTICATE EXTERNAL')).toEqual([`${S} AUTHENTICATE :+`]);
    expect(await c.runAsync('AUTHENTICATE +')).toContain(`${S} 903 guest :SASL authentication successful`);
    const d = world.connect('other', { register: false });
    Object.assign(d.session, { secure: true, certfp: 'cd'.repeat(32) });
    d.run('AUTHENTICATE EXTERNAL');
    expect(await d.runAsync('AUTHENTICATE +')).toEqual([`${S} 904 other :SASL authentication failed`]);
  });

  it('after registration: logs in at once, peers with account-notify see ACCOUNT, WHOIS shows 330, hooks run', async () => {
    const world = await worldWithAccount();
    const alice = world.connect('alice');
    const bob = world.connect('bob', { caps: ['account-notify'] });
    const carol = world.connect('carol');
    for (const c of [alice, bob, carol]) c.run('JOIN #c');
    bob.take();
    carol.take();
    const seen: string[] = [];
    const hook = (_host: unknown, user: { nick: string }, account: string) => seen.push(`${user.nick}=${account}`);
    onLogin.push(hook);
    try {
      alice.run('AUTHENTICATE PLAIN');
      expect(await alice.runAsync(`AUTHENTICATE ${b64('\0jilles\0sesame')}`)).toEqual([
        `${S} 900 alice alice!alice@127.0.0.1 Jilles :You are now logged in as Jilles`,
        `${S} 903 alice :SASL authentication successful`,
      ]);
    } finally {
      onLogin.splice(onLogin.indexOf(hook), 1);
    }
    expect(seen).toEqual(['alice=Jilles']);
    expect(bob.take()).toEqual([':alice!alice@127.0.0.1 ACCOUNT :Jilles']);
    expect(carol.take()).toEqual([]);
    expect(bob.run('WHOIS alice')).toContain(`${S} 330 bob alice Jilles :is logged in as`);
    const events = await world.busEvents();
    expect(events.some((e) => e.type === 'user.account' && e.account === 'Jilles')).toBe(true);
  });
});

describe('login back-off', () => {
  it('each failed PLAIN from one address waits login_backoff, doubled, and past the cap is refused', async () => {
    const world = new World({ config: { accounts: { login_backoff: 1, login_backoff_max: 4 } } });
    const clock = new ManualClock();
    const sleeps: number[] = [];
    world.operGuard = new OperGuard({
      now: () => clock.now(),
      sleep: (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
    });
    await accountsOf(world).register('jilles', null, 'sesame', '127.0.0.1');
    const c: FakeClient = world.connect('guest', { register: false });
    const results: string[] = [];
    for (let k = 0; k < 4; k++) {
      c.run('AUTHENTICATE PLAIN');
      results.push(...(await c.runAsync(`AUTHENTICATE ${b64('\0jilles\0wrong')}`)));
    }
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(results.every((line) => line === `${S} 904 guest :SASL authentication failed`)).toBe(true);
    // The next waits the cap, and the right password then works and forgets the failures.
    c.run('AUTHENTICATE PLAIN');
    expect(await c.runAsync(`AUTHENTICATE ${b64('\0jilles\0sesame')}`)).toContain(`${S} 903 guest :SASL authentication successful`);
    expect(sleeps).toEqual([1000, 2000, 4000, 4000]);
    const d = world.connect('other', { register: false });
    d.run('AUTHENTICATE PLAIN');
    await d.runAsync(`AUTHENTICATE ${b64('\0jilles\0wrong')}`);
    expect(sleeps).toEqual([1000, 2000, 4000, 4000]);
  });
});

describe('nick enforcement', () => {
  async function enforcingWorld(mode: 'rename' | 'refuse'): Promise<{ world: World; clock: ManualClock }> {
    const world = await worldWithAccount({ accounts: { nick_enforcement: mode, enforce_grace: 30 } });
    const clock = new ManualClock();
    Object.defineProperty(world, 'clock', { value: clock });
    return { world, clock };
  }

  it('rename: a NOTICE at once, a guest nick after the grace unless they log in', async () => {
    const { world, clock } = await enforcingWorld('rename');
    const c = world.connect('someone');
    const watcher = world.connect('watcher');
    c.run('JOIN #c');
    watcher.run('JOIN #c');
    c.run('NICK Jilles');
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.take()).toEqual([
      ':NickServ!NickServ@obrol.local NOTICE Jilles :The nick Jilles belongs to the account Jilles. If it is yours, log in with /msg NickServ IDENTIFY Jilles <password> within 30 seconds, or pick another nick with /nick; otherwise you will be renamed.',
    ]);
    clock.advance(29_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.nick).toBe('Jilles');
    clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.nick).toMatch(/^Guest\d{5}$/);
    expect(watcher.take()).toContain(`:Jilles!someone@127.0.0.1 NICK :${c.nick}`);

    // Logging in within the grace keeps the nick.
    const d = world.connect('other');
    d.run('NICK jilles');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await d.runAsync('NS IDENTIFY sesame')).toContain(':NickServ!NickServ@obrol.local NOTICE jilles :You are now logged in as Jilles.');
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(d.nick).toBe('jilles');
  });

  it('rename: changing nick within the grace cancels the rename', async () => {
    const { world, clock } = await enforcingWorld('rename');
    const c = world.connect('someone');
    c.run('NICK jilles');
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pending).toBe(1);
    c.run('NICK innocent');
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.nick).toBe('innocent');
  });

  it('refuse: NICK to a registered nick is 433 unless logged into it', async () => {
    const { world } = await enforcingWorld('refuse');
    const c = world.connect('someone');
    expect(await c.runAsync('NICK jilles')).toEqual([`${S} 433 someone jilles :Nickname is reserved by a different account; log in to use it`]);
    await c.runAsync('NS IDENTIFY Jilles sesame');
    expect(await c.runAsync('NICK jilles')).toEqual([':someone!someone@127.0.0.1 NICK :jilles']);
  });
});
