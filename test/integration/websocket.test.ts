/**
 * The WebSocket listener, following https://ircv3.net/specs/extensions/websocket:
 * the text.ircv3.net and binary.ircv3.net subprotocols (the client's order of
 * preference), one IRC line per message without CR/LF, the Origin allow-list
 * (clients without Origin admitted), X-Forwarded-For from trusted proxies only,
 * WebSocket over TLS, the line limit, and a plain HTTP request (426, with the
 * chat page off; the page itself is in webpage.test.ts).
 *
 * Clients are the `ws` package's, as a browser or a Node program would be.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { join as joinPath } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { makeCerts, registerTls, type TestCerts } from '../helpers/certs.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';
const TIMEOUT_MS = 3000;

type Matcher = RegExp | string | ((line: string) => boolean);

function matches(matcher: Matcher, line: string): boolean {
  if (typeof matcher === 'function') return matcher(line);
  if (typeof matcher === 'string') return line.includes(matcher);
  return matcher.test(line);
}

interface Frame {
  data: string;
  binary: boolean;
}

/** A WebSocket IRC client: every message is one line; reads are awaited with a timeout. */
class WsClient {
  /** Every message received, in order, with its frame type. */
  readonly frames: Frame[] = [];
  private pending: string[] = [];
  private waiters = new Set<() => void>();
  private syncCounter = 0;
  closeCode: number | null = null;
  nick = '';

  private constructor(
    readonly ws: WebSocket,
    /** SHA-256 fingerprint of the server's certificate (wss://), else null. */
    readonly serverFingerprint: string | null,
  ) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.frames.push({ data: text, binary: isBinary });
      this.pending.push(text);
      this.wake();
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Open a WebSocket; rejects with the HTTP status (`HTTP 403`) if the server refuses the upgrade. */
  static connect(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      wsSockets.push(ws);
      let fingerprint: string | null = null;
      ws.once('upgrade', (res: IncomingMessage) => {
        const socket = res.socket as TLSSocket;
        fingerprint = socket.encrypted ? socket.getPeerCertificate().fingerprint256 : null;
      });
      ws.once('open', () => resolve(new WsClient(ws, fingerprint)));
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode ?? '?'}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  static async register(url: string, nick: string, protocols: string[] = ['text.ircv3.net'], options: ClientOptions = {}): Promise<WsClient> {
    const client = await WsClient.connect(url, protocols, options);
    client.send(`NICK ${nick}`);
    client.send(`USER ${nick.toLowerCase()} 0 * :${nick} Test`);
    await client.expect(/ 001 /);
    await client.expect(/ (376|422) /);
    client.nick = nick;
    return client;
  }

  get closed(): boolean {
    return this.closeCode !== null;
  }

  /** Send one message as it is (no CR/LF is added). */
  send(line: string | Buffer, binary = false): void {
    this.ws.send(line, { binary });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private waitFor<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          done();
          reject(err as Error);
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.nick || 'ws'}: timed out waiting for ${what}; unconsumed:\n${this.pending.join('\n') || '(none)'}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** The first unconsumed line matching; it and every line before it are consumed. */
  expect(matcher: Matcher, timeoutMs = TIMEOUT_MS): Promise<string> {
    return this.waitFor(
      () => {
        const index = this.pending.findIndex((line) => matches(matcher, line));
        if (index >= 0) {
          const line = this.pending[index] as string;
          this.pending = this.pending.slice(index + 1);
          return line;
        }
        if (this.closed) throw new Error(`closed (${this.closeCode}) while waiting for ${String(matcher)}`);
        return undefined;
      },
      String(matcher),
      timeoutMs,
    );
  }

  /** PING round trip: the unconsumed lines that arrived before the PONG. */
  async sync(timeoutMs = TIMEOUT_MS): Promise<string[]> {
    const token = `sync-${++this.syncCounter}`;
    this.send(`PING ${token}`);
    await this.waitFor(() => (this.pending.some((line) => / PONG /.test(line) && line.endsWith(token)) ? true : undefined), `PONG ${token}`, timeoutMs);
    const index = this.pending.findIndex((line) => / PONG /.test(line) && line.endsWith(token));
    const before = this.pending.slice(0, index);
    this.pending = this.pending.slice(index + 1);
    return before;
  }

  waitClosed(timeoutMs = TIMEOUT_MS): Promise<number> {
    return this.waitFor(() => this.closeCode ?? undefined, 'the connection to close', timeoutMs);
  }
}

