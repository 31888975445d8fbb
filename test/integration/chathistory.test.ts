/**
 * Stored history over real sockets: the capabilities and ISUPPORT tokens
 * that announce it, CHATHISTORY answered in batches whose lines carry the
 * msgids and times the live messages had, inside a labeled-response, and
 * the chat client core (which asks for CHATHISTORY on join and when
 * scrolled back) against the real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chatSessions, waitModel } from '../helpers/chat.js';
import { parse } from '../helpers/client.js';
import { S, useFixture } from '../helpers/fixture.js';
import { ManualClock } from '../helpers/clock.js';
import { RETENTION_INTERVAL_MS } from '../../src/history/retention.js';

const fx = useFixture();
const chats = chatSessions();
afterEach(() => chats.closeAll());

const CAPS = 'batch echo-message labeled-response message-tags server-time draft/chathistory';

describe('announcing history', () => {
  it('offers draft/chathistory and draft/event-playback, with CHATHISTORY and MSGREFTYPES in 005', async () => {
    const srv = await fx.server({ config: { history: { query_limit: 77 } } });
    const c = await fx.connect(srv);
    c.send('CAP LS 302');
    const ls = await c.expect(/ CAP \* LS /);
    expect(ls.split(' ')).toEqual(expect.arrayContaining(['draft/chathistory', 'draft/event-playback']));
    c.send('NICK n1');
    c.send('USER n1 0 * :n');
    c.send('CAP END');
    const isupport = await c.expect(/ 005 .*CHATHISTORY=/);
    expect(isupport).toMatch(/ CHATHISTORY=77 /);
    expect(isupport).toMatch(/ MSGREFTYPES=msgid,timestamp /);
  });

  it('with history.enabled off, neither the capabilities nor the tokens', async () => {
    const srv = await fx.server({ config: { history: { enabled: false } } });
    const c = await fx.connect(srv);
    c.send('CAP LS 302');
    expect(await c.expect(/ CAP \* LS /)).not.toMatch(/chathistory|event-playback/);
    c.send('NICK n1');
    c.send('USER n1 0 * :n');
    c.send('CAP END');
    const lines = [await c.expect(/ 422 | 376 /), ...c.drain()];
    expect(c.received.join('\n')).not.toMatch(/CHATHISTORY=|MSGREFTYPES/);
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('CHATHISTORY over a connection', () => {
  it('replays the echoed messages with their msgid and time, each tagged with the batch', async () => {
    const srv = await fx.server();
    const alice = await fx.withCaps(srv, 'alice', CAPS);
    await fx.join(alice, '#h');
    const echoes: Array<{ msgid: string; time: string; text: string }> = [];
    for (let k = 0; k < 3; k++) {
      alice.send(`PRIVMSG #h :line ${k}`);
      const echo = parse(await alice.expect(/ PRIVMSG #h /));
      echoes.push({ msgid: echo.tags?.get('msgid') as string, time: echo.tags?.get('time') as string, text: echo.params[1] as string });
    }
    alice.send('CHATHISTORY LATEST #h * 10');
    const open = parse(await alice.expect(/ BATCH \+/));
    expect(open.params.slice(1)).toEqual(['chathistory', '#h']);
    const id = (open.params[0] as string).slice(1);
    const lines = await alice.sync();
    const inside = lines.map(parse).filter((m) => m.command === 'PRIVMSG');
    expect(inside.map((m) => ({ msgid: m.tags?.get('msgid'), time: m.tags?.get('time'), text: m.params[1] }))).toEqual(echoes);
    expect(inside.every((m) => m.tags?.get('batch') === id)).toBe(true);
    expect(lines.map(parse).find((m) => m.command === 'BATCH')?.params).toEqual([`-${id}`]);
  });

  it('with a label, the chathistory batch nests in the labeled-response batch', async () => {
    const srv = await fx.server();
    const alice = await fx.withCaps(srv, 'alice', CAPS);
    await fx.join(alice, '#h');
    alice.send('PRIVMSG #h :hello');
    await alice.expect(/ PRIVMSG #h /);
    alice.send('@label=q1 CHATHISTORY BEFORE #h timestamp=2200-01-01T00:00:00.000Z 5');
    const outer = parse(await alice.expect(/ BATCH \+/));
    expect(outer.tags?.get('label')).toBe('q1');
    expect(outer.params[1]).toBe('labeled-response');
    const rest = (await alice.sync()).map(parse);
    expect(rest.map((m) => [m.command, m.params.slice(1)[0] ?? m.params[0]])).toEqual([
      ['BATCH', 'chathistory'],
      ['PRIVMSG', 'hello'],
      ['BATCH', rest[2]?.params[0]],
      ['BATCH', `-${(outer.params[0] as string).slice(1)}`],
    ]);
    expect(rest[0]?.tags?.get('batch')).toBe((outer.params[0] as string).slice(1));
  });

  it('refuses a channel the caller is not in, with FAIL INVALID_TARGET', async () => {
    const srv = await fx.server();
    const alice = await fx.withCaps(srv, 'alice', CAPS);
    await fx.join(alice, '#h');
    const bob = await fx.withCaps(srv, 'bob', 'draft/chathistory');
    bob.send('CHATHISTORY LATEST #h * 10');
    expect(await bob.expect(/ FAIL /)).toBe(`${S} FAIL CHATHISTORY INVALID_TARGET LATEST #h :You cannot read the history of that target`);
  });
});

describe('retention on the server\'s clock', () => {
  it('history.max_per_target is applied by the server\'s minute timer, not when a message arrives', async () => {
    const clock = new ManualClock(Date.now());
    const srv = await fx.server({ clock, config: { history: { max_per_target: 2 } } });
    const alice = await fx.withCaps(srv, 'alice', CAPS);
    await fx.join(alice, '#h');
    for (let k = 0; k < 4; k++) {
      alice.send(`PRIVMSG #h :n${k}`);
      await alice.expect(new RegExp(` PRIVMSG #h :n${k}$`));
    }
    const texts = async () => {
      alice.send('CHATHISTORY LATEST #h * 10');
      return (await alice.sync()).map(parse).filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]);
    };
    expect(await texts()).toEqual(['n0', 'n1', 'n2', 'n3']);
    clock.advance(RETENTION_INTERVAL_MS);
    await srv.server.store.history.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await texts()).toEqual(['n2', 'n3']);
  });
});

describe('the chat client core against the real server', () => {
  it('gets the latest lines on join and older ones when scrolled back, until there are none', async () => {
    const srv = await fx.server();
    const alice = await fx.withCaps(srv, 'alice', CAPS);
    await fx.join(alice, '#h');
    for (let k = 1; k <= 5; k++) {
      alice.send(`PRIVMSG #h :message ${k}`);
      await alice.expect(new RegExp(` PRIVMSG #h :message ${k}$`));
    }
    const s = await chats.connect(srv.port, 'hist', { channels: ['#h'], historyBatch: 3 });
    const m = s.model;
    expect(s.caps).toContain('draft/chathistory');
    const chan = await waitModel(m, () => m.find('#h'), '#h');
    await waitModel(m, () => chan.lines.filter((l) => l.history).length === 3 && !chan.historyLoading, 'the latest three lines');
    expect(chan.lines.filter((l) => l.history).map((l) => l.text)).toEqual(['message 3', 'message 4', 'message 5']);
    expect(s.requestOlder(chan)).toBe(true);
    await waitModel(m, () => chan.lines.filter((l) => l.history).length === 5 && !chan.historyLoading, 'the older lines');
    expect(chan.lines.filter((l) => l.history).map((l) => l.text)).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
    expect(chan.historyExhausted).toBe(true);
  });
});
