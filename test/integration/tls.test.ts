/**
 * The TLS listener: chat between TLS and plain clients, WHOIS 671 and the
 * client certificate fingerprint (276), the sts capability
 * (https://ircv3.net/specs/extensions/sts), a new certificate on REHASH
 * without dropping anyone, TLS file errors at startup naming the file, and a
 * plain-text client on the TLS port.
 *
 * Certificates are made per run (test/helpers/certs.ts) and deleted afterwards.
 */
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { certfp, connectTls, makeCerts, registerTls, tlsSocket, type TestCerts } from '../helpers/certs.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';
const PASSWORD = 'tls-oper-secret-42';

let certs: TestCerts;
let hash = '';
let servers: TestServer[] = [];
let clients: TestClient[] = [];
let sockets: TLSSocket[] = [];

beforeAll(async () => {
  [certs, hash] = await Promise.all([makeCerts(), hashPassword(PASSWORD)]);
});

afterAll(() => {
  certs?.cleanup();
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  for (const s of sockets) s.destroy();
  sockets = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

function tlsConfig(extra: Partial<NonNullable<ConfigInput['tls']>> = {}, files: { cert: string; key: string } = certs): ConfigInput {
  return {
    tls: { host: '127.0.0.1', port: 0, cert: files.cert, key: files.key, ...extra },
    opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }],
  };
}

interface Ports {
  srv: TestServer;
  plain: number;
  tls: number;
}

async function server(config: ConfigInput = tlsConfig()): Promise<Ports> {
  const srv = await startServer({ config });
  servers.push(srv);
  return { srv, plain: srv.port, tls: srv.server.addressOf('tls').port };
}

async function plainUser(port: number, nick: string): Promise<TestClient> {
  const c = await TestClient.register(port, nick);
  clients.push(c);
  return c;
}

