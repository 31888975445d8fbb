/**
 * Queries about users over real sockets: WHOIS, WHO, WHOWAS, AWAY, ISON,
 * USERHOST. https://modern.ircdocs.horse/#user-based-queries
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';

let srv: TestServer | null = null;
let clients: TestClient[] = [];
let operConfig: ConfigInput;

beforeAll(async () => {
  operConfig = { opers: [{ name: 'root', password: await hashPassword('hunter2'), hosts: ['*@127.0.0.1'] }] };
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  if (srv) await srv.stop();
  srv = null;
});

async function start(config?: ConfigInput): Promise<void> {
  srv = await startServer(config ? { config } : {});
}

async function connect(nick: string, options: { user?: string; realname?: string } = {}): Promise<TestClient> {
  if (!srv) throw new Error('start() first');
  const c = await TestClient.register(srv.port, nick, options);
  clients.push(c);
  return c;
}

async function users(...nicks: string[]): Promise<TestClient[]> {
  const out: TestClient[] = [];
  for (const nick of nicks) out.push(await connect(nick));
  return out;
}

function mask(nick: string): string {
  return `${nick}!${nick.toLowerCase()}@127.0.0.1`;
}

async function joinAll(channel: string, ...members: TestClient[]): Promise<void> {
  for (const c of members) {
    c.send(`JOIN ${channel}`);
    await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
  }
  await settle(...members);
}

async function settle(...cs: TestClient[]): Promise<void> {
  for (const c of cs) await c.sync();
}

async function run(sender: TestClient, line: string): Promise<string[]> {
  sender.send(line);
  return sender.sync();
}

async function oper(c: TestClient): Promise<void> {
  c.send('OPER root hunter2');
  await c.expect(/ 381 /);
  await settle(c);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The numeric of a server line. */
function code(line: string): string {
  return line.split(' ')[1] ?? '';
}

/** Check a 317 line: idle seconds small, signon time recent. */
function expectIdle(line: string | undefined, viewer: string, target: string): void {
  const m = new RegExp(`^:obrol\\.local 317 ${viewer} ${target} (\\d+) (\\d+) :seconds idle, signon time$`).exec(line ?? '');
  expect(m, line).not.toBeNull();
  expect(Number(m?.[1])).toBeLessThanOrEqual(5);
  expect(Math.abs(Number(m?.[2]) - nowSeconds())).toBeLessThanOrEqual(10);
}

