/**
 * Channel membership and channel information over real sockets: JOIN, PART,
 * TOPIC, NAMES, LIST, KICK, INVITE, with their success and error replies.
 * https://modern.ircdocs.horse/#channel-operations
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const S = ':obrol.local';

let srv: TestServer | null = null;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  if (srv) await srv.stop();
  srv = null;
});

async function start(config?: ConfigInput): Promise<void> {
  srv = await startServer(config ? { config } : {});
}

async function connect(nick: string): Promise<TestClient> {
  if (!srv) throw new Error('start() first');
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

async function users(...nicks: string[]): Promise<TestClient[]> {
  const out: TestClient[] = [];
  for (const nick of nicks) out.push(await connect(nick));
  return out;
}

/** nick!user@host as the server shows it (TestClient's username is the lower-cased nick). */
function mask(nick: string): string {
  return `${nick}!${nick.toLowerCase()}@127.0.0.1`;
}

/** Join each client to `channel` in turn (the first creates it), then drain everyone. */
async function joinAll(channel: string, ...members: TestClient[]): Promise<void> {
  for (const c of members) {
    c.send(`JOIN ${channel}`);
    await c.expect(new RegExp(` 366 ${c.nick} ${escape(channel)} `));
  }
  await settle(...members);
}

/** Consume everything each client has been sent so far. */
async function settle(...cs: TestClient[]): Promise<void> {
  for (const c of cs) await c.sync();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A unix time in a line's last parameter, within a few seconds of now. */
function expectRecentTime(value: string | undefined): void {
  expect(value).toMatch(/^\d+$/);
  expect(Math.abs(Number(value) - nowSeconds())).toBeLessThanOrEqual(5);
}

describe('JOIN', () => {
  it('creates the channel and makes its creator an operator', async () => {
    await start();
    const [alice] = await users('alice');
    alice!.send('JOIN #chan');
    expect(await alice!.sync()).toEqual([
      `:${mask('alice')} JOIN :#chan`,
      `${S} 353 alice = #chan :@alice`,
      `${S} 366 alice #chan :End of /NAMES list`,
    ]);
  });

  it('sends the JOIN to every member and the NAMES to the joiner, keeping the name as created', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#Chan', alice!, bob!);
    carol!.send('JOIN #CHAN');
    expect(await carol!.sync()).toEqual([
      `:${mask('carol')} JOIN :#Chan`,
      `${S} 353 carol = #Chan :@alice bob carol`,
      `${S} 366 carol #Chan :End of /NAMES list`,
    ]);
    expect(await alice!.sync()).toEqual([`:${mask('carol')} JOIN :#Chan`]);
    expect(await bob!.sync()).toEqual([`:${mask('carol')} JOIN :#Chan`]);
  });

  it('gives a joiner the topic (332, 333) before the names, and no 331 when there is none', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('TOPIC #chan :the topic of the day');
    await settle(alice!);
    bob!.send('JOIN #chan');
    const lines = await bob!.sync();
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`:${mask('bob')} JOIN :#chan`);
    expect(lines[1]).toBe(`${S} 332 bob #chan :the topic of the day`);
    const whoTime = /^:obrol\.local 333 bob #chan alice!alice@127\.0\.0\.1 :(\d+)$/.exec(lines[2] as string);
    expect(whoTime, lines[2]).not.toBeNull();
    expectRecentTime(whoTime?.[1]);
    expect(lines.slice(3)).toEqual([`${S} 353 bob = #chan :@alice bob`, `${S} 366 bob #chan :End of /NAMES list`]);
  });

  it('joins several channels at once, matching keys to channels in order', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#a', alice!);
    await joinAll('#b', alice!);
    await joinAll('#c', alice!);
    alice!.send('MODE #a +k keya');
    alice!.send('MODE #b +k keyb');
    await settle(alice!);

    bob!.send('JOIN #a,#b,#c keya,keyb');
    expect(await bob!.sync()).toEqual([
      `:${mask('bob')} JOIN :#a`,
      `${S} 353 bob = #a :@alice bob`,
      `${S} 366 bob #a :End of /NAMES list`,
      `:${mask('bob')} JOIN :#b`,
      `${S} 353 bob = #b :@alice bob`,
      `${S} 366 bob #b :End of /NAMES list`,
      `:${mask('bob')} JOIN :#c`,
      `${S} 353 bob = #c :@alice bob`,
      `${S} 366 bob #c :End of /NAMES list`,
    ]);
  });

  it('refuses only the channel whose key is wrong in a multi-join', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#a', alice!);
    await joinAll('#b', alice!);
    alice!.send('MODE #a +k keya');
    alice!.send('MODE #b +k keyb');
    await settle(alice!);

    bob!.send('JOIN #a,#b keya,wrong');
    expect(await bob!.sync()).toEqual([
      `:${mask('bob')} JOIN :#a`,
      `${S} 353 bob = #a :@alice bob`,
      `${S} 366 bob #a :End of /NAMES list`,
      `${S} 475 bob #b :Cannot join channel (+k)`,
    ]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} JOIN :#a`]);
  });

  it('JOIN 0 parts every channel, each PART seen by that channel only', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#a', alice!, bob!);
    await joinAll('#b', alice!, carol!);
    alice!.send('JOIN 0');
    expect(await alice!.sync()).toEqual([`:${mask('alice')} PART :#a`, `:${mask('alice')} PART :#b`]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} PART :#a`]);
    expect(await carol!.sync()).toEqual([`:${mask('alice')} PART :#b`]);
    alice!.send('NAMES #a,#b');
    expect(await alice!.sync()).toEqual([
      `${S} 353 alice = #a :bob`,
      `${S} 353 alice = #b :carol`,
      `${S} 366 alice #a,#b :End of /NAMES list`,
    ]);
  });

  it('answers 403 for invalid channel names and still joins the valid ones', async () => {
    await start();
    const [alice] = await users('alice');
    alice!.send('JOIN foo');
    alice!.send('JOIN #');
    alice!.send(`JOIN #${'x'.repeat(64)}`);
    alice!.send('JOIN #ok,bad');
    expect(await alice!.sync()).toEqual([
      `${S} 403 alice foo :No such channel`,
      `${S} 403 alice # :No such channel`,
      `${S} 403 alice #${'x'.repeat(64)} :No such channel`,
      `:${mask('alice')} JOIN :#ok`,
      `${S} 353 alice = #ok :@alice`,
      `${S} 366 alice #ok :End of /NAMES list`,
      `${S} 403 alice bad :No such channel`,
    ]);
  });

  it('ignores a JOIN to a channel the user is already in', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    bob!.send('JOIN #chan');
    bob!.send('JOIN #CHAN');
    expect(await bob!.sync()).toEqual([]);
    expect(await alice!.sync()).toEqual([]);
  });

  it('refuses channels past limits.channels_per_user with 405', async () => {
    await start({ limits: { channels_per_user: 2 } });
    const [alice] = await users('alice');
    alice!.send('JOIN #a,#b,#c');
    const lines = await alice!.sync();
    expect(lines.filter((l) => / JOIN /.test(l))).toEqual([`:${mask('alice')} JOIN :#a`, `:${mask('alice')} JOIN :#b`]);
    expect(lines.at(-1)).toBe(`${S} 405 alice #c :You have joined too many channels`);
    // Leaving one makes room again.
    alice!.send('PART #a');
    alice!.send('JOIN #c');
    expect((await alice!.sync()).filter((l) => / (JOIN|405) /.test(l))).toEqual([`:${mask('alice')} JOIN :#c`]);
  });

  it('needs the key of a +k channel (475)', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +k sesame');
    await settle(alice!);
    bob!.send('JOIN #chan');
    bob!.send('JOIN #chan wrong');
    expect(await bob!.sync()).toEqual([
      `${S} 475 bob #chan :Cannot join channel (+k)`,
      `${S} 475 bob #chan :Cannot join channel (+k)`,
    ]);
    expect(await alice!.sync()).toEqual([]);
    bob!.send('JOIN #chan sesame');
    expect((await bob!.sync())[0]).toBe(`:${mask('bob')} JOIN :#chan`);
  });

  it('refuses +i channels (473) until the user is invited, and the invite is used up by joining', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +i');
    await settle(alice!);
    bob!.send('JOIN #chan');
    expect(await bob!.sync()).toEqual([`${S} 473 bob #chan :Cannot join channel (+i)`]);

    alice!.send('INVITE bob #chan');
    await settle(alice!);
    bob!.send('JOIN #chan');
    expect((await bob!.sync())[1]).toBe(`:${mask('bob')} JOIN :#chan`); // after the INVITE line
    bob!.send('PART #chan');
    bob!.send('JOIN #chan');
    expect(await bob!.sync()).toEqual([`:${mask('bob')} PART :#chan`, `${S} 473 bob #chan :Cannot join channel (+i)`]);
  });

  it('refuses a full +l channel (471)', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +l 2');
    await settle(alice!);
    await joinAll('#chan', bob!);
    carol!.send('JOIN #chan');
    expect(await carol!.sync()).toEqual([`${S} 471 carol #chan :Cannot join channel (+l)`]);
    bob!.send('PART #chan');
    await settle(bob!);
    carol!.send('JOIN #chan');
    expect((await carol!.sync())[0]).toBe(`:${mask('carol')} JOIN :#chan`);
  });

  it('refuses banned users (474), matching wildcard masks case-insensitively', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +b B?B!*@127.0.0.*');
    await settle(alice!);
    bob!.send('JOIN #chan');
    expect(await bob!.sync()).toEqual([`${S} 474 bob #chan :Cannot join channel (+b)`]);
    carol!.send('JOIN #chan');
    expect((await carol!.sync())[0]).toBe(`:${mask('carol')} JOIN :#chan`);

    alice!.send('MODE #chan +b *!carol@*');
    alice!.send('PART #chan');
    await settle(alice!);
    // Carol stays a member; a ban only bars joining. Alice is not banned.
    alice!.send('JOIN #chan');
    expect((await alice!.sync())[0]).toBe(`:${mask('alice')} JOIN :#chan`);
  });

  it('lets a ban exception (+e) through a matching ban', async () => {
    await start();
    const [alice, bob, bert] = await users('alice', 'bob', 'bert');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +b b*!*@*');
    alice!.send('MODE #chan +e *!bob@*');
    await settle(alice!);
    bert!.send('JOIN #chan');
    expect(await bert!.sync()).toEqual([`${S} 474 bert #chan :Cannot join channel (+b)`]);
    bob!.send('JOIN #chan');
    expect((await bob!.sync())[0]).toBe(`:${mask('bob')} JOIN :#chan`);
  });

  it('lets invite exceptions (+I) into a +i channel', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +i');
    alice!.send('MODE #chan +I bob!*@*');
    await settle(alice!);
    carol!.send('JOIN #chan');
    expect(await carol!.sync()).toEqual([`${S} 473 carol #chan :Cannot join channel (+i)`]);
    bob!.send('JOIN #chan');
    expect((await bob!.sync())[0]).toBe(`:${mask('bob')} JOIN :#chan`);
  });
});

