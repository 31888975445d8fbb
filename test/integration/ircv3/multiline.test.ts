/**
 * draft/multiline over real sockets: a client batch of lines delivered as one
 * batch to clients with the capability and as plain lines to the others,
 * echoed (with its label) to the sender, refused as a whole by the channel's
 * rules, and every FAIL BATCH the spec names.
 * https://ircv3.net/specs/extensions/multiline
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { ManualClock } from '../../helpers/clock.js';
import { sessionOf, until } from '../../helpers/until.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

const BASE = 'message-tags batch echo-message server-time labeled-response';
const ML = `${BASE} draft/multiline`;

/** alice and bob with draft/multiline, carol without, all on #test. */
async function trio(options: { clock?: ManualClock } = {}): Promise<{ alice: TestClient; bob: TestClient; carol: TestClient }> {
  const { port } = await irc.server(options.clock ? { clock: options.clock } : {});
  const alice = await irc.withCaps(port, 'alice', ML);
  const bob = await irc.withCaps(port, 'bob', ML);
  const carol = await irc.withCaps(port, 'carol', BASE);
  for (const c of [alice, bob, carol]) await irc.join(c, '#test');
  await settle(alice, bob, carol);
  return { alice, bob, carol };
}

const body = (line: string) => splitTags(line).body;
const tags = (line: string) => splitTags(line).tags;
/** What `c` got so far, without tag sections. */
const bodies = async (c: TestClient) => (await c.sync()).map(body);

