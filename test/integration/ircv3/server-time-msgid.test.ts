/**
 * server-time (the `time` tag) and message ids (the `msgid` tag, sent with
 * message-tags): present only with the capability; one value per event,
 * shared by every copy of it.
 * https://ircv3.net/specs/extensions/server-time,
 * https://ircv3.net/specs/extensions/message-ids
 */
import { describe, expect, it } from 'vitest';
import { expectMsgid, expectTime, mask, S, settle, splitTags, tagNames, useIrc } from './setup.js';

const irc = useIrc();

describe('server-time', () => {
  it('a relayed PRIVMSG has a time tag (ISO, milliseconds, UTC) only for clients with server-time', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.withCaps(port, 'bob', 'server-time');
    const carol = await irc.register(port, 'carol');
    for (const c of [alice, bob, carol]) await irc.join(c, '#c');
    await settle(alice, bob, carol);

    const before = Date.now();
    alice.send('PRIVMSG #c :what time is it');
    await alice.sync();
    const [line] = await bob.sync();
    const time = expectTime(line as string);
    // No msgid without message-tags.
    expect(line).toBe(`@time=${time} :${mask('alice')} PRIVMSG #c :what time is it`);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
    expect(await carol.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :what time is it`]);
  });

  it('every line to a server-time client has one, numerics and PONG included; none to others', async () => {
    const { port } = await irc.server();
    const bob = await irc.withCaps(port, 'bob', 'server-time');
    const carol = await irc.register(port, 'carol');
    bob.send('PING :tick');
    bob.send('WHOIS nobody');
    bob.send('JOIN #t');
    const lines = await bob.sync();
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      expect(tagNames(line)).toEqual(['time']);
      expectTime(line);
    }
    expect(lines.map((l) => splitTags(l).body)).toEqual([
      `${S} PONG obrol.local :tick`,
      `${S} 401 bob nobody :No such nick/channel`,
      `${S} 318 bob nobody :End of /WHOIS list`,
      `:${mask('bob')} JOIN :#t`,
      `${S} 353 bob = #t :@bob`,
      `${S} 366 bob #t :End of /NAMES list`,
    ]);
    carol.send('PING :tock');
    carol.send('JOIN #t');
    expect((await carol.sync()).every((line) => !line.startsWith('@'))).toBe(true);
  });

  it('all copies of one event carry the same time', async () => {
    const { port } = await irc.server();
    const [a, b, c] = [await irc.withCaps(port, 'a', 'server-time'), await irc.withCaps(port, 'b', 'server-time'), await irc.withCaps(port, 'c', 'server-time message-tags')];
    for (const x of [a, b, c]) await irc.join(x, '#c');
    await settle(a, b, c);
    a.send('TOPIC #c :same moment');
    const [ta] = await a.sync();
    const [tb] = await b.sync();
    const [tc] = await c.sync();
    expect(expectTime(tb as string)).toBe(expectTime(ta as string));
    expect(expectTime(tc as string)).toBe(expectTime(ta as string));
  });
});

describe('msgid', () => {
  it('is sent with message-tags only (not with server-time alone)', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const tagged = await irc.withCaps(port, 'tagged', 'message-tags');
    const timed = await irc.withCaps(port, 'timed', 'server-time');
    const plain = await irc.register(port, 'plain');
    for (const c of [alice, tagged, timed, plain]) await irc.join(c, '#c');
    await settle(alice, tagged, timed, plain);

    alice.send('PRIVMSG #c :id please');
    await alice.sync();
    const [t] = await tagged.sync();
    expect(t).toBe(`@msgid=${expectMsgid(t as string)} :${mask('alice')} PRIVMSG #c :id please`);
    const [u] = await timed.sync();
    expect(tagNames(u as string)).toEqual(['time']);
    expect(await plain.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :id please`]);
  });

  it('one id per event, the same for every recipient and for the echo; a new id for the next event', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', 'message-tags echo-message');
    const bob = await irc.withCaps(port, 'bob', 'message-tags');
    const carol = await irc.withCaps(port, 'carol', 'message-tags server-time');
    for (const c of [alice, bob, carol]) await irc.join(c, '#c');
    await settle(alice, bob, carol);

    alice.send('PRIVMSG #c :first');
    alice.send('PRIVMSG #c :second');
    const echoes = await alice.sync();
    const atBob = await bob.sync();
    const atCarol = await carol.sync();
    expect(echoes).toHaveLength(2);
    const ids = echoes.map((l) => expectMsgid(l));
    expect(atBob.map((l) => expectMsgid(l))).toEqual(ids);
    expect(atCarol.map((l) => expectMsgid(l))).toEqual(ids);
    expect(ids[0]).not.toBe(ids[1]);
    // Same bytes for alice and bob (same capabilities as far as tags go).
    expect(atBob).toEqual(echoes);
  });

  it('JOIN, PART, NICK, TOPIC, MODE, KICK and QUIT carry one shared id', async () => {
    const { port } = await irc.server();
    const op = await irc.withCaps(port, 'op', 'message-tags');
    const peer = await irc.withCaps(port, 'peer', 'message-tags');
    const victim = await irc.withCaps(port, 'victim', 'message-tags');
    await irc.join(op, '#c');
    await irc.join(peer, '#c');
    await settle(op, peer);

    victim.send('JOIN #c');
    await victim.expect(/ 366 /);
    const joinOp = await op.expect(/ JOIN /);
    const joinPeer = await peer.expect(/ JOIN /);
    expect(expectMsgid(joinOp)).toBe(expectMsgid(joinPeer));

    const shared = async (send: () => void, command: string) => {
      send();
      const a = await op.expect((l) => splitTags(l).body.split(' ')[1] === command);
      const b = await peer.expect((l) => splitTags(l).body.split(' ')[1] === command);
      expect(expectMsgid(a), command).toBe(expectMsgid(b));
      return a;
    };
    await shared(() => peer.send('NICK peer2'), 'NICK');
    await shared(() => op.send('TOPIC #c :topic'), 'TOPIC');
    await shared(() => op.send('MODE #c +v peer2'), 'MODE');
    await shared(() => victim.send('PART #c :bye'), 'PART');
    victim.send('JOIN #c');
    await victim.expect(/ 366 /);
    await shared(() => op.send('KICK #c victim :out'), 'KICK');
    victim.send('JOIN #c');
    await victim.expect(/ 366 /);
    await shared(() => victim.send('QUIT :gone'), 'QUIT');
  });
});
