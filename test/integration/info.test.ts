/**
 * Server queries: MOTD, LUSERS, VERSION, TIME, ADMIN, INFO, HELP, and 402 for
 * a server parameter that is not this server.
 * https://modern.ircdocs.horse/#server-queries-and-commands
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HELP_INDEX, HELP_TOPICS } from '../../src/commands/helptext.js';
import { COMMANDS } from '../../src/commands/index.js';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { VERSION } from '../../src/server/server.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';
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

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

describe('MOTD', () => {
  it('375, one 372 per line of the file, 376', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const motd = [
      `${S} 375 alice :- obrol.local Message of the day - `,
      ...MOTD_LINES.map((line) => `${S} 372 alice :- ${line}`),
      `${S} 376 alice :End of /MOTD command.`,
    ];
    alice.send('MOTD');
    expect(await alice.sync()).toEqual(motd);
    // Naming this server, or a mask matching it, is the same.
    alice.send('MOTD obrol.local');
    expect(await alice.sync()).toEqual(motd);
    alice.send('MOTD *.LOCAL');
    expect(await alice.sync()).toEqual(motd);
  });

  it('422 when there is no MOTD', async () => {
    const srv = await server({ server: { motd_file: null } });
    const alice = await register(srv, 'alice');
    alice.send('MOTD');
    expect(await alice.sync()).toEqual([`${S} 422 alice :MOTD File is missing`]);
  });
});

describe('LUSERS', () => {
  let hash = '';
  beforeAll(async () => {
    hash = await hashPassword('operpass');
  });

  it('counts users, invisible users, operators, unknown connections and channels', async () => {
    const srv = await server({ opers: [{ name: 'op', password: hash, hosts: ['*@*'] }] });
    const alice = await register(srv, 'alice');
    const bob = await register(srv, 'bob');
    const carol = await register(srv, 'carol');
    alice.send('MODE alice +i');
    await alice.expect(/ MODE /);
    carol.send('OPER op operpass');
    await carol.expect(/ 381 /);
    await join(alice, '#one');
    await join(bob, '#two');
    await join(carol, '#two');
    const unknown = await connect(srv);
    await unknown.expect(/NOTICE/); // the server has accepted it
    unknown.send('NICK pending');
    await unknown.sync();

    bob.drain();
    bob.send('LUSERS');
    expect(await bob.sync()).toEqual([
      `${S} 251 bob :There are 2 users and 1 invisible on 1 servers`,
      `${S} 252 bob 1 :operator(s) online`,
      `${S} 253 bob 1 :unknown connection(s)`,
      `${S} 254 bob 2 :channels formed`,
      `${S} 255 bob :I have 3 clients and 0 servers`,
      `${S} 265 bob :Current local users 3, max 3`,
      `${S} 266 bob :Current global users 3, max 3`,
      `${S} 250 bob :Highest connection count: 4 (3 clients)`,
    ]);

    // The unknown connection leaves, the invisible user quits (taking #one with her):
    // the counts follow, the maxima stay.
    await unknown.quit();
    await alice.quit();
    bob.send('LUSERS');
    expect(await bob.sync()).toEqual([
      `${S} 251 bob :There are 2 users and 0 invisible on 1 servers`,
      `${S} 252 bob 1 :operator(s) online`,
      `${S} 253 bob 0 :unknown connection(s)`,
      `${S} 254 bob 1 :channels formed`,
      `${S} 255 bob :I have 2 clients and 0 servers`,
      `${S} 265 bob :Current local users 2, max 3`,
      `${S} 266 bob :Current global users 2, max 3`,
      `${S} 250 bob :Highest connection count: 4 (2 clients)`,
    ]);
  });

  it('ignores a mask, and gives 402 for another server', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    alice.send('LUSERS *');
    expect((await alice.sync()).map((l) => l.split(' ')[1])).toEqual(['251', '252', '253', '254', '255', '265', '266', '250']);
    alice.send('LUSERS * irc.example.org');
    expect(await alice.sync()).toEqual([`${S} 402 alice irc.example.org :No such server`]);
  });
});

describe('VERSION', () => {
  it('351, then the same 005 lines as the welcome burst', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const isupport = alice.received.filter((l) => l.startsWith(`${S} 005 alice `));
    expect(isupport.length).toBeGreaterThan(0);
    alice.send('VERSION');
    expect(await alice.sync()).toEqual([`${S} 351 alice obrol-${VERSION} obrol.local :Obrol IRC server`, ...isupport]);
    alice.send('VERSION obrol.local');
    expect((await alice.sync())[0]).toBe(`${S} 351 alice obrol-${VERSION} obrol.local :Obrol IRC server`);
  });

  it('names the Node.js version only with server.show_versions', async () => {
    const srv = await server({ server: { show_versions: true } });
    const alice = await register(srv, 'alice');
    alice.send('VERSION');
    expect((await alice.sync())[0]).toBe(`${S} 351 alice obrol-${VERSION} obrol.local :Obrol IRC server on Node.js ${process.version}`);
  });
});

describe('TIME', () => {
  it('391 with the server name, the Unix time, offset 0 and the time as text', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const before = Math.floor(Date.now() / 1000);
    alice.send('TIME');
    const lines = await alice.sync();
    const after = Math.floor(Date.now() / 1000);
    expect(lines).toHaveLength(1);
    const m = /^:obrol\.local 391 alice obrol\.local (\d+) 0 :(.+)$/.exec(lines[0] ?? '');
    expect(m, lines[0]).not.toBeNull();
    const unix = Number(m?.[1]);
    expect(unix).toBeGreaterThanOrEqual(before);
    expect(unix).toBeLessThanOrEqual(after);
    expect(m?.[2]).toBe(new Date(unix * 1000).toUTCString());
  });
});

describe('ADMIN', () => {
  it('256-259 from the admin section of the config', async () => {
    const srv = await server({ admin: { location: 'Jakarta, Indonesia', organisation: 'Obrol Testers', email: 'ops@example.org' } });
    const alice = await register(srv, 'alice');
    alice.send('ADMIN');
    expect(await alice.sync()).toEqual([
      `${S} 256 alice obrol.local :Administrative info`,
      `${S} 257 alice :Jakarta, Indonesia`,
      `${S} 258 alice :Obrol Testers`,
      `${S} 259 alice :ops@example.org`,
    ]);
  });

  it('the defaults', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    alice.send('ADMIN obrol.local');
    expect(await alice.sync()).toEqual([
      `${S} 256 alice obrol.local :Administrative info`,
      `${S} 257 alice :Somewhere on the internet`,
      `${S} 258 alice :An Obrol network`,
      `${S} 259 alice :admin@obrol.local`,
    ]);
  });
});

describe('INFO', () => {
  it('371 lines, then 374', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    alice.send('INFO');
    expect(await alice.sync()).toEqual([
      `${S} 371 alice :obrol-${VERSION}: Obrol, an IRC server for Node.js`,
      `${S} 371 alice :Obrol is from the Indonesian "ngobrol", to chat.`,
      `${S} 371 alice :Up since ${srv.server.info.createdAt.toUTCString()}`,
      `${S} 374 alice :End of INFO list`,
    ]);
  });

  it('names the Node.js version only with server.show_versions', async () => {
    const srv = await server({ server: { show_versions: true } });
    const alice = await register(srv, 'alice');
    alice.send('INFO');
    expect(await alice.sync()).toEqual([
      `${S} 371 alice :obrol-${VERSION}: Obrol, an IRC server for Node.js`,
      `${S} 371 alice :Obrol is from the Indonesian "ngobrol", to chat.`,
      `${S} 371 alice :Running on Node.js ${process.version}`,
      `${S} 371 alice :Up since ${srv.server.info.createdAt.toUTCString()}`,
      `${S} 374 alice :End of INFO list`,
    ]);
  });
});

describe('HELP', () => {
  it('without a subject: the index (704, 705..., 706)', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    alice.send('HELP');
    const lines = await alice.sync();
    expect(lines).toEqual([
      `${S} 704 alice * :${HELP_INDEX[0]}`,
      ...HELP_INDEX.slice(1).map((line) => `${S} 705 alice * :${line}`),
      `${S} 706 alice * :End of /HELP`,
    ]);
    expect(lines.some((line) => / 70[45] alice \* :.*\bJOIN\b/.test(line))).toBe(true);
  });

  it('HELP JOIN, in any case', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const join = [
      `${S} 704 alice JOIN :JOIN <#channel>[,#channel...] [key[,key...]]`,
      `${S} 705 alice JOIN :Joins channels, creating a channel that does not exist yet (you become its operator).`,
      `${S} 705 alice JOIN :JOIN 0 leaves every channel.`,
      `${S} 706 alice JOIN :End of /HELP`,
    ];
    alice.send('HELP JOIN');
    expect(await alice.sync()).toEqual(join);
    alice.send('help join');
    expect(await alice.sync()).toEqual(join);
  });

  it('524 for an unknown subject', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    alice.send('HELP frobnicate');
    expect(await alice.sync()).toEqual([`${S} 524 alice frobnicate :No help available on this topic`]);
  });

  it('works before registration', async () => {
    const srv = await server();
    const c = await connect(srv);
    await c.expect(/NOTICE/);
    c.send('HELP NICK');
    expect(await c.sync()).toEqual([
      `${S} 704 * NICK :NICK <nickname>`,
      `${S} 705 * NICK :Sets or changes your nick: a letter or one of []\\\`_^{|} first, then also digits and -.`,
      `${S} 706 * NICK :End of /HELP`,
    ]);
    c.send('HELP');
    expect((await c.sync())[0]).toBe(`${S} 704 * * :${HELP_INDEX[0]}`);
  });

  it('has an entry for every command the server knows, and the index lists them all (HELPOP is an alias)', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    const verbs = [...COMMANDS.keys()].sort();
    expect(Object.keys(HELP_TOPICS).sort()).toEqual(verbs);
    const indexWords = new Set(HELP_INDEX.join(' ').split(/\s+/));
    expect(verbs.filter((verb) => !indexWords.has(verb))).toEqual(['HELPOP']);
    for (const verb of verbs) alice.send(`HELP ${verb}`);
    const lines = await alice.sync();
    expect(lines.filter((l) => / 704 /.test(l)).map((l) => l.split(' ')[3])).toEqual(verbs);
    expect(lines.filter((l) => / 524 /.test(l))).toEqual([]);
  });
});

describe('402 for another server', () => {
  it('MOTD, VERSION, TIME, ADMIN and INFO with a server that is not this one', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice');
    for (const verb of ['MOTD', 'VERSION', 'TIME', 'ADMIN', 'INFO']) alice.send(`${verb} irc.example.org`);
    expect(await alice.sync()).toEqual(Array<string>(5).fill(`${S} 402 alice irc.example.org :No such server`));
  });
});