describe('a multiline message to a channel', () => {
  it('reaches clients with the capability as one batch, the others as lines, and comes back to the sender with its label', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@label=xyz BATCH +123 draft/multiline #test');
    alice.send('@batch=123 PRIVMSG #test hello');
    alice.send('@batch=123 PRIVMSG #test :how is ');
    alice.send('@batch=123;draft/multiline-concat PRIVMSG #test :everyone?');
    alice.send('BATCH -123');

    const echo = await alice.sync();
    expect(echo).toHaveLength(5);
    const start = echo[0] as string;
    expect(body(start)).toMatch(new RegExp(`^:${mask('alice').replace(/[.!]/g, '\\$&')} BATCH \\+(\\S+) draft/multiline :#test$`));
    expect(tags(start).get('label')).toBe('xyz');
    const msgid = expectMsgid(start);
    const time = tags(start).get('time');
    const ref = body(start).split(' ')[2]?.slice(1) as string;
    expect(body(echo[4] as string)).toMatch(new RegExp(` BATCH :?-${ref}$`));
    expect(echo.slice(1, 4).map(body)).toEqual([
      `:${mask('alice')} PRIVMSG #test :hello`,
      `:${mask('alice')} PRIVMSG #test :how is `,
      `:${mask('alice')} PRIVMSG #test :everyone?`,
    ]);
    for (const line of echo.slice(1, 4)) {
      expect(tags(line).get('batch')).toBe(ref);
      expect(tags(line).has('msgid')).toBe(false);
    }
    expect(tags(echo[3] as string).has('draft/multiline-concat')).toBe(true);
    expect(tags(echo[2] as string).has('draft/multiline-concat')).toBe(false);

    const relay = await bob.sync();
    expect(relay).toHaveLength(5);
    const bobRef = body(relay[0] as string).split(' ')[2]?.slice(1) as string;
    expect(body(relay[0] as string)).toBe(`:${mask('alice')} BATCH +${bobRef} draft/multiline :#test`);
    expect(tags(relay[0] as string).get('msgid')).toBe(msgid);
    expect(tags(relay[0] as string).get('time')).toBe(time);
    expect(tags(relay[0] as string).has('label')).toBe(false);
    expect(relay.slice(1, 4).map((l) => tags(l).get('batch'))).toEqual([bobRef, bobRef, bobRef]);
    expect(relay.slice(1, 4).map((l) => tags(l).has('msgid'))).toEqual([false, false, false]);
    expect(tags(relay[3] as string).has('draft/multiline-concat')).toBe(true);
    expect(body(relay[4] as string)).toMatch(new RegExp(` BATCH :?-${bobRef}$`));

    const fallback = await carol.sync();
    expect(fallback.map(body)).toEqual([
      `:${mask('alice')} PRIVMSG #test :hello`,
      `:${mask('alice')} PRIVMSG #test :how is `,
      `:${mask('alice')} PRIVMSG #test :everyone?`,
    ]);
    expect(fallback.map((l) => tags(l).get('msgid') ?? null)).toEqual([msgid, null, null]);
    expect(fallback.map((l) => tags(l).get('time'))).toEqual([time, time, time]);
    expect(fallback.some((l) => tags(l).has('draft/multiline-concat') || tags(l).has('batch'))).toBe(false);
  });

  it('keeps blank lines in the batch, leaves them out of the fallback, and puts the client-only tags of BATCH + on the message', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('@+client-only-tag BATCH +a draft/multiline #test');
    alice.send('@batch=a PRIVMSG #test :');
    alice.send('@batch=a PRIVMSG #test :#how is ');
    alice.send('@batch=a;draft/multiline-concat PRIVMSG #test :everyone?');
    alice.send('BATCH -a');
    await alice.sync();
    const relay = await bob.sync();
    expect(relay.slice(1, -1).map(body)).toEqual([`:${mask('alice')} PRIVMSG #test :`, `:${mask('alice')} PRIVMSG #test :#how is `, `:${mask('alice')} PRIVMSG #test :everyone?`]);
    expect(tags(relay[0] as string).has('+client-only-tag')).toBe(true);
    const fallback = await carol.sync();
    expect(fallback.map(body)).toEqual([`:${mask('alice')} PRIVMSG #test :#how is `, `:${mask('alice')} PRIVMSG #test :everyone?`]);
    expect(fallback.map((l) => tags(l).has('+client-only-tag'))).toEqual([true, true]);
    expect(tags(fallback[0] as string).get('msgid')).toBe(tags(relay[0] as string).get('msgid'));
  });

  it('to a nick: the recipient gets the batch, the sender its echo; a NOTICE batch too', async () => {
    const { alice, bob } = await trio();
    alice.send('BATCH +n draft/multiline bob');
    alice.send('@batch=n NOTICE bob :one');
    alice.send('@batch=n NOTICE bob :two');
    alice.send('BATCH -n');
    expect((await alice.sync()).map(body).slice(1, -1)).toEqual([`:${mask('alice')} NOTICE bob :one`, `:${mask('alice')} NOTICE bob :two`]);
    const got = await bob.sync();
    expect(got.map(body)[0]).toMatch(/ BATCH \+\S+ draft\/multiline :bob$/);
    expect(got.map(body).slice(1, -1)).toEqual([`:${mask('alice')} NOTICE bob :one`, `:${mask('alice')} NOTICE bob :two`]);
  });

  it('a sender without echo-message gets nothing back; one without batch gets its echo as lines', async () => {
    const { port } = await irc.server();
    const quiet = await irc.withCaps(port, 'quiet', 'draft/multiline batch');
    const plain = await irc.withCaps(port, 'plain', 'draft/multiline echo-message');
    await irc.join(quiet, '#c');
    await irc.join(plain, '#c');
    await settle(quiet, plain);
    quiet.send('BATCH +q draft/multiline #c');
    quiet.send('@batch=q PRIVMSG #c :a');
    quiet.send('@batch=q PRIVMSG #c :b');
    quiet.send('BATCH -q');
    expect(await bodies(quiet)).toEqual([]);
    // plain has draft/multiline but not batch: lines.
    expect(await bodies(plain)).toEqual([`:${mask('quiet')} PRIVMSG #c :a`, `:${mask('quiet')} PRIVMSG #c :b`]);
    plain.send('BATCH +p draft/multiline #c');
    plain.send('@batch=p PRIVMSG #c :c');
    plain.send('BATCH -p');
    expect(await bodies(plain)).toEqual([`:${mask('plain')} PRIVMSG #c :c`]);
  });
});