const PASSWORD = 'ws-oper-secret-7';
let certs: TestCerts;
let hash = '';
let servers: TestServer[] = [];
let clients: TestClient[] = [];
const wsSockets: WebSocket[] = [];

beforeAll(async () => {
  [certs, hash] = await Promise.all([makeCerts(), hashPassword(PASSWORD)]);
});

afterAll(() => {
  certs?.cleanup();
});

afterEach(async () => {
  for (const ws of wsSockets.splice(0)) ws.terminate();
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

type WsSection = Partial<NonNullable<ConfigInput['websocket']>>;

interface Running {
  srv: TestServer;
  url: string;
  plain: number;
}

async function server(websocket: WsSection = {}, withTls = false): Promise<Running> {
  // Tests about other things admit every origin and clients without one.
  const config: ConfigInput = { websocket: { host: '127.0.0.1', port: 0, origins: ['*'], ...websocket } };
  if (withTls || websocket.tls) config.tls = { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key };
  const srv = await startServer({ config });
  servers.push(srv);
  const scheme = websocket.tls ? 'wss' : 'ws';
  return { srv, url: `${scheme}://127.0.0.1:${srv.server.addressOf('websocket').port}/`, plain: srv.port };
}

async function tcpUser(port: number, nick: string): Promise<TestClient> {
  const c = await TestClient.register(port, nick);
  clients.push(c);
  return c;
}

/** The WHOIS reply lines, 311 to 318. */
async function whois(c: WsClient | TestClient, nick: string): Promise<string[]> {
  c.send(`WHOIS ${nick}`);
  const lines = await c.sync();
  expect(lines.at(-1)).toBe(`${S} 318 ${c.nick} ${nick} :End of /WHOIS list`);
  return lines;
}

/** The status of a refused upgrade, or 101 when accepted. */
async function upgradeStatus(url: string, options: ClientOptions): Promise<number> {
  try {
    const c = await WsClient.connect(url, ['text.ircv3.net'], options);
    c.ws.close();
    return 101;
  } catch (err) {
    const status = /^HTTP (\d+)$/.exec((err as Error).message);
    if (!status) throw err;
    return Number(status[1]);
  }
}

describe('WebSocket subprotocols and framing', () => {
  it('text.ircv3.net: text messages, one line each, without CR or LF', async () => {
    const { url } = await server();
    const alice = await WsClient.register(url, 'alice', ['text.ircv3.net']);
    expect(alice.ws.protocol).toBe('text.ircv3.net');
    expect(alice.frames[0]).toEqual({
      data: `${S} NOTICE * :*** Welcome to Obrol. Register with NICK <nick> and USER <user> 0 * :<real name>; HELP lists the commands.`,
      binary: false,
    });
    expect(alice.frames.find((f) => / 001 /.test(f.data))?.data).toBe(`${S} 001 alice :Welcome to the Obrol IRC Network alice!alice@127.0.0.1`);
    expect(alice.frames.length).toBeGreaterThan(8);
    expect(alice.frames.filter((f) => f.binary || /[\r\n]/.test(f.data) || f.data === '')).toEqual([]);
  });

  it('binary.ircv3.net: binary messages, one line each, without CR or LF', async () => {
    const { url } = await server();
    const bob = await WsClient.register(url, 'bob', ['binary.ircv3.net']);
    expect(bob.ws.protocol).toBe('binary.ircv3.net');
    expect(bob.frames.find((f) => / 001 /.test(f.data))).toEqual({ data: `${S} 001 bob :Welcome to the Obrol IRC Network bob!bob@127.0.0.1`, binary: true });
    expect(bob.frames.filter((f) => !f.binary || /[\r\n]/.test(f.data) || f.data === '')).toEqual([]);
    // The client may send binary messages too.
    bob.send(Buffer.from('PING :binary-ping'), true);
    expect(await bob.expect(/ PONG /)).toBe(`${S} PONG obrol.local :binary-ping`);
    expect(bob.frames.at(-1)?.binary).toBe(true);
  });

  it("offering both, the client's order of preference wins", async () => {
    const { url } = await server();
    const binaryFirst = await WsClient.connect(url, ['binary.ircv3.net', 'text.ircv3.net']);
    const textFirst = await WsClient.connect(url, ['text.ircv3.net', 'binary.ircv3.net']);
    const unknownFirst = await WsClient.connect(url, ['irc.example.invalid', 'binary.ircv3.net', 'text.ircv3.net']);
    expect([binaryFirst.ws.protocol, textFirst.ws.protocol, unknownFirst.ws.protocol]).toEqual(['binary.ircv3.net', 'text.ircv3.net', 'binary.ircv3.net']);
    await binaryFirst.expect(/NOTICE \*/);
    await textFirst.expect(/NOTICE \*/);
    expect(binaryFirst.frames[0]?.binary).toBe(true);
    expect(textFirst.frames[0]?.binary).toBe(false);
  });

  it('no subprotocol: accepted, with text messages', async () => {
    const { url } = await server();
    const carol = await WsClient.register(url, 'carol', []);
    expect(carol.ws.protocol).toBe('');
    expect(carol.frames.filter((f) => f.binary)).toEqual([]);
    carol.send('PING :plain');
    expect(await carol.expect(/ PONG /)).toBe(`${S} PONG obrol.local :plain`);
  });

  it('a client message with a trailing CRLF (or LF) is accepted as one line', async () => {
    const { url } = await server();
    const dave = await WsClient.register(url, 'dave');
    dave.send('PING :with-crlf\r\n');
    expect(await dave.expect(/ PONG /)).toBe(`${S} PONG obrol.local :with-crlf`);
    dave.send('PING :with-lf\n');
    expect(await dave.expect(/ PONG /)).toBe(`${S} PONG obrol.local :with-lf`);
    expect(await dave.sync()).toEqual([]);
  });

  it('a line whose body is over 510 bytes gets 417 and the connection stays', async () => {
    const { url, plain } = await server();
    const erin = await WsClient.register(url, 'erin');
    const tcp = await tcpUser(plain, 'tcp');
    for (const c of [erin, tcp]) {
      c.send('JOIN #c');
      await c.expect(/ 366 /);
    }
    expect(await erin.expect(/ JOIN /)).toBe(':tcp!tcp@127.0.0.1 JOIN :#c');
    // 510 bytes exactly is fine (relayed, cut so the relayed line fits in 512).
    const prefix = 'PRIVMSG #c :';
    const fits = 'x'.repeat(510 - prefix.length);
    erin.send(prefix + fits);
    const relayed = await tcp.expect(/ PRIVMSG /);
    expect(relayed).toMatch(/^:erin!erin@127\.0\.0\.1 PRIVMSG #c :x+$/);
    expect(Buffer.byteLength(relayed)).toBe(510);
    expect(await erin.sync()).toEqual([]);
    // One more byte is not.
    erin.send(`${prefix}${fits}y`);
    expect(await erin.sync()).toEqual([`${S} 417 erin :Input line was too long`]);
    erin.send(`${prefix}${'z'.repeat(2000)}`);
    expect(await erin.sync()).toEqual([`${S} 417 erin :Input line was too long`]);
    expect(await tcp.sync()).toEqual([]);
    // Client tags may add up to 4096 bytes.
    erin.send(`@+example.org/data=${'t'.repeat(4000)} ${prefix}tagged`);
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':erin!erin@127.0.0.1 PRIVMSG #c :tagged');
    expect(erin.closed).toBe(false);
  });

  it('a message larger than the largest legal line closes the WebSocket (1009)', async () => {
    const { url } = await server();
    const fay = await WsClient.register(url, 'fay');
    fay.send(`PRIVMSG fay :${'x'.repeat(5000)}`);
    expect(await fay.waitClosed()).toBe(1009);
  });

  it('a plain HTTP request to the WebSocket port gets 426 Upgrade Required (with the chat page off)', async () => {
    const { srv } = await server({ web_client: false });
    const port = srv.server.addressOf('websocket').port;
    const res = await new Promise<IncomingMessage>((resolve, reject) => httpGet({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject));
    let body = '';
    res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    await new Promise((resolve) => res.on('end', resolve));
    expect(res.statusCode).toBe(426);
    expect(res.headers.upgrade).toBe('websocket');
    expect(body).toContain('text.ircv3.net');
  });
});

describe('one channel, three transports', () => {
  it('WebSocket, plain TCP and TLS clients all see each other in one channel', async () => {
    const { url, plain, srv } = await server({}, true);
    const ws = await WsClient.register(url, 'webby', ['binary.ircv3.net', 'text.ircv3.net']);
    const tcp = await tcpUser(plain, 'tcpy');
    const tls = await registerTls(srv.server.addressOf('tls').port, 'tlsy');
    clients.push(tls);

    ws.send('JOIN #three');
    await ws.expect(/ 366 /);
    tcp.send('JOIN #three');
    await tcp.expect(/ 366 /);
    expect(await ws.expect(/ JOIN /)).toBe(':tcpy!tcpy@127.0.0.1 JOIN :#three');
    tls.send('JOIN #three');
    const names = await tls.expect(/ 353 /);
    expect(names.split(':').at(-1)?.split(' ').sort()).toEqual(['@webby', 'tcpy', 'tlsy']);
    await tls.expect(/ 366 /);
    expect(await ws.expect(/ JOIN /)).toBe(':tlsy!tlsy@127.0.0.1 JOIN :#three');
    expect(await tcp.expect(/ JOIN /)).toBe(':tlsy!tlsy@127.0.0.1 JOIN :#three');

    ws.send('PRIVMSG #three :from the browser');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':webby!webby@127.0.0.1 PRIVMSG #three :from the browser');
    expect(await tls.expect(/ PRIVMSG /)).toBe(':webby!webby@127.0.0.1 PRIVMSG #three :from the browser');
    tcp.send('PRIVMSG #three :from telnet');
    expect(await ws.expect(/ PRIVMSG /)).toBe(':tcpy!tcpy@127.0.0.1 PRIVMSG #three :from telnet');
    expect(await tls.expect(/ PRIVMSG /)).toBe(':tcpy!tcpy@127.0.0.1 PRIVMSG #three :from telnet');
    tls.send('PRIVMSG #three :from TLS');
    expect(await ws.expect(/ PRIVMSG /)).toBe(':tlsy!tlsy@127.0.0.1 PRIVMSG #three :from TLS');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':tlsy!tlsy@127.0.0.1 PRIVMSG #three :from TLS');
    // Nobody got their own message back, nor anything else.
    expect(await ws.sync()).toEqual([]);
    expect(await tcp.sync()).toEqual([]);
    expect(await tls.sync()).toEqual([]);

    // WHOIS: only the TLS user is secure.
    const secureLines = (await whois(tcp, 'tlsy')).filter((l) => / 671 /.test(l));
    expect(secureLines).toEqual([`${S} 671 tcpy tlsy :is using a secure connection`]);
    expect((await whois(tcp, 'webby')).filter((l) => / 671 /.test(l))).toEqual([]);

    ws.send('QUIT :closing the tab');
    expect(await tcp.expect(/ QUIT /)).toBe(':webby!webby@127.0.0.1 QUIT :Quit: closing the tab');
    expect(await tls.expect(/ QUIT /)).toBe(':webby!webby@127.0.0.1 QUIT :Quit: closing the tab');
    expect(await ws.expect(/^ERROR /)).toBe('ERROR :Closing link: (webby@127.0.0.1) [Quit: closing the tab]');
    expect(await ws.waitClosed()).toBe(1000);
  });
});

describe('Origin allow-list', () => {
  it('listed origins are accepted, others get 403, and so do clients without Origin', async () => {
    const { url } = await server({ origins: ['https://good.example'] });
    expect(await upgradeStatus(url, { origin: 'https://good.example' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'HTTPS://GOOD.EXAMPLE' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'http://good.example' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://good.example.evil.example' })).toBe(403);
    expect(await upgradeStatus(url, {})).toBe(403);
    // And an allowed page can chat.
    const good = await WsClient.register(url, 'browser', ['text.ircv3.net'], { origin: 'https://good.example' });
    good.send('PING :ok');
    expect(await good.expect(/ PONG /)).toBe(`${S} PONG obrol.local :ok`);
  });

  it('"*" allows every origin, and clients without one', async () => {
    const star = await server({ origins: ['*'] });
    expect(await upgradeStatus(star.url, { origin: 'https://anything.example' })).toBe(101);
    expect(await upgradeStatus(star.url, { origin: 'null' })).toBe(101);
    expect(await upgradeStatus(star.url, {})).toBe(101);
    const noOrigin = await WsClient.register(star.url, 'nodejs');
    noOrigin.send('PING :ok');
    expect(await noOrigin.expect(/ PONG /)).toBe(`${S} PONG obrol.local :ok`);
  });

  it('by default no origin is allowed: a page must be allowed explicitly, and so must clients without Origin', async () => {
    const byDefault = await server({ origins: undefined });
    expect(await upgradeStatus(byDefault.url, { origin: 'https://anything.example' })).toBe(403);
    expect(await upgradeStatus(byDefault.url, {})).toBe(403);
  });

  it('wildcard patterns: https://*.example.org', async () => {
    const { url } = await server({ origins: ['https://*.example.org', 'http://localhost:*'] });
    expect(await upgradeStatus(url, { origin: 'https://chat.example.org' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'https://a.b.example.org' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'http://localhost:8080' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'https://example.org' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'http://chat.example.org' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://chat.example.org.evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://evilexample.org' })).toBe(403);
  });

  it('an empty list admits nobody', async () => {
    const { url } = await server({ origins: [] });
    expect(await upgradeStatus(url, { origin: 'https://good.example' })).toBe(403);
    expect(await upgradeStatus(url, {})).toBe(403);
  });
});

describe('X-Forwarded-For and trusted proxies', () => {
  async function hostSeen(url: string, nick: string, forwardedFor?: string): Promise<{ host: string; lines: string[] }> {
    const c = await WsClient.register(url, nick, ['text.ircv3.net'], forwardedFor === undefined ? {} : { headers: { 'X-Forwarded-For': forwardedFor } });
    const lines = await whois(c, nick);
    const host = (lines[0] as string).split(' ')[5] as string;
    return { host, lines };
  }

  it('from a trusted proxy, the forwarded address is the user\'s host (311, 378, and in the mask others see)', async () => {
    const { url, plain } = await server({ trusted_proxies: ['127.0.0.1'] });
    const watcher = await tcpUser(plain, 'watcher');
    watcher.send('JOIN #c');
    await watcher.expect(/ 366 /);
    const { lines } = await hostSeen(url, 'proxied', '203.0.113.7');
    expect(lines[0]).toBe(`${S} 311 proxied proxied proxied 203.0.113.7 * :proxied Test`);
    expect(lines).toContain(`${S} 378 proxied proxied :is connecting from proxied@203.0.113.7 203.0.113.7`);
    // Seen that way by others too.
    const c = await WsClient.register(url, 'seen', ['text.ircv3.net'], { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    c.send('JOIN #c');
    expect(await watcher.expect(/ JOIN /)).toBe(':seen!seen@203.0.113.7 JOIN :#c');
  });

  it('with no trusted proxies the header is ignored', async () => {
    const { url } = await server({ trusted_proxies: [] });
    const { lines } = await hostSeen(url, 'spoofer', '203.0.113.7');
    expect(lines[0]).toBe(`${S} 311 spoofer spoofer spoofer 127.0.0.1 * :spoofer Test`);
    expect(lines).toContain(`${S} 378 spoofer spoofer :is connecting from spoofer@127.0.0.1 127.0.0.1`);
  });

  it('a proxy not on the list is not believed', async () => {
    const { url } = await server({ trusted_proxies: ['10.0.0.0/8'] });
    expect((await hostSeen(url, 'spoofer', '203.0.113.7')).host).toBe('127.0.0.1');
  });

  it('a chain: the rightmost address that is not a trusted proxy', async () => {
    const { url } = await server({ trusted_proxies: ['127.0.0.1'] });
    // The client claims 198.51.100.1; the proxy saw 203.0.113.7. Only the proxy is believed.
    expect((await hostSeen(url, 'chain', '198.51.100.1, 203.0.113.7')).host).toBe('203.0.113.7');
  });

  it('a chain through several trusted proxies (CIDR) skips them all', async () => {
    const { url } = await server({ trusted_proxies: ['127.0.0.1', '10.0.0.0/8'] });
    expect((await hostSeen(url, 'deep', '198.51.100.1, 203.0.113.7, 10.1.2.3')).host).toBe('203.0.113.7');
  });

  it('garbage in the header leaves the socket address; IPv6 is shown as it is', async () => {
    const { url } = await server({ trusted_proxies: ['127.0.0.1'] });
    expect((await hostSeen(url, 'junk', 'unknown')).host).toBe('127.0.0.1');
    expect((await hostSeen(url, 'six', '2001:db8::7')).host).toBe('2001:db8::7');
    expect((await hostSeen(url, 'none')).host).toBe('127.0.0.1');
  });

  it('hops written with a port or in brackets are read as their address', async () => {
    const { url } = await server({ trusted_proxies: ['127.0.0.1'] });
    expect((await hostSeen(url, 'port4', '203.0.113.7:51234')).host).toBe('203.0.113.7');
    expect((await hostSeen(url, 'brak6', '[2001:db8::7]:443')).host).toBe('2001:db8::7');
    expect((await hostSeen(url, 'bare6', '[2001:db8::8]')).host).toBe('2001:db8::8');
    expect((await hostSeen(url, 'chain', '198.51.100.1:1, 203.0.113.9:2')).host).toBe('203.0.113.9');
  });
});

describe('WebSocket over TLS', () => {
  it('wss:// works and WHOIS shows 671', async () => {
    const { url, plain } = await server({ tls: true });
    expect(url.startsWith('wss://')).toBe(true);
    const sec = await WsClient.register(url, 'sec', ['text.ircv3.net'], { rejectUnauthorized: false });
    const self = await whois(sec, 'sec');
    expect(self).toContain(`${S} 671 sec sec :is using a secure connection`);
    const tcp = await tcpUser(plain, 'tcp');
    expect(await whois(tcp, 'sec')).toContain(`${S} 671 tcp sec :is using a secure connection`);
    // A plain ws:// client cannot talk to it.
    await expect(WsClient.connect(url.replace('wss://', 'ws://'))).rejects.toThrow();
  });

  it('a plain ws:// listener is not secure', async () => {
    const { url } = await server();
    const insecure = await WsClient.register(url, 'insecure');
    expect(insecure.serverFingerprint).toBeNull();
    expect((await whois(insecure, 'insecure')).filter((l) => / 671 /.test(l))).toEqual([]);
  });
});

describe('REHASH and the WebSocket listener', () => {
  let own: TestCerts;
  beforeAll(async () => {
    own = await makeCerts();
  });
  afterAll(() => own?.cleanup());

  function writeConf(path: string, origins: string[], trustedProxies: string[]): void {
    writeFileSync(
      path,
      stringify({
        server: { motd_file: null },
        tls: { host: '127.0.0.1', port: 0, cert: own.cert, key: own.key },
        websocket: { host: '127.0.0.1', port: 0, tls: true, origins, trusted_proxies: trustedProxies },
        opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }],
      }),
    );
  }

  it('new origins, trusted proxies and certificate apply to new connections; connected clients stay', async () => {
    const path = joinPath(own.dir, 'obrol.yaml');
    writeConf(path, ['https://old.example'], []);
    const srv = await startServer({ configPath: path });
    servers.push(srv);
    const port = srv.server.addressOf('websocket').port;
    const url = `wss://127.0.0.1:${port}/`;
    const opts = (extra: ClientOptions = {}): ClientOptions => ({ rejectUnauthorized: false, ...extra });

    const before = await WsClient.register(url, 'before', ['text.ircv3.net'], opts({ origin: 'https://old.example' }));
    expect(before.serverFingerprint).toBe(new X509Certificate(own.server.cert).fingerprint256);
    expect(await upgradeStatus(url, opts({ origin: 'https://new.example' }))).toBe(403);
    const oper = await tcpUser(srv.port, 'oper');
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    for (const c of [oper, before]) {
      c.send('JOIN #c');
      await c.expect(/ 366 /);
    }
    expect(await oper.expect(/ JOIN /)).toBe(':before!before@127.0.0.1 JOIN :#c');

    const fresh = await own.renewServer();
    writeConf(path, ['https://new.example'], ['127.0.0.1']);
    oper.send('REHASH');
    expect(await oper.sync()).toEqual([`:obrol.local 382 oper ${path} :Rehashing`]);
    expect(srv.server.addressOf('websocket').port).toBe(port);

    expect(await upgradeStatus(url, opts({ origin: 'https://old.example' }))).toBe(403);
    const after = await WsClient.register(url, 'after', ['text.ircv3.net'], opts({ origin: 'https://new.example', headers: { 'X-Forwarded-For': '203.0.113.9' } }));
    expect(after.serverFingerprint).toBe(new X509Certificate(fresh.cert).fingerprint256);
    after.send('JOIN #c');
    expect(await oper.expect(/ JOIN /)).toBe(':after!after@203.0.113.9 JOIN :#c');

    // The client admitted under the old list is still there.
    expect(before.closed).toBe(false);
    before.send('PRIVMSG #c :still connected');
    expect(await oper.expect(/ PRIVMSG /)).toBe(':before!before@127.0.0.1 PRIVMSG #c :still connected');
    expect(await after.expect(/ PRIVMSG /)).toBe(':before!before@127.0.0.1 PRIVMSG #c :still connected');
  });
});
