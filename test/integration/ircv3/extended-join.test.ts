/**
 * extended-join: JOIN with the account (`*`: accounts do not exist yet) and
 * the realname, for clients with the capability; the plain JOIN for others;
 * both copies are one event with one msgid.
 * https://ircv3.net/specs/extensions/extended-join
 */
import { describe, expect, it } from 'vitest';
import { expectMsgid, expectTime, mask, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

describe('extended-join', () => {
  it('members with the capability get JOIN #c * :realname, the others the plain JOIN', async () => {
    const { port } = await irc.server();
    const ext = await irc.withCaps(port, 'ext', 'extended-join');
    const plain = await irc.register(port, 'plain');
    await irc.join(ext, '#c');
    await irc.join(plain, '#c');
    await settle(ext, plain);

    const alice = await irc.register(port, 'alice', { realname: 'Alice in Wonderland' });
    await irc.join(alice, '#c');
    expect(await ext.sync()).toEqual([`:${mask('alice')} JOIN #c * :Alice in Wonderland`]);
    expect(await plain.sync()).toEqual([`:${mask('alice')} JOIN :#c`]);
  });

  it('the joiner with the capability sees its own JOIN extended', async () => {
    const { port } = await irc.server();
    const ext = await irc.withCaps(port, 'ext', 'extended-join', { realname: 'Extended Self' });
    ext.send('JOIN #c');
    expect(await ext.expect(/ JOIN /)).toBe(`:${mask('ext')} JOIN #c * :Extended Self`);
  });

  it('both renderings share one msgid and time', async () => {
    const { port } = await irc.server();
    const ext = await irc.withCaps(port, 'ext', 'extended-join message-tags server-time');
    const tagged = await irc.withCaps(port, 'tagged', 'message-tags server-time');
    await irc.join(ext, '#c');
    await irc.join(tagged, '#c');
    await settle(ext, tagged);
    const alice = await irc.register(port, 'alice');
    await irc.join(alice, '#c');
    const [a] = await ext.sync();
    const [b] = await tagged.sync();
    expect(splitTags(a as string).body).toBe(`:${mask('alice')} JOIN #c * :alice Test`);
    expect(splitTags(b as string).body).toBe(`:${mask('alice')} JOIN :#c`);
    expect(expectMsgid(a as string)).toBe(expectMsgid(b as string));
    expect(expectTime(a as string)).toBe(expectTime(b as string));
  });

  it('follows a realname changed with SETNAME', async () => {
    const { port } = await irc.server();
    const ext = await irc.withCaps(port, 'ext', 'extended-join');
    await irc.join(ext, '#c');
    const alice = await irc.register(port, 'alice');
    alice.send('SETNAME :A New Name');
    await alice.sync();
    await irc.join(alice, '#c');
    expect(await ext.sync()).toEqual([`:${mask('alice')} JOIN #c * :A New Name`]);
  });
});