describe('WHOIS', () => {
  it('answers 311, 319, 312, 317 and 318, in that order', async () => {
    await start();
    const alice = await connect('alice');
    const bob = await connect('bob', { user: 'bobby', realname: 'Bob the Builder' });
    await joinAll('#a', bob, alice);
    await joinAll('#b', alice, bob);
    await joinAll('#c', bob);
    alice.send('MODE #b +v bob');
    await settle(alice, bob);

    const lines = await run(alice, 'WHOIS bob');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`${S} 311 alice bob bobby 127.0.0.1 * :Bob the Builder`);
    expect(lines[1]).toBe(`${S} 319 alice bob :@#a +#b @#c`);
    expect(lines[2]).toBe(`${S} 312 alice bob obrol.local :Obrol IRC server`);
    expectIdle(lines[3], 'alice', 'bob');
    expect(lines[4]).toBe(`${S} 318 alice bob :End of /WHOIS list`);
  });

  it('accepts the nick in any case and with two spaces before it', async () => {
    await start();
    const [alice] = await users('alice', 'Bob');
    expect((await run(alice!, 'WHOIS  BOB'))[0]).toBe(`${S} 311 alice Bob bob 127.0.0.1 * :Bob Test`);
  });

  it('hides secret channels from non-members in 319, and omits 319 when nothing is left', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#public', bob!);
    await joinAll('#secret', bob!, carol!);
    bob!.send('MODE #secret +s');
    await settle(bob!, carol!);
    expect((await run(alice!, 'WHOIS bob')).filter((l) => code(l) === '319')).toEqual([`${S} 319 alice bob :@#public`]);
    expect((await run(carol!, 'WHOIS bob')).filter((l) => code(l) === '319')).toEqual([`${S} 319 carol bob :@#public @#secret`]);
    bob!.send('PART #public');
    await settle(bob!);
    expect((await run(alice!, 'WHOIS bob')).map(code)).toEqual(['311', '312', '317', '318']);
  });

  it("still shows an invisible user's public channels (+i hides from WHO and NAMES, not WHOIS)", async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    bob!.send('MODE bob +i');
    await joinAll('#one', bob!, carol!);
    await joinAll('#two', bob!);
    bob!.send('JOIN #hidden');
    bob!.send('MODE #hidden +s');
    await settle(bob!);
    expect((await run(alice!, 'WHOIS bob')).filter((l) => code(l) === '319')).toEqual([`${S} 319 alice bob :@#one @#two`]);
    expect((await run(carol!, 'WHOIS bob')).filter((l) => code(l) === '319')).toEqual([`${S} 319 carol bob :@#one @#two`]);
  });

  it('shows the away message (301) after 312', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    bob!.send('AWAY :on a break');
    await settle(bob!);
    const lines = await run(alice!, 'WHOIS bob');
    expect(lines.map(code)).toEqual(['311', '312', '301', '317', '318']);
    expect(lines[2]).toBe(`${S} 301 alice bob :on a break`);
  });

  it('shows operators with 313', async () => {
    await start(operConfig);
    const [alice, bob] = await users('alice', 'bob');
    await oper(bob!);
    const lines = await run(alice!, 'WHOIS bob');
    expect(lines.map(code)).toEqual(['311', '312', '313', '317', '318']);
    expect(lines[2]).toBe(`${S} 313 alice bob :is an IRC operator`);
  });

  it('shows the real host (378) and modes (379) to the user themself only', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    alice!.send('MODE alice +iw');
    await settle(alice!);
    const self = await run(alice!, 'WHOIS alice');
    expect(self.map(code)).toEqual(['311', '312', '378', '379', '317', '318']);
    expect(self[2]).toBe(`${S} 378 alice alice :is connecting from alice@127.0.0.1 127.0.0.1`);
    expect(self[3]).toBe(`${S} 379 alice alice :is using modes +iw`);
    expect((await run(bob!, 'WHOIS alice')).map(code)).toEqual(['311', '312', '317', '318']);
    // Without modes there is no 379.
    expect((await run(bob!, 'WHOIS bob')).map(code)).toEqual(['311', '312', '378', '317', '318']);
  });

  it('shows the real host to operators', async () => {
    await start(operConfig);
    const [alice, bob] = await users('alice', 'bob');
    await oper(alice!);
    expect((await run(alice!, 'WHOIS bob')).map(code)).toEqual(['311', '312', '378', '317', '318']);
  });

  it('reports the signon time, counts idle time, and resets it when the user speaks', async () => {
    await start();
    // Only Date is faked (frozen, then moved by hand); timers and sockets stay real.
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: t0 });
    try {
      const [alice, bob] = await users('alice', 'bob');
      const signon = Math.floor(t0 / 1000);
      const idle = async () => (await run(alice!, 'WHOIS bob')).find((l) => code(l) === '317');
      expect(await idle()).toBe(`${S} 317 alice bob 0 ${signon} :seconds idle, signon time`);
      vi.setSystemTime(t0 + 100_000);
      expect(await idle()).toBe(`${S} 317 alice bob 100 ${signon} :seconds idle, signon time`);
      // Messages reset it; other commands do not.
      bob!.send('WHOIS alice');
      await settle(bob!);
      expect(await idle()).toBe(`${S} 317 alice bob 100 ${signon} :seconds idle, signon time`);
      bob!.send('PRIVMSG alice :hi');
      await settle(bob!);
      vi.setSystemTime(t0 + 105_000);
      expect(await idle()).toBe(`${S} 317 alice bob 5 ${signon} :seconds idle, signon time`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 401 then 318 for an unknown nick', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'WHOIS nobody')).toEqual([
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 318 alice nobody :End of /WHOIS list`,
    ]);
  });

  it('answers for several nicks in order, each ending with its 318', async () => {
    await start();
    const [alice] = await users('alice', 'bob', 'carol');
    const lines = await run(alice!, 'WHOIS bob,nobody,carol');
    expect(lines.map(code)).toEqual(['311', '312', '317', '318', '401', '318', '311', '312', '317', '318']);
    expect(lines.filter((l) => code(l) === '318')).toEqual([
      `${S} 318 alice bob :End of /WHOIS list`,
      `${S} 318 alice nobody :End of /WHOIS list`,
      `${S} 318 alice carol :End of /WHOIS list`,
    ]);
  });

  it('accepts `WHOIS server nick` and `WHOIS nick nick`, and answers 402 for another server', async () => {
    await start();
    const [alice] = await users('alice', 'bob');
    const plain = (await run(alice!, 'WHOIS bob')).map(code);
    expect((await run(alice!, 'WHOIS obrol.local bob')).map(code)).toEqual(plain);
    expect((await run(alice!, 'WHOIS OBROL.LOCAL bob')).map(code)).toEqual(plain);
    expect((await run(alice!, 'WHOIS bob bob')).map(code)).toEqual(plain);
    expect(await run(alice!, 'WHOIS irc.example.org bob')).toEqual([`${S} 402 alice irc.example.org :No such server`]);
  });

  it('answers 461 without a parameter and 431 for an empty one', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'WHOIS')).toEqual([`${S} 461 alice WHOIS :Not enough parameters`]);
    expect(await run(alice!, 'WHOIS :')).toEqual([`${S} 431 alice :No nickname given`]);
  });
});

describe('WHO', () => {
  it('lists a channel with H/G and @/+ flags, ending with the mask as typed', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    alice!.send('MODE #chan +v bob');
    bob!.send('AWAY :brb');
    await settle(alice!, bob!, carol!);
    expect(await run(carol!, 'WHO #CHAN')).toEqual([
      `${S} 352 carol #chan alice 127.0.0.1 obrol.local alice H@ :0 alice Test`,
      `${S} 352 carol #chan bob 127.0.0.1 obrol.local bob G+ :0 bob Test`,
      `${S} 352 carol #chan carol 127.0.0.1 obrol.local carol H :0 carol Test`,
      `${S} 315 carol #CHAN :End of WHO list`,
    ]);
  });

  it('marks operators with *', async () => {
    await start(operConfig);
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    await oper(alice!);
    bob!.send('AWAY :away');
    await oper(bob!);
    expect(await run(bob!, 'WHO #chan')).toEqual([
      `${S} 352 bob #chan alice 127.0.0.1 obrol.local alice H*@ :0 alice Test`,
      `${S} 352 bob #chan bob 127.0.0.1 obrol.local bob G* :0 bob Test`,
      `${S} 315 bob #chan :End of WHO list`,
    ]);
  });

  it('answers only 315 for an unknown channel', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'WHO #nowhere')).toEqual([`${S} 315 alice #nowhere :End of WHO list`]);
  });

  it('finds one nick, showing a channel they are in, or * when none', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    expect(await run(alice!, 'WHO BOB')).toEqual([
      `${S} 352 alice * bob 127.0.0.1 obrol.local bob H :0 bob Test`,
      `${S} 315 alice BOB :End of WHO list`,
    ]);
    await joinAll('#chan', bob!);
    expect(await run(alice!, 'WHO bob')).toEqual([
      `${S} 352 alice #chan bob 127.0.0.1 obrol.local bob H@ :0 bob Test`,
      `${S} 315 alice bob :End of WHO list`,
    ]);
    expect(await run(alice!, 'WHO nobody')).toEqual([`${S} 315 alice nobody :End of WHO list`]);
  });

  it('matches masks with wildcards against nick, user, host and real name', async () => {
    await start();
    const alice = await connect('alice');
    await connect('bob');
    await connect('bert', { realname: 'Herbert' });
    await connect('carol', { user: 'bobcat' });
    const b = await run(alice, 'WHO b*');
    expect(b).toEqual([
      `${S} 352 alice * bob 127.0.0.1 obrol.local bob H :0 bob Test`,
      `${S} 352 alice * bert 127.0.0.1 obrol.local bert H :0 Herbert`,
      `${S} 352 alice * bobcat 127.0.0.1 obrol.local carol H :0 carol Test`,
      `${S} 315 alice b* :End of WHO list`,
    ]);
    expect((await run(alice, 'WHO ?ert')).map(code)).toEqual(['352', '315']);
    expect((await run(alice, 'WHO *herb*')).map(code)).toEqual(['352', '315']);
    expect((await run(alice, 'WHO *')).map(code)).toEqual(['352', '352', '352', '352', '315']);
    expect((await run(alice, 'WHO zz*')).map(code)).toEqual(['315']);
  });

  it('lists only operators with the o flag', async () => {
    await start(operConfig);
    const [alice, bob] = await users('alice', 'bob', 'carol');
    await oper(bob!);
    expect(await run(alice!, 'WHO * o')).toEqual([
      `${S} 352 alice * bob 127.0.0.1 obrol.local bob H* :0 bob Test`,
      `${S} 315 alice * :End of WHO list`,
    ]);
    expect(await run(alice!, 'WHO 0 o')).toEqual([
      `${S} 352 alice * bob 127.0.0.1 obrol.local bob H* :0 bob Test`,
      `${S} 315 alice * :End of WHO list`,
    ]);
    expect(await run(alice!, 'WHO carol o')).toEqual([`${S} 315 alice carol :End of WHO list`]);
  });

  it('hides invisible users from strangers, except by exact nick', async () => {
    await start();
    const [alice, evan, carol] = await users('alice', 'evan', 'carol');
    evan!.send('MODE evan +i');
    await joinAll('#chan', carol!, evan!);
    expect(await run(alice!, 'WHO eva*')).toEqual([`${S} 315 alice eva* :End of WHO list`]);
    expect((await run(alice!, 'WHO evan')).map(code)).toEqual(['352', '315']);
    expect(await run(alice!, 'WHO #chan')).toEqual([
      `${S} 352 alice #chan carol 127.0.0.1 obrol.local carol H@ :0 carol Test`,
      `${S} 315 alice #chan :End of WHO list`,
    ]);
    // Sharing a channel makes them visible.
    await joinAll('#chan', alice!);
    expect(await run(alice!, 'WHO eva*')).toEqual([
      `${S} 352 alice #chan evan 127.0.0.1 obrol.local evan H :0 evan Test`,
      `${S} 315 alice eva* :End of WHO list`,
    ]);
    expect((await run(alice!, 'WHO #chan')).map(code)).toEqual(['352', '352', '352', '315']);
  });
});