describe('PART', () => {
  it('sends the PART with its reason to every member, and the parter is no longer one', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    bob!.send('PART #chan :see you later');
    const line = `:${mask('bob')} PART #chan :see you later`;
    expect(await bob!.sync()).toEqual([line]);
    expect(await alice!.sync()).toEqual([line]);
    expect(await carol!.sync()).toEqual([line]);

    alice!.send('PRIVMSG #chan :still here?');
    await settle(alice!);
    expect(await bob!.sync()).toEqual([]);
    expect(await carol!.sync()).toEqual([`:${mask('alice')} PRIVMSG #chan :still here?`]);
    alice!.send('NAMES #chan');
    expect(await alice!.sync()).toEqual([`${S} 353 alice = #chan :@alice carol`, `${S} 366 alice #chan :End of /NAMES list`]);
  });

  it('sends a PART without a reason when none is given, for each channel of a list', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#a', alice!, bob!);
    await joinAll('#b', alice!, bob!);
    bob!.send('PART #a,#B');
    expect(await bob!.sync()).toEqual([`:${mask('bob')} PART :#a`, `:${mask('bob')} PART :#b`]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} PART :#a`, `:${mask('bob')} PART :#b`]);
  });

  it('answers 403 for an unknown channel and 442 for a channel the user is not in', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    bob!.send('PART #nowhere');
    bob!.send('PART #chan');
    expect(await bob!.sync()).toEqual([
      `${S} 403 bob #nowhere :No such channel`,
      `${S} 442 bob #chan :You're not on that channel`,
    ]);
    expect(await alice!.sync()).toEqual([]);
  });

  it('makes a channel disappear when its last member leaves', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('PART #chan');
    await settle(alice!);
    bob!.send('JOIN #chan');
    // Bob creates it afresh and is its operator.
    expect(await bob!.sync()).toEqual([
      `:${mask('bob')} JOIN :#chan`,
      `${S} 353 bob = #chan :@bob`,
      `${S} 366 bob #chan :End of /NAMES list`,
    ]);
  });
});

