/**
 * Several connections, one presence (Ergo's multiclient and always-on), over
 * real sockets. Until SASL exists these tests log a connection in the way
 * SASL will: they set its session's account before registration completes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { hashPassword } from '../../src/config/password.js';
import { setAlwaysOn } from '../../src/server/alwayson.js';
import type { Session } from '../../src/server/session.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { AccountRecord } from '../../src/store/types.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

let srv: TestServer | null = null;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  if (srv) await srv.stop();
  srv = null;
});

async function start(config: ConfigInput = {}, store?: MemoryStore): Promise<TestServer> {
  srv = await startServer({ config, ...(store ? { store } : {}) });
  return srv;
}

async function user(nick: string): Promise<TestClient> {
  const c = await TestClient.register((srv as TestServer).port, nick);
  clients.push(c);
  return c;
}

/** The server's session for a test client's connection. */
function sessionOf(c: TestClient): Session {
  const sessions = (srv as TestServer).server['sessions'] as Set<Session>;
  for (const session of sessions) if (session.conn.remotePort === c.socket.localPort) return session;
  throw new Error('no session for this client');
}

/**
 * Connect logged into `account` (what SASL before registration does: the
 * session's account, and the user's, set while CAP holds registration),
 * asking for `nick` and `caps`. Resolves after the welcome burst.
 */
async function login(account: string, nick: string, caps = ''): Promise<TestClient> {
  const c = await TestClient.connect((srv as TestServer).port);
  clients.push(c);
  c.send('CAP LS 302');
  await c.expect(/ CAP \* LS /);
  const session = sessionOf(c);
  session.account = account;
  session.user.account = account;
  c.send(`NICK ${nick}`);
  c.send('USER u 0 * :Real Name');
  if (caps !== '') {
    c.send(`CAP REQ :${caps}`);
    await c.expect(/ CAP \S+ ACK /);
  }
  c.send('CAP END');
  const welcome = await c.expect(/ 001 /);
  c.nick = welcome.split(' ')[2] as string;
  await c.expect(/ (376|422) /);
  return c;
}

