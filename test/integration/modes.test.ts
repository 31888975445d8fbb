/**
 * MODE over real sockets: channel flags, member status, the ban, exception
 * and invite-exception lists, key and limit, who may change what, and user
 * modes. https://modern.ircdocs.horse/#mode-message
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

async function users(...nicks: string[]): Promise<TestClient[]> {
  if (!srv) throw new Error('start() first');
  const out: TestClient[] = [];
  for (const nick of nicks) {
    const c = await TestClient.register(srv.port, nick);
    clients.push(c);
    out.push(c);
  }
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

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Split `prefix<unix time>` into the prefix check and a recent-time check. */
function expectTimed(line: string | undefined, prefix: string): void {
  expect(line?.startsWith(prefix), `${line} should start with ${prefix}`).toBe(true);
  const time = (line as string).slice(prefix.length);
  expect(time).toMatch(/^\d+$/);
  expect(Math.abs(Number(time) - nowSeconds())).toBeLessThanOrEqual(5);
}

describe('channel MODE query', () => {
  it('answers 324 (+nt by default) and 329, and nothing else', async () => {
    await start();
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    const lines = await run(alice!, 'MODE #chan');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${S} 324 alice #chan :+nt`);
    expectTimed(lines[1], `${S} 329 alice #chan :`);
  });

  it('follows channels.default_modes', async () => {
    await start({ channels: { default_modes: '+ms' } });
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+ms`);
  });

  it('shows the key and limit to members only', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +kl sesame 10');
    await settle(alice!);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan +ntkl sesame :10`);
    expect((await run(bob!, 'MODE #CHAN'))[0]).toBe(`${S} 324 bob #chan :+ntkl`);
  });

  it('answers 403 for an unknown channel and for a secret one to a non-member', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#secret', alice!);
    alice!.send('MODE #secret +s');
    await settle(alice!);
    expect(await run(bob!, 'MODE #nowhere')).toEqual([`${S} 403 bob #nowhere :No such channel`]);
    expect(await run(bob!, 'MODE #secret')).toEqual([`${S} 403 bob #secret :No such channel`]);
  });
});

describe('channel flags', () => {
  it('sets and unsets i m n s t, announcing each change once to every member', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);

    const set = `:${mask('alice')} MODE #chan :+ims`;
    expect(await run(alice!, 'MODE #chan +imst')).toEqual([set]); // t was already set
    expect(await bob!.sync()).toEqual([set]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+imnst`);

    const unset = `:${mask('alice')} MODE #chan :-imnst`;
    expect(await run(alice!, 'MODE #chan -imnst')).toEqual([unset]);
    expect(await bob!.sync()).toEqual([unset]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+`);
  });

  it('announces nothing when nothing changes', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE #chan +nt')).toEqual([]);
    expect(await run(alice!, 'MODE #chan -im')).toEqual([]);
    expect(await bob!.sync()).toEqual([]);
  });

  it('merges mixed changes into one line', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    const line = `:${mask('alice')} MODE #chan +mv-t :bob`;
    expect(await run(alice!, 'MODE #chan +mv-t bob')).toEqual([line]);
    expect(await bob!.sync()).toEqual([line]);
  });
});

describe('member status: +o +v -o -v', () => {
  it('gives and takes operator and voice, seen by every member and in NAMES', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    const steps: Array<[string, string, string]> = [
      ['MODE #chan +o BOB', `:${mask('alice')} MODE #chan +o :bob`, '@alice @bob carol'],
      ['MODE #chan +v carol', `:${mask('alice')} MODE #chan +v :carol`, '@alice @bob +carol'],
      ['MODE #chan -o bob', `:${mask('alice')} MODE #chan -o :bob`, '@alice bob +carol'],
      ['MODE #chan -v carol', `:${mask('alice')} MODE #chan -v :carol`, '@alice bob carol'],
      ['MODE #chan +ov carol carol', `:${mask('alice')} MODE #chan +ov carol :carol`, '@alice bob @carol'],
    ];
    for (const [command, line, names] of steps) {
      expect(await run(alice!, command), command).toEqual([line]);
      expect(await bob!.sync(), command).toEqual([line]);
      expect(await carol!.sync(), command).toEqual([line]);
      expect((await run(bob!, 'NAMES #chan'))[0], command).toBe(`${S} 353 bob = #chan :${names}`);
    }
  });

  it('lets an operator take their own operator status', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE #chan -o alice')).toEqual([`:${mask('alice')} MODE #chan -o :alice`]);
    expect(await run(alice!, 'MODE #chan +o alice')).toEqual([`${S} 482 alice #chan :You're not channel operator`]);
  });

  it('answers 401 for an unknown nick and 441 for a non-member, applying the rest', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE #chan +ovo nobody carol bob')).toEqual([
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 441 alice carol #chan :They aren't on that channel`,
      `:${mask('alice')} MODE #chan +o :bob`,
    ]);
    expect(await carol!.sync()).toEqual([]);
  });
});