describe('TOPIC', () => {
  it('answers 331 when no topic is set', async () => {
    await start();
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    alice!.send('TOPIC #chan');
    expect(await alice!.sync()).toEqual([`${S} 331 alice #chan :No topic is set`]);
  });

  it('sets the topic for every member and reports it with 332 and 333', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    alice!.send('TOPIC #chan :Welcome to the channel');
    const line = `:${mask('alice')} TOPIC #chan :Welcome to the channel`;
    expect(await alice!.sync()).toEqual([line]);
    expect(await bob!.sync()).toEqual([line]);

    // Anyone may read the topic of a public channel, member or not.
    for (const c of [bob!, carol!]) {
      c.send('TOPIC #CHAN');
      const lines = await c.sync();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(`${S} 332 ${c.nick} #chan :Welcome to the channel`);
      const m = new RegExp(`^:obrol\\.local 333 ${c.nick} #chan alice!alice@127\\.0\\.0\\.1 :(\\d+)$`).exec(lines[1] as string);
      expect(m, lines[1]).not.toBeNull();
      expectRecentTime(m?.[1]);
    }
  });

  it('refuses non-operators on a +t channel (482) and allows them on -t', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    bob!.send('TOPIC #chan :my topic');
    expect(await bob!.sync()).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await alice!.sync()).toEqual([]);

    alice!.send('MODE #chan -t');
    await settle(alice!, bob!);
    bob!.send('TOPIC #chan :my topic');
    expect(await bob!.sync()).toEqual([`:${mask('bob')} TOPIC #chan :my topic`]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} TOPIC #chan :my topic`]);
  });

  it('refuses a voiced user on a +t channel too', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +v bob');
    await settle(alice!, bob!);
    bob!.send('TOPIC #chan :voice is not enough');
    expect(await bob!.sync()).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
  });

  it('clears the topic with `TOPIC #c :`', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    alice!.send('TOPIC #chan :something');
    await settle(alice!, bob!);
    alice!.send('TOPIC #chan :');
    expect(await alice!.sync()).toEqual([`:${mask('alice')} TOPIC #chan :`]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} TOPIC #chan :`]);
    alice!.send('TOPIC #chan');
    expect(await alice!.sync()).toEqual([`${S} 331 alice #chan :No topic is set`]);
    // A later joiner gets no topic numerics at all.
    carol!.send('JOIN #chan');
    expect(await carol!.sync()).toEqual([
      `:${mask('carol')} JOIN :#chan`,
      `${S} 353 carol = #chan :@alice bob carol`,
      `${S} 366 carol #chan :End of /NAMES list`,
    ]);
  });

  it('cuts a topic at limits.topic_length bytes', async () => {
    await start({ limits: { topic_length: 10 } });
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    alice!.send('TOPIC #chan :0123456789abcdef');
    expect(await alice!.sync()).toEqual([`:${mask('alice')} TOPIC #chan :0123456789`]);
    alice!.send('TOPIC #chan');
    expect((await alice!.sync())[0]).toBe(`${S} 332 alice #chan :0123456789`);
    // Never in the middle of a UTF-8 character: 'é' is two bytes.
    alice!.send('TOPIC #chan :éééééé');
    expect(await alice!.sync()).toEqual([`:${mask('alice')} TOPIC #chan :ééééé`]);
  });

  it('answers 442 to a non-member setting the topic and 403 for an unknown channel', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan -t');
    await settle(alice!);
    bob!.send('TOPIC #chan :from outside');
    bob!.send('TOPIC #nowhere');
    bob!.send('TOPIC #nowhere :hello');
    expect(await bob!.sync()).toEqual([
      `${S} 442 bob #chan :You're not on that channel`,
      `${S} 403 bob #nowhere :No such channel`,
      `${S} 403 bob #nowhere :No such channel`,
    ]);
    expect(await alice!.sync()).toEqual([]);
  });

  it('hides the topic of a secret channel from non-members (403)', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +s');
    alice!.send('TOPIC #chan :hidden');
    await settle(alice!);
    bob!.send('TOPIC #chan');
    expect(await bob!.sync()).toEqual([`${S} 403 bob #chan :No such channel`]);
  });
});

