/**
 * Cloaked hosts over real sockets: others see a keyed hash of a client's
 * address (stable per address and secret, its second part shared by a /24),
 * the real address shows only to the user themself and to operators, and
 * channel bans match the cloak, the cloak's block and, when a server
 * operator set them, the real address (cloak-bans.test.ts has the rest).
 *
 * Clients connect from several loopback addresses (127.0.0.2, 127.0.1.2, ...)
 * so that they have distinct addresses and blocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { cloakAddress } from '../../../src/server/cloak.js';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const S = ':obrol.local';
const SECRET = 'a-test-secret-of-16+';
const OTHER_SECRET = 'another-secret-of-16+';
const PASSWORD = 'cloak-oper-password';
/** A cloak as the server builds it: two 10-digit hex parts and the suffix. */
const CLOAK = /^[0-9a-f]{10}\.[0-9a-f]{10}\.ip$/;

let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

/** The cloak the server should show for `ip` with the default prefixes. */
function cloakOf(ip: string, secret = SECRET, ipv4Prefix = 24): string {
  return cloakAddress(ip, { secret, ipv4Prefix, ipv6Prefix: 64, suffix: 'ip' });
}

async function server(cloak: ConfigInput['cloak'] = { enabled: true, secret: SECRET }, captureLogs = false): Promise<TestServer> {
  return fx.server({ config: { cloak, opers: [{ name: 'boss', password: hash, hosts: ['*@*'] }] }, captureLogs });
}

/** Register `nick` from `ip`, with the capabilities asked for; resolves after the end of the MOTD. */
async function register(srv: TestServer, nick: string, ip: string, caps: string[] = []): Promise<TestClient> {
  const c = await fx.open(srv, { localAddress: ip });
  if (caps.length > 0) c.send(`CAP REQ :${caps.join(' ')}`);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  if (caps.length > 0) {
    await c.expect(/ CAP \S+ ACK /);
    c.send('CAP END');
  }
  await c.expect(/ 001 /);
  await c.expect(/ (376|422) /);
  c.nick = nick;
  return c;
}

async function oper(c: TestClient): Promise<void> {
  c.send(`OPER boss ${PASSWORD}`);
  await c.expect(/ 381 /);
}

/** The host the server shows for `c`'s user, from WHOIS 311 (asked by `c` itself). */
async function shownHost(c: TestClient): Promise<string> {
  c.send(`WHOIS ${c.nick}`);
  const line = await c.expect(new RegExp(` 311 ${c.nick} ${c.nick} `));
  await c.expect(/ 318 /);
  return line.split(' ')[5] as string;
}