describe('ban, exception and invite-exception lists', () => {
  const lists = [
    { mode: 'b', entry: '367', end: '368', endText: 'End of channel ban list' },
    { mode: 'e', entry: '348', end: '349', endText: 'End of channel exception list' },
    { mode: 'I', entry: '346', end: '347', endText: 'End of channel invite exception list' },
  ];

  it.each(lists)('+$mode adds, lists with setter and time, and removes', async ({ mode, entry, end, endText }) => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, `MODE #chan +${mode}`)).toEqual([`${S} ${end} alice #chan :${endText}`]);

    const added = `:${mask('alice')} MODE #chan +${mode} :bar!*@*`;
    expect(await run(alice!, `MODE #chan +${mode} bar!*@*`)).toEqual([added]);
    expect(await bob!.sync()).toEqual([added]);
    alice!.send(`MODE #chan +${mode} *!*@example.org`);
    await settle(alice!, bob!);

    const lines = await run(alice!, `MODE #chan ${mode}`);
    expect(lines).toHaveLength(3);
    expectTimed(lines[0], `${S} ${entry} alice #chan bar!*@* ${mask('alice')} :`);
    expectTimed(lines[1], `${S} ${entry} alice #chan *!*@example.org ${mask('alice')} :`);
    expect(lines[2]).toBe(`${S} ${end} alice #chan :${endText}`);

    const removed = `:${mask('alice')} MODE #chan -${mode} :bar!*@*`;
    expect(await run(alice!, `MODE #chan -${mode} BAR!*@*`)).toEqual([removed]);
    expect(await bob!.sync()).toEqual([removed]);
    // Removing what is not there changes nothing.
    expect(await run(alice!, `MODE #chan -${mode} bar!*@*`)).toEqual([]);
    const after = await run(alice!, `MODE #chan +${mode}`);
    expect(after).toHaveLength(2);
    expectTimed(after[0], `${S} ${entry} alice #chan *!*@example.org ${mask('alice')} :`);
  });

  it('ignores duplicates, compared case-insensitively', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +b bar');
    await settle(alice!, bob!);
    expect(await run(alice!, 'MODE #chan +b bar')).toEqual([]);
    expect(await run(alice!, 'MODE #chan +b BAR!*@*')).toEqual([]);
    expect(await bob!.sync()).toEqual([]);
    expect(await run(alice!, 'MODE #chan +b')).toHaveLength(2);
  });

  it('normalises masks', async () => {
    await start();
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    const cases: Array<[string, string]> = [
      ['bar', 'bar!*@*'],
      ['bar!baz', 'bar!baz@*'],
      ['user@host', '*!user@host'],
      ['host.example.org', '*!*@host.example.org'],
      ['n!u@h', 'n!u@h'],
    ];
    for (const [given, stored] of cases) {
      expect(await run(alice!, `MODE #chan +b ${given}`), given).toEqual([`:${mask('alice')} MODE #chan +b :${stored}`]);
    }
  });

  it('sets several entries in one command', async () => {
    await start();
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    expect(await run(alice!, 'MODE #chan +beI one two three')).toEqual([`:${mask('alice')} MODE #chan +beI one!*@* two!*@* :three!*@*`]);
  });

  it('refuses entries past limits.list_entries with 478, for b, e and I together', async () => {
    await start({ limits: { list_entries: 2 } });
    const [alice] = await users('alice');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan +bb one two');
    await settle(alice!);
    const full = (mode: string) => `${S} 478 alice #chan ${mode} :Channel list is full: +b, +e and +I hold 2 entries together`;
    expect(await run(alice!, 'MODE #chan +b three')).toEqual([full('b')]);
    // A duplicate of a listed entry is not an addition: no error.
    expect(await run(alice!, 'MODE #chan +b one')).toEqual([]);
    // The exception list shares the room (MAXLIST=beI:2).
    expect(await run(alice!, 'MODE #chan +e three')).toEqual([full('e')]);
    expect(await run(alice!, 'MODE #chan +b')).toHaveLength(3);
  });

  it('lets non-operators and non-members list, but not change, the lists', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +b bar');
    await settle(alice!, bob!);
    for (const c of [bob!, carol!]) {
      const lines = await run(c, 'MODE #chan +b');
      expect(lines).toHaveLength(2);
      expectTimed(lines[0], `${S} 367 ${c.nick} #chan bar!*@* ${mask('alice')} :`);
      expect(lines[1]).toBe(`${S} 368 ${c.nick} #chan :End of channel ban list`);
    }
    expect(await run(bob!, 'MODE #chan +b baz')).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await run(bob!, 'MODE #chan -b bar')).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await alice!.sync()).toEqual([]);
  });
});

