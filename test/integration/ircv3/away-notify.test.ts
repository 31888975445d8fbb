/**
 * away-notify: channel peers with the capability hear AWAY when a user goes
 * away or comes back, and when an away user joins; the user never hears
 * their own. https://ircv3.net/specs/extensions/away-notify
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

/** alice (away-notify herself), bob (away-notify), carol (none) in #c; dave (away-notify) elsewhere. */
async function room(): Promise<{ port: number; alice: TestClient; bob: TestClient; carol: TestClient; dave: TestClient }> {
  const { port } = await irc.server();
  const alice = await irc.withCaps(port, 'alice', 'away-notify');
  const bob = await irc.withCaps(port, 'bob', 'away-notify');
  const carol = await irc.register(port, 'carol');
  const dave = await irc.withCaps(port, 'dave', 'away-notify');
  for (const c of [alice, bob, carol]) await irc.join(c, '#c');
  await irc.join(dave, '#elsewhere');
  await settle(alice, bob, carol, dave);
  return { port, alice, bob, carol, dave };
}

describe('away-notify', () => {
  it('AWAY with a message and without one reaches peers with the capability only, never the user', async () => {
    const { alice, bob, carol, dave } = await room();
    alice.send('AWAY :gone fishing');
    expect(await alice.sync()).toEqual([`${S} 306 alice :You have been marked as being away`]);
    expect(await bob.sync()).toEqual([`:${mask('alice')} AWAY :gone fishing`]);
    expect(await carol.sync()).toEqual([]);
    expect(await dave.sync()).toEqual([]);

    alice.send('AWAY');
    expect(await alice.sync()).toEqual([`${S} 305 alice :You are no longer marked as being away`]);
    expect(await bob.sync()).toEqual([`:${mask('alice')} AWAY`]);
    expect(await carol.sync()).toEqual([]);
  });

  it('a peer in several shared channels hears it once', async () => {
    const { alice, bob } = await room();
    await irc.join(alice, '#d');
    await irc.join(bob, '#d');
    await settle(alice, bob);
    alice.send('AWAY :brb');
    await alice.sync();
    expect(await bob.sync()).toEqual([`:${mask('alice')} AWAY :brb`]);
  });

  it('with message-tags the AWAY carries a msgid', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.withCaps(port, 'bob', 'away-notify message-tags');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    await settle(alice);
    alice.send('AWAY :x');
    await alice.sync();
    const [line] = await bob.sync();
    expectMsgid(line as string);
    expect(splitTags(line as string).body).toBe(`:${mask('alice')} AWAY :x`);
  });

  it('an away user joining: members with away-notify get JOIN then AWAY; the others and the joiner only JOIN', async () => {
    const { alice, bob, carol } = await room();
    carol.send('AWAY :in a meeting');
    await carol.sync();
    await settle(alice, bob);
    for (const c of [alice, bob]) await irc.join(c, '#new');
    await settle(alice, bob);
    carol.send('JOIN #new');
    const own = await carol.sync();
    expect(own[0]).toBe(`:${mask('carol')} JOIN :#new`);
    expect(own.some((l) => / AWAY/.test(l))).toBe(false);
    expect(await alice.sync()).toEqual([`:${mask('carol')} JOIN :#new`, `:${mask('carol')} AWAY :in a meeting`]);
    expect(await bob.sync()).toEqual([`:${mask('carol')} JOIN :#new`, `:${mask('carol')} AWAY :in a meeting`]);
  });

  it('a member without away-notify sees only the JOIN of an away user', async () => {
    const { port } = await irc.server();
    const watcher = await irc.register(port, 'watcher');
    await irc.join(watcher, '#c');
    const away = await irc.register(port, 'away');
    away.send('AWAY :zzz');
    await away.sync();
    await irc.join(away, '#c');
    await settle(away);
    expect(await watcher.sync()).toEqual([`:${mask('away')} JOIN :#c`]);
  });

  it('a user who is not away joining sends no AWAY', async () => {
    const { alice, bob } = await room();
    await irc.join(alice, '#x');
    await settle(alice);
    await irc.join(bob, '#x');
    await settle(bob);
    expect(await alice.sync()).toEqual([`:${mask('bob')} JOIN :#x`]);
  });
});
