/**
 * chghost: an oper's CHGHOST <nick> <host>. Peers with the capability get
 * CHGHOST from the old mask; the others see the user quit and rejoin each
 * shared channel, with its status restored; the user gets 396 (and CHGHOST
 * too, with the capability). https://ircv3.net/specs/extensions/chghost
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();
const PASSWORD = 'chghost-oper-secret';
let hash = '';

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

const OLD = mask('bob');
const NEW = 'bob!bob@vhost.example';

async function operServer(): Promise<{ port: number; oper: TestClient }> {
  const { port } = await irc.server({ config: { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
  const oper = await irc.register(port, 'oper');
  oper.send(`OPER boss ${PASSWORD}`);
  await oper.expect(/ 381 /);
  return { port, oper };
}

/**
 * bob (target, options.bobCaps) is op of #c and voiced in #d; alice (chghost)
 * shares #c; carol (no capability) shares #c and #d.
 */
async function scene(bobCaps = ''): Promise<{ port: number; oper: TestClient; alice: TestClient; bob: TestClient; carol: TestClient }> {
  const { port, oper } = await operServer();
  const bob = await irc.withCaps(port, 'bob', bobCaps);
  const alice = await irc.withCaps(port, 'alice', 'chghost');
  const carol = await irc.register(port, 'carol');
  await irc.join(bob, '#c');
  await irc.join(alice, '#c');
  await irc.join(carol, '#c');
  await irc.join(carol, '#d');
  await irc.join(bob, '#d');
  carol.send('MODE #d +v bob');
  await carol.sync();
  await settle(oper, alice, bob, carol);
  return { port, oper, alice, bob, carol };
}

describe('CHGHOST', () => {
  it('cap holders get CHGHOST; others get QUIT, JOIN and MODE per shared channel; the target gets 396', async () => {
    const { oper, alice, bob, carol } = await scene();
    oper.send('CHGHOST bob vhost.example');
    expect(await oper.sync()).toEqual([]);
    expect(await alice.sync()).toEqual([`:${OLD} CHGHOST bob :vhost.example`]);
    expect(await carol.sync()).toEqual([
      `:${OLD} QUIT :Changing hostname`,
      `:${NEW} JOIN :#c`,
      `${S} MODE #c +o :bob`,
      `:${NEW} JOIN :#d`,
      `${S} MODE #d +v :bob`,
    ]);
    expect(await bob.sync()).toEqual([`${S} 396 bob vhost.example :is now your displayed host`]);
  });

  it('the target with chghost also gets its own CHGHOST, before 396', async () => {
    const { oper, bob } = await scene('chghost');
    oper.send('CHGHOST bob vhost.example');
    await oper.sync();
    expect(await bob.sync()).toEqual([`:${OLD} CHGHOST bob :vhost.example`, `${S} 396 bob vhost.example :is now your displayed host`]);
  });

  it('op and voice in one channel come back as one MODE +ov', async () => {
    const { oper, bob, carol } = await scene();
    bob.send('MODE #c +v bob');
    await bob.sync();
    await settle(carol);
    oper.send('CHGHOST bob vhost.example');
    await oper.sync();
    const lines = await carol.sync();
    expect(lines).toContain(`${S} MODE #c +ov bob :bob`);
  });

  it('the fallback JOIN is extended for extended-join peers, and followed by AWAY for away-notify peers', async () => {
    const { port, oper } = await operServer();
    const bob = await irc.register(port, 'bob', { realname: 'Bob Real' });
    const ext = await irc.withCaps(port, 'ext', 'extended-join away-notify');
    await irc.join(bob, '#c');
    await irc.join(ext, '#c');
    bob.send('AWAY :lunch');
    await bob.sync();
    await settle(ext);
    oper.send('CHGHOST bob vhost.example');
    await oper.sync();
    expect(await ext.sync()).toEqual([`:${OLD} QUIT :Changing hostname`, `:${NEW} JOIN #c * :Bob Real`, `:${NEW} AWAY :lunch`, `${S} MODE #c +o :bob`]);
  });

  it('the change is real: WHOIS and later messages show the new host', async () => {
    const { oper, alice, bob } = await scene();
    oper.send('CHGHOST bob vhost.example');
    await oper.sync();
    await settle(alice, bob);
    bob.send('PRIVMSG #c :new me');
    await bob.sync();
    expect(await alice.sync()).toEqual([`:${NEW} PRIVMSG #c :new me`]);
    alice.send('WHOIS bob');
    expect(await alice.expect(/ 311 /)).toBe(`${S} 311 alice bob bob vhost.example * :bob Test`);
  });

  it('with message-tags the CHGHOST has a msgid', async () => {
    const { port, oper } = await operServer();
    const bob = await irc.register(port, 'bob');
    const alice = await irc.withCaps(port, 'alice', 'chghost message-tags');
    await irc.join(bob, '#c');
    await irc.join(alice, '#c');
    await settle(alice);
    oper.send('CHGHOST bob vhost.example');
    await oper.sync();
    const [line] = await alice.sync();
    expectMsgid(line as string);
    expect(splitTags(line as string).body).toBe(`:${OLD} CHGHOST bob :vhost.example`);
  });

  it('an invalid host: FAIL CHGHOST INVALID_HOSTNAME, nothing changes', async () => {
    const { oper, alice, bob, carol } = await scene();
    oper.send('CHGHOST bob bad_host!');
    oper.send(`CHGHOST bob ${'h'.repeat(64)}`);
    expect(await oper.sync()).toEqual([
      `${S} FAIL CHGHOST INVALID_HOSTNAME bob :bad_host! is not a valid host name`,
      `${S} FAIL CHGHOST INVALID_HOSTNAME bob :${'h'.repeat(64)} is not a valid host name`,
    ]);
    expect(await alice.sync()).toEqual([]);
    expect(await carol.sync()).toEqual([]);
    expect(await bob.sync()).toEqual([]);
  });

  it('no such nick: 401; the same host: nothing; not an oper: 481', async () => {
    const { oper, alice, bob } = await scene();
    oper.send('CHGHOST nobody vhost.example');
    oper.send('CHGHOST bob 127.0.0.1');
    expect(await oper.sync()).toEqual([`${S} 401 oper nobody :No such nick/channel`]);
    expect(await alice.sync()).toEqual([]);
    bob.send('CHGHOST alice vhost.example');
    expect(await bob.sync()).toEqual([`${S} 481 bob :Permission Denied- You're not an IRC operator`]);
  });
});