describe('NAMES', () => {
  it('lists the members of one channel with their prefixes', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    alice!.send('MODE #chan +v carol');
    await settle(alice!, bob!);
    bob!.send('NAMES #chan');
    expect(await bob!.sync()).toEqual([`${S} 353 bob = #chan :@alice bob +carol`, `${S} 366 bob #chan :End of /NAMES list`]);
  });

  it('lists several channels with one 366 naming the whole list', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#a', alice!, bob!);
    await joinAll('#b', bob!);
    alice!.send('NAMES #a,#b,#none');
    expect(await alice!.sync()).toEqual([
      `${S} 353 alice = #a :@alice bob`,
      `${S} 353 alice = #b :@bob`,
      `${S} 366 alice #a,#b,#none :End of /NAMES list`,
    ]);
  });

  it('answers only 366 for an unknown channel or an invalid name', async () => {
    await start();
    const [alice] = await users('alice');
    alice!.send('NAMES #none');
    alice!.send('NAMES invalid');
    expect(await alice!.sync()).toEqual([`${S} 366 alice #none :End of /NAMES list`, `${S} 366 alice invalid :End of /NAMES list`]);
  });

  it('hides invisible users from non-members only', async () => {
    await start();
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    carol!.send('MODE carol +i');
    await settle(carol!);
    await joinAll('#chan', alice!, bob!, carol!);
    dave!.send('NAMES #chan');
    expect(await dave!.sync()).toEqual([`${S} 353 dave = #chan :@alice bob`, `${S} 366 dave #chan :End of /NAMES list`]);
    bob!.send('NAMES #chan');
    expect(await bob!.sync()).toEqual([`${S} 353 bob = #chan :@alice bob carol`, `${S} 366 bob #chan :End of /NAMES list`]);
  });

  it('marks secret channels with @ and hides them from non-members', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +s');
    await settle(alice!);
    alice!.send('NAMES #chan');
    expect(await alice!.sync()).toEqual([`${S} 353 alice @ #chan :@alice`, `${S} 366 alice #chan :End of /NAMES list`]);
    bob!.send('NAMES #chan');
    expect(await bob!.sync()).toEqual([`${S} 366 bob #chan :End of /NAMES list`]);
    // A joiner's own NAMES uses the secret symbol too.
    bob!.send('JOIN #chan');
    expect((await bob!.sync())[1]).toBe(`${S} 353 bob @ #chan :@alice bob`);
  });
});

