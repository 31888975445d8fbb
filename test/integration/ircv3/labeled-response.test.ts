/**
 * labeled-response (with batch): the label comes back on exactly one logical
 * response: the single reply line, an ACK when there is none, or the start of
 * a labeled-response batch around several lines.
 * https://ircv3.net/specs/extensions/labeled-response,
 * https://ircv3.net/specs/extensions/batch
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { expectTime, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();
const LABELED = 'labeled-response batch';

async function labeledClient(caps = LABELED): Promise<{ port: number; alice: TestClient }> {
  const { port } = await irc.server();
  const alice = await irc.withCaps(port, 'alice', caps);
  return { port, alice };
}

/** Check `lines` form one labeled-response batch carrying `label`; return the lines inside (without the batch tag). */
function unbatch(lines: string[], label: string): string[] {
  // (The last parameter always has a ':', as everywhere in Obrol.)
  const open = /^@label=(\S+) :obrol\.local BATCH \+(\S+) :labeled-response$/.exec(lines[0] ?? '');
  expect(open, lines[0]).not.toBeNull();
  expect(open?.[1]).toBe(label);
  const id = open?.[2] as string;
  expect(lines.at(-1)).toBe(`${S} BATCH :-${id}`);
  const inner = lines.slice(1, -1);
  for (const line of inner) expect(line.startsWith(`@batch=${id} `), line).toBe(true);
  return inner.map((line) => line.slice(`@batch=${id} `.length));
}