describe('key (+k)', () => {
  it('sets a valid key, announced to members', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    const line = `:${mask('alice')} MODE #chan +k :sesame`;
    expect(await run(alice!, 'MODE #chan +k sesame')).toEqual([line]);
    expect(await bob!.sync()).toEqual([line]);
    // The longest allowed key (limits.key_length = 23).
    const longest = 'k'.repeat(23);
    expect(await run(alice!, `MODE #chan +k ${longest}`)).toEqual([`:${mask('alice')} MODE #chan +k :${longest}`]);
  });

  it.each([
    ['with spaces', 'MODE #chan +k :passphrase with spaces'],
    ['too long', `MODE #chan +k ${'k'.repeat(24)}`],
    ['empty', 'MODE #chan +k :'],
    ['a space', 'MODE #chan +k : '],
    ['with a comma', 'MODE #chan +k a,b'],
  ])('refuses a key %s with 696 and a literal *', async (_what, command) => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, command)).toEqual([
      `${S} 696 alice #chan k * :Invalid key: 1 to 23 printable characters without spaces or commas`,
    ]);
    expect(await bob!.sync()).toEqual([]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+nt`);
  });

  it('removes the key with or without giving it', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    for (const command of ['MODE #chan -k sesame', 'MODE #chan -k']) {
      alice!.send('MODE #chan +k sesame');
      await settle(alice!, bob!);
      expect(await run(alice!, command), command).toEqual([`:${mask('alice')} MODE #chan -k :*`]);
      expect(await bob!.sync(), command).toEqual([`:${mask('alice')} MODE #chan -k :*`]);
      expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+nt`);
    }
    // Without a key set, nothing to announce.
    expect(await run(alice!, 'MODE #chan -k')).toEqual([]);
  });
});

describe('limit (+l)', () => {
  it('sets and removes a limit; -l takes no parameter', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE #chan +l 5')).toEqual([`:${mask('alice')} MODE #chan +l :5`]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} MODE #chan +l :5`]);
    expect(await run(alice!, 'MODE #chan +l 5')).toEqual([]);
    expect(await run(alice!, 'MODE #chan +l 3')).toEqual([`:${mask('alice')} MODE #chan +l :3`]);
    expect(await run(alice!, 'MODE #chan -l')).toEqual([`:${mask('alice')} MODE #chan :-l`]);
    expect(await run(alice!, 'MODE #chan -l')).toEqual([]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+nt`);
  });

  it.each([
    ['0', '0'],
    ['-1', '-1'],
    ['abc', 'abc'],
    ['', '*'],
  ])('refuses the limit %j with 696', async (value, shown) => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, `MODE #chan +l :${value}`)).toEqual([
      `${S} 696 alice #chan l ${shown} :Invalid limit: a positive number of users`,
    ]);
    expect(await bob!.sync()).toEqual([]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+nt`);
  });
});

describe('who may change modes', () => {
  it('answers 482 to a non-operator, once per command, changing nothing', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(bob!, 'MODE #chan +m')).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await run(bob!, 'MODE #chan +ov bob bob')).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await run(bob!, 'MODE #chan -o alice')).toEqual([`${S} 482 bob #chan :You're not channel operator`]);
    expect(await alice!.sync()).toEqual([]);
    expect((await run(alice!, 'MODE #chan'))[0]).toBe(`${S} 324 alice #chan :+nt`);
  });

  it('lists the bans for a non-operator in the same command that is refused', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(bob!, 'MODE #chan +bm')).toEqual([
      `${S} 368 bob #chan :End of channel ban list`,
      `${S} 482 bob #chan :You're not channel operator`,
    ]);
  });

  it('answers 472 for an unknown mode character and applies the known ones', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE #chan +zmZ')).toEqual([
      `${S} 472 alice z :is unknown mode char to me`,
      `${S} 472 alice Z :is unknown mode char to me`,
      `:${mask('alice')} MODE #chan :+m`,
    ]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} MODE #chan :+m`]);
  });

  it('applies at most limits.modes_per_command changes with a parameter', async () => {
    await start({ limits: { modes_per_command: 2 } });
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    await joinAll('#chan', alice!, bob!, carol!, dave!);
    // Flags without a parameter do not count.
    const line = `:${mask('alice')} MODE #chan +imvv bob :carol`;
    expect(await run(alice!, 'MODE #chan +imvvv bob carol dave')).toEqual([line]);
    expect(await dave!.sync()).toEqual([line]);
    expect((await run(dave!, 'NAMES #chan'))[0]).toBe(`${S} 353 dave = #chan :@alice +bob +carol dave`);
  });
});