describe('LIST', () => {
  /** The 322 lines of a LIST, after checking it is framed by 321 and 323. */
  async function list(c: TestClient, args = ''): Promise<string[]> {
    c.send(args ? `LIST ${args}` : 'LIST');
    const lines = await c.sync();
    expect(lines[0]).toBe(`${S} 321 ${c.nick} Channel :Users  Name`);
    expect(lines.at(-1)).toBe(`${S} 323 ${c.nick} :End of /LIST`);
    return lines.slice(1, -1);
  }

  it('lists every channel with its visible member count and topic', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#one', alice!);
    await joinAll('#two', alice!, bob!);
    alice!.send('TOPIC #two :second channel');
    await settle(alice!, bob!);
    expect(await list(bob!)).toEqual([`${S} 322 bob #one 1 :`, `${S} 322 bob #two 2 :second channel`]);
  });

  it('answers 321 and 323 alone when there is nothing to list', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await list(alice!)).toEqual([]);
    expect(await list(alice!, '#nowhere')).toEqual([]);
  });

  it('lists channels by name', async () => {
    await start();
    const [alice] = await users('alice');
    for (const name of ['#one', '#two', '#three']) await joinAll(name, alice!);
    expect(await list(alice!, '#two')).toEqual([`${S} 322 alice #two 1 :`]);
    expect(await list(alice!, '#THREE,#one')).toEqual([`${S} 322 alice #one 1 :`, `${S} 322 alice #three 1 :`]);
  });

  it('filters by user count (>n, <n, strict) and by masks (mask, !mask)', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan1', alice!);
    await joinAll('#chan2', alice!, bob!);
    const one = `${S} 322 alice #chan1 1 :`;
    const two = `${S} 322 alice #chan2 2 :`;
    expect(await list(alice!, '>0')).toEqual([one, two]);
    expect(await list(alice!, '>1')).toEqual([two]);
    expect(await list(alice!, '<2')).toEqual([one]);
    expect(await list(alice!, '<1')).toEqual([]);
    expect(await list(alice!, '<100')).toEqual([one, two]);
    expect(await list(alice!, '*an1')).toEqual([one]);
    expect(await list(alice!, '#c*n2')).toEqual([two]);
    expect(await list(alice!, '#ch*')).toEqual([one, two]);
    expect(await list(alice!, '*an3')).toEqual([]);
    expect(await list(alice!, '!*an1')).toEqual([two]);
    expect(await list(alice!, '!#ch*')).toEqual([]);
    // Masks are alternatives; counts must all hold.
    expect(await list(alice!, '*an1,*an2,>1')).toEqual([two]);
  });

  it('hides secret channels and invisible users from non-members', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    bob!.send('MODE bob +i');
    await settle(bob!);
    await joinAll('#public', alice!, bob!);
    await joinAll('#secret', alice!);
    alice!.send('MODE #secret +s');
    await settle(alice!);
    expect(await list(carol!)).toEqual([`${S} 322 carol #public 1 :`]);
    expect(await list(carol!, '#secret')).toEqual([]);
    expect(await list(alice!)).toEqual([`${S} 322 alice #public 2 :`, `${S} 322 alice #secret 1 :`]);
  });
});