describe('the channel decides once', () => {
  it('a batch to a moderated channel is refused with one 404 and reaches nobody', async () => {
    const { alice, bob, carol } = await trio();
    alice.send('MODE #test +m');
    await settle(alice, bob, carol);
    bob.send('BATCH +m draft/multiline #test');
    bob.send('@batch=m PRIVMSG #test :one');
    bob.send('@batch=m PRIVMSG #test :two');
    bob.send('BATCH -m');
    expect(await bodies(bob)).toEqual([`${S} 404 bob #test :Cannot send to channel (moderated, +m)`]);
    expect(await bodies(alice)).toEqual([]);
    expect(await bodies(carol)).toEqual([]);
  });

  it('a batch to a channel one is not in (+n) is refused; to a missing nick, 401', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', ML);
    const bob = await irc.withCaps(port, 'bob', ML);
    await irc.join(bob, '#n');
    await settle(alice, bob);
    alice.send('BATCH +x draft/multiline #n');
    alice.send('@batch=x PRIVMSG #n :hi');
    alice.send('BATCH -x');
    expect(await bodies(alice)).toEqual([`${S} 404 alice #n :Cannot send to channel (no external messages, +n)`]);
    alice.send('BATCH +y draft/multiline nobody');
    alice.send('@batch=y PRIVMSG nobody :hi');
    alice.send('BATCH -y');
    expect(await bodies(alice)).toEqual([`${S} 401 alice nobody :No such nick/channel`]);
    expect(await bodies(bob)).toEqual([]);
  });
});