async function tlsUser(port: number, nick: string, withCert = false): Promise<TestClient> {
  const c = await registerTls(port, nick, withCert ? { client: certs.client } : {});
  clients.push(c);
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

/** The WHOIS reply lines (311 to 318). */
async function whois(c: TestClient, nick: string): Promise<string[]> {
  c.send(`WHOIS ${nick}`);
  const lines = await c.sync();
  expect(lines.at(-1)).toBe(`${S} 318 ${c.nick} ${nick} :End of /WHOIS list`);
  return lines;
}

/** Every token of a (possibly multi-line) CAP LS reply. */
async function capLs(c: TestClient, command = 'CAP LS 302'): Promise<string[]> {
  c.send(command);
  const tokens: string[] = [];
  for (;;) {
    const line = await c.expect(/ CAP \S+ LS /);
    const more = / LS \* /.test(line);
    tokens.push(...line.replace(/^.* LS (\* )?:?/, '').split(' '));
    if (!more) return tokens;
  }
}

function peerFingerprint(c: TestClient): string {
  return (c.socket as TLSSocket).getPeerCertificate().fingerprint256;
}

describe('TLS clients', () => {
  it('a TLS client and a plain TCP client chat in one channel, exact lines both ways', async () => {
    const { plain, tls } = await server();
    const alice = await plainUser(plain, 'alice');
    const bob = await tlsUser(tls, 'bob');
    expect((bob.socket as TLSSocket).encrypted).toBe(true);
    await join(alice, '#c');
    await join(bob, '#c');
    expect(await alice.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#c');

    bob.send('PRIVMSG #c :hello from TLS');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :hello from TLS');
    alice.send('PRIVMSG #c :hello from plain TCP');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :hello from plain TCP');
    // Neither got an echo of their own message.
    expect(await alice.sync()).toEqual([]);
    expect(await bob.sync()).toEqual([]);

    bob.send('QUIT :done');
    expect(await alice.expect(/ QUIT /)).toBe(':bob!bob@127.0.0.1 QUIT :Quit: done');
    await bob.waitClosed();
  });

  it('WHOIS: 671 to everyone; 276 with the certificate fingerprint only to the user and to opers', async () => {
    const { plain, tls } = await server();
    const fp = certfp(certs.client.cert);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    const bob = await tlsUser(tls, 'bob', true);
    const alice = await plainUser(plain, 'alice');
    const carol = await plainUser(plain, 'carol');
    carol.send(`OPER boss ${PASSWORD}`);
    await carol.expect(/ 381 /);

    const secure = (viewer: string) => `${S} 671 ${viewer} bob :is using a secure connection`;
    const certLine = (viewer: string) => `${S} 276 ${viewer} bob :has client certificate fingerprint ${fp}`;

    const self = await whois(bob, 'bob');
    expect(self[0]).toBe(`${S} 311 bob bob bob 127.0.0.1 * :bob Test`);
    expect(self).toContain(secure('bob'));
    expect(self).toContain(certLine('bob'));

    const other = await whois(alice, 'bob');
    expect(other).toContain(secure('alice'));
    expect(other.filter((line) => / 276 /.test(line))).toEqual([]);

    const oper = await whois(carol, 'bob');
    expect(oper).toContain(secure('carol'));
    expect(oper).toContain(certLine('carol'));

    // A plain client is not shown as secure.
    const plainTarget = await whois(bob, 'alice');
    expect(plainTarget.filter((line) => / (671|276) /.test(line))).toEqual([]);
  });

  it('a TLS client without a certificate gets 671 but no 276', async () => {
    const { plain, tls } = await server();
    const dave = await tlsUser(tls, 'dave');
    const self = await whois(dave, 'dave');
    expect(self).toContain(`${S} 671 dave dave :is using a secure connection`);
    expect(self.filter((line) => / 276 /.test(line))).toEqual([]);
    const carol = await plainUser(plain, 'carol');
    carol.send(`OPER boss ${PASSWORD}`);
    await carol.expect(/ 381 /);
    expect((await whois(carol, 'dave')).filter((line) => / 276 /.test(line))).toEqual([]);
  });

  it('a plain-text client on the TLS port is dropped and the server carries on', async () => {
    const { plain, tls } = await server();
    const alice = await plainUser(plain, 'alice');
    const confused = await TestClient.connect(tls);
    clients.push(confused);
    confused.send('NICK confused');
    confused.send('USER confused 0 * :Confused');
    await confused.waitClosed();
    expect(confused.received.filter((line) => / 001 /.test(line))).toEqual([]);

    // Garbage after a ClientHello-looking byte, too.
    const garbage = await TestClient.connect(tls);
    clients.push(garbage);
    garbage.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00]));
    await garbage.waitClosed();

    expect(await alice.sync()).toEqual([]);
    const bob = await tlsUser(tls, 'bob');
    await join(alice, '#c');
    await join(bob, '#c');
    bob.send('PRIVMSG #c :still here');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :still here');
  });

  it('a client that hangs up during the handshake leaves nothing open: stop() is prompt', async () => {
    const { srv, tls } = await server();
    // The client's handshake completes before the server's; hanging up at once
    // used to leave the server's socket open until the 2-minute handshake timeout.
    for (let k = 0; k < 3; k++) (await tlsSocket(tls)).destroy();
    const alice = await tlsUser(tls, 'alice');
    alice.close();
    const stopped = srv.stop().then(() => 'stopped');
    // stop() waits up to 5 s for open connections; none should be left.
    const stuck = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting for a connection'), 2500).unref());
    expect(await Promise.race([stopped, stuck])).toBe('stopped');
  });

  it('a TLS client that half-closes after its lines still gets every answer', async () => {
    const { tls } = await server();
    const socket = await tlsSocket(tls);
    sockets.push(socket);
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end('NICK halfy\r\nUSER halfy 0 * :Half Closed\r\nPING :last-words\r\nQUIT :bye\r\n');
    await closed;
    const lines = text.split('\r\n');
    expect(lines).toContain(`${S} 001 halfy :Welcome to the Obrol IRC Network halfy!halfy@127.0.0.1`);
    expect(lines).toContain(`${S} PONG obrol.local :last-words`);
    expect(lines).toContain('ERROR :Closing link: (halfy@127.0.0.1) [Quit: bye]');
  });
});

