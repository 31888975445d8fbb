/**
 * Three Obrol nodes in one process, joined by an in-process bus, form one
 * network: users on different nodes share channels, message each other and
 * see each other's changes, exactly as users of one node do. A node that
 * starts late learns the network from the others' bursts; a node that stops
 * takes its users with it (a netsplit).
 */
import { describe, expect, it } from 'vitest';
import { InProcessHub } from '../../../src/bus/inprocess.js';
import { hashPassword } from '../../../src/config/password.js';
import type { ObrolServer } from '../../../src/server/server.js';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';
import { until } from '../../helpers/until.js';

const fx = useFixture();

/** Nodes a, b, c (servers a.obrol.test ...) on one hub. */
async function network(count = 3, hub = new InProcessHub()): Promise<{ hub: InProcessHub; nodes: TestServer[] }> {
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) nodes.push(await node(hub, String.fromCharCode(97 + i)));
  return { hub, nodes };
}

function node(hub: InProcessHub, letter: string): Promise<TestServer> {
  return fx.server({ bus: hub.connect(`node-${letter}`), config: { server: { name: `${letter}.obrol.test` } } });
}

/** Registered on `at`, with `caps` negotiated. */
async function user(at: TestServer, nick: string, caps = ''): Promise<TestClient> {
  const c = await fx.connect(at);
  if (caps !== '') c.send(`CAP REQ :${caps}`);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  if (caps !== '') {
    await c.expect(/ CAP \* ACK /);
    c.send('CAP END');
  }
  await c.expect(/ (376|422) /);
  c.nick = nick;
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

/** Every node's state is consistent with itself and its budget. */
function expectSound(nodes: TestServer[]): void {
  for (const { server } of nodes) expect(server.registry.checkInvariants()).toEqual([]);
}

function names(server: ObrolServer, channel: string): string[] {
  const found = server.registry.findChannel(channel);
  return found ? [...found.members.keys()].map((u) => `${found.prefixOf(u)}${u.nick}`).sort() : [];
}

describe('one network on three nodes in one process', () => {
  it('shares a channel: joins, NAMES, messages in order, parts and quits', async () => {
    const { nodes } = await network();
    const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
    const alice = await user(a, 'alice');
    const bob = await user(b, 'bob');
    const carol = await user(c, 'carol');
    await join(alice, '#lobby');
    await join(bob, '#lobby');
    await alice.expect(/^:bob!bob@127\.0\.0\.1 JOIN :?#lobby$/);
    await join(carol, '#lobby');
    await alice.expect(/^:carol!carol@127\.0\.0\.1 JOIN :?#lobby$/);
    await bob.expect(/^:carol!carol@127\.0\.0\.1 JOIN :?#lobby$/);
    // The first joiner, on a, made the channel and holds ops everywhere.
    for (const { server } of nodes) expect(names(server, '#lobby')).toEqual(['@alice', 'bob', 'carol']);
    carol.send('NAMES #lobby');
    expect(await carol.expect(/ 353 /)).toMatch(/ 353 carol = #lobby :@alice bob carol$/);

    for (let n = 0; n < 50; n++) alice.send(`PRIVMSG #lobby :m${n}`);
    for (const peer of [bob, carol]) {
      for (let n = 0; n < 50; n++) expect(await peer.expect(/ PRIVMSG #lobby /)).toBe(`:alice!alice@127.0.0.1 PRIVMSG #lobby :m${n}`);
    }
    bob.send('PART #lobby :later');
    await alice.expect(/^:bob!bob@127\.0\.0\.1 PART #lobby :later$/);
    await carol.expect(/^:bob!bob@127\.0\.0\.1 PART #lobby :later$/);
    carol.send('QUIT :gone');
    await alice.expect(/^:carol!carol@127\.0\.0\.1 QUIT :Quit: gone$/);
    await until(() => names(b.server, '#lobby').length === 1, 'carol gone from b');
    expect(names(b.server, '#lobby')).toEqual(['@alice']);
    expectSound(nodes);
  });

  it('messages, WHOIS and MONITOR reach users on other nodes', async () => {
    const { nodes } = await network(2);
    const [a, b] = nodes as [TestServer, TestServer];
    const watcher = await user(a, 'watcher');
    watcher.send('MONITOR + dana');
    await watcher.expect(/ 731 watcher :dana$/);
    const dana = await user(b, 'dana');
    await watcher.expect(/ 730 \* :dana!dana@127\.0\.0\.1$/);
    watcher.send('PRIVMSG dana :hello there');
    expect(await dana.expect(/ PRIVMSG /)).toBe(':watcher!watcher@127.0.0.1 PRIVMSG dana :hello there');
    dana.send('WHOIS watcher');
    expect(await dana.expect(/ 312 /)).toMatch(/ 312 dana watcher a\.obrol\.test :/);
    watcher.send('WHOIS dana');
    expect(await watcher.expect(/ 312 /)).toMatch(/ 312 watcher dana b\.obrol\.test :/);
    dana.send('NICK dee');
    await watcher.expect(/ 731 \* :dana$/);
    watcher.send('PRIVMSG dee :renamed?');
    expect(await dana.expect(/ PRIVMSG /)).toBe(':watcher!watcher@127.0.0.1 PRIVMSG dee :renamed?');
    watcher.send('LUSERS');
    expect(await watcher.expect(/ 251 /)).toMatch(/There are 2 users and 0 invisible on 2 servers$/);
    expect(await watcher.expect(/ 255 /)).toMatch(/I have 1 clients and 1 servers$/);
    expectSound(nodes);
  });

  it('applies TOPIC, MODE, KICK and INVITE made on one node on every node', async () => {
    const { nodes } = await network();
    const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
    const op = await user(a, 'op');
    const member = await user(b, 'member');
    const guest = await user(c, 'guest');
    await join(op, '#room');
    await join(member, '#room');
    op.send('TOPIC #room :Welcome all');
    await member.expect(/^:op!op@127\.0\.0\.1 TOPIC #room :Welcome all$/);
    op.send('MODE #room +ikv secret member');
    await member.expect(/^:op!op@127\.0\.0\.1 MODE #room \+ikv secret :?member$/);
    await until(() => c.server.registry.findChannel('#room')?.key === 'secret', 'the key on c');
    guest.send('JOIN #room');
    await guest.expect(/ 473 guest #room /);
    member.send('MODE #room +b guest!*@*');
    await member.expect(/ 482 member #room /);
    op.send('INVITE guest #room');
    await guest.expect(/^:op!op@127\.0\.0\.1 INVITE guest :?#room$/);
    guest.send('JOIN #room');
    await guest.expect(/ 332 guest #room :Welcome all$/);
    for (const { server } of nodes) {
      const room = server.registry.findChannel('#room');
      expect(room?.topic).toBe('Welcome all');
      expect([...(room?.flags ?? [])].sort()).toEqual(['i', 'n', 't']);
    }
    op.send('KICK #room guest :out');
    await guest.expect(/^:op!op@127\.0\.0\.1 KICK #room guest :out$/);
    await member.expect(/^:op!op@127\.0\.0\.1 KICK #room guest :out$/);
    await until(() => names(c.server, '#room').length === 2, 'guest kicked on c');
    for (const { server } of nodes) expect(names(server, '#room')).toEqual(['+member', '@op']);
    expectSound(nodes);
  });

  it('carries AWAY, SETNAME and METADATA to clients with the capabilities', async () => {
    const { nodes } = await network(2);
    const [a, b] = nodes as [TestServer, TestServer];
    const ann = await user(a, 'ann', 'away-notify setname draft/metadata-3');
    const ben = await user(b, 'ben', 'away-notify setname chghost');
    await join(ann, '#c');
    await join(ben, '#c');
    await ann.expect(/ben.* JOIN/);
    ben.send('AWAY :lunch');
    await ann.expect(/^:ben!ben@127\.0\.0\.1 AWAY :lunch$/);
    ben.send('SETNAME :Ben B');
    await ann.expect(/^:ben!ben@127\.0\.0\.1 SETNAME :Ben B$/);
    ann.send('METADATA * SUB color');
    await ann.expect(/ 770 /);
    ben.send('METADATA * SET color :blue');
    expect(await ann.expect(/ 761 /)).toBe(':a.obrol.test 761 * ben color * :blue');
    const benOnA = a.server.registry.findUser('ben');
    expect(benOnA?.realname).toBe('Ben B');
    expect(benOnA?.away).toBe('lunch');
    expect(benOnA?.metadata.get('color')).toBe('blue');
    expectSound(nodes);
  });

  it('lets an operator on one node KILL and CHGHOST a user on another', async () => {
    const hub = new InProcessHub();
    const opers = [{ name: 'admin', password: await hashPassword('pw'), hosts: ['*'] }];
    const a = await fx.server({ bus: hub.connect('node-a'), config: { server: { name: 'a.obrol.test' }, opers } });
    const b = await node(hub, 'b');
    const oper = await user(a, 'oper');
    const target = await user(b, 'target', 'chghost');
    const bystander = await user(b, 'bystander', 'chghost');
    await join(target, '#c');
    await join(bystander, '#c');
    await join(oper, '#c');
    oper.send('OPER admin pw');
    await oper.expect(/ 381 /);
    oper.send('CHGHOST target new.host');
    expect(await bystander.expect(/ CHGHOST /)).toBe(':target!target@127.0.0.1 CHGHOST target :new.host');
    expect(await target.expect(/ 396 /)).toBe(':b.obrol.test 396 target new.host :is now your displayed host');
    oper.send('KILL target :spamming');
    expect(await target.expect(/ KILL /)).toBe(':oper!oper@127.0.0.1 KILL target :spamming');
    await target.expect(/^ERROR :Closing link: .*\[Killed by oper: spamming\]$/);
    // oper has no chghost: it saw target quit and rejoin with the new host first.
    expect(await oper.expect(/ QUIT :Changing hostname/)).toBe(':target!target@127.0.0.1 QUIT :Changing hostname');
    expect(await oper.expect(/ QUIT :Killed/)).toBe(':target!target@new.host QUIT :Killed (oper (spamming))');
    expect(await bystander.expect(/ QUIT /)).toBe(':target!target@new.host QUIT :Killed (oper (spamming))');
    expectSound([a, b]);
  });

  it('a node that starts late learns the network; a node that stops takes its users with it', async () => {
    const hub = new InProcessHub();
    const { nodes } = await network(2, hub);
    const [a, b] = nodes as [TestServer, TestServer];
    const alice = await user(a, 'alice');
    const bob = await user(b, 'bob');
    await join(alice, '#here');
    await join(bob, '#here');
    alice.send('TOPIC #here :before c');
    await bob.expect(/ TOPIC #here /);

    const c = await node(hub, 'c');
    const carol = await user(c, 'carol');
    await until(() => c.server.registry.findChannel('#here')?.members.size === 2, 'the burst reaching c');
    carol.send('JOIN #here');
    await carol.expect(/ 332 carol #here :before c$/);
    expect(await carol.expect(/ 353 /)).toMatch(/:@alice bob carol$/);
    // Taken from a, not made anew: carol is no op.
    await until(() => names(a.server, '#here').includes('carol'), 'carol on a');
    expect(names(a.server, '#here')).toEqual(['@alice', 'bob', 'carol']);
    carol.send('NICK alice');
    await carol.expect(/ 433 carol alice /);

    // b goes: its users quit on a and c with both server names as the reason.
    await b.stop();
    expect(await alice.expect(/ QUIT /)).toBe(':bob!bob@127.0.0.1 QUIT :a.obrol.test b.obrol.test');
    expect(await carol.expect(/ QUIT /)).toBe(':bob!bob@127.0.0.1 QUIT :c.obrol.test b.obrol.test');
    expect(names(c.server, '#here')).toEqual(['@alice', 'carol']);
    carol.send('LUSERS');
    expect(await carol.expect(/ 251 /)).toMatch(/on 2 servers$/);
    expectSound([a, c]);
  });
});