describe('WHOWAS', () => {
  it('remembers a user who quit (314, 312, 369)', async () => {
    await start();
    const alice = await connect('alice');
    const bob = await connect('bob', { user: 'bobby', realname: 'Bob the Builder' });
    await bob.quit('bye');
    const lines = await run(alice, 'WHOWAS bob');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${S} 314 alice bob bobby 127.0.0.1 * :Bob the Builder`);
    expect(lines[1]).toMatch(/^:obrol\.local 312 alice bob obrol\.local :\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(lines[2]).toBe(`${S} 369 alice bob :End of WHOWAS`);
  });

  it('remembers the old nick after a nick change', async () => {
    await start();
    const [alice, carol] = await users('alice', 'carol');
    carol!.send('NICK carla');
    await settle(carol!);
    const lines = await run(alice!, 'WHOWAS CAROL');
    expect(lines.map(code)).toEqual(['314', '312', '369']);
    expect(lines[0]).toBe(`${S} 314 alice carol carol 127.0.0.1 * :carol Test`);
    expect(lines[2]).toBe(`${S} 369 alice CAROL :End of WHOWAS`);
    expect(await run(alice!, 'WHOWAS carla')).toEqual([
      `${S} 406 alice carla :There was no such nickname`,
      `${S} 369 alice carla :End of WHOWAS`,
    ]);
  });

  it('lists the newest first, and honours the count (0 or negative: all)', async () => {
    await start();
    const alice = await connect('alice');
    await (await connect('nick2', { user: 'ident2' })).quit();
    await (await connect('nick2', { user: 'ident3' })).quit();
    const third = `${S} 314 alice nick2 ident3 127.0.0.1 * :nick2 Test`;
    const second = `${S} 314 alice nick2 ident2 127.0.0.1 * :nick2 Test`;
    for (const command of ['WHOWAS nick2', 'WHOWAS nick2 2', 'WHOWAS nick2 0', 'WHOWAS nick2 -1', 'WHOWAS nick2 10']) {
      const lines = await run(alice, command);
      expect(lines.map(code), command).toEqual(['314', '312', '314', '312', '369']);
      expect([lines[0], lines[2]], command).toEqual([third, second]);
    }
    const one = await run(alice, 'WHOWAS nick2 1');
    expect(one.map(code)).toEqual(['314', '312', '369']);
    expect(one[0]).toBe(third);
  });

  it('answers 406 and 369 for a nick never seen, per nick of a list', async () => {
    await start();
    const alice = await connect('alice');
    await (await connect('bob')).quit();
    const lines = await run(alice, 'WHOWAS nobody,bob');
    expect(lines.map(code)).toEqual(['406', '369', '314', '312', '369']);
    expect(lines.slice(0, 2)).toEqual([`${S} 406 alice nobody :There was no such nickname`, `${S} 369 alice nobody :End of WHOWAS`]);
  });

  it('answers 461 without a nick', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'WHOWAS')).toEqual([`${S} 461 alice WHOWAS :Not enough parameters`]);
  });
});

describe('AWAY', () => {
  it('sets (306) and unsets (305) the away state, shown as G in WHO', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    expect(await run(alice!, "AWAY :I'm not here right now")).toEqual([`${S} 306 alice :You have been marked as being away`]);
    expect(await run(bob!, 'WHO alice')).toEqual([
      `${S} 352 bob * alice 127.0.0.1 obrol.local alice G :0 alice Test`,
      `${S} 315 bob alice :End of WHO list`,
    ]);
    expect(await run(bob!, 'PRIVMSG alice :hi')).toEqual([`${S} 301 bob alice :I'm not here right now`]);
    await settle(alice!);
    expect(await run(alice!, 'AWAY')).toEqual([`${S} 305 alice :You are no longer marked as being away`]);
    expect((await run(bob!, 'WHO alice'))[0]).toBe(`${S} 352 bob * alice 127.0.0.1 obrol.local alice H :0 alice Test`);
    expect(await run(bob!, 'PRIVMSG alice :hi')).toEqual([]);
  });

  it('treats an empty message as coming back', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await run(alice!, 'AWAY :gone');
    expect(await run(alice!, 'AWAY :')).toEqual([`${S} 305 alice :You are no longer marked as being away`]);
    expect((await run(bob!, 'WHOIS alice')).map(code)).toEqual(['311', '312', '317', '318']);
  });

  it('cuts the message at limits.away_length', async () => {
    await start({ limits: { away_length: 5 } });
    const [alice, bob] = await users('alice', 'bob');
    await run(alice!, 'AWAY :abcdefghij');
    expect(await run(bob!, 'PRIVMSG alice :x')).toEqual([`${S} 301 bob alice :abcde`]);
  });
});