describe('labeled-response', () => {
  it('a labeled PING: the PONG carries the label', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=ping1 PING :tok');
    expect(await alice.sync()).toEqual([`@label=ping1 ${S} PONG obrol.local :tok`]);
  });

  it('a labeled command with no reply: a labeled ACK', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=abc PONG :whatever');
    alice.send('@label=def MODE alice +i');
    alice.send('@label=ghi MODE alice +i');
    expect(await alice.sync()).toEqual([`@label=abc ${S} ACK`, `@label=def :${mask('alice')} MODE alice :+i`, `@label=ghi ${S} ACK`]);
  });

  it('a labeled WHOIS: a labeled-response batch, every line in it tagged with the batch', async () => {
    const { port, alice } = await labeledClient();
    await irc.register(port, 'bob');
    alice.send('@label=w1 WHOIS nobody');
    const lines = await alice.sync();
    expect(unbatch(lines, 'w1')).toEqual([`${S} 401 alice nobody :No such nick/channel`, `${S} 318 alice nobody :End of /WHOIS list`]);

    alice.send('@label=w2 WHOIS bob');
    const inner = unbatch(await alice.sync(), 'w2');
    expect(inner[0]).toBe(`${S} 311 alice bob bob 127.0.0.1 * :bob Test`);
    expect(inner.at(-1)).toBe(`${S} 318 alice bob :End of /WHOIS list`);
    expect(inner.map((l) => l.split(' ')[1])).toEqual(['311', '312', '317', '318']);
  });

  it('each batch has a new reference tag', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=a WHOIS nobody');
    alice.send('@label=b WHOIS nobody');
    const lines = await alice.sync();
    const ids = lines.filter((l) => / BATCH \+/.test(l)).map((l) => / BATCH \+(\S+)/.exec(l)?.[1]);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('a labeled JOIN: JOIN, names and end of names in one batch', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=j JOIN #c');
    expect(unbatch(await alice.sync(), 'j')).toEqual([`:${mask('alice')} JOIN :#c`, `${S} 353 alice = #c :@alice`, `${S} 366 alice #c :End of /NAMES list`]);
  });

  it('errors are labeled too: 421, 461, and a line that is not a command', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=e1 FROBNICATE');
    alice.send('@label=e2 JOIN');
    alice.send('@label=e3 12 x');
    expect(await alice.sync()).toEqual([
      `@label=e1 ${S} 421 alice FROBNICATE :Unknown command`,
      `@label=e2 ${S} 461 alice JOIN :Not enough parameters`,
      `@label=e3 ${S} 421 alice 12 :Unknown command`,
    ]);
  });

  it('a labeled PRIVMSG with echo-message: the echo carries the label, the recipient copy does not', async () => {
    const { port, alice } = await labeledClient(`${LABELED} echo-message`);
    const bob = await irc.withCaps(port, 'bob', 'labeled-response batch message-tags');
    alice.send('@label=m1 PRIVMSG bob :hello');
    expect(await alice.sync()).toEqual([`@label=m1 :${mask('alice')} PRIVMSG bob :hello`]);
    const [line] = await bob.sync();
    expect([...splitTags(line as string).tags.keys()]).toEqual(['msgid']);
    expect(splitTags(line as string).body).toBe(`:${mask('alice')} PRIVMSG bob :hello`);
  });

  it('a labeled PRIVMSG without echo-message: a labeled ACK', async () => {
    const { port, alice } = await labeledClient();
    const bob = await irc.register(port, 'bob');
    alice.send('@label=m2 PRIVMSG bob :hello');
    expect(await alice.sync()).toEqual([`@label=m2 ${S} ACK`]);
    expect(await bob.sync()).toEqual([`:${mask('alice')} PRIVMSG bob :hello`]);
  });

  it('a labeled PRIVMSG to oneself: only the echo is labeled', async () => {
    const { alice } = await labeledClient(`${LABELED} echo-message`);
    alice.send('@label=self PRIVMSG alice :me');
    expect(await alice.sync()).toEqual([`:${mask('alice')} PRIVMSG alice :me`, `@label=self :${mask('alice')} PRIVMSG alice :me`]);
  });

  it('a label of 64 bytes is used; one of 65 bytes is ignored', async () => {
    const { alice } = await labeledClient();
    const ok = 'x'.repeat(64);
    const tooLong = 'y'.repeat(65);
    alice.send(`@label=${ok} PING :a`);
    alice.send(`@label=${tooLong} PING :b`);
    alice.send(`@label=${tooLong} PONG :c`);
    expect(await alice.sync()).toEqual([`@label=${ok} ${S} PONG obrol.local :a`, `${S} PONG obrol.local :b`]);
  });

  it('the label value is escaped again on the way back', async () => {
    const { alice } = await labeledClient();
    alice.send('@label=a\\:b\\sc PING :x');
    expect(await alice.sync()).toEqual([`@label=a\\:b\\sc ${S} PONG obrol.local :x`]);
  });

  it('with server-time: the label first, then the time; the batch lines have both tags', async () => {
    const { alice } = await labeledClient(`${LABELED} server-time`);
    alice.send('@label=t1 PING :x');
    const [pong] = await alice.sync();
    expect(pong).toBe(`@label=t1;time=${expectTime(pong as string)} ${S} PONG obrol.local :x`);
    alice.send('@label=t2 WHOIS nobody');
    const lines = await alice.sync();
    expect(lines.map((l) => [...splitTags(l).tags.keys()])).toEqual([['label', 'time'], ['batch', 'time'], ['batch', 'time'], ['time']]);
  });

  it('without labeled-response the label is ignored', async () => {
    const { port } = await irc.server();
    const plain = await irc.withCaps(port, 'plain', 'batch message-tags');
    plain.send('@label=nope PING :x');
    plain.send('@label=nope PONG :x');
    plain.send('@label=nope WHOIS nobody');
    expect(await plain.sync()).toEqual([`${S} PONG obrol.local :x`, `${S} 401 plain nobody :No such nick/channel`, `${S} 318 plain nobody :End of /WHOIS list`]);
  });

  it('labeled-response without batch: single replies and ACKs are labeled, several lines are sent unlabeled', async () => {
    const { alice } = await labeledClient('labeled-response');
    alice.send('@label=s PING :x');
    alice.send('@label=n PONG :x');
    alice.send('@label=m WHOIS nobody');
    expect(await alice.sync()).toEqual([
      `@label=s ${S} PONG obrol.local :x`,
      `@label=n ${S} ACK`,
      `${S} 401 alice nobody :No such nick/channel`,
      `${S} 318 alice nobody :End of /WHOIS list`,
    ]);
  });

  it('what others cause is never labeled nor batched', async () => {
    const { port, alice } = await labeledClient();
    const bob = await irc.register(port, 'bob');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    await settle(alice);
    bob.send('PRIVMSG #c :unsolicited');
    await bob.sync();
    expect(await alice.sync()).toEqual([`:${mask('bob')} PRIVMSG #c :unsolicited`]);
  });
});
