/**
 * Fan-out by capability set: one PRIVMSG to a channel whose members have two
 * different rendering capability sets is serialized twice (once per set),
 * and every copy shares one msgid and one time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CAP } from '../../../src/protocol/caps.js';
import { Outgoing } from '../../../src/protocol/outgoing.js';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, expectTime, mask, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('fan-out by capability set', () => {
  it('6 members, 3 with server-time and message-tags, 3 without: two renderings, one msgid and time', async () => {
    const { port } = await irc.server();
    const tagged: TestClient[] = [];
    const plain: TestClient[] = [];
    // The sender is one of the tagged; echo-message is not a rendering capability.
    tagged.push(await irc.withCaps(port, 't0', 'server-time message-tags echo-message'));
    for (const nick of ['t1', 't2']) tagged.push(await irc.withCaps(port, nick, nick === 't1' ? 'message-tags server-time away-notify' : 'server-time message-tags'));
    for (const nick of ['p0', 'p1']) plain.push(await irc.register(port, nick));
    // Capabilities that change no tags still render plainly.
    plain.push(await irc.withCaps(port, 'p2', 'away-notify extended-join'));
    const all = [...tagged, ...plain];
    for (const c of all) await irc.join(c, '#fan');
    await settle(...all);

    // Count serializations of this PRIVMSG inside the (in-process) server.
    const spy = vi.spyOn(Outgoing.prototype, 'tagsFor');
    const sender = tagged[0] as TestClient;
    sender.send('PRIVMSG #fan :one event, two renderings');
    const received: string[] = [];
    for (const c of all) {
      const lines = await c.sync();
      expect(lines, c.nick).toHaveLength(1);
      received.push(lines[0] as string);
    }
    const renderedKeys = spy.mock.contexts
      .map((ctx, i) => [ctx as Outgoing, spy.mock.calls[i]?.[0]] as const)
      .filter(([out]) => out.message.command === 'PRIVMSG' && out.message.params[1] === 'one event, two renderings')
      .map(([, key]) => key);
    expect(renderedKeys).toHaveLength(2);
    expect(new Set(renderedKeys)).toEqual(new Set([CAP.MESSAGE_TAGS | CAP.SERVER_TIME, 0]));

    const body = `:${mask('t0')} PRIVMSG #fan :one event, two renderings`;
    const taggedLines = received.slice(0, 3);
    const plainLines = received.slice(3);
    const id = expectMsgid(taggedLines[0] as string);
    const time = expectTime(taggedLines[0] as string);
    // The tagged group, the sender's echo included, got identical lines.
    expect(taggedLines).toEqual([0, 1, 2].map(() => `@time=${time};msgid=${id} ${body}`));
    expect(plainLines).toEqual([0, 1, 2].map(() => body));
    expect(taggedLines.map((l) => splitTags(l).body)).toEqual(plainLines);
  });

  it('each event has its own msgid, the same across both groups', async () => {
    const { port } = await irc.server();
    const a = await irc.withCaps(port, 'a', 'message-tags server-time');
    const b = await irc.withCaps(port, 'b', 'message-tags');
    const c = await irc.register(port, 'c');
    for (const x of [a, b, c]) await irc.join(x, '#fan');
    await settle(a, b, c);
    c.send('PRIVMSG #fan :first');
    c.send('PRIVMSG #fan :second');
    await c.sync();
    const atA = await a.sync();
    const atB = await b.sync();
    expect(atA.map((l) => expectMsgid(l))).toEqual(atB.map((l) => expectMsgid(l)));
    expect(new Set(atA.map((l) => expectMsgid(l))).size).toBe(2);
    expect(atA.map((l) => splitTags(l).body)).toEqual(atB.map((l) => splitTags(l).body));
  });
});
