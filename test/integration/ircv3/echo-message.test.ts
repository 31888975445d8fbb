/**
 * echo-message: the sender gets its own PRIVMSG, NOTICE and TAGMSG back, as
 * the recipients got them; without the capability it gets nothing.
 * https://ircv3.net/specs/extensions/echo-message
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

async function pair(senderCaps: string): Promise<{ alice: TestClient; bob: TestClient }> {
  const { port } = await irc.server();
  const alice = await irc.withCaps(port, 'alice', senderCaps);
  const bob = await irc.withCaps(port, 'bob', 'message-tags');
  await irc.join(alice, '#c');
  await irc.join(bob, '#c');
  await settle(alice, bob);
  return { alice, bob };
}

describe('echo-message', () => {
  it('PRIVMSG and NOTICE, to a channel and to a nick, come back to the sender', async () => {
    const { alice, bob } = await pair('echo-message');
    alice.send('PRIVMSG #c :to the channel');
    alice.send('NOTICE #c :channel notice');
    alice.send('PRIVMSG bob :to bob');
    alice.send('NOTICE bob :bob notice');
    expect(await alice.sync()).toEqual([
      `:${mask('alice')} PRIVMSG #c :to the channel`,
      `:${mask('alice')} NOTICE #c :channel notice`,
      `:${mask('alice')} PRIVMSG bob :to bob`,
      `:${mask('alice')} NOTICE bob :bob notice`,
    ]);
    expect((await bob.sync()).map((l) => splitTags(l).body)).toEqual([
      `:${mask('alice')} PRIVMSG #c :to the channel`,
      `:${mask('alice')} NOTICE #c :channel notice`,
      `:${mask('alice')} PRIVMSG bob :to bob`,
      `:${mask('alice')} NOTICE bob :bob notice`,
    ]);
  });

  it('without the capability the sender gets nothing back', async () => {
    const { alice, bob } = await pair('');
    alice.send('PRIVMSG #c :quiet');
    alice.send('NOTICE bob :quiet');
    expect(await alice.sync()).toEqual([]);
    expect(await bob.sync()).toHaveLength(2);
  });

  it('TAGMSG with message-tags: echoed with the client tags and the msgid the recipients got', async () => {
    const { alice, bob } = await pair('echo-message message-tags');
    alice.send('@+typing=active TAGMSG #c');
    alice.send('@+draft/react=ok PRIVMSG bob :tagged');
    const echoes = await alice.sync();
    const delivered = await bob.sync();
    expect(echoes).toEqual(delivered);
    expect(echoes.map((l) => splitTags(l).body)).toEqual([`:${mask('alice')} TAGMSG :#c`, `:${mask('alice')} PRIVMSG bob :tagged`]);
    expect(splitTags(echoes[0] as string).raw).toBe(`msgid=${expectMsgid(echoes[0] as string)};+typing=active`);
    expect(splitTags(echoes[1] as string).raw).toBe(`msgid=${expectMsgid(echoes[1] as string)};+draft/react=ok`);
  });

  it('without message-tags the echo has no tags, and a TAGMSG is not echoed at all', async () => {
    const { alice, bob } = await pair('echo-message');
    alice.send('@+draft/react=ok PRIVMSG #c :hello');
    alice.send('@+typing=active TAGMSG #c');
    expect(await alice.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :hello`]);
    const atBob = await bob.sync();
    expect(atBob.map((l) => splitTags(l).body)).toEqual([`:${mask('alice')} PRIVMSG #c :hello`, `:${mask('alice')} TAGMSG :#c`]);
  });

  it('several targets: one echo per target, each with its own msgid; a failed target gets its error, not an echo', async () => {
    const { alice, bob } = await pair('echo-message message-tags');
    alice.send('PRIVMSG #c,bob,nobody :multi');
    const lines = await alice.sync();
    expect(lines.map((l) => splitTags(l).body)).toEqual([
      `:${mask('alice')} PRIVMSG #c :multi`,
      `:${mask('alice')} PRIVMSG bob :multi`,
      `${S} 401 alice nobody :No such nick/channel`,
    ]);
    const delivered = await bob.sync();
    expect(delivered).toEqual(lines.slice(0, 2));
    expect(expectMsgid(lines[0] as string)).not.toBe(expectMsgid(lines[1] as string));
  });

  it('a message refused by the channel is not echoed', async () => {
    const { port } = await irc.server();
    const op = await irc.register(port, 'op');
    await irc.join(op, '#m');
    op.send('MODE #m +m');
    await op.sync();
    const alice = await irc.withCaps(port, 'alice', 'echo-message');
    await irc.join(alice, '#m');
    await op.sync();
    alice.send('PRIVMSG #m :muted');
    expect(await alice.sync()).toEqual([`${S} 404 alice #m :Cannot send to channel (moderated, +m)`]);
    expect(await op.sync()).toEqual([]);
  });

  it('a STATUSMSG is echoed with its @#chan target', async () => {
    const { alice, bob } = await pair('echo-message');
    alice.send('PRIVMSG @#c :ops only');
    expect(await alice.sync()).toEqual([`:${mask('alice')} PRIVMSG @#c :ops only`]);
    // bob is not an op of #c.
    expect(await bob.sync()).toEqual([]);
  });

  it('a message to oneself arrives twice: delivered and echoed', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', 'echo-message message-tags');
    alice.send('PRIVMSG alice :note to self');
    const lines = await alice.sync();
    expect(lines.map((l) => splitTags(l).body)).toEqual([`:${mask('alice')} PRIVMSG alice :note to self`, `:${mask('alice')} PRIVMSG alice :note to self`]);
    expect(expectMsgid(lines[0] as string)).toBe(expectMsgid(lines[1] as string));
  });
});
