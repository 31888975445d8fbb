/**
 * IRCv3 capability negotiation (CAP LS, REQ, LIST, END) and the two
 * capabilities Obrol offers: multi-prefix and userhost-in-names.
 * https://ircv3.net/specs/extensions/capability-negotiation
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';

let srv: TestServer | null = null;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await srv?.stop();
  srv = null;
});

async function server(): Promise<TestServer> {
  srv = await startServer();
  return srv;
}

async function connect(port: number): Promise<TestClient> {
  const c = await TestClient.connect(port);
  clients.push(c);
  await c.expect(/NOTICE/);
  return c;
}

async function register(port: number, nick: string): Promise<TestClient> {
  const c = await TestClient.register(port, nick);
  clients.push(c);
  return c;
}

/** Register with capabilities requested before NICK/USER, as IRC clients do. */
async function registerWithCaps(port: number, nick: string, caps: string): Promise<TestClient> {
  const c = await connect(port);
  c.send('CAP LS 302');
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  c.send(`CAP REQ :${caps}`);
  // The LS reply may take several lines (`LS *` on all but the last).
  await c.expect(/ CAP \* LS :/);
  expect(await c.expect(/ CAP /)).toBe(`${S} CAP * ACK :${caps}`);
  c.send('CAP END');
  await c.expect(/ 376 /);
  c.nick = nick;
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

// Everything Obrol offers on a plain connection without TLS configured (so no sts), in table order.
const ALL_CAPS = [
  'account-notify', 'account-tag', 'away-notify', 'batch', 'cap-notify', 'draft/account-registration', 'draft/chathistory', 'draft/event-playback',
  'draft/message-redaction', 'draft/metadata-3', 'draft/multiline', 'draft/read-marker', 'chghost',
  'echo-message', 'extended-join', 'extended-monitor', 'invite-notify', 'labeled-response', 'message-tags', 'multi-prefix',
  'sasl', 'server-time', 'setname', 'standard-replies', 'userhost-in-names',
];

describe('CAP LS', () => {
  it('without a version lists multi-prefix and userhost-in-names on one line', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP LS');
    const lines = await c.sync();
    expect(lines).toEqual([`${S} CAP * LS :${ALL_CAPS.join(' ')}`]);
    const offered = (lines[0] as string).split(' :')[1]?.split(' ');
    expect(offered).toEqual(expect.arrayContaining(['multi-prefix', 'userhost-in-names']));
  });

  it('with 302 lists them too (with values where a capability has one)', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP LS 302');
    // Without TLS these have values (the multiline limits among them) (sts would too; EXTERNAL is offered only over TLS).
    const values: Record<string, string> = {
      'draft/account-registration': 'before-connect,custom-account-name',
      'draft/metadata-3': 'before-connect,max-subs=100,max-keys=50,max-value-bytes=300',
      'draft/multiline': 'max-bytes=4096,max-lines=32',
      sasl: 'PLAIN,SCRAM-SHA-256',
    };
    const tokens = ALL_CAPS.map((cap) => (values[cap] === undefined ? cap : `${cap}=${values[cap]}`));
    // Past 400 bytes the list continues on another line (`LS *` on all but the last).
    const lines = await c.sync();
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^:obrol\.local CAP \* LS \* :/);
    expect(lines.map((line) => line.replace(/^.* LS (\* )?:/, '')).join(' ')).toBe(tokens.join(' '));
    expect(tokens).toEqual(expect.arrayContaining(['multi-prefix', 'userhost-in-names']));
  });

  it('after registration names the client', async () => {
    const { port } = await server();
    const c = await register(port, 'alice');
    c.send('cap ls');
    expect(await c.sync()).toEqual([`${S} CAP alice LS :${ALL_CAPS.join(' ')}`]);
  });
});

describe('registration waits for CAP END', () => {
  it('after CAP LS', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP LS 302');
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    const before = await c.sync();
    // Only the CAP LS reply (continuation lines `LS *`, then the last one), no welcome.
    expect(before.length).toBeGreaterThan(0);
    for (const line of before.slice(0, -1)) expect(line).toMatch(/^:obrol\.local CAP \* LS \* :/);
    expect(before.at(-1)).toMatch(/^:obrol\.local CAP \* LS :/);
    c.send('CAP END');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 alice :Welcome to the Obrol IRC Network alice!alice@127.0.0.1`);
  });

  it('after CAP REQ alone (no LS)', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP REQ :multi-prefix');
    c.send('NICK bob');
    c.send('USER bob 0 * :Bob');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :multi-prefix`]);
    c.send('CAP END');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 bob :Welcome to the Obrol IRC Network bob!bob@127.0.0.1`);
    // CAP END after registration does nothing.
    await c.expect(/ 376 /);
    c.send('CAP END');
    expect(await c.sync()).toEqual([]);
  });

  it('CAP LIST does not start negotiation: NICK and USER still register at once', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP LIST');
    c.send('NICK carol');
    c.send('USER carol 0 * :Carol');
    expect(await c.expect(/ CAP /)).toBe(`${S} CAP * LIST :`);
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 carol :Welcome to the Obrol IRC Network carol!carol@127.0.0.1`);
  });
});