describe('sts', () => {
  it('plain CAP LS 302 shows sts=port=<tls port>,duration=<n>; TLS shows sts=duration=<n>', async () => {
    const { plain, tls } = await server(tlsConfig({ sts_duration: 2592000 }));
    const insecure = await TestClient.connect(plain);
    clients.push(insecure);
    const plainTokens = await capLs(insecure);
    expect(plainTokens.filter((t) => t.startsWith('sts'))).toEqual([`sts=port=${tls},duration=2592000`]);

    const secure = await connectTls(tls);
    clients.push(secure);
    const tlsTokens = await capLs(secure);
    expect(tlsTokens.filter((t) => t.startsWith('sts'))).toEqual(['sts=duration=2592000']);
    // SASL EXTERNAL (a client certificate) is offered over TLS only.
    expect(plainTokens.filter((t) => t.startsWith('sasl'))).toEqual(['sasl=PLAIN,SCRAM-SHA-256']);
    expect(tlsTokens.filter((t) => t.startsWith('sasl'))).toEqual(['sasl=PLAIN,EXTERNAL,SCRAM-SHA-256']);
    // The rest of the offer is the same on both.
    const rest = (tokens: string[]) => tokens.filter((t) => !t.startsWith('sts') && !t.startsWith('sasl'));
    expect(rest(tlsTokens)).toEqual(rest(plainTokens));

    // sts is a policy, not something to enable.
    insecure.send('CAP REQ sts');
    expect(await insecure.expect(/ CAP /)).toMatch(new RegExp(`^${S} CAP \\* NAK :?sts$`));
    secure.send('CAP REQ :multi-prefix sts');
    expect(await secure.expect(/ CAP /)).toBe(`${S} CAP * NAK :multi-prefix sts`);
    secure.send('CAP LIST');
    expect(await secure.expect(/ CAP /)).toBe(`${S} CAP * LIST :cap-notify`);
  });

  it('preload is added on the secure port only', async () => {
    const { plain, tls } = await server(tlsConfig({ sts_duration: 300, sts_preload: true }));
    const insecure = await TestClient.connect(plain);
    const secure = await connectTls(tls);
    clients.push(insecure, secure);
    expect((await capLs(insecure)).filter((t) => t.startsWith('sts'))).toEqual([`sts=port=${tls},duration=300`]);
    expect((await capLs(secure)).filter((t) => t.startsWith('sts'))).toEqual(['sts=duration=300,preload']);
  });

  it('no sts without tls.sts_duration, nor without a tls section', async () => {
    const withTls = await server();
    const withoutTls = await startServer();
    servers.push(withoutTls);
    const a = await TestClient.connect(withTls.plain);
    const b = await connectTls(withTls.tls);
    const c = await TestClient.connect(withoutTls.port);
    clients.push(a, b, c);
    for (const client of [a, b, c]) {
      const tokens = await capLs(client);
      expect(tokens).toContain('server-time');
      expect(tokens.filter((t) => t.startsWith('sts'))).toEqual([]);
      client.send('CAP REQ sts');
      expect(await client.expect(/ CAP /)).toMatch(new RegExp(`^${S} CAP \\* NAK :?sts$`));
    }
  });
});