describe('what others see', () => {
  it('the cloak, in JOIN, PRIVMSG, PART and QUIT sources', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3');
    const cloak = cloakOf('127.0.0.2');
    expect(cloak).toMatch(CLOAK);
    await fx.join(bob, '#c');
    await fx.join(alice, '#c');
    expect(await bob.expect(/ JOIN /)).toBe(`:alice!alice@${cloak} JOIN :#c`);
    alice.send('PRIVMSG #c :hi');
    expect(await bob.expect(/ PRIVMSG /)).toBe(`:alice!alice@${cloak} PRIVMSG #c :hi`);
    alice.send('PRIVMSG bob :psst');
    expect(await bob.expect(/ PRIVMSG /)).toBe(`:alice!alice@${cloak} PRIVMSG bob :psst`);
    alice.send('PART #c :later');
    expect(await bob.expect(/ PART /)).toBe(`:alice!alice@${cloak} PART #c :later`);
    await fx.join(alice, '#c');
    await alice.quit('gone');
    expect(await bob.expect(/ QUIT /)).toBe(`:alice!alice@${cloak} QUIT :Quit: gone`);
  });

  it('the cloak to the user themself in their own echo and WHOIS 311, with the real address in 378', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const cloak = cloakOf('127.0.0.2');
    alice.send('JOIN :#c');
    expect(await alice.expect(/ JOIN /)).toBe(`:alice!alice@${cloak} JOIN :#c`);
    await alice.expect(/ 366 /);
    alice.send('WHOIS alice');
    expect(await alice.expect(/ 311 /)).toBe(`${S} 311 alice alice alice ${cloak} * :alice Test`);
    expect(await alice.expect(/ 378 /)).toBe(`${S} 378 alice alice :is connecting from alice@${cloak} 127.0.0.2`);
    await alice.expect(/ 318 /);
  });

  it('the cloak in NAMES with userhost-in-names, WHO, WHOIS and WHOWAS', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3', ['userhost-in-names']);
    const cloakA = cloakOf('127.0.0.2');
    const cloakB = cloakOf('127.0.0.3');
    await fx.join(alice, '#c');
    bob.send('JOIN :#c');
    expect(await bob.expect(/ 353 /)).toBe(`${S} 353 bob = #c :@alice!alice@${cloakA} bob!bob@${cloakB}`);
    await bob.expect(/ 366 /);
    bob.send('NAMES #c');
    expect(await bob.expect(/ 353 /)).toBe(`${S} 353 bob = #c :@alice!alice@${cloakA} bob!bob@${cloakB}`);

    bob.send('WHO #c');
    expect(await bob.expect(/ 352 bob #c alice /)).toBe(`${S} 352 bob #c alice ${cloakA} obrol.local alice H@ :0 alice Test`);
    await bob.expect(/ 315 /);
    bob.send('WHO alice');
    expect(await bob.expect(/ 352 /)).toBe(`${S} 352 bob #c alice ${cloakA} obrol.local alice H@ :0 alice Test`);
    await bob.expect(/ 315 /);
    bob.send('WHO alice %tnuhi,7');
    expect(await bob.expect(/ 354 /)).toBe(`${S} 354 bob 7 alice 255.255.255.255 ${cloakA} :alice`);
    await bob.expect(/ 315 /);

    bob.send('WHOIS alice');
    expect(await bob.expect(/ 311 /)).toBe(`${S} 311 bob alice alice ${cloakA} * :alice Test`);
    const whois = await bob.sync();
    expect(whois.some((line) => / 318 bob alice /.test(line))).toBe(true);
    expect(whois.filter((line) => / 378 /.test(line))).toEqual([]);

    bob.send('USERHOST alice');
    expect(await bob.expect(/ 302 /)).toBe(`${S} 302 bob :alice=+alice@${cloakA}`);

    await alice.quit();
    bob.send('WHOWAS alice');
    expect(await bob.expect(/ 314 /)).toBe(`${S} 314 bob alice alice ${cloakA} * :alice Test`);
    await bob.expect(/ 369 /);
  });

  it('no match on the real address in WHO for others, a match for the user themself and for operators', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.1.3');
    bob.send('WHO 127.0.0.*');
    expect((await bob.sync()).filter((line) => / 352 /.test(line))).toEqual([]);
    alice.send('WHO 127.0.0.*');
    expect((await alice.sync()).filter((line) => / 352 /.test(line))).toEqual([`${S} 352 alice * alice ${cloakOf('127.0.0.2')} obrol.local alice H :0 alice Test`]);
    await oper(bob);
    bob.send('WHO 127.0.0.*');
    expect((await bob.sync()).filter((line) => / 352 /.test(line))).toEqual([`${S} 352 bob * alice ${cloakOf('127.0.0.2')} obrol.local alice H :0 alice Test`]);
  });
});