async function joined(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 \\S+ ${channel} `));
}

const verbs = (lines: string[], verb: string) => lines.filter((line) => line.split(' ')[1] === verb);

function record(name: string, alwaysOn: boolean, channels: string[] = []): AccountRecord {
  return { name, passwordHash: 'x', scram: null, email: null, verified: true, verifyCode: null, registeredAt: 0, certfps: [], alwaysOn, channels };
}

describe('multiclient', () => {
  it('attaches a second login to the account’s user: same nick, same channels, nobody else sees it', async () => {
    await start();
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(bob, '#c');
    a1.send('TOPIC #c :the topic');
    await bob.expect(/ TOPIC #c /);
    await a1.sync();
    const a2 = await login('alice', 'somethingelse');
    expect(a2.nick).toBe('alice');
    const burst = await a2.sync();
    expect(verbs(burst, 'JOIN')).toEqual([':alice!u@127.0.0.1 JOIN :#c']);
    expect(burst.some((line) => / 332 alice #c :the topic$/.test(line))).toBe(true);
    expect(burst.find((line) => / 353 /.test(line))).toMatch(/ 353 alice = #c :.*bob/);
    expect(burst.some((line) => / 366 alice #c /.test(line))).toBe(true);
    // One presence: bob saw no second JOIN, and the server counts one user.
    expect(await bob.sync()).toEqual([]);
    bob.send('LUSERS');
    expect(await bob.expect(/ 251 /)).toMatch(/There are 2 users/);
    expect(await a1.sync()).toEqual([]);
  });

  it('gives every session what others say, and each the other’s messages as if echoed', async () => {
    await start();
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(bob, '#c');
    const a2 = await login('alice', 'alice');
    await a2.sync();
    await a1.sync();

    bob.send('PRIVMSG #c :hello both');
    expect(await a1.expect(/PRIVMSG #c/)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :hello both');
    expect(await a2.expect(/PRIVMSG #c/)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :hello both');

    a1.send('PRIVMSG #c :from one');
    expect(await bob.expect(/PRIVMSG #c/)).toBe(':alice!u@127.0.0.1 PRIVMSG #c :from one');
    expect(await a2.expect(/PRIVMSG #c/)).toBe(':alice!u@127.0.0.1 PRIVMSG #c :from one');
    // Without echo-message the sending session gets no copy.
    expect(verbs(await a1.sync(), 'PRIVMSG')).toEqual([]);

    // A direct message reaches every session; one sent from a session reaches the others.
    bob.send('PRIVMSG alice :to you');
    expect(await a1.expect(/PRIVMSG alice/)).toBe(':bob!bob@127.0.0.1 PRIVMSG alice :to you');
    expect(await a2.expect(/PRIVMSG alice/)).toBe(':bob!bob@127.0.0.1 PRIVMSG alice :to you');
    a2.send('PRIVMSG bob :back to you');
    expect(await bob.expect(/PRIVMSG bob/)).toBe(':alice!u@127.0.0.1 PRIVMSG bob :back to you');
    expect(await a1.expect(/PRIVMSG bob/)).toBe(':alice!u@127.0.0.1 PRIVMSG bob :back to you');
    expect(verbs(await a2.sync(), 'PRIVMSG')).toEqual([]);
  });

  it('renders for each session’s own capabilities: tags and TAGMSG only where negotiated, echo only to the sender that asked', async () => {
    await start();
    const bob = await login('bob', 'bob', 'message-tags');
    const a1 = await login('alice', 'alice', 'message-tags echo-message');
    await joined(a1, '#c');
    await joined(bob, '#c');
    const a2 = await login('alice', 'alice');
    await a2.sync();
    await a1.sync();

    bob.send('@+typing=active TAGMSG #c');
    expect(await a1.expect(/TAGMSG :#c/)).toMatch(/^@msgid=\S+;\+typing=active :bob!u@127.0.0.1 TAGMSG :#c$/);
    expect(verbs(await a2.sync(), 'TAGMSG')).toEqual([]);

    a2.send('PRIVMSG #c :plain');
    expect(await a1.expect(/PRIVMSG #c/)).toMatch(/^@msgid=\S+ :alice!u@127.0.0.1 PRIVMSG #c :plain$/);
    expect(verbs(await a2.sync(), 'PRIVMSG')).toEqual([]);
    // a1 asked for echo-message: its own message comes back to it, and to a2 once.
    a1.send('PRIVMSG #c :echoed');
    expect(await a1.expect(/PRIVMSG #c :echoed/)).toMatch(/^@msgid=/);
    expect(await a2.expect(/PRIVMSG #c :echoed/)).toBe(':alice!u@127.0.0.1 PRIVMSG #c :echoed');
    expect(verbs(await a2.sync(), 'PRIVMSG')).toEqual([]);
  });

  it('shares NICK and JOIN: every session sees the change made from one', async () => {
    await start();
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(bob, '#c');
    const a2 = await login('alice', 'alice');
    await a2.sync();
    await a1.sync();

    a2.send('NICK alicia');
    expect(await a2.expect(/ NICK /)).toBe(':alice!u@127.0.0.1 NICK :alicia');
    expect(await a1.expect(/ NICK /)).toBe(':alice!u@127.0.0.1 NICK :alicia');
    expect(verbs(await bob.sync(), 'NICK')).toEqual([':alice!u@127.0.0.1 NICK :alicia']);

    a1.send('JOIN #d');
    await a1.expect(/ 366 alicia #d /);
    expect(await a2.expect(/ JOIN /)).toBe(':alicia!u@127.0.0.1 JOIN :#d');
    // With the names, as its client needs to show the channel.
    expect(await a2.expect(/ 353 /)).toBe(':obrol.local 353 alicia = #d :@alicia');
    await a2.expect(/ 366 alicia #d /);
    expect(verbs(await a1.sync(), '353')).toEqual([]);
    a2.send('PART #d');
    expect(await a1.expect(/ PART /)).toBe(':alicia!u@127.0.0.1 PART :#d');
  });

  it('lets one session quit unseen (it sees its own QUIT); the last one quits for real', async () => {
    await start();
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(bob, '#c');
    const a2 = await login('alice', 'alice');
    await a2.sync();
    await a1.sync();

    a2.send('QUIT :two out');
    expect(await a2.expect(/ QUIT /)).toBe(':alice!u@127.0.0.1 QUIT :Quit: two out');
    await a2.expect(/^ERROR /);
    await a2.waitClosed();
    expect(verbs(await bob.sync(), 'QUIT')).toEqual([]);
    expect(verbs(await a1.sync(), 'QUIT')).toEqual([]);
    // a1 carries on alone.
    bob.send('PRIVMSG #c :still there?');
    expect(await a1.expect(/PRIVMSG #c/)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :still there?');

    a1.send('QUIT :last out');
    expect(await a1.expect(/ QUIT /)).toBe(':alice!u@127.0.0.1 QUIT :Quit: last out');
    await a1.waitClosed();
    expect(await bob.expect(/ QUIT /)).toBe(':alice!u@127.0.0.1 QUIT :Quit: last out');
    bob.send('WHOIS alice');
    await bob.expect(/ 401 bob alice /);
  });

  it('charges each session’s metadata subscriptions to the user, and credits them as sessions leave', async () => {
    const server = (await start()).server;
    const a1 = await login('alice', 'alice', 'draft/metadata-3');
    const a2 = await login('alice', 'alice', 'draft/metadata-3');
    const a3 = await login('alice', 'alice', 'draft/metadata-3');
    for (const c of [a1, a2, a3]) {
      c.send('METADATA * SUB display-name');
      await c.sync();
    }
    const id = server.registry.findUser('alice')!.id;
    const three = server.registry.budget.charged(id);
    expect(three).toBeGreaterThan(0);
    expect(server.registry.checkBudget()).toEqual([]);
    a2.send('QUIT');
    await a2.waitClosed();
    await a1.sync();
    expect(server.registry.budget.charged(id)).toBe((three / 3) * 2);
    expect(server.registry.checkBudget()).toEqual([]);
    a1.send('QUIT');
    await a1.waitClosed();
    a3.send('QUIT');
    await a3.waitClosed();
    const bob = await user('bob');
    await bob.sync();
    expect(server.registry.budget.charged(id)).toBe(0);
  });

  it('ends every session when the user is killed', async () => {
    await start({ opers: [{ name: 'boss', password: await hashPassword('pw'), hosts: ['*'] }] });
    const oper = await user('oper');
    oper.send('OPER boss pw');
    await oper.expect(/ 381 /);
    const a1 = await login('alice', 'alice');
    const a2 = await login('alice', 'alice');
    await a1.sync();
    oper.send('KILL alice :enough');
    await a1.waitClosed();
    await a2.waitClosed();
    oper.send('WHOIS alice');
    await oper.expect(/ 401 oper alice /);
  });

  it('with multiclient off, a second login is a user of its own, and cannot take the nick', async () => {
    await start({ accounts: { multiclient: false } });
    const a1 = await login('alice', 'alice');
    const second = await TestClient.connect((srv as TestServer).port);
    clients.push(second);
    second.send('CAP LS 302');
    await second.expect(/ CAP \* LS /);
    sessionOf(second).account = 'alice';
    second.send('NICK alice');
    await second.expect(/ 433 \* alice /);
    second.send('NICK alice2');
    second.send('USER u 0 * :x');
    second.send('CAP END');
    await second.expect(/ 001 alice2 /);
    expect(await a1.sync()).toEqual([]);
  });

  it('attaches a login that ends after its NICK was refused as in use (SASL after NICK)', async () => {
    await start();
    await login('alice', 'alice');
    const late = await TestClient.connect((srv as TestServer).port);
    clients.push(late);
    late.send('CAP LS 302');
    late.send('NICK alice');
    late.send('USER u 0 * :x');
    await late.expect(/ 433 \* alice /);
    sessionOf(late).account = 'alice';
    late.send('CAP END');
    await late.expect(/ 001 alice /);
    expect(verbs(await late.sync(), 'JOIN')).toEqual([]);
  });

  it('does not attach a connection without a login, or with another account', async () => {
    await start();
    await login('alice', 'alice');
    const anon = await TestClient.connect((srv as TestServer).port);
    clients.push(anon);
    anon.send('NICK alice');
    await anon.expect(/ 433 \* alice /);
    const other = await TestClient.connect((srv as TestServer).port);
    clients.push(other);
    other.send('CAP LS 302');
    await other.expect(/ CAP \* LS /);
    sessionOf(other).account = 'mallory';
    other.send('NICK alice');
    await other.expect(/ 433 \* alice /);
  });
});

describe('always-on', () => {
  it('keeps the user present, in its channels and holding its nick, after its last session leaves', async () => {
    const store = new MemoryStore();
    await start({}, store);
    // Made after the start (else it would be restored at once): the login finds it always-on.
    await store.accounts.createAccount('alice', record('alice', true));
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(bob, '#c');
    a1.send('QUIT :gone for now');
    expect(await a1.expect(/ QUIT /)).toMatch(/QUIT :Quit: gone for now$/);
    await a1.waitClosed();
    expect(verbs(await bob.sync(), 'QUIT')).toEqual([]);
    bob.send('WHOIS alice');
    expect(await bob.expect(/ 311 /)).toMatch(/ 311 bob alice u 127.0.0.1 /);
    await bob.expect(/ 318 /);
    bob.send('NAMES #c');
    expect(await bob.expect(/ 353 /)).toMatch(/alice/);
    // Messages to it go nowhere, without an error.
    bob.send('PRIVMSG alice :anyone?');
    bob.send('PRIVMSG #c :hello room');
    expect((await bob.sync()).filter((line) => / 401 /.test(line))).toEqual([]);
    const taker = await TestClient.connect((srv as TestServer).port);
    clients.push(taker);
    taker.send('NICK alice');
    await taker.expect(/ 433 \* alice /);
    expect((await store.accounts.getAccount('alice'))?.channels).toEqual(['#c']);

    // Logging in again attaches to it.
    const a2 = await login('alice', 'whatever');
    expect(a2.nick).toBe('alice');
    expect(verbs(await a2.sync(), 'JOIN')).toEqual([':alice!u@127.0.0.1 JOIN :#c']);
    bob.send('PRIVMSG #c :welcome back');
    expect(await a2.expect(/PRIVMSG #c/)).toBe(':bob!bob@127.0.0.1 PRIVMSG #c :welcome back');
  });

  it('gives a client that attaches each channel’s read marker before the end of its NAMES', async () => {
    const store = new MemoryStore();
    await start({}, store);
    await store.accounts.createAccount('alice', record('alice', true));
    const a1 = await login('alice', 'alice', 'draft/read-marker');
    await joined(a1, '#c');
    a1.send('MARKREAD #c timestamp=2026-01-02T03:04:05.678Z');
    await a1.expect(/MARKREAD #c :?timestamp=2026-01-02T03:04:05.678Z/);
    a1.send('QUIT :later');
    await a1.waitClosed();

    const a2 = await login('alice', 'alice', 'draft/read-marker');
    const lines = await a2.sync();
    const marker = lines.findIndex((line) => /MARKREAD #c :?timestamp=2026-01-02T03:04:05.678Z/.test(line));
    const endOfNames = lines.findIndex((line) => / 366 alice #c /.test(line));
    expect(marker).toBeGreaterThan(lines.findIndex((line) => / JOIN :?#c/.test(line)));
    expect(marker).toBeLessThan(endOfNames);
  });

  it('records channel changes and is restored, in its channels, by a new server on the same store', async () => {
    const store = new MemoryStore();
    await store.accounts.createAccount('alice', record('alice', true));
    await start({}, store);
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    await joined(a1, '#d');
    a1.send('PART #d');
    await a1.expect(/ PART /);
    await a1.sync();
    expect((await store.accounts.getAccount('alice'))?.channels).toEqual(['#c']);
    await (srv as TestServer).stop();
    srv = null;

    await start({}, store);
    const bob = await user('bob');
    bob.send('WHOIS alice');
    await bob.expect(/ 311 bob alice /);
    await bob.expect(/ 319 bob alice :.*#c/);
    await joined(bob, '#c');
    const a2 = await login('alice', 'alice');
    expect(verbs(await a2.sync(), 'JOIN')).toEqual([expect.stringMatching(/^:alice!\S+ JOIN :#c$/)]);
    a2.send('PRIVMSG #c :back');
    expect(await bob.expect(/PRIVMSG #c/)).toMatch(/^:alice!\S+ PRIVMSG #c :back$/);
  });

  it('is restored for no account when always_on is disabled', async () => {
    const store = new MemoryStore();
    await store.accounts.createAccount('alice', record('alice', true, ['#c']));
    await start({ accounts: { always_on: 'disabled' } }, store);
    const bob = await user('bob');
    bob.send('WHOIS alice');
    await bob.expect(/ 401 bob alice /);
    const a1 = await login('alice', 'alice');
    await a1.sync();
    a1.send('QUIT');
    await a1.waitClosed();
    bob.send('WHOIS alice');
    await bob.expect(/ 401 bob alice /);
  });

  it('is turned on and off by setAlwaysOn (NickServ SET ALWAYS-ON)', async () => {
    const store = new MemoryStore();
    await store.accounts.createAccount('alice', record('alice', false));
    const server = (await start({}, store)).server;
    const bob = await user('bob');
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    const alice = server.registry.findUser('alice');
    expect(alice?.alwaysOn).toBe(false);
    // What NickServ SET ALWAYS-ON calls, through the server's API.
    expect(await server.setAlwaysOn(alice!, true)).toBe('ok');
    expect(await store.accounts.getAccount('alice')).toMatchObject({ alwaysOn: true, channels: ['#c'] });
    a1.send('QUIT');
    await a1.waitClosed();
    bob.send('WHOIS alice');
    await bob.expect(/ 311 bob alice /);
    // Off with nobody attached: the user goes.
    expect(await setAlwaysOn(server, alice!, false)).toBe('ok');
    expect((await store.accounts.getAccount('alice'))?.alwaysOn).toBe(false);
    bob.send('WHOIS alice');
    await bob.expect(/ 401 bob alice /);
  });

  it('makes a user always-on when it logs in after registering (NickServ IDENTIFY)', async () => {
    const store = new MemoryStore();
    const server = (await start({}, store)).server;
    await store.accounts.createAccount('alice', record('alice', true));
    const bob = await user('bob');
    const a1 = await user('alice');
    await joined(a1, '#c');
    const alice = server.registry.findUser('alice')!;
    alice.account = 'alice';
    server.accountLoggedIn(alice);
    await a1.sync();
    expect(alice.alwaysOn).toBe(true);
    expect((await store.accounts.getAccount('alice'))?.channels).toEqual(['#c']);
    a1.send('QUIT');
    await a1.waitClosed();
    bob.send('WHOIS alice');
    await bob.expect(/ 311 bob alice /);
  });

  it('refuses setAlwaysOn when always_on is disabled', async () => {
    const server = (await start({ accounts: { always_on: 'disabled' } })).server;
    const a1 = await login('alice', 'alice');
    await a1.sync();
    expect(await setAlwaysOn(server, server.registry.findUser('alice')!, true)).toBe('disabled');
  });

  it('plays back missed channel messages to a client without chathistory', async () => {
    const store = new MemoryStore();
    await store.accounts.createAccount('alice', record('alice', true));
    await start({}, store);
    const a1 = await login('alice', 'alice');
    await joined(a1, '#c');
    a1.send('QUIT');
    await a1.waitClosed();
    // History is written by the history feature; here the entry is put in the store directly.
    store.history.append([
      { msgid: 'm1', time: Date.now() + 1000, target: '#c', command: 'PRIVMSG', source: 'bob!bob@host', account: null, params: ['#c', 'while you were out'], tags: null, lines: null, peers: null },
    ]);
    await store.history.flush();
    const a2 = await login('alice', 'alice');
    expect(await a2.expect(/while you were out/)).toBe(':bob!bob@host PRIVMSG #c :while you were out');
  });
});
