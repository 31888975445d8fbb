/**
 * PRIVMSG and NOTICE over real sockets: to channels, nicks, several targets,
 * STATUSMSG targets, the error replies of PRIVMSG, and the silence of NOTICE.
 * https://modern.ircdocs.horse/#privmsg-message
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

/** Send `line` from `sender`; return what the sender got back (all of it, in order). */
async function run(sender: TestClient, line: string): Promise<string[]> {
  sender.send(line);
  return sender.sync();
}

describe.each(['PRIVMSG', 'NOTICE'])('%s delivery', (command) => {
  it('reaches every other member of a channel, not the sender', async () => {
    await start();
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    await joinAll('#chan', alice!, bob!, carol!);
    expect(await run(alice!, `${command} #chan :hello everyone`)).toEqual([]);
    const line = `:${mask('alice')} ${command} #chan :hello everyone`;
    expect(await bob!.sync()).toEqual([line]);
    expect(await carol!.sync()).toEqual([line]);
    expect(await dave!.sync()).toEqual([]);
  });

  it('keeps the target as the sender typed it for a channel and uses the canonical nick for a user', async () => {
    await start();
    const [alice, bob] = await users('alice', 'Bob');
    await joinAll('#chan', alice!, bob!);
    await run(alice!, `${command} #CHAN :one`);
    await run(alice!, `${command} BOB :two`);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} ${command} #CHAN :one`, `:${mask('alice')} ${command} Bob :two`]);
  });

  it('reaches a nick privately, and nobody else', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    expect(await run(alice!, `${command} bob :just for you`)).toEqual([]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} ${command} bob :just for you`]);
    expect(await carol!.sync()).toEqual([]);
  });

  it('reaches several targets, channels and nicks, in one command', async () => {
    await start();
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, `${command} #chan,carol,dave :to all of you`)).toEqual([]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} ${command} #chan :to all of you`]);
    expect(await carol!.sync()).toEqual([`:${mask('alice')} ${command} carol :to all of you`]);
    expect(await dave!.sync()).toEqual([`:${mask('alice')} ${command} dave :to all of you`]);
  });

  it('delivers to @#chan only the operators and to +#chan the voiced and operators', async () => {
    await start();
    const [op, voiced, plain, other] = await users('op', 'voiced', 'plain', 'other');
    await joinAll('#chan', op!, voiced!, plain!, other!);
    op!.send('MODE #chan +v voiced');
    await settle(op!, voiced!, plain!, other!);

    expect(await run(plain!, `${command} @#chan :ops only`)).toEqual([]);
    expect(await op!.sync()).toEqual([`:${mask('plain')} ${command} @#chan :ops only`]);
    expect(await voiced!.sync()).toEqual([]);
    expect(await other!.sync()).toEqual([]);

    expect(await run(plain!, `${command} +#chan :voiced and ops`)).toEqual([]);
    expect(await op!.sync()).toEqual([`:${mask('plain')} ${command} +#chan :voiced and ops`]);
    expect(await voiced!.sync()).toEqual([`:${mask('plain')} ${command} +#chan :voiced and ops`]);
    expect(await other!.sync()).toEqual([]);

    // The sender never gets its own copy, even when it is an op.
    expect(await run(op!, `${command} @#chan :note to self`)).toEqual([]);
  });

  it('delivers each target once when it is named several times', async () => {
    await start({ limits: { targets: 2 } });
    const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
    await joinAll('#chan', alice!, carol!);
    // Repeats do not count towards TARGMAX either: two distinct targets here.
    expect(await run(alice!, `${command} bob,BOB,bob,#chan,#CHAN :once`)).toEqual([]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} ${command} bob :once`]);
    expect(await carol!.sync()).toEqual([`:${mask('alice')} ${command} #chan :once`]);
    expect(await dave!.sync()).toEqual([]);
  });

  it('delivers a message to oneself', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, `${command} alice :talking to myself`)).toEqual([`:${mask('alice')} ${command} alice :talking to myself`]);
  });

  it('lets voiced members and operators speak through +m and bans', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    alice!.send('MODE #chan +m');
    alice!.send('MODE #chan +b *!*@127.0.0.1');
    alice!.send('MODE #chan +v bob');
    await settle(alice!, bob!, carol!);
    expect(await run(bob!, `${command} #chan :voiced`)).toEqual([]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} ${command} #chan :voiced`]);
    expect(await run(alice!, `${command} #chan :op`)).toEqual([]);
    expect(await carol!.sync()).toEqual([`:${mask('bob')} ${command} #chan :voiced`, `:${mask('alice')} ${command} #chan :op`]);
  });

  it('lets non-members send to a -n channel', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    alice!.send('MODE #chan -n');
    await settle(alice!);
    expect(await run(bob!, `${command} #chan :from outside`)).toEqual([]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} ${command} #chan :from outside`]);
  });
});