describe('KICK', () => {
  it('removes the target and tells every member, the target included', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    alice!.send('KICK #chan bob :behave yourself');
    const line = `:${mask('alice')} KICK #chan bob :behave yourself`;
    expect(await alice!.sync()).toEqual([line]);
    expect(await bob!.sync()).toEqual([line]);
    expect(await carol!.sync()).toEqual([line]);

    alice!.send('NAMES #chan');
    expect(await alice!.sync()).toEqual([`${S} 353 alice = #chan :@alice carol`, `${S} 366 alice #chan :End of /NAMES list`]);
    bob!.send('PRIVMSG #chan :let me back');
    expect(await bob!.sync()).toEqual([`${S} 404 bob #chan :Cannot send to channel (no external messages, +n)`]);
  });

  it("uses the kicker's nick as the default reason", async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('KICK #chan BOB');
    expect(await bob!.sync()).toEqual([`:${mask('alice')} KICK #chan bob :alice`]);
  });

  it('cuts the reason at limits.kick_length bytes', async () => {
    await start({ limits: { kick_length: 8 } });
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('KICK #chan bob :a very long reason indeed');
    expect(await bob!.sync()).toEqual([`:${mask('alice')} KICK #chan bob :a very l`]);
  });

  it('kicks several nicks from one channel, one line each', async () => {
    await start();
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    await joinAll('#chan', alice!, bob!, carol!, dave!);
    alice!.send('KICK #chan bob,carol :out');
    const lines = [`:${mask('alice')} KICK #chan bob :out`, `:${mask('alice')} KICK #chan carol :out`];
    expect(await alice!.sync()).toEqual(lines);
    expect(await dave!.sync()).toEqual(lines);
    // Bob was already gone when carol was kicked; carol saw both.
    expect(await bob!.sync()).toEqual([lines[0]]);
    expect(await carol!.sync()).toEqual(lines);
  });

  it('lets an operator kick another operator', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +o bob');
    await settle(alice!, bob!);
    bob!.send('KICK #chan alice :coup');
    expect(await alice!.sync()).toEqual([`:${mask('bob')} KICK #chan alice :coup`]);
  });

  it('answers 482 to a non-operator, 441 for a non-member target, 401 for an unknown nick, 442 to a non-member, 403 for an unknown channel', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    bob!.send('KICK #chan alice');
    expect(await bob!.sync()).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    alice!.send('KICK #chan carol');
    alice!.send('KICK #chan nobody');
    alice!.send('KICK #nowhere bob');
    expect(await alice!.sync()).toEqual([
      `${S} 441 alice carol #chan :They aren't on that channel`,
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 403 alice #nowhere :No such channel`,
    ]);
    carol!.send('KICK #chan bob');
    expect(await carol!.sync()).toEqual([`${S} 442 carol #chan :You're not on that channel`]);
    // Nobody was removed.
    alice!.send('NAMES #chan');
    expect((await alice!.sync())[0]).toBe(`${S} 353 alice = #chan :@alice bob`);
  });

  it('answers 461 without enough parameters', async () => {
    await start();
    const [alice] = await users('alice');
    alice!.send('KICK #chan');
    expect(await alice!.sync()).toEqual([`${S} 461 alice KICK :Not enough parameters`]);
  });
});