describe('ISON', () => {
  it('lists the online nicks, in the form they are registered', async () => {
    await start();
    const [alice] = await users('alice', 'Bob', 'carol');
    expect(await run(alice!, 'ISON Bob carol nobody')).toEqual([`${S} 303 alice :Bob carol`]);
    expect(await run(alice!, 'ISON :bob CAROL nobody')).toEqual([`${S} 303 alice :Bob carol`]);
    expect(await run(alice!, 'ISON nobody bob :carol alice')).toEqual([`${S} 303 alice :Bob carol alice`]);
    expect(await run(alice!, 'ISON nobody')).toEqual([`${S} 303 alice :`]);
  });

  it('answers 461 without a parameter', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'ISON')).toEqual([`${S} 461 alice ISON :Not enough parameters`]);
  });
});

describe('USERHOST', () => {
  it('answers nick=+user@host for each known nick, - when away, * for operators', async () => {
    await start(operConfig);
    const alice = await connect('alice');
    const bob = await connect('bob', { user: 'bobby' });
    const carol = await connect('carol');
    expect(await run(alice, 'USERHOST bob nobody carol')).toEqual([`${S} 302 alice :bob=+bobby@127.0.0.1 carol=+carol@127.0.0.1`]);
    bob.send('AWAY :later');
    await oper(carol);
    await settle(bob);
    expect(await run(alice, 'USERHOST bob carol')).toEqual([`${S} 302 alice :bob=-bobby@127.0.0.1 carol*=+carol@127.0.0.1`]);
    expect(await run(alice, 'USERHOST nobody')).toEqual([`${S} 302 alice :`]);
  });

  it('answers for at most five nicks', async () => {
    await start();
    const [alice] = await users('alice', 'bob');
    expect(await run(alice!, 'USERHOST n1 n2 n3 n4 alice bob')).toEqual([`${S} 302 alice :alice=+alice@127.0.0.1`]);
    expect(await run(alice!, 'USERHOST n1 n2 n3 n4 n5 bob')).toEqual([`${S} 302 alice :`]);
  });
});
