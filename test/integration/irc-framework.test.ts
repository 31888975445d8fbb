/**
 * A real IRCv3 client library, irc-framework (the one behind Kiwi IRC),
 * against the in-process server: it negotiates its capabilities (CAP LS 302),
 * registers, joins, chats with a plain TestClient both ways, sees server-time
 * and its own echoed messages, follows a labeled-response batch, changes nick
 * and quits. Every step waits for an event, with a timeout.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** The parts of irc-framework's Client used here (the package ships no types). */
interface FrameworkClient {
  connect(options: Record<string, unknown>): void;
  on(event: string, listener: (event: FrameworkEvent) => void): void;
  off(event: string, listener: (event: FrameworkEvent) => void): void;
  requestCap(cap: string | string[]): void;
  join(channel: string): void;
  say(target: string, message: string): void;
  raw(line: string): void;
  changeNick(nick: string): void;
  quit(message: string): void;
  readonly connected: boolean;
  readonly user: { nick: string };
  readonly network: { cap: { enabled: string[]; available: Map<string, string> }; options: Record<string, unknown> };
  readonly connection: { end(): void };
}

/** Events carry different fields; the ones read here. */
interface FrameworkEvent {
  nick?: string;
  new_nick?: string;
  ident?: string;
  hostname?: string;
  target?: string;
  channel?: string;
  message?: string;
  gecos?: string;
  account?: string | false;
  time?: number;
  tags?: Record<string, string>;
  type?: string;
  line?: string;
  from_server?: boolean;
  users?: Array<{ nick: string; ident: string; hostname: string; modes: string[] }>;
  commands?: unknown[];
}

const require = createRequire(import.meta.url);
const IRC = require('irc-framework') as { Client: new () => FrameworkClient };

const TIMEOUT_MS = 5000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let servers: TestServer[] = [];
let clients: TestClient[] = [];
let frameworks: FrameworkClient[] = [];

afterEach(async () => {
  for (const fw of frameworks) if (fw.connected) fw.connection.end();
  frameworks = [];
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

/** The next `name` event for which `accept` holds; fails after the timeout. */
function nextEvent(client: FrameworkClient, name: string, accept: (event: FrameworkEvent) => boolean = () => true): Promise<FrameworkEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, listener);
      reject(new Error(`timed out waiting for the irc-framework event "${name}"`));
    }, TIMEOUT_MS);
    const listener = (event: FrameworkEvent) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      client.off(name, listener);
      resolve(event);
    };
    client.on(name, listener);
  });
}

/** Every raw line the library exchanged, in order, for assertions and failure messages. */
function transcript(client: FrameworkClient): Array<{ line: string; fromServer: boolean }> {
  const lines: Array<{ line: string; fromServer: boolean }> = [];
  client.on('raw', (event) => lines.push({ line: event.line ?? '', fromServer: event.from_server === true }));
  return lines;
}