describe('CAP REQ, LIST and errors', () => {
  it('ACKs known capabilities, and LIST shows them', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP REQ :multi-prefix userhost-in-names');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :multi-prefix userhost-in-names`, `${S} CAP * LIST :multi-prefix userhost-in-names`]);
    c.send('CAP REQ -userhost-in-names');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :-userhost-in-names`, `${S} CAP * LIST :multi-prefix`]);
  });

  it('NAKs the whole request when one capability is unknown, and enables none of it', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP REQ :multi-prefix no-such-cap userhost-in-names');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :multi-prefix no-such-cap userhost-in-names`, `${S} CAP * LIST :`]);
    // A NAKed removal does not remove either.
    c.send('CAP REQ multi-prefix');
    c.send('CAP REQ :-multi-prefix -bogus');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :multi-prefix`, `${S} CAP * NAK :-multi-prefix -bogus`, `${S} CAP * LIST :multi-prefix`]);
  });

  it('NAKs an empty request', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP REQ :');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :`]);
  });

  it('410 for an unknown subcommand, 461 for none', async () => {
    const { port } = await server();
    const c = await connect(port);
    c.send('CAP FROB');
    c.send('CAP');
    expect(await c.sync()).toEqual([`${S} 410 * FROB :Invalid CAP command`, `${S} 461 * CAP :Not enough parameters`]);
    const r = await register(port, 'alice');
    r.send('CAP frob x');
    expect(await r.sync()).toEqual([`${S} 410 alice frob :Invalid CAP command`]);
  });

  it('CAP REQ after registration works, without a new welcome', async () => {
    const { port } = await server();
    const c = await register(port, 'alice');
    c.send('CAP REQ :userhost-in-names');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP alice ACK :userhost-in-names`, `${S} CAP alice LIST :userhost-in-names`]);
  });
});

describe('multi-prefix', () => {
  async function opAndVoicedChannel(port: number): Promise<TestClient> {
    const alice = await register(port, 'alice');
    await join(alice, '#c');
    alice.send('MODE #c +v alice');
    expect(await alice.expect(/ MODE /)).toBe(':alice!alice@127.0.0.1 MODE #c +v :alice');
    return alice;
  }

  it('shows @+nick in NAMES and H@+ in WHO; without it only the highest prefix', async () => {
    const { port } = await server();
    await opAndVoicedChannel(port);
    const multi = await registerWithCaps(port, 'multi', 'multi-prefix');
    const plain = await register(port, 'plain');

    await join(multi, '#c');
    multi.send('NAMES #c');
    expect(await multi.sync()).toEqual([`${S} 353 multi = #c :@+alice multi`, `${S} 366 multi #c :End of /NAMES list`]);
    multi.send('WHO #c');
    expect(await multi.sync()).toEqual([
      `${S} 352 multi #c alice 127.0.0.1 obrol.local alice H@+ :0 alice Test`,
      `${S} 352 multi #c multi 127.0.0.1 obrol.local multi H :0 multi Test`,
      `${S} 315 multi #c :End of WHO list`,
    ]);

    plain.send('NAMES #c');
    expect(await plain.sync()).toEqual([`${S} 353 plain = #c :@alice multi`, `${S} 366 plain #c :End of /NAMES list`]);
    plain.send('WHO #c');
    expect(await plain.sync()).toEqual([
      `${S} 352 plain #c alice 127.0.0.1 obrol.local alice H@ :0 alice Test`,
      `${S} 352 plain #c multi 127.0.0.1 obrol.local multi H :0 multi Test`,
      `${S} 315 plain #c :End of WHO list`,
    ]);
  });

  it('applies to the NAMES sent on JOIN', async () => {
    const { port } = await server();
    await opAndVoicedChannel(port);
    const multi = await registerWithCaps(port, 'multi', 'multi-prefix');
    multi.send('JOIN #c');
    expect(await multi.expect(/ 353 /)).toBe(`${S} 353 multi = #c :@+alice multi`);
  });
});

describe('userhost-in-names', () => {
  it('shows nick!user@host in NAMES, with the prefix; combined with multi-prefix', async () => {
    const { port } = await server();
    const alice = await register(port, 'alice');
    await join(alice, '#c');
    alice.send('MODE #c +v alice');
    await alice.expect(/ MODE /);

    const uhn = await registerWithCaps(port, 'uhn', 'userhost-in-names');
    uhn.send('JOIN #c');
    expect(await uhn.expect(/ 353 /)).toBe(`${S} 353 uhn = #c :@alice!alice@127.0.0.1 uhn!uhn@127.0.0.1`);
    await uhn.expect(/ 366 /);
    uhn.send('NAMES #c');
    expect(await uhn.sync()).toEqual([`${S} 353 uhn = #c :@alice!alice@127.0.0.1 uhn!uhn@127.0.0.1`, `${S} 366 uhn #c :End of /NAMES list`]);

    const both = await registerWithCaps(port, 'both', 'multi-prefix userhost-in-names');
    both.send('NAMES #c');
    expect(await both.sync()).toEqual([
      `${S} 353 both = #c :@+alice!alice@127.0.0.1 uhn!uhn@127.0.0.1`,
      `${S} 366 both #c :End of /NAMES list`,
    ]);
    // Others still see bare nicks.
    alice.drain();
    alice.send('NAMES #c');
    expect(await alice.sync()).toEqual([`${S} 353 alice = #c :@alice uhn`, `${S} 366 alice #c :End of /NAMES list`]);
  });
});
