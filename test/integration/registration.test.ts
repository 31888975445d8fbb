/**
 * Connection registration over real sockets: NICK/USER in any order, the
 * welcome burst (001-005, LUSERS, MOTD), the errors of NICK/USER/PASS,
 * commands before registration, casemapping, default user modes, and
 * clients that send odd bytes while registering.
 * https://modern.ircdocs.horse/#connection-registration
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { VERSION } from '../../src/server/server.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';
const WELCOME_NOTICE =
  ':obrol.local NOTICE * :*** Welcome to Obrol. Register with NICK <nick> and USER <user> 0 * :<real name>; HELP lists the commands.';
const MOTD_LINES = readFileSync(fileURLToPath(new URL('../../conf/motd.txt', import.meta.url)), 'utf8')
  .replace(/\r/g, '')
  .replace(/\n$/, '')
  .split('\n');

let servers: TestServer[] = [];
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function server(config?: ConfigInput): Promise<TestServer> {
  const srv = await startServer(config ? { config } : {});
  servers.push(srv);
  return srv;
}

async function connect(srv: TestServer): Promise<TestClient> {
  const c = await TestClient.connect(srv.port);
  clients.push(c);
  return c;
}

async function register(srv: TestServer, nick: string): Promise<TestClient> {
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

/** The command (verb or numeric) of a line with a source prefix. */
function verbOf(line: string): string {
  return line.split(' ')[1] ?? '';
}