describe('INVITE', () => {
  it('sends 341 to the inviter and INVITE to the target, nothing to other members', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, carol!);
    alice!.send('INVITE BOB #CHAN');
    expect(await alice!.sync()).toEqual([`${S} 341 alice bob :#chan`]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} INVITE bob :#chan`]);
    expect(await carol!.sync()).toEqual([]);
  });

  it('lets any member invite to a channel that is not +i', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    bob!.send('INVITE carol #chan');
    expect(await bob!.sync()).toEqual([`${S} 341 bob carol :#chan`]);
    expect(await carol!.sync()).toEqual([`:${mask('bob')} INVITE carol :#chan`]);
  });

  it('answers 482 to a non-operator inviting to a +i channel', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +i');
    await settle(alice!, bob!);
    bob!.send('INVITE carol #chan');
    expect(await bob!.sync()).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await carol!.sync()).toEqual([]);
  });

  it('answers 443, 442, 401 and 403', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    alice!.send('INVITE bob #chan');
    alice!.send('INVITE nobody #chan');
    alice!.send('INVITE carol #nowhere');
    expect(await alice!.sync()).toEqual([
      `${S} 443 alice bob #chan :is already on channel`,
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 403 alice #nowhere :No such channel`,
    ]);
    carol!.send('INVITE alice #chan');
    expect(await carol!.sync()).toEqual([`${S} 442 carol #chan :You're not on that channel`]);
    expect(await bob!.sync()).toEqual([]);
  });

  it('tells the inviter when the target is away (301)', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    bob!.send('AWAY :out to lunch');
    await settle(bob!);
    alice!.send('INVITE bob #chan');
    expect(await alice!.sync()).toEqual([`${S} 341 alice bob :#chan`, `${S} 301 alice bob :out to lunch`]);
  });

  it('lists pending invites with a bare INVITE (336, 337)', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#one', alice!);
    await joinAll('#two', alice!);
    bob!.send('INVITE');
    expect(await bob!.sync()).toEqual([`${S} 337 bob :End of /INVITE list`]);
    alice!.send('INVITE bob #one');
    alice!.send('INVITE bob #two');
    await settle(alice!, bob!);
    bob!.send('INVITE');
    expect(await bob!.sync()).toEqual([`${S} 336 bob :#one`, `${S} 336 bob :#two`, `${S} 337 bob :End of /INVITE list`]);
    bob!.send('JOIN #one');
    await settle(bob!);
    bob!.send('INVITE');
    expect(await bob!.sync()).toEqual([`${S} 336 bob :#two`, `${S} 337 bob :End of /INVITE list`]);
  });

  it('answers 461 with only one parameter', async () => {
    await start();
    const [alice] = await users('alice');
    alice!.send('INVITE bob');
    expect(await alice!.sync()).toEqual([`${S} 461 alice INVITE :Not enough parameters`]);
  });
});