describe('FAIL BATCH', () => {
  async function alone(): Promise<TestClient> {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', ML);
    await irc.join(alice, '#test');
    await alice.sync();
    return alice;
  }

  it('MULTILINE_MAX_LINES past max-lines, once; the rest of the batch is dropped quietly', async () => {
    const alice = await alone();
    alice.send('BATCH +l draft/multiline #test');
    for (let k = 0; k < 34; k++) alice.send('@batch=l PRIVMSG #test hi');
    alice.send('BATCH -l');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_MAX_LINES 32 :Multiline batch max-lines exceeded (32)`]);
  });

  it('MULTILINE_MAX_BYTES past max-bytes (a line break counts as a byte)', async () => {
    const alice = await alone();
    alice.send('BATCH +b draft/multiline #test');
    for (let k = 0; k < 11; k++) alice.send(`@batch=b PRIVMSG #test ${'x'.repeat(400)}`);
    alice.send('BATCH -b');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_MAX_BYTES 4096 :Multiline batch max-bytes exceeded (4096)`]);
    // 10 lines of 409 bytes and their 9 line breaks are 4099 bytes; 4096 is the limit.
    alice.send('BATCH +c draft/multiline #test');
    for (let k = 0; k < 10; k++) alice.send(`@batch=c PRIVMSG #test ${'x'.repeat(409)}`);
    alice.send('BATCH -c');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_MAX_BYTES 4096 :Multiline batch max-bytes exceeded (4096)`]);
    alice.send('BATCH +d draft/multiline #test');
    for (let k = 0; k < 9; k++) alice.send(`@batch=d PRIVMSG #test ${'x'.repeat(409)}`);
    alice.send('@batch=d;draft/multiline-concat PRIVMSG #test :y');
    alice.send('BATCH -d');
    expect((await alice.sync()).map(body).slice(1, -1)).toHaveLength(10);
  });

  it('MULTILINE_INVALID_TARGET for a line to another target', async () => {
    const alice = await alone();
    alice.send('BATCH +t draft/multiline #test');
    alice.send('@batch=t PRIVMSG #other :hi');
    alice.send('BATCH -t');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID_TARGET #test #other :Every line of a multiline batch must go to its target`]);
  });

  it('MULTILINE_INVALID: wrong batch tag, concat on a blank line, only blank lines, an unknown end, another command inside', async () => {
    const alice = await alone();
    alice.send('BATCH +123 draft/multiline #test');
    alice.send('@batch=231 PRIVMSG #test :hi');
    alice.send('BATCH -123');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :Line tagged batch=231 inside batch 123`]);

    alice.send('BATCH +123 draft/multiline #test');
    alice.send('@batch=123 PRIVMSG #test :hi');
    alice.send('@batch=123;draft/multiline-concat PRIVMSG #test :');
    alice.send('BATCH -123');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :A blank line cannot carry draft/multiline-concat`]);

    alice.send('BATCH +e draft/multiline #test');
    alice.send('@batch=e PRIVMSG #test :');
    alice.send('BATCH -e');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :A multiline message needs a line that is not blank`]);

    alice.send('BATCH -zz');
    alice.send('@batch=zz PRIVMSG #test :stray');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :No batch zz is open`, `${S} FAIL BATCH MULTILINE_INVALID :No batch zz is open`]);

    alice.send('BATCH +w draft/multiline #test');
    alice.send('@batch=w PRIVMSG #test :hi');
    alice.send('TOPIC #test :x');
    alice.send('BATCH -w');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :TOPIC is not allowed inside a multiline batch`, `${S} FAIL BATCH MULTILINE_INVALID :No batch w is open`]);
  });

  it('a bad reference, an unknown type, or no capability', async () => {
    const { port } = await irc.server();
    const alice = await irc.withCaps(port, 'alice', ML);
    const bare = await irc.withCaps(port, 'bare', 'batch');
    alice.send('BATCH +a_b draft/multiline #test');
    alice.send('BATCH +a other #test');
    expect(await bodies(alice)).toEqual([
      `${S} FAIL BATCH INVALID_REFTAG +a_b :A batch reference is + or - then letters, digits and dashes`,
      `${S} FAIL BATCH INVALID_PARAMS other :Clients may open draft/multiline batches only`,
    ]);
    bare.send('BATCH +a draft/multiline #test');
    expect(await bodies(bare)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :Negotiate draft/multiline before sending one`]);
  });

  it('a batch left open is dropped with a FAIL once the client has been silent for 30 seconds', async () => {
    const clock = new ManualClock();
    const { alice, bob } = await trio({ clock });
    alice.send('BATCH +o draft/multiline #test');
    alice.send('@batch=o PRIVMSG #test :never finished');
    expect(await bodies(alice)).toEqual([]);
    clock.advance(29_000);
    expect(await bodies(alice)).toEqual([]);
    clock.advance(30_000);
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :Batch o was not closed within 30 seconds`]);
    alice.send('BATCH -o');
    expect(await bodies(alice)).toEqual([`${S} FAIL BATCH MULTILINE_INVALID :No batch o is open`]);
    expect(await bodies(bob)).toEqual([]);
  });
});

describe('flood control', () => {
  it('every line of a batch pays half a unit: a batch past the burst waits for the bucket, and arrives whole', async () => {
    const clock = new ManualClock();
    const classes = [{ name: 'c', hosts: ['*'], max_per_ip: 100, max_per_cidr: 100, connects_per_minute: 10_000, recvq_bytes: 65_536, flood_burst: 20, flood_rate: 10 }];
    const srv = await irc.server({ clock, config: { classes } });
    const alice = await irc.withCaps(srv, 'alice', ML);
    const bob = await irc.withCaps(srv, 'bob', ML);
    alice.send('JOIN #f');
    bob.send('JOIN #f');
    clock.advance(1000);
    await settle(alice, bob);
    clock.advance(2000); // both buckets full again: 20 units
    const waiting = sessionOf(srv, 'alice').backlog;
    // 20 PINGs (10 units), BATCH + (1) and 18 lines (9) run at once; 12 lines and BATCH - (7 units) wait.
    const pings = Array.from({ length: 20 }, (_, k) => `PING p${k}\r\n`).join('');
    const lines = Array.from({ length: 30 }, (_, k) => `@batch=f PRIVMSG #f :line ${k}\r\n`);
    alice.write(`${pings}BATCH +f draft/multiline #f\r\n${lines.join('')}BATCH -f\r\n`);
    await until(() => waiting.length === 13, `13 lines waiting (now ${waiting.length})`);
    clock.advance(699);
    expect(waiting.length).toBe(1);
    clock.advance(1);
    expect(waiting.length).toBe(0);
    const got = await bob.expect(/ BATCH :?-/);
    expect(got).toMatch(/BATCH :?-ml-/);
    expect(bob.received.filter((l) => l.includes(' PRIVMSG #f :line '))).toHaveLength(30);
  });
});