describe('irc-framework against Obrol', () => {
  it('negotiates, registers, chats both ways with server-time and echo-message, follows a labeled batch, renames and quits', async () => {
    const srv = await startServer();
    servers.push(srv);

    const fw = new IRC.Client();
    frameworks.push(fw);
    const raw = transcript(fw);
    // Not wanted by the library unless asked for.
    fw.requestCap('labeled-response');
    const registered = nextEvent(fw, 'registered');
    fw.connect({
      host: '127.0.0.1',
      port: srv.port,
      nick: 'fwbot',
      username: 'fwbot',
      gecos: 'Framework Bot',
      auto_reconnect: false,
      enable_echomessage: true,
      enable_chghost: true,
      enable_setname: true,
    });
    expect((await registered).nick).toBe('fwbot');

    // The library asked with CAP LS 302 and got values.
    expect(raw.find((r) => !r.fromServer)?.line).toBe('CAP LS 302');
    expect(fw.network.cap.available.get('sts')).toBeUndefined();
    // Everything it wanted (and the server offers) was acknowledged.
    const enabled = [...fw.network.cap.enabled].sort();
    expect(enabled).toEqual(
      [
        'account-notify',
        'account-tag',
        'away-notify',
        'batch',
        'cap-notify',
        'chghost',
        'echo-message',
        'extended-join',
        'invite-notify',
        'labeled-response',
        'message-tags',
        'multi-prefix',
        'server-time',
        'setname',
        'userhost-in-names',
      ].sort(),
    );
    // Registration came after CAP END.
    const sent = raw.filter((r) => !r.fromServer).map((r) => r.line);
    expect(sent.indexOf('CAP END')).toBeGreaterThan(sent.findIndex((line) => line.startsWith('CAP REQ ')));
    // ISUPPORT was understood.
    expect(fw.network.options.NETWORK).toBe('Obrol');

    // Join; NAMES with multi-prefix and userhost-in-names.
    const userlist = nextEvent(fw, 'userlist');
    const selfJoin = nextEvent(fw, 'join', (e) => e.nick === 'fwbot');
    fw.join('#fw');
    const joined = await selfJoin;
    expect(joined).toMatchObject({ channel: '#fw', ident: 'fwbot', hostname: '127.0.0.1', gecos: 'Framework Bot', account: false });
    expect(joined.tags?.time).toMatch(ISO_TIME);
    expect((await userlist).users).toEqual([{ nick: 'fwbot', ident: 'fwbot', hostname: '127.0.0.1', modes: ['o'], tags: expect.any(Object) }]);

    // A plain client joins: extended-join gives the library its real name.
    const alice = await TestClient.register(srv.port, 'alice');
    clients.push(alice);
    const aliceJoin = nextEvent(fw, 'join', (e) => e.nick === 'alice');
    alice.send('JOIN #fw');
    await alice.expect(/ 366 /);
    expect(await aliceJoin).toMatchObject({ channel: '#fw', gecos: 'alice Test', account: false });

    // alice -> the library: a privmsg event with server-time.
    const fromAlice = nextEvent(fw, 'privmsg', (e) => e.nick === 'alice');
    const before = Date.now();
    alice.send('PRIVMSG #fw :hello framework');
    const got = await fromAlice;
    expect(got).toMatchObject({ target: '#fw', message: 'hello framework', ident: 'alice', hostname: '127.0.0.1' });
    expect(got.tags?.time).toMatch(ISO_TIME);
    expect(typeof got.tags?.msgid).toBe('string');
    expect(got.time).toBe(Date.parse(got.tags?.time ?? ''));
    expect(got.time).toBeGreaterThanOrEqual(before - 1000);
    expect(got.time).toBeLessThanOrEqual(Date.now() + 1000);

    // The library -> alice (exact line), and its own message echoed back to it.
    const echo = nextEvent(fw, 'privmsg', (e) => e.nick === 'fwbot');
    fw.say('#fw', 'hello alice');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':fwbot!fwbot@127.0.0.1 PRIVMSG #fw :hello alice');
    const echoed = await echo;
    expect(echoed).toMatchObject({ target: '#fw', message: 'hello alice' });
    expect(echoed.tags?.time).toMatch(ISO_TIME);
    expect(typeof echoed.tags?.msgid).toBe('string');

    // away-notify.
    const away = nextEvent(fw, 'away', (e) => e.nick === 'alice');
    alice.send('AWAY :lunch');
    expect(await away).toMatchObject({ nick: 'alice', message: 'lunch' });

    // labeled-response: a labeled WHOIS comes back as one batch, which the library unpacks.
    const batchEnd = nextEvent(fw, 'batch end labeled-response');
    const whois = nextEvent(fw, 'whois', (e) => e.nick === 'alice');
    fw.raw('@label=fw1 WHOIS alice');
    expect((await batchEnd).commands?.length).toBeGreaterThan(2);
    expect(await whois).toMatchObject({ nick: 'alice', ident: 'alice', hostname: '127.0.0.1', away: 'lunch' });
    // (raw lines still end in CRLF)
    const batchStart = raw.find((r) => r.fromServer && / BATCH \+/.test(r.line))?.line.trimEnd();
    expect(batchStart).toMatch(/^@(\S+;)?label=fw1(;\S+)? :obrol\.local BATCH \+\S+ :?labeled-response$/);

    // Nick change: the library follows it.
    const renamed = nextEvent(fw, 'nick', (e) => e.nick === 'fwbot');
    fw.changeNick('fwbot2');
    expect(await renamed).toMatchObject({ new_nick: 'fwbot2' });
    expect(fw.user.nick).toBe('fwbot2');
    expect(await alice.expect(/ NICK /)).toMatch(/^:fwbot!fwbot@127\.0\.0\.1 NICK :?fwbot2$/);
    // And messages still flow under the new nick.
    fw.say('#fw', 'renamed');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':fwbot2!fwbot@127.0.0.1 PRIVMSG #fw :renamed');

    // Quit cleanly.
    const closed = nextEvent(fw, 'close');
    fw.quit('see you');
    expect(await alice.expect(/ QUIT /)).toBe(':fwbot2!fwbot@127.0.0.1 QUIT :Quit: see you');
    await closed;
    expect(fw.connected).toBe(false);
    alice.send('WHOIS fwbot2');
    expect(await alice.expect(/ 401 /)).toBe(':obrol.local 401 alice fwbot2 :No such nick/channel');
  });

  it("over WebSocket with the library's browser transport (Kiwi IRC's): text.ircv3.net, registration, chat both ways", async () => {
    const srv = await startServer({ config: { websocket: { host: '127.0.0.1', port: 0, origins: ['*'] } } });
    servers.push(srv);
    const wsPort = srv.server.addressOf('websocket').port;
    const alice = await TestClient.register(srv.port, 'alice');
    clients.push(alice);
    alice.send('JOIN #web');
    await alice.expect(/ 366 /);

    // The transport uses the browser's global WebSocket; ws provides the same API.
    const globals = globalThis as { WebSocket?: unknown };
    const saved = globals.WebSocket;
    globals.WebSocket = WsWebSocket;
    try {
      const fw = new IRC.Client();
      frameworks.push(fw);
      const registered = nextEvent(fw, 'registered');
      fw.connect({
        host: '127.0.0.1',
        port: wsPort,
        nick: 'kiwi',
        username: 'kiwi',
        gecos: 'Kiwi User',
        auto_reconnect: false,
        enable_echomessage: true,
        transport: require('irc-framework/src/transports/websocket') as unknown,
        websocket_protocol: 'text.ircv3.net',
      });
      await registered;
      expect(fw.network.cap.enabled).toEqual(expect.arrayContaining(['server-time', 'echo-message', 'message-tags', 'extended-join']));

      const selfJoin = nextEvent(fw, 'join', (e) => e.nick === 'kiwi');
      fw.join('#web');
      expect(await selfJoin).toMatchObject({ channel: '#web', gecos: 'Kiwi User' });
      expect(await alice.expect(/ JOIN /)).toBe(':kiwi!kiwi@127.0.0.1 JOIN :#web');

      const fromAlice = nextEvent(fw, 'privmsg', (e) => e.nick === 'alice');
      alice.send('PRIVMSG #web :hi kiwi');
      const got = await fromAlice;
      expect(got).toMatchObject({ target: '#web', message: 'hi kiwi' });
      expect(got.tags?.time).toMatch(ISO_TIME);

      const echo = nextEvent(fw, 'privmsg', (e) => e.nick === 'kiwi');
      fw.say('#web', 'hi from the browser');
      expect(await alice.expect(/ PRIVMSG /)).toBe(':kiwi!kiwi@127.0.0.1 PRIVMSG #web :hi from the browser');
      expect(await echo).toMatchObject({ target: '#web', message: 'hi from the browser' });

      const closed = nextEvent(fw, 'close');
      fw.quit('tab closed');
      expect(await alice.expect(/ QUIT /)).toBe(':kiwi!kiwi@127.0.0.1 QUIT :Quit: tab closed');
      await closed;
    } finally {
      globals.WebSocket = saved;
    }
  });
});