describe('the welcome burst', () => {
  it('NICK then USER: exact 001-004, 005 tokens, LUSERS, MOTD, nothing more', async () => {
    const srv = await server();
    const c = await connect(srv);
    expect(await c.expect(/NOTICE/)).toBe(WELCOME_NOTICE);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice Liddell');
    await c.expect(/ 376 /);
    const burst = c.received.slice(1); // after the pre-registration NOTICE
    const created = srv.server.info.createdAt.toUTCString();

    expect(burst.slice(0, 4)).toEqual([
      `${S} 001 alice :Welcome to the Obrol IRC Network alice!alice@127.0.0.1`,
      `${S} 002 alice :Your host is obrol.local, running version obrol-${VERSION}`,
      `${S} 003 alice :This server was created ${created}`,
      `${S} 004 alice obrol.local obrol-${VERSION} Biow CIbeiklmnostv :Ibeklov`,
    ]);

    // The order of numerics: 001-004, one or more 005, LUSERS, MOTD.
    const verbs = burst.map(verbOf);
    const isupportCount = verbs.filter((v) => v === '005').length;
    expect(isupportCount).toBeGreaterThanOrEqual(1);
    expect(verbs).toEqual([
      '001',
      '002',
      '003',
      '004',
      ...Array<string>(isupportCount).fill('005'),
      '251',
      '252',
      '253',
      '254',
      '255',
      '265',
      '266',
      '250',
      '375',
      ...Array<string>(MOTD_LINES.length).fill('372'),
      '376',
    ]);

    // 005: every line ends with the human text; tokens collected across lines.
    const tokens = new Map<string, string | null>();
    for (const line of burst.filter((l) => verbOf(l) === '005')) {
      expect(line.startsWith(`${S} 005 alice `)).toBe(true);
      expect(line.endsWith(' :are supported by this server')).toBe(true);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(510);
      const body = line.slice(`${S} 005 alice `.length, -' :are supported by this server'.length);
      for (const token of body.split(' ')) {
        const eq = token.indexOf('=');
        expect(token.indexOf('=', eq + 1)).toBe(-1); // irctest splits on '=' once
        tokens.set(eq < 0 ? token : token.slice(0, eq), eq < 0 ? null : token.slice(eq + 1));
      }
    }
    expect(Object.fromEntries(tokens)).toMatchObject({
      CASEMAPPING: 'rfc1459',
      CHANTYPES: '#',
      CHANMODES: 'beI,k,l,Cimnst',
      PREFIX: '(ov)@+',
      NICKLEN: '32',
      CHANNELLEN: '64',
      TOPICLEN: '390',
      KICKLEN: '390',
      AWAYLEN: '390',
      CHANLIMIT: '#:50',
      TARGMAX: 'JOIN:50,KICK:4,MONITOR:,NAMES:4,NOTICE:4,PART:,PRIVMSG:4,TAGMSG:4,WHOIS:4,WHOWAS:4',
      MAXLIST: 'beI:100',
      NETWORK: 'Obrol',
      STATUSMSG: '@+',
      ELIST: 'CMNTU',
      MODES: '6',
      BOT: 'B',
      MONITOR: '100',
      NAMELEN: '150',
      WHOX: null,
      UTF8ONLY: null,
    });

    const rest = burst.filter((l) => !['001', '002', '003', '004', '005'].includes(verbOf(l)));
    expect(rest).toEqual([
      `${S} 251 alice :There are 1 users and 0 invisible on 1 servers`,
      `${S} 252 alice 0 :operator(s) online`,
      `${S} 253 alice 0 :unknown connection(s)`,
      `${S} 254 alice 0 :channels formed`,
      `${S} 255 alice :I have 1 clients and 0 servers`,
      `${S} 265 alice :Current local users 1, max 1`,
      `${S} 266 alice :Current global users 1, max 1`,
      `${S} 250 alice :Highest connection count: 1 (1 clients)`,
      `${S} 375 alice :- obrol.local Message of the day - `,
      ...MOTD_LINES.map((line) => `${S} 372 alice :- ${line}`),
      `${S} 376 alice :End of /MOTD command.`,
    ]);
    // No user MODE line when there are no default user modes.
    expect(await c.sync()).toEqual([]);
  });

  it('USER then NICK registers the same way', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send('USER bob 0 * :Bob Builder');
    expect(await c.sync()).toEqual([WELCOME_NOTICE]);
    c.send('NICK bob');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 bob :Welcome to the Obrol IRC Network bob!bob@127.0.0.1`);
    await c.expect(/ 376 /);
  });

  it('commands in lower case work, before and after registration', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send('nick carol');
    c.send('user carol 0 * :Carol');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 carol :Welcome to the Obrol IRC Network carol!carol@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('join #lower');
    expect(await c.expect(/ JOIN /)).toBe(':carol!carol@127.0.0.1 JOIN :#lower');
    c.send('Privmsg carol :self');
    expect(await c.expect(/PRIVMSG/)).toBe(':carol!carol@127.0.0.1 PRIVMSG carol :self');
  });

  it('gives 422 when server.motd_file is null', async () => {
    const srv = await server({ server: { motd_file: null } });
    const c = await connect(srv);
    c.send('NICK dave');
    c.send('USER dave 0 * :Dave');
    expect(await c.expect(/ (375|422) /)).toBe(`${S} 422 dave :MOTD File is missing`);
    expect(c.received.some((l) => / 37[256] /.test(l))).toBe(false);
  });

  it('gives 422 when the MOTD file does not exist', async () => {
    const srv = await server({ server: { motd_file: '/nonexistent/obrol/motd.txt' } });
    const c = await connect(srv);
    c.send('NICK dave');
    c.send('USER dave 0 * :Dave');
    expect(await c.expect(/ (375|422) /)).toBe(`${S} 422 dave :MOTD File is missing`);
  });

  it('default_user_modes +i shows as a MODE line after the MOTD, and counts as invisible', async () => {
    const srv = await server({ server: { default_user_modes: '+i' } });
    const c = await connect(srv);
    c.send('NICK erin');
    c.send('USER erin 0 * :Erin');
    expect(await c.expect(/ 251 /)).toBe(`${S} 251 erin :There are 0 users and 1 invisible on 1 servers`);
    await c.expect(/ 376 /);
    expect(await c.sync()).toEqual([':erin!erin@127.0.0.1 MODE erin :+i']);
  });
});

describe('NICK and USER errors', () => {
  it('432 for bad characters, too long, or a leading digit or dash', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    const tooLong = 'a'.repeat(33);
    for (const nick of ['al!ce', 'al@ce', 'al.ce', '9lives', '-dash', tooLong, 'héllo']) c.send(`NICK ${nick}`);
    expect(await c.sync()).toEqual([
      `${S} 432 * al!ce :Erroneous nickname`,
      `${S} 432 * al@ce :Erroneous nickname`,
      `${S} 432 * al.ce :Erroneous nickname`,
      `${S} 432 * 9lives :Erroneous nickname`,
      `${S} 432 * -dash :Erroneous nickname`,
      `${S} 432 * ${tooLong} :Erroneous nickname`,
      `${S} 432 * héllo :Erroneous nickname`,
    ]);
    // The longest allowed nick, and the special characters, are fine.
    c.send(`NICK ${'b'.repeat(32)}`);
    c.send('NICK [a]\\`_^{|}-9');
    c.send('USER x 0 * :X');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 [a]\\\`_^{|}-9 :Welcome to the Obrol IRC Network [a]\\\`_^{|}-9!x@127.0.0.1`);
  });

  it('432 after registration names the current nick and keeps it', async () => {
    const srv = await server();
    const c = await register(srv, 'alice');
    c.send('NICK 1alice');
    expect(await c.sync()).toEqual([`${S} 432 alice 1alice :Erroneous nickname`]);
  });

  it('431 for NICK without a nick', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('NICK');
    c.send('NICK :');
    expect(await c.sync()).toEqual([`${S} 431 * :No nickname given`, `${S} 431 * :No nickname given`]);
  });

  it('433 for a nick in use: target * before registration, the nick after', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('NICK alice');
    c.send('NICK ALICE');
    c.send('USER other 0 * :Other');
    expect(await c.sync()).toEqual([`${S} 433 * alice :Nickname is already in use`, `${S} 433 * ALICE :Nickname is already in use`]);
    c.send('NICK other');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 other :Welcome to the Obrol IRC Network other!other@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('NICK Alice');
    expect(await c.sync()).toEqual([`${S} 433 other Alice :Nickname is already in use`]);
    expect(await alice.sync()).toEqual([]);
  });

  it('462 for a second USER before registration and for USER after it', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('USER first 0 * :First');
    c.send('USER second 0 * :Second');
    expect(await c.sync()).toEqual([`${S} 462 * :You may not reregister`]);
    c.send('NICK frank');
    // The first USER counts.
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 frank :Welcome to the Obrol IRC Network frank!first@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('USER again 0 * :Again');
    expect(await c.sync()).toEqual([`${S} 462 frank :You may not reregister`]);
  });

  it('461 for USER with an empty realname or too few parameters, and no registration', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('NICK grace');
    c.send('USER username * * :');
    c.send('USER username 0 *');
    expect(await c.sync()).toEqual([`${S} 461 grace USER :Not enough parameters`, `${S} 461 grace USER :Not enough parameters`]);
    // USER was not accepted, so a correct one still registers.
    c.send('USER grace 0 * :Grace');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 grace :Welcome to the Obrol IRC Network grace!grace@127.0.0.1`);
  });

  it('461 for USER with an empty realname before NICK names the client *', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('USER username * * :');
    expect(await c.sync()).toEqual([`${S} 461 * USER :Not enough parameters`]);
  });
});

describe('before registration', () => {
  it('451 for commands that need registration, including unknown ones; PING works', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('JOIN #chan');
    c.send('PRIVMSG alice :hi');
    c.send('WHOIS alice');
    c.send('FROBNICATE');
    c.send('PING early');
    expect(await c.sync()).toEqual([
      `${S} 451 * :You have not registered`,
      `${S} 451 * :You have not registered`,
      `${S} 451 * :You have not registered`,
      `${S} 451 * :You have not registered`,
      `${S} PONG obrol.local :early`,
    ]);
    // The nick is shown once given.
    c.send('NICK henry');
    c.send('JOIN #chan');
    expect(await c.sync()).toEqual([`${S} 451 henry :You have not registered`]);
  });

  it('421 for unknown commands after registration', async () => {
    const srv = await server();
    const c = await register(srv, 'alice');
    c.send('FROBNICATE a b :c');
    c.send('frobnicate');
    expect(await c.sync()).toEqual([`${S} 421 alice FROBNICATE :Unknown command`, `${S} 421 alice FROBNICATE :Unknown command`]);
  });
});

describe('server password', () => {
  let hash = '';
  beforeAll(async () => {
    hash = await hashPassword('open sesame');
  });

  it('the right PASS registers', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.send('PASS :open sesame');
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 alice :Welcome to the Obrol IRC Network alice!alice@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('PASS :open sesame');
    expect(await c.sync()).toEqual([`${S} 462 alice :You may not reregister`]);
  });

  it('a wrong PASS gets 464, then ERROR and the connection closes, without 001', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.send('PASS wrong');
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    await c.waitClosed();
    expect(c.received).toEqual([
      WELCOME_NOTICE,
      `${S} 464 alice :Password incorrect`,
      'ERROR :Closing link: (alice@127.0.0.1) [Bad password]',
    ]);
    // The refused client's nick is free again.
    const d = await connect(srv);
    d.send('PASS :open sesame');
    d.send('NICK alice');
    d.send('USER alice 0 * :Alice');
    expect(await d.expect(/ 001 /)).toBe(`${S} 001 alice :Welcome to the Obrol IRC Network alice!alice@127.0.0.1`);
  });

  it('no PASS at all gets 464, then ERROR and the connection closes', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.send('USER bob 0 * :Bob');
    c.send('NICK bob');
    await c.waitClosed();
    expect(c.received).toEqual([WELCOME_NOTICE, `${S} 464 bob :Password incorrect`, 'ERROR :Closing link: (bob@127.0.0.1) [Bad password]']);
  });

  it('the last PASS before registration counts', async () => {
    const srv = await server({ server: { password: hash } });
    const c = await connect(srv);
    c.send('PASS wrong');
    c.send('PASS :open sesame');
    c.send('NICK carol');
    c.send('USER carol 0 * :Carol');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 carol :Welcome to the Obrol IRC Network carol!carol@127.0.0.1`);
  });

  it('PASS after registration without a server password is 462', async () => {
    const srv = await server();
    const c = await register(srv, 'dave');
    c.send('PASS anything');
    expect(await c.sync()).toEqual([`${S} 462 dave :You may not reregister`]);
  });
});