describe('the real address', () => {
  it('shows to the user themself in WHOIS 378, USERHOST and WHOX %i', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const cloak = cloakOf('127.0.0.2');
    alice.send('WHOIS alice');
    expect(await alice.expect(/ 378 /)).toBe(`${S} 378 alice alice :is connecting from alice@${cloak} 127.0.0.2`);
    alice.send('USERHOST alice');
    expect(await alice.expect(/ 302 /)).toBe(`${S} 302 alice :alice=+alice@127.0.0.2`);
    alice.send('WHO alice %tnuhi,5');
    expect(await alice.expect(/ 354 /)).toBe(`${S} 354 alice 5 alice 127.0.0.2 ${cloak} :alice`);
  });

  it('shows to an operator in WHOIS 378, USERHOST and WHOX %i, and to nobody else', async () => {
    const srv = await server();
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3', ['userhost-in-names']);
    const carol = await register(srv, 'carol', '127.0.1.4');
    const cloak = cloakOf('127.0.0.2');
    for (const c of [alice, bob, carol]) await fx.join(c, '#c');
    await oper(carol);

    // What an ordinary user can ask about alice.
    alice.send('PRIVMSG #c :hello');
    alice.send('NOTICE bob :hi');
    alice.send('TOPIC #c :a topic');
    alice.send('AWAY :out');
    alice.send('NICK alicia');
    await alice.expect(/ NICK /);
    bob.send('WHOIS alicia');
    bob.send('WHOIS alicia alicia');
    bob.send('USERHOST alicia');
    bob.send('WHO #c');
    bob.send('WHO alicia %tcuihsnfdlaor,9');
    bob.send('WHO *');
    bob.send('NAMES #c');
    bob.send('WHOWAS alice');
    bob.send('ISON alicia');
    bob.send('MODE #c +b');
    bob.send('TOPIC #c');
    await bob.sync();

    // The operator sees the real address in each of the three places.
    carol.send('WHOIS alicia');
    expect(await carol.expect(/ 378 /)).toBe(`${S} 378 carol alicia :is connecting from alice@${cloak} 127.0.0.2`);
    carol.send('USERHOST alicia');
    expect(await carol.expect(/ 302 /)).toBe(`${S} 302 carol :alicia=-alice@127.0.0.2`);
    carol.send('WHO alicia %tnuhi,3');
    expect(await carol.expect(/ 354 /)).toBe(`${S} 354 carol 3 alice 127.0.0.2 ${cloak} :alicia`);

    // alice leaves; what bob saw of it too.
    await alice.quit('bye');
    bob.send('WHOWAS alicia');
    await bob.expect(/ 369 /);
    await bob.sync();

    expect(bob.received.length).toBeGreaterThan(30);
    expect(bob.received.filter((line) => line.includes(cloak)).length).toBeGreaterThan(10);
    expect(bob.received.filter((line) => line.includes('127.0.0.2'))).toEqual([]);
  });

  it('stops showing to a user who is no longer an operator', async () => {
    const srv = await server();
    await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3');
    await oper(bob);
    bob.send('USERHOST alice');
    expect(await bob.expect(/ 302 /)).toBe(`${S} 302 bob :alice=+alice@127.0.0.2`);
    bob.send('MODE bob -o');
    await bob.expect(/ MODE bob :?-o/);
    bob.send('USERHOST alice');
    expect(await bob.expect(/ 302 /)).toBe(`${S} 302 bob :alice=+alice@${cloakOf('127.0.0.2')}`);
  });
});

describe('stability', () => {
  it('gives the same cloak on reconnect, and across a restart with the same secret', async () => {
    const first = await server();
    const alice = await register(first, 'alice', '127.0.0.2');
    const cloak = await shownHost(alice);
    expect(cloak).toMatch(CLOAK);
    await alice.quit();
    const again = await register(first, 'alice', '127.0.0.2');
    expect(await shownHost(again)).toBe(cloak);

    const second = await server();
    const elsewhere = await register(second, 'alice', '127.0.0.2');
    expect(await shownHost(elsewhere)).toBe(cloak);
  });

  it('gives another cloak with another secret', async () => {
    const first = await server();
    const second = await server({ enabled: true, secret: OTHER_SECRET });
    const a = await shownHost(await register(first, 'alice', '127.0.0.2'));
    const b = await shownHost(await register(second, 'alice', '127.0.0.2'));
    expect(b).toMatch(CLOAK);
    expect(b).not.toBe(a);
    expect(b.split('.')[0]).not.toBe(a.split('.')[0]);
    expect(b.split('.')[1]).not.toBe(a.split('.')[1]);
  });

  it('shares the block part within a /24 and differs across /24 blocks', async () => {
    const srv = await server();
    const a = (await shownHost(await register(srv, 'a', '127.0.0.2'))).split('.');
    const b = (await shownHost(await register(srv, 'b', '127.0.0.3'))).split('.');
    const c = (await shownHost(await register(srv, 'c', '127.0.1.2'))).split('.');
    expect(b[0]).not.toBe(a[0]);
    expect(b[1]).toBe(a[1]);
    expect(c[1]).not.toBe(a[1]);
  });

  it('follows a configured /16: 127.0.0.2 and 127.0.1.2 share the block part', async () => {
    const srv = await server({ enabled: true, secret: SECRET, ipv4_prefix: 16 });
    const a = await shownHost(await register(srv, 'a', '127.0.0.2'));
    const c = await shownHost(await register(srv, 'c', '127.0.1.2'));
    const d = await shownHost(await register(srv, 'd', '127.1.0.2'));
    expect(a).toBe(cloakOf('127.0.0.2', SECRET, 16));
    expect(c.split('.')[1]).toBe(a.split('.')[1]);
    expect(c.split('.')[0]).not.toBe(a.split('.')[0]);
    expect(d.split('.')[1]).not.toBe(a.split('.')[1]);
  });
});