describe('PRIVMSG errors', () => {
  it('answers 411 without a target and 461 never', async () => {
    await start();
    const [alice] = await users('alice');
    expect(await run(alice!, 'PRIVMSG')).toEqual([`${S} 411 alice :No recipient given (PRIVMSG)`]);
    expect(await run(alice!, 'PRIVMSG , :hello')).toEqual([`${S} 411 alice :No recipient given (PRIVMSG)`]);
  });

  it('answers 412 without text, also for an empty trailing parameter, and delivers nothing', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'PRIVMSG bob')).toEqual([`${S} 412 alice :No text to send`]);
    expect(await run(alice!, 'PRIVMSG #chan :')).toEqual([`${S} 412 alice :No text to send`]);
    expect(await bob!.sync()).toEqual([]);
  });

  it('answers 401 for an unknown nick and 403 for an unknown channel, still delivering to the rest', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    expect(await run(alice!, 'PRIVMSG nobody,#nowhere,bob :hi')).toEqual([
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 403 alice #nowhere :No such channel`,
    ]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} PRIVMSG bob :hi`]);
  });

  it('answers 404 to a non-member of a +n channel', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!);
    expect(await run(bob!, 'PRIVMSG #chan :let me in')).toEqual([`${S} 404 bob #chan :Cannot send to channel (no external messages, +n)`]);
    expect(await alice!.sync()).toEqual([]);
  });

  it('answers 404 to an unvoiced member of a +m channel', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    await joinAll('#chan', alice!, bob!);
    alice!.send('MODE #chan +m');
    await settle(alice!, bob!);
    expect(await run(bob!, 'PRIVMSG #chan :can I talk?')).toEqual([`${S} 404 bob #chan :Cannot send to channel (moderated, +m)`]);
    expect(await alice!.sync()).toEqual([]);
    alice!.send('MODE #chan +v bob');
    await settle(alice!, bob!);
    expect(await run(bob!, 'PRIVMSG #chan :now I can')).toEqual([]);
    expect(await alice!.sync()).toEqual([`:${mask('bob')} PRIVMSG #chan :now I can`]);
  });

  it('answers 404 to a banned member, unless a ban exception matches', async () => {
    await start();
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#chan', alice!, bob!, carol!);
    alice!.send('MODE #chan +b *!*@127.0.0.*');
    alice!.send('MODE #chan +e carol');
    await settle(alice!, bob!, carol!);
    expect(await run(bob!, 'PRIVMSG #chan :hello?')).toEqual([`${S} 404 bob #chan :Cannot send to channel (you are banned, +b)`]);
    expect(await run(carol!, 'PRIVMSG #chan :exempt')).toEqual([]);
    expect(await alice!.sync()).toEqual([`:${mask('carol')} PRIVMSG #chan :exempt`]);
  });

  it('answers 407 for each target past limits.targets and delivers to the first ones', async () => {
    await start({ limits: { targets: 2 } });
    const [alice, bob, carol, dave, erin] = await users('alice', 'bob', 'carol', 'dave', 'erin');
    expect(await run(alice!, 'PRIVMSG bob,carol,dave,erin :hi all')).toEqual([
      `${S} 407 alice dave :Too many targets (at most 2 per command)`,
      `${S} 407 alice erin :Too many targets (at most 2 per command)`,
    ]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} PRIVMSG bob :hi all`]);
    expect(await carol!.sync()).toEqual([`:${mask('alice')} PRIVMSG carol :hi all`]);
    expect(await dave!.sync()).toEqual([]);
    expect(await erin!.sync()).toEqual([]);
  });

  it('answers 301 with the away message, and still delivers', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    bob!.send('AWAY :gone fishing');
    await settle(bob!);
    expect(await run(alice!, 'PRIVMSG bob :are you there?')).toEqual([`${S} 301 alice bob :gone fishing`]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} PRIVMSG bob :are you there?`]);
    // Not for a channel message, even if an away user is in it.
    await joinAll('#chan', alice!, bob!);
    expect(await run(alice!, 'PRIVMSG #chan :anyone?')).toEqual([]);
    bob!.send('AWAY');
    await settle(bob!);
    expect(await run(alice!, 'PRIVMSG bob :back?')).toEqual([]);
  });
});

describe('NOTICE', () => {
  it('never answers with an error numeric', async () => {
    await start({ limits: { targets: 2 } });
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await joinAll('#closed', bob!);
    await joinAll('#quiet', bob!, carol!);
    bob!.send('MODE #quiet +m');
    await settle(bob!, carol!);
    await joinAll('#banned', bob!, carol!);
    bob!.send('MODE #banned +b carol');
    await settle(bob!, carol!);

    for (const line of [
      'NOTICE',
      'NOTICE bob',
      'NOTICE bob :',
      'NOTICE nobody :hi',
      'NOTICE #nowhere :hi',
      'NOTICE #closed :from outside',
      'NOTICE nobody,ghost,spirit,bob :too many',
    ]) {
      expect(await run(alice!, line), line).toEqual([]);
    }
    expect(await run(carol!, 'NOTICE #quiet :moderated')).toEqual([]);
    expect(await run(carol!, 'NOTICE #banned :banned')).toEqual([]);
    // Nothing reached the channels or bob (the third and fourth targets were past TARGMAX).
    expect(await bob!.sync()).toEqual([]);
  });

  it('never answers with RPL_AWAY, but is delivered to the away user', async () => {
    await start();
    const [alice, bob] = await users('alice', 'bob');
    bob!.send('AWAY :not here');
    await settle(bob!);
    expect(await run(alice!, 'NOTICE bob :psst')).toEqual([]);
    expect(await bob!.sync()).toEqual([`:${mask('alice')} NOTICE bob :psst`]);
  });
});
