/**
 * setname: SETNAME changes the realname; clients with the capability (the
 * sender included) hear of it, the others never do; a bad realname gets
 * FAIL SETNAME INVALID_REALNAME. https://ircv3.net/specs/extensions/setname
 */
import { describe, expect, it } from 'vitest';
import { mask, S, settle, useIrc } from './setup.js';

const irc = useIrc();

describe('SETNAME', () => {
  it('is relayed to channel peers with setname and confirmed to the sender; peers without it hear nothing', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', 'setname');
    const bob = await irc.withCaps(port, 'bob', 'setname');
    const carol = await irc.register(port, 'carol');
    const stranger = await irc.withCaps(port, 'stranger', 'setname');
    for (const c of [alice, bob, carol]) await irc.join(c, '#c');
    await settle(alice, bob, carol);

    alice.send('SETNAME :Alice Liddell');
    expect(await alice.sync()).toEqual([`:${mask('alice')} SETNAME :Alice Liddell`]);
    expect(await bob.sync()).toEqual([`:${mask('alice')} SETNAME :Alice Liddell`]);
    expect(await carol.sync()).toEqual([]);
    expect(await stranger.sync()).toEqual([]);
  });

  it('without the capability: silent for the sender, but the realname changes (WHOIS, WHO)', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.withCaps(port, 'bob', 'setname');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    await settle(alice, bob);
    alice.send('SETNAME :Quiet Change');
    expect(await alice.sync()).toEqual([]);
    // Peers with the capability still learn of it.
    expect(await bob.sync()).toEqual([`:${mask('alice')} SETNAME :Quiet Change`]);
    bob.send('WHOIS alice');
    expect(await bob.expect(/ 311 /)).toBe(`${S} 311 bob alice alice 127.0.0.1 * :Quiet Change`);
    bob.send('WHO alice');
    expect(await bob.expect(/ 352 /)).toBe(`${S} 352 bob #c alice 127.0.0.1 obrol.local alice H@ :0 Quiet Change`);
  });

  it('a realname longer than limits.realname_length, or empty: FAIL SETNAME INVALID_REALNAME, nothing changes', async () => {
    const { port } = await irc.server({ config: { limits: { realname_length: 10 } } });
    const alice = await irc.withCaps(port, 'alice', 'setname', { realname: 'Original' });
    const bob = await irc.withCaps(port, 'bob', 'setname');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    await settle(alice, bob);
    const fail = `${S} FAIL SETNAME INVALID_REALNAME :Realname is not valid: 1 to 10 bytes`;
    alice.send('SETNAME :12345678901');
    alice.send('SETNAME :');
    // Ten characters but twelve bytes.
    alice.send('SETNAME :éééééé');
    expect(await alice.sync()).toEqual([fail, fail, fail]);
    expect(await bob.sync()).toEqual([]);
    alice.send('SETNAME :1234567890');
    expect(await alice.sync()).toEqual([`:${mask('alice')} SETNAME :1234567890`]);
    bob.send('WHOIS alice');
    expect(await bob.expect(/ 311 /)).toBe(`${S} 311 bob alice alice 127.0.0.1 * :1234567890`);
  });

  it('FAIL is sent without the capability too; no parameter at all is 461', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    alice.send('SETNAME :');
    alice.send('SETNAME');
    expect(await alice.sync()).toEqual([
      `${S} FAIL SETNAME INVALID_REALNAME :Realname is not valid: 1 to 150 bytes`,
      `${S} 461 alice SETNAME :Not enough parameters`,
    ]);
  });

  it('NAMELEN in ISUPPORT is limits.realname_length', async () => {
    const { port } = await irc.server({ config: { limits: { realname_length: 42 } } });
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    const isupport = await c.expect(/ 005 .* NAMELEN=/);
    expect(isupport.split(' ')).toContain('NAMELEN=42');
  });
});
