/**
 * message-tags: client-only (+) tags relayed only to clients that negotiated
 * message-tags, other client tags dropped, TAGMSG, the 4094-byte limit on
 * client tag data (417), and tag value escaping.
 * https://ircv3.net/specs/extensions/message-tags
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, expectTime, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

/** alice (message-tags), bob (message-tags) and carol (nothing), all in #c. */
async function trio(): Promise<{ alice: TestClient; bob: TestClient; carol: TestClient }> {
  const { port } = await irc.server();
  const alice = await irc.withCaps(port, 'alice', 'message-tags');
  const bob = await irc.withCaps(port, 'bob', 'message-tags');
  const carol = await irc.register(port, 'carol');
  for (const c of [alice, bob, carol]) await irc.join(c, '#c');
  await settle(alice, bob, carol);
  return { alice, bob, carol };
}

describe('client-only tags', () => {
  it('are relayed on a channel PRIVMSG to message-tags clients only, after the msgid', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@+draft/react=lol;+example.com/x=1 PRIVMSG #c :hi');
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    const id = expectMsgid(line as string);
    expect(line).toBe(`@msgid=${id};+draft/react=lol;+example.com/x=1 :${mask('alice')} PRIVMSG #c :hi`);
    expect(await carol.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :hi`]);
  });

  it('are relayed on PRIVMSG and NOTICE to a nick', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@+example.com/x=1 PRIVMSG bob :direct');
    alice.send('@+example.com/y NOTICE bob :note');
    alice.send('@+example.com/z=2 PRIVMSG carol :plain');
    await alice.sync();
    const lines = await bob.sync();
    expect(lines.map((l) => splitTags(l).body)).toEqual([`:${mask('alice')} PRIVMSG bob :direct`, `:${mask('alice')} NOTICE bob :note`]);
    expect(lines.map((l) => splitTags(l).raw.replace(/^msgid=[^;]*;/, ''))).toEqual(['+example.com/x=1', '+example.com/y']);
    expect(await carol.sync()).toEqual([`:${mask('alice')} PRIVMSG carol :plain`]);
  });

  it('tags without the + prefix are dropped: no label, no spoofed msgid or time', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', 'message-tags');
    const bob = await irc.withCaps(port, 'bob', 'message-tags server-time');
    alice.send('@label=abc;msgid=fake;time=2000-01-01T00:00:00.000Z;vendor.example/secret=1;+ok=1 PRIVMSG bob :hi');
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    const id = expectMsgid(line as string);
    const time = expectTime(line as string);
    expect(id).not.toBe('fake');
    expect(line).toBe(`@time=${time};msgid=${id};+ok=1 :${mask('alice')} PRIVMSG bob :hi`);
  });

  it('an empty value is sent as a tag without value; of a repeated key the last value wins', async () => {
    const { alice, bob } = await trio();
    alice.send('@+a=;+b=1;+b=2 PRIVMSG #c :x');
    await alice.sync();
    const [line] = await bob.sync();
    expect(splitTags(line as string).raw).toBe(`msgid=${expectMsgid(line as string)};+a;+b=2`);
  });

  it('values round-trip through escaping', async () => {
    const { alice, bob } = await trio();
    // ; space \ CR LF, then an unknown escape (\b: the backslash is dropped) and a lone trailing backslash (dropped).
    alice.send('@+example.com/v=a\\:b\\sc\\\\d\\re\\nf;+example.com/w=x\\by\\ PRIVMSG bob :escaped');
    await alice.sync();
    const [line] = await bob.sync();
    const { tags, raw } = splitTags(line as string);
    expect(raw).toBe(`msgid=${tags.get('msgid') as string};+example.com/v=a\\:b\\sc\\\\d\\re\\nf;+example.com/w=xby`);
    expect(tags.get('+example.com/v')).toBe('a;b c\\d\re\nf');
    expect(tags.get('+example.com/w')).toBe('xby');
  });

  it('UTF-8 and = in values pass unchanged', async () => {
    const { alice, bob } = await trio();
    alice.send('@+example.com/u=héllo=wörld PRIVMSG bob :x');
    await alice.sync();
    const [line] = await bob.sync();
    expect(splitTags(line as string).tags.get('+example.com/u')).toBe('héllo=wörld');
  });
});

describe('TAGMSG', () => {
  it('to a channel reaches message-tags members only, never the sender', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@+typing=active TAGMSG #c');
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    expect(line).toBe(`@msgid=${expectMsgid(line as string)};+typing=active :${mask('alice')} TAGMSG :#c`);
    expect(await carol.sync()).toEqual([]);
  });

  it('to a nick reaches a message-tags client; to a client without it, nothing (and no error)', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@+typing=paused TAGMSG bob');
    alice.send('@+typing=paused TAGMSG carol');
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    expect(line).toBe(`@msgid=${expectMsgid(line as string)};+typing=paused :${mask('alice')} TAGMSG :bob`);
    expect(await carol.sync()).toEqual([]);
  });

  it('without tags still carries the msgid; errors are those of PRIVMSG', async () => {
    const { alice, bob } = await trio();
    alice.send('TAGMSG bob');
    alice.send('TAGMSG nobody');
    alice.send('TAGMSG #nowhere');
    alice.send('TAGMSG');
    expect(await alice.sync()).toEqual([
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 403 alice #nowhere :No such channel`,
      `${S} 411 alice :No recipient given (TAGMSG)`,
    ]);
    const [line] = await bob.sync();
    expect(line).toBe(`@msgid=${expectMsgid(line as string)} :${mask('alice')} TAGMSG :bob`);
  });

  it('honours channel modes: +m refuses an unvoiced sender with 404', async () => {
    const { alice, bob } = await trio();
    alice.send('MODE #c +m');
    await alice.sync();
    await bob.sync();
    bob.send('@+typing=active TAGMSG #c');
    expect(await bob.sync()).toEqual([`${S} 404 bob #c :Cannot send to channel (moderated, +m)`]);
    expect(await alice.sync()).toEqual([]);
  });
});

describe('size limit of client tag data', () => {
  it('4094 bytes are accepted and relayed whole; 4095 get 417 and nothing is relayed', async () => {
    const { alice, bob, carol } = await trio();
    const value = (dataBytes: number) => 'v'.repeat(dataBytes - '+example.com/big='.length);
    alice.send(`@+example.com/big=${value(4094)} PRIVMSG #c :fits`);
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    expect(splitTags(line as string).tags.get('+example.com/big')).toBe(value(4094));
    expect(splitTags(line as string).body).toBe(`:${mask('alice')} PRIVMSG #c :fits`);
    expect(await carol.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :fits`]);

    alice.send(`@+example.com/big=${value(4095)} PRIVMSG #c :too much`);
    expect(await alice.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(await bob.sync()).toEqual([]);
    expect(await carol.sync()).toEqual([]);
    // The connection carries on.
    alice.send('PRIVMSG #c :still here');
    await alice.sync();
    expect(await carol.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :still here`]);
  });

  it('the limit is separate from the 512 bytes of the message body', async () => {
    const { alice, bob } = await trio();
    const text = 'x'.repeat(400);
    alice.send(`@+example.com/big=${'v'.repeat(4000)} PRIVMSG #c :${text}`);
    expect(await alice.sync()).toEqual([]);
    const [line] = await bob.sync();
    expect(splitTags(line as string).body).toBe(`:${mask('alice')} PRIVMSG #c :${text}`);
  });
});