describe('casemapping', () => {
  it('rfc1459: [foo] and {FOO} are the same nick, a|b and A\\B too', async () => {
    const srv = await server();
    const a = await register(srv, '[foo]');
    await register(srv, 'a|b');
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('NICK {FOO}');
    c.send('NICK A\\B');
    expect(await c.sync()).toEqual([`${S} 433 * {FOO} :Nickname is already in use`, `${S} 433 * A\\B :Nickname is already in use`]);
    // A change of case only is the same user taking its own nick.
    a.send('NICK {FOO}');
    expect(await a.sync()).toEqual([':[foo]![foo]@127.0.0.1 NICK :{FOO}']);
  });

  it('rfc1459: channel names fold []\\~ to {}|^', async () => {
    const srv = await server();
    const a = await register(srv, 'alice');
    const b = await register(srv, 'bob');
    a.send('JOIN #[x]\\~');
    await a.expect(/ 366 /);
    b.send('JOIN #{X}|^');
    // bob is in alice's channel, whose name is the one it was created with.
    expect(await b.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#[x]\\~');
    expect(await b.expect(/ 353 /)).toBe(`${S} 353 bob = #[x]\\~ :@alice bob`);
    expect(await a.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#[x]\\~');
  });

  it('ascii: [foo] and {FOO} are different nicks', async () => {
    const srv = await server({ server: { casemapping: 'ascii' } });
    const a = await register(srv, '[foo]');
    a.send('VERSION');
    expect(await a.expect(/ 005 .*CASEMAPPING/)).toContain(' CASEMAPPING=ascii ');
    const c = await connect(srv);
    c.send('NICK {FOO}');
    c.send('USER foo2 0 * :Foo');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 {FOO} :Welcome to the Obrol IRC Network {FOO}!foo2@127.0.0.1`);
    // Letters still fold under ascii.
    const d = await connect(srv);
    await d.expect(/NOTICE/);
    d.send('NICK [FOO]');
    expect(await d.sync()).toEqual([`${S} 433 * [FOO] :Nickname is already in use`]);
  });
});

describe('racing and odd input', () => {
  it('two clients racing for one nick: exactly one gets 001', async () => {
    const srv = await server();
    const one = await connect(srv);
    const two = await connect(srv);
    one.send('NICK foo');
    two.send('NICK foo');
    one.send('USER one 0 * :One');
    two.send('USER two 0 * :Two');
    await one.sync();
    await two.sync();
    const welcomed = [one, two].filter((c) => c.received.some((l) => verbOf(l) === '001'));
    const refused = [one, two].filter((c) => c.received.some((l) => l === `${S} 433 * foo :Nickname is already in use`));
    expect(welcomed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(welcomed[0]).not.toBe(refused[0]);
  });

  it('with utf8_only (the default), a non-UTF-8 USER is refused with FAIL INVALID_UTF8 and registration waits for a good one', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.write(Buffer.concat([Buffer.from('NICK foo\r\nUSER username * * :'), Buffer.from([0x69, 0xe8, 0x72, 0x63, 0xe9]), Buffer.from('\r\n')]));
    expect(await c.expect(/ FAIL /)).toBe(`${S} FAIL USER INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network`);
    c.send('USER username * * :Plain Realname');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 foo :Welcome to the Obrol IRC Network foo!username@127.0.0.1`);
  });

  it('without utf8_only, a non-UTF-8 realname does not stop registration; WHOIS shows it with replacement characters', async () => {
    const srv = await server({ server: { utf8_only: false } });
    const c = await connect(srv);
    c.write(Buffer.concat([Buffer.from('NICK foo\r\nUSER username * * :'), Buffer.from([0x69, 0xe8, 0x72, 0x63, 0xe9]), Buffer.from('\r\n')]));
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 foo :Welcome to the Obrol IRC Network foo!username@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('WHOIS foo');
    expect(await c.expect(/ 311 /)).toBe(`${S} 311 foo foo username 127.0.0.1 * :i\uFFFDrc\uFFFD`);
  });

  it('a username of emoji or of invalid bytes falls back to a safe username', async () => {
    const srv = await server({ server: { utf8_only: false } });
    const c = await connect(srv);
    c.send(`NICK foo`);
    c.send(`USER ${'😊'.repeat(10)} * * :realname`);
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 foo :Welcome to the Obrol IRC Network foo!user@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('WHOIS foo');
    expect(await c.expect(/ 311 /)).toBe(`${S} 311 foo foo user 127.0.0.1 * :realname`);

    const d = await connect(srv);
    d.write(Buffer.concat([Buffer.from('NICK bar\r\nUSER '), Buffer.from([0xff, 0xfe, 0x80, 0x61]), Buffer.from(' 0 * :Bar\r\n')]));
    // 0xff starts telnet IAC handling (IAC 0xfe = DONT, option 0x80), so only "a" is left.
    expect(await d.expect(/ 001 /)).toBe(`${S} 001 bar :Welcome to the Obrol IRC Network bar!a@127.0.0.1`);

    const e = await connect(srv);
    e.write(Buffer.concat([Buffer.from('NICK baz\r\nUSER '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(' 0 * :Baz\r\n')]));
    // Invalid UTF-8 decodes to U+FFFD; "(" is dropped by the username filter too.
    expect(await e.expect(/ 001 /)).toBe(`${S} 001 baz :Welcome to the Obrol IRC Network baz!user@127.0.0.1`);
  });
});