describe('bans', () => {
  /** An op from another /24 (127.0.1.1) holding #c, and alice (127.0.0.2) and bob (127.0.0.3) outside it. */
  async function setup(): Promise<{ op: TestClient; alice: TestClient; bob: TestClient }> {
    const srv = await server();
    const op = await register(srv, 'op', '127.0.1.1');
    await fx.join(op, '#c');
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3');
    return { op, alice, bob };
  }

  async function ban(op: TestClient, mask: string): Promise<void> {
    op.send(`MODE #c +b :${mask}`);
    expect(await op.expect(/ MODE #c /)).toBe(`:op!op@${cloakOf('127.0.1.1')} MODE #c +b :${mask}`);
  }

  async function refused(c: TestClient): Promise<void> {
    c.send('JOIN :#c');
    expect(await c.expect(/ 474 /)).toBe(`${S} 474 ${c.nick} #c :Cannot join channel (+b)`);
  }

  it('+b *!*@<cloak> bans that user and not their neighbour', async () => {
    const { op, alice, bob } = await setup();
    await ban(op, `*!*@${cloakOf('127.0.0.2')}`);
    await refused(alice);
    await fx.join(bob, '#c');
  });

  it('+b *!*@*.<block part>.ip bans the whole /24 and not the next one', async () => {
    const { op, alice, bob } = await setup();
    const block = cloakOf('127.0.0.2').split('.')[1] as string;
    await ban(op, `*!*@*.${block}.ip`);
    await refused(alice);
    await refused(bob);
    op.send('PART #c');
    await op.expect(/ PART /);
    await fx.join(op, '#c');
  });

  it('+b *!*@<real address> by an operator bans that user too, though others never see the address', async () => {
    const { op, alice, bob } = await setup();
    await oper(op);
    await ban(op, '*!*@127.0.0.2');
    await refused(alice);
    await fx.join(bob, '#c');
  });

  it('+b on a wildcard of the real address by an operator bans the matching users', async () => {
    const { op, alice, bob } = await setup();
    await oper(op);
    await ban(op, '*!*@127.0.0.*');
    await refused(alice);
    await refused(bob);
  });

  it('a ban on the real address by an operator silences a member already in the channel', async () => {
    const { op, alice } = await setup();
    await oper(op);
    await fx.join(alice, '#c');
    await ban(op, '*!alice@127.0.0.2');
    alice.send('PRIVMSG #c :can you hear me');
    expect(await alice.expect(/ 404 /)).toBe(`${S} 404 alice #c :Cannot send to channel (you are banned, +b)`);
    const seen = await op.sync();
    expect(seen.filter((line) => / PRIVMSG /.test(line))).toEqual([]);
  });

  it("+e on the cloak lets a user past an operator's ban on the real address", async () => {
    const { op, alice } = await setup();
    await oper(op);
    await ban(op, '*!*@127.0.0.*');
    await refused(alice);
    op.send(`MODE #c +e *!*@${cloakOf('127.0.0.2')}`);
    await op.expect(/ MODE #c \+e /);
    await fx.join(alice, '#c');
  });
});

describe('configuration', () => {
  it('with cloaking off, hosts are the addresses', async () => {
    const srv = await server({ enabled: false, secret: SECRET });
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3');
    await fx.join(bob, '#c');
    await fx.join(alice, '#c');
    expect(await bob.expect(/ JOIN /)).toBe(':alice!alice@127.0.0.2 JOIN :#c');
    bob.send('WHOIS alice');
    expect(await bob.expect(/ 311 /)).toBe(`${S} 311 bob alice alice 127.0.0.2 * :alice Test`);
  });

  it('with no secret, logs a warning and still cloaks', async () => {
    const srv = await server({ enabled: true }, true);
    const warning = srv.logs.find((record) => record.event === 'cloak-secret');
    expect(warning).toMatchObject({ level: 40, event: 'cloak-secret' });
    const alice = await register(srv, 'alice', '127.0.0.2');
    const bob = await register(srv, 'bob', '127.0.0.3');
    const a = await shownHost(alice);
    const b = await shownHost(bob);
    expect(a).toMatch(CLOAK);
    expect(b).toMatch(CLOAK);
    expect(a).not.toBe(cloakOf('127.0.0.2'));
    expect(b.split('.')[1]).toBe(a.split('.')[1]);
    // Stable while the server runs.
    await alice.quit();
    expect(await shownHost(await register(srv, 'alice', '127.0.0.2'))).toBe(a);
  });

  it('with a secret, logs no such warning', async () => {
    const srv = await server({ enabled: true, secret: SECRET }, true);
    await register(srv, 'alice', '127.0.0.2');
    expect(srv.logs.filter((record) => record.event === 'cloak-secret')).toEqual([]);
  });
});