describe('REHASH with a new certificate', () => {
  let own: TestCerts;
  beforeAll(async () => {
    own = await makeCerts();
  });
  afterAll(() => own?.cleanup());

  it('connected TLS clients stay and chat; new TLS connections get the new certificate', async () => {
    const { plain, tls } = await server(tlsConfig({}, own));
    const oldFp = new X509Certificate(own.server.cert).fingerprint256;
    const bob = await tlsUser(tls, 'bob');
    expect(peerFingerprint(bob)).toBe(oldFp);
    const alice = await plainUser(plain, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    await join(alice, '#c');
    await join(bob, '#c');
    expect(await alice.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#c');

    const fresh = await own.renewServer();
    const newFp = new X509Certificate(fresh.cert).fingerprint256;
    expect(newFp).not.toBe(oldFp);
    alice.send('REHASH');
    expect(await alice.sync()).toEqual([`${S} 382 alice (defaults) :Rehashing`]);

    // Same port, bob still connected on the old session.
    expect(servers[0]?.server.addressOf('tls').port).toBe(tls);
    expect(bob.closed).toBe(false);
    bob.send('PRIVMSG #c :after the rehash');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :after the rehash');
    alice.send('PRIVMSG #c :welcome back');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #c :welcome back');

    const carol = await tlsUser(tls, 'carol');
    expect(peerFingerprint(carol)).toBe(newFp);
    await join(carol, '#c');
    carol.send('PRIVMSG #c :new cert here');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':carol!carol@127.0.0.1 PRIVMSG #c :new cert here');
  });

  it('a broken certificate file on REHASH refuses the whole reload, naming the file; the old one stays in use', async () => {
    const { plain, tls } = await server(tlsConfig({}, own));
    const currentFp = new X509Certificate(own.server.cert).fingerprint256;
    const alice = await plainUser(plain, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    const saved = own.server;
    writeFileSync(own.cert, 'this is not a certificate\n');
    try {
      alice.send('REHASH');
      expect(await alice.sync()).toEqual([
        `${S} 382 alice (defaults) :Rehashing`,
        `${S} NOTICE alice :*** REHASH: tls.cert ${own.cert}: not a PEM certificate`,
        `${S} NOTICE alice :*** REHASH failed: the previous configuration stays in force`,
      ]);
    } finally {
      writeFileSync(own.cert, saved.cert);
    }
    const bob = await tlsUser(tls, 'bob');
    expect(peerFingerprint(bob)).toBe(currentFp);
  });
});

describe('TLS file errors at startup', () => {
  async function startFails(files: { cert: string; key: string }): Promise<string> {
    const attempt = startServer({ config: tlsConfig({}, files) });
    // A server that did start anyway is stopped by afterEach.
    attempt.then((srv) => servers.push(srv), () => {});
    const err = (await attempt.then(
      () => new Error('the server started'),
      (e: unknown) => e,
    )) as Error;
    expect(err.name).toBe('TlsFileError');
    return err.message;
  }

  it('a missing certificate file', async () => {
    const missing = joinPath(certs.dir, 'absent.crt');
    expect(await startFails({ cert: missing, key: certs.key })).toBe(`tls.cert ${missing}: cannot read it (no such file)`);
  });

  it('a missing key file', async () => {
    const missing = joinPath(certs.dir, 'absent.key');
    expect(await startFails({ cert: certs.cert, key: missing })).toBe(`tls.key ${missing}: cannot read it (no such file)`);
  });

  it('a certificate file that is not PEM', async () => {
    const bogus = joinPath(certs.dir, 'bogus.crt');
    writeFileSync(bogus, 'hello, I am not a certificate\n');
    expect(await startFails({ cert: bogus, key: certs.key })).toBe(`tls.cert ${bogus}: not a PEM certificate`);
  });

  it('a key file that is not PEM', async () => {
    const bogus = joinPath(certs.dir, 'bogus.key');
    writeFileSync(bogus, certs.server.cert);
    expect(await startFails({ cert: certs.cert, key: bogus })).toBe(`tls.key ${bogus}: not a PEM private key`);
  });

  it('a key that does not match the certificate', async () => {
    const message = await startFails({ cert: certs.cert, key: certs.clientKey });
    expect(message.startsWith(`tls.key ${certs.clientKey} does not match tls.cert ${certs.cert}: `)).toBe(true);
  });

  it('a TLS handshake presenting the certificate works with the same files (control)', async () => {
    const { tls } = await server();
    const socket = await tlsSocket(tls);
    sockets.push(socket);
    expect(socket.getPeerCertificate().fingerprint256).toBe(new X509Certificate(certs.server.cert).fingerprint256);
  });
});
