/**
 * Accounts over real sockets: CAP values, REGISTER before and after
 * connecting, SASL PLAIN / SCRAM-SHA-256 / EXTERNAL (a TLS client
 * certificate) during registration, what others see of an account
 * (account-notify, extended-join, account-tag, WHOIS 330), NickServ, and
 * nick enforcement on a manual clock.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessHub } from '../../src/bus/inprocess.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { certfp, connectTls, makeCerts, type TestCerts } from '../helpers/certs.js';
import type { TestClient } from '../helpers/client.js';
import { ManualClock } from '../helpers/clock.js';
import { S, useFixture } from '../helpers/fixture.js';
import type { TestServer } from '../helpers/server.js';

const fx = useFixture();
let certs: TestCerts;

beforeAll(async () => {
  certs = await makeCerts();
});

afterAll(() => certs?.cleanup());

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (line: string) => Buffer.from(line.split(' ').pop()!.replace(/^:/, ''), 'base64').toString('utf8');

function tlsConfig(extra: ConfigInput = {}): ConfigInput {
  return { ...extra, tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key } };
}

/** Every token of a CAP LS 302 reply. */
async function capLs(c: TestClient): Promise<string[]> {
  c.send('CAP LS 302');
  const tokens: string[] = [];
  for (;;) {
    const line = await c.expect(/ CAP \S+ LS /);
    tokens.push(...line.replace(/^.* LS (\* )?:?/, '').split(' '));
    if (!/ LS \* /.test(line)) return tokens;
  }
}

/** Register an account `name` with `password` from a throwaway connection. */
async function registerAccount(srv: TestServer, name: string, password: string): Promise<void> {
  const c = await fx.register(srv, `${name}_reg`);
  c.send(`REGISTER ${name} * ${password}`);
  expect(await c.expect(/ REGISTER | FAIL /)).toBe(`${S} REGISTER SUCCESS ${name} :Account ${name} registered`);
  c.send('QUIT');
  await c.waitClosed();
}

/** CAP REQ sasl, NICK and USER: registration waits for CAP END. */
async function saslStart(c: TestClient, nick: string, mechanism: string): Promise<void> {
  c.send('CAP REQ :sasl');
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  await c.expect(/ CAP \* ACK /);
  c.send(`AUTHENTICATE ${mechanism}`);
  expect(await c.expect(/AUTHENTICATE/)).toBe(`${S} AUTHENTICATE :+`);
}

describe('capabilities', () => {
  it('sasl and draft/account-registration with their values; EXTERNAL only over TLS; none with accounts off', async () => {
    const srv = await fx.server({ config: tlsConfig() });
    const plain = await fx.connect(srv);
    const tokens = await capLs(plain);
    expect(tokens).toContain('sasl=PLAIN,SCRAM-SHA-256');
    expect(tokens).toContain('draft/account-registration=before-connect,custom-account-name');
    const secure = fx.track(await connectTls(srv.server.addressOf('tls').port));
    expect(await capLs(secure)).toContain('sasl=PLAIN,EXTERNAL,SCRAM-SHA-256');
    const off = await fx.server({ config: { accounts: { enabled: false } } });
    const none = await capLs(await fx.connect(off));
    expect(none.filter((t) => t.startsWith('sasl') || t.includes('account-registration'))).toEqual([]);
  });
});

describe('REGISTER', () => {
  it('before connecting: SUCCESS, 900, and the welcome carries the account (WHOIS 330)', async () => {
    const srv = await fx.server();
    const c = await fx.connect(srv);
    c.send('CAP LS 302');
    c.send('NICK bar');
    c.send('REGISTER * * shivarampassphrase');
    expect(await c.expect(/ REGISTER /)).toBe(`${S} REGISTER SUCCESS bar :Account bar registered`);
    expect(await c.expect(/ 900 /)).toBe(`${S} 900 bar bar!*@127.0.0.1 bar :You are now logged in as bar`);
    c.send('USER bar 0 * :Bar');
    c.send('CAP END');
    await c.expect(/ 001 /);
    c.nick = 'bar';
    c.send('WHOIS bar');
    expect(await c.expect(/ 330 /)).toBe(`${S} 330 bar bar bar :is logged in as`);
  });

  it('with verification: VERIFICATION_REQUIRED, the hook gets the code, VERIFY logs in', async () => {
    const srv = await fx.server({ config: { accounts: { email_verification: true } }, captureLogs: true });
    const c = await fx.register(srv, 'eve');
    c.send('REGISTER * eve@example.org longpassword');
    expect(await c.expect(/ REGISTER /)).toBe(`${S} REGISTER VERIFICATION_REQUIRED eve :Account created; send VERIFY eve <code> with the code sent to eve@example.org`);
    const code = srv.logs.find((entry) => entry.event === 'verify-code')?.code as string;
    c.send('VERIFY eve nottheone');
    expect(await c.expect(/ FAIL /)).toBe(`${S} FAIL VERIFY INVALID_CODE eve :That code is not right for this account, or it is already verified`);
    c.send(`VERIFY eve ${code}`);
    expect(await c.sync()).toEqual([`${S} VERIFY SUCCESS eve :Account eve verified`, `${S} 900 eve eve!eve@127.0.0.1 eve :You are now logged in as eve`]);
  });
});