describe('user MODE', () => {
  it('answers 221 with the current modes', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'MODE alice')).toEqual([`${S} 221 alice :+`]);
    expect(await run(alice!, 'MODE ALICE')).toEqual([`${S} 221 alice :+`]);
  });

  it('sets and unsets +i and +w, told to the user only', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'MODE alice +i')).toEqual([`:${mask('alice')} MODE alice :+i`]);
    expect(await run(alice!, 'MODE alice +w')).toEqual([`:${mask('alice')} MODE alice :+w`]);
    expect(await run(alice!, 'MODE alice')).toEqual([`${S} 221 alice :+iw`]);
    expect(await run(alice!, 'MODE alice +i')).toEqual([]);
    expect(await run(alice!, 'MODE alice -iw')).toEqual([`:${mask('alice')} MODE alice :-iw`]);
    expect(await run(alice!, 'MODE alice')).toEqual([`${S} 221 alice :+`]);
    expect(await bob!.sync()).toEqual([]);
  });

  it('ignores +o (only OPER gives it)', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'MODE alice +o')).toEqual([]);
    expect(await run(alice!, 'MODE alice')).toEqual([`${S} 221 alice :+`]);
  });

  it("answers 502 for another user's modes and 401 for an unknown nick", async () => {
    await start();
    const [alice] = await users('alice', 'bob');
    expect(await run(alice!, 'MODE bob')).toEqual([`${S} 502 alice :Can't change mode for other users`]);
    expect(await run(alice!, 'MODE bob +i')).toEqual([`${S} 502 alice :Can't change mode for other users`]);
    expect(await run(alice!, 'MODE nobody +i')).toEqual([`${S} 401 alice nobody :No such nick/channel`]);
  });

  it('answers 501 for an unknown flag, applying the known ones', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'MODE alice +z')).toEqual([`${S} 501 alice :Unknown MODE flag`]);
    expect(await run(alice!, 'MODE alice +zi')).toEqual([`${S} 501 alice :Unknown MODE flag`, `:${mask('alice')} MODE alice :+i`]);
  });
});