describe('SASL during registration', () => {
  it('PLAIN: 900 and 903 before 001; peers see the account with extended-join and account-tag', async () => {
    const srv = await fx.server();
    await registerAccount(srv, 'jilles', 'sesame');
    const watcher = await fx.withCaps(srv, 'watcher', 'extended-join account-tag account-notify');
    await fx.join(watcher, '#c');
    const c = await fx.connect(srv);
    await saslStart(c, 'jil', 'PLAIN');
    c.send(`AUTHENTICATE ${b64('\0jilles\0sesame')}`);
    expect(await c.expect(/ 900 /)).toBe(`${S} 900 jil jil!jil@127.0.0.1 jilles :You are now logged in as jilles`);
    expect(await c.expect(/ 903 /)).toBe(`${S} 903 jil :SASL authentication successful`);
    c.send('CAP END');
    await c.expect(/ 001 /);
    c.nick = 'jil';
    await fx.join(c, '#c');
    expect(await watcher.expect(/ JOIN /)).toBe('@account=jilles :jil!jil@127.0.0.1 JOIN #c jilles :jil Test');
    c.send('PRIVMSG #c :hi');
    expect(await watcher.expect(/ PRIVMSG /)).toMatch(/^@account=jilles(;\S+)? :jil!jil@127\.0\.0\.1 PRIVMSG #c :hi$/);
  });

  it('SCRAM-SHA-256 end to end', async () => {
    const srv = await fx.server();
    await registerAccount(srv, 'scrammy', 'pencil-box');
    const c = await fx.connect(srv);
    await saslStart(c, 'scrammy', 'SCRAM-SHA-256');
    const bare = 'n=scrammy,r=abcdefghijklmnop';
    c.send(`AUTHENTICATE ${b64(`n,,${bare}`)}`);
    const serverFirst = unb64(await c.expect(/AUTHENTICATE/));
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync('pencil-box', Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${bare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const signature = createHmac('sha256', createHash('sha256').update(clientKey).digest()).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, k) => byte ^ (signature[k] as number))).toString('base64');
    c.send(`AUTHENTICATE ${b64(`${withoutProof},p=${proof}`)}`);
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    expect(unb64(await c.expect(/AUTHENTICATE/))).toBe(`v=${createHmac('sha256', serverKey).update(authMessage).digest('base64')}`);
    c.send('AUTHENTICATE +');
    expect(await c.expect(/ 903 /)).toBe(`${S} 903 scrammy :SASL authentication successful`);
  });

  it('EXTERNAL with a client certificate added by NickServ CERT ADD', async () => {
    const srv = await fx.server({ config: tlsConfig() });
    const tlsPort = srv.server.addressOf('tls').port;
    await registerAccount(srv, 'certy', 'certpassword');
    const owner = await fx.register(srv, 'owner');
    owner.send('NS IDENTIFY certy certpassword');
    await owner.expect(/You are now logged in as certy\./);
    owner.send(`NS CERT ADD ${certfp(certs.client.cert)}`);
    await owner.expect(/Added [0-9a-f]{64}/);

    const c = fx.track(await connectTls(tlsPort, { client: certs.client }));
    await saslStart(c, 'certy', 'EXTERNAL');
    c.send('AUTHENTICATE +');
    expect(await c.expect(/ 900 /)).toBe(`${S} 900 certy certy!certy@127.0.0.1 certy :You are now logged in as certy`);
    expect(await c.expect(/ 903 /)).toBe(`${S} 903 certy :SASL authentication successful`);

    const stranger = fx.track(await connectTls(tlsPort));
    await saslStart(stranger, 'stranger', 'EXTERNAL');
    stranger.send('AUTHENTICATE +');
    expect(await stranger.expect(/ 904 /)).toBe(`${S} 904 stranger :SASL authentication failed`);
  });
});

describe('NickServ and account-notify', () => {
  it('IDENTIFY after registration: ACCOUNT to peers with account-notify; DROP logs out with ACCOUNT *', async () => {
    const srv = await fx.server();
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.withCaps(srv, 'bob', 'account-notify');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    alice.send('PRIVMSG NickServ :REGISTER hunter22');
    expect(await alice.expect(/ 900 /)).toBe(`${S} 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice`);
    expect(await bob.expect(/ ACCOUNT /)).toBe(':alice!alice@127.0.0.1 ACCOUNT :alice');
    alice.send('NS DROP');
    expect(await alice.expect(/ 901 /)).toBe(`${S} 901 alice alice!alice@127.0.0.1 :You are now logged out`);
    expect(await bob.expect(/ ACCOUNT /)).toBe(':alice!alice@127.0.0.1 ACCOUNT :*');
  });
});

describe('nick enforcement', () => {
  it('rename: a NOTICE, then after enforce_grace a guest nick everyone sees', async () => {
    const clock = new ManualClock(Date.now());
    const srv = await fx.server({ clock, config: { accounts: { nick_enforcement: 'rename', enforce_grace: 30 } } });
    await registerAccount(srv, 'owned', 'ownerpassword');
    const peer = await fx.register(srv, 'peer');
    const c = await fx.register(srv, 'squatter');
    await fx.join(peer, '#c');
    await fx.join(c, '#c');
    c.send('NICK owned');
    expect(await c.expect(/NickServ/)).toBe(
      ':NickServ!NickServ@obrol.local NOTICE owned :The nick owned belongs to the account owned. If it is yours, log in with /msg NickServ IDENTIFY owned <password> within 30 seconds, or pick another nick with /nick; otherwise you will be renamed.',
    );
    clock.advance(30_000);
    const line = await peer.expect(/NICK :Guest/);
    expect(line).toMatch(/^:owned!squatter@127\.0\.0\.1 NICK :Guest\d{5}$/);
    expect(await c.expect(/NICK :Guest/)).toBe(line);
  });

  it('refuse: registering with an owned nick is 433 unless logged in with SASL', async () => {
    const srv = await fx.server({ config: { accounts: { nick_enforcement: 'refuse' } } });
    await registerAccount(srv, 'owned', 'ownerpassword');
    const c = await fx.connect(srv);
    c.send('NICK owned');
    c.send('USER x 0 * :x');
    expect(await c.expect(/ 433 /)).toBe(`${S} 433 * owned :Nickname is reserved by a different account; log in to use it`);
    c.send('NICK other');
    await c.expect(/ 001 /);

    const d = await fx.connect(srv);
    await saslStart(d, 'owned', 'PLAIN');
    d.send(`AUTHENTICATE ${b64('\0owned\0ownerpassword')}`);
    await d.expect(/ 903 /);
    d.send('CAP END');
    expect(await d.expect(/ 001 /)).toMatch(/ 001 owned /);
  });
});

describe('two nodes', () => {
  it('a login on one node reaches the other: ACCOUNT with account-notify, WHOIS 330, extended-join', async () => {
    const hub = new InProcessHub();
    const a = await fx.server({ bus: hub.connect('node-a') });
    const b = await fx.server({ bus: hub.connect('node-b') });
    const alice = await fx.register(a, 'alice');
    const bob = await fx.withCaps(b, 'bob', 'account-notify extended-join');
    await fx.join(bob, '#c');
    await fx.join(alice, '#c');
    expect(await bob.expect(/alice.* JOIN /)).toBe(':alice!alice@127.0.0.1 JOIN #c * :alice Test');
    alice.send('NS REGISTER hunter22');
    await alice.expect(/ 900 /);
    expect(await bob.expect(/ ACCOUNT /)).toBe(':alice!alice@127.0.0.1 ACCOUNT :alice');
    bob.send('WHOIS alice');
    expect(await bob.expect(/ 330 /)).toBe(`${S} 330 bob alice alice :is logged in as`);
    // A user arriving later on b learns the account from a's registration data.
    alice.send('PART #c');
    await bob.expect(/ PART /);
    await fx.join(alice, '#c');
    expect(await bob.expect(/ JOIN /)).toBe(':alice!alice@127.0.0.1 JOIN #c alice :alice Test');
  });
});
