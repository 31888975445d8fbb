/**
 * CHATHISTORY against the in-memory store, through the real command and
 * effects: each subcommand with msgid and timestamp references, limits,
 * refusals, event-playback, direct conversations, TARGETS, multiline replay
 * and replay on JOIN.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { emit } from '../../../src/network/effects.js';
import { CAP } from '../../../src/protocol/caps.js';
import type { HistoryEntry } from '../../../src/store/types.js';
import { World, type FakeClient } from '../../helpers/harness.js';

const CAPS = ['batch', 'server-time', 'message-tags', 'draft/chathistory'];
const S = ':obrol.local';
const iso = (ms: number) => new Date(ms).toISOString();

let world: World;
let alice: FakeClient;
/** Ten messages in #c, one second apart: m0 .. m9. */
let msgs: HistoryEntry[];

/** Lines with the server's own (BATCH, FAIL, ...) without their time tag: it is the time of the reply. */
const bare = (lines: string[]) => lines.map((l) => l.replace(/^@time=[^ ;]+ (:obrol\.local )/, '$1'));

/** The PRIVMSG texts in a reply (inside its batch). */
const texts = (lines: string[]) => lines.filter((l) => / PRIVMSG /.test(l)).map((l) => l.slice(l.lastIndexOf(':') + 1));

beforeEach(async () => {
  world = new World({ config: { history: { query_limit: 50 } } });
  alice = world.connect('alice', { caps: CAPS });
  alice.run('JOIN #c');
  for (let k = 0; k < 10; k++) {
    world.now++;
    alice.run(`PRIVMSG #c :m${k}`);
    if (k === 4) alice.run('TOPIC #c :a topic');
  }
  msgs = (await world.store.history.latest('#c', 100)).filter((e) => e.command === 'PRIVMSG');
  expect(msgs).toHaveLength(10);
});

const id = (k: number) => `msgid=${(msgs[k] as HistoryEntry).msgid}`;
const ts = (k: number) => `timestamp=${iso((msgs[k] as HistoryEntry).time)}`;

describe('selections', () => {
  it('leaves out entries past history.max_age, even before the retention timer prunes them', async () => {
    const aged = new World({ config: { history: { query_limit: 50, max_age: 5 } } });
    const carol = aged.connect('carol', { caps: CAPS });
    carol.run('JOIN #c');
    for (let k = 0; k < 10; k++) {
      aged.now++;
      carol.run(`PRIVMSG #c :m${k}`);
    }
    // One second after m9 (sent at seconds 1..10, asked at 11): m0..m4 are more than 5 seconds old.
    aged.now += 1;
    expect(texts(bare(await carol.runAsync('CHATHISTORY LATEST #c * 10')))).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
    expect((await aged.store.history.latest('#c', 100)).filter((e) => e.command === 'PRIVMSG')).toHaveLength(10);
  });

  it('LATEST * gives the newest, oldest first, in a chathistory batch with the original msgid and time', async () => {
    const lines = await alice.runAsync('CHATHISTORY LATEST #c * 3');
    expect(bare([lines[0] as string, lines.at(-1) as string])).toEqual([`${S} BATCH +b1 chathistory :#c`, `${S} BATCH :-b1`]);
    expect(lines.slice(1, -1)).toEqual([7, 8, 9].map((k) => `@time=${iso((msgs[k] as HistoryEntry).time)};msgid=${(msgs[k] as HistoryEntry).msgid} :alice!alice@127.0.0.1 PRIVMSG #c :m${k}`));
  });

  it('LATEST after a msgid or a timestamp', async () => {
    expect(texts(bare(await alice.runAsync(`CHATHISTORY LATEST #c ${id(6)} 10`)))).toEqual(['m7', 'm8', 'm9']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY LATEST #c ${ts(6)} 10`)))).toEqual(['m7', 'm8', 'm9']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY LATEST #c ${id(2)} 2`)))).toEqual(['m8', 'm9']);
  });

  it('BEFORE and AFTER, excluding the reference, closest first within the limit', async () => {
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BEFORE #c ${id(5)} 2`)))).toEqual(['m3', 'm4']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BEFORE #c ${ts(5)} 10`)))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY AFTER #c ${id(5)} 2`)))).toEqual(['m6', 'm7']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY AFTER #c ${ts(7)} 10`)))).toEqual(['m8', 'm9']);
  });

  it('AROUND a msgid or a timestamp', async () => {
    expect(texts(bare(await alice.runAsync(`CHATHISTORY AROUND #c ${id(5)} 1`)))).toEqual(['m5']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY AROUND #c ${id(5)} 3`)))).toEqual(['m4', 'm5', 'm6']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY AROUND #c ${ts(5)} 3`)))).toContain('m5');
  });

  it('BETWEEN forwards and backwards, excluding both ends; the limit counts from the first reference', async () => {
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BETWEEN #c ${id(1)} ${id(5)} 10`)))).toEqual(['m2', 'm3', 'm4']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BETWEEN #c ${id(5)} ${id(1)} 10`)))).toEqual(['m2', 'm3', 'm4']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BETWEEN #c ${ts(0)} ${ts(9)} 2`)))).toEqual(['m1', 'm2']);
    expect(texts(bare(await alice.runAsync(`CHATHISTORY BETWEEN #c ${ts(9)} ${ts(0)} 2`)))).toEqual(['m7', 'm8']);
  });

  it('an unknown msgid gives an empty batch', async () => {
    expect(bare(await alice.runAsync('CHATHISTORY BEFORE #c msgid=nope 10'))).toEqual([`${S} BATCH +b1 chathistory :#c`, `${S} BATCH :-b1`]);
  });

  it('the limit is capped by history.query_limit (0 asks for that many)', async () => {
    const small = new World({ config: { history: { query_limit: 2 } } });
    const bob = small.connect('bob', { caps: CAPS });
    bob.run('JOIN #c');
    for (let k = 0; k < 4; k++) bob.run(`PRIVMSG #c :n${k}`);
    expect(texts(bare(await bob.runAsync('CHATHISTORY LATEST #c * 100')))).toEqual(['n2', 'n3']);
    expect(texts(bare(await bob.runAsync('CHATHISTORY LATEST #c * 0')))).toEqual(['n2', 'n3']);
  });
});

describe('event-playback', () => {
  it('without it, only PRIVMSG and NOTICE, and the limit counts only those', async () => {
    const lines = bare(await alice.runAsync(`CHATHISTORY BEFORE #c ${id(6)} 3`));
    expect(lines.filter((l) => !/ BATCH /.test(l)).every((l) => / PRIVMSG /.test(l))).toBe(true);
    expect(texts(lines)).toEqual(['m3', 'm4', 'm5']);
  });

  it('with it, the channel events too, as the lines they were', async () => {
    alice.capMask |= CAP.EVENT_PLAYBACK;
    const lines = bare(await alice.runAsync('CHATHISTORY LATEST #c * 100'));
    const commands = lines.slice(1, -1).map((l) => l.split(' ')[2]);
    expect(commands).toEqual(['JOIN', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'TOPIC', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG']);
    // A client without extended-join sees the plain JOIN.
    expect(lines[1]).toMatch(/ :alice!alice@127\.0\.0\.1 JOIN :#c$/);
    expect(lines[7]).toMatch(/ :alice!alice@127\.0\.0\.1 TOPIC #c :a topic$/);
  });
});

describe('refusals', () => {
  it('a channel one is not on, or that does not exist: INVALID_TARGET', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    expect(bare(await bob.runAsync('CHATHISTORY LATEST #c * 10'))).toEqual([`${S} FAIL CHATHISTORY INVALID_TARGET LATEST #c :You cannot read the history of that target`]);
    expect(bare(await bob.runAsync('CHATHISTORY LATEST #nowhere * 10'))).toEqual([`${S} FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere :You cannot read the history of that target`]);
    expect(bare(await bob.runAsync('CHATHISTORY LATEST bad,target * 10'))).toEqual([`${S} FAIL CHATHISTORY INVALID_TARGET LATEST bad,target :You cannot read the history of that target`]);
  });

  it('bad references and limits: INVALID_PARAMS naming the parameter', async () => {
    const fail = (param: string, sub = 'BEFORE') => [`${S} FAIL CHATHISTORY INVALID_PARAMS ${sub} ${param} :Invalid parameters`];
    expect(bare(alice.run('CHATHISTORY BEFORE #c * 10'))).toEqual(fail('*'));
    expect(bare(alice.run('CHATHISTORY BEFORE #c timestamp=yesterday 10'))).toEqual(fail('timestamp=yesterday'));
    expect(bare(alice.run('CHATHISTORY BEFORE #c msgid= 10'))).toEqual(fail('msgid='));
    expect(bare(alice.run('CHATHISTORY BEFORE #c nonsense 10'))).toEqual(fail('nonsense'));
    expect(bare(alice.run(`CHATHISTORY BEFORE #c ${id(1)} -5`))).toEqual(fail('-5'));
    expect(bare(alice.run(`CHATHISTORY BEFORE #c ${id(1)} ten`))).toEqual(fail('ten'));
    expect(bare(alice.run(`CHATHISTORY TARGETS ${id(1)} * 10`))).toEqual(fail(id(1), 'TARGETS'));
  });

  it('an unknown subcommand: UNKNOWN_COMMAND; missing parameters: NEED_MORE_PARAMS', () => {
    expect(bare(alice.run('CHATHISTORY SIDEWAYS #c * 10'))).toEqual([`${S} FAIL CHATHISTORY UNKNOWN_COMMAND SIDEWAYS :Unknown command`]);
    expect(bare(alice.run('CHATHISTORY LATEST #c *'))).toEqual([`${S} FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :Missing parameters`]);
    expect(bare(alice.run('CHATHISTORY BETWEEN #c * 10'))).toEqual([`${S} FAIL CHATHISTORY NEED_MORE_PARAMS BETWEEN :Missing parameters`]);
    expect(bare(alice.run('CHATHISTORY'))).toEqual([`${S} FAIL CHATHISTORY NEED_MORE_PARAMS * :Missing parameters`]);
  });

  it('with history off: MESSAGE_ERROR', () => {
    const off = new World({ config: { history: { enabled: false } } });
    const bob = off.connect('bob', { caps: CAPS });
    expect(bare(bob.run('CHATHISTORY LATEST #c * 10'))).toEqual([`${S} FAIL CHATHISTORY MESSAGE_ERROR LATEST #c :History is not kept on this server`]);
  });
});

describe('direct conversations', () => {
  it('each side reads the same conversation under the other\'s nick, any case', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    bob.user.account = 'bob';
    const carol = world.connect('carol', { caps: CAPS });
    carol.user.account = 'carol';
    bob.run('PRIVMSG carol :hi carol');
    carol.run('PRIVMSG bob :hi bob');
    bob.run('PRIVMSG alice :another conversation');
    expect(texts(bare(await bob.runAsync('CHATHISTORY LATEST carol * 10')))).toEqual(['hi carol', 'hi bob']);
    expect(texts(bare(await carol.runAsync('CHATHISTORY LATEST BOB * 10')))).toEqual(['hi carol', 'hi bob']);
    // Once carol is gone, her account (registered) still names the conversation.
    await world.store.accounts.createAccount('carol', { name: 'Carol', passwordHash: 'x', scram: null, email: null, verified: true, verifyCode: null, registeredAt: 0, certfps: [], alwaysOn: false, channels: [] });
    world.disconnect(carol.user, 'bye');
    expect(texts(bare(await bob.runAsync('CHATHISTORY LATEST carol * 10')))).toEqual(['hi carol', 'hi bob']);
  });

  it('a side not logged in sees nothing from before it connected: the nick was someone else\'s', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    bob.user.account = 'bob';
    const dave = world.connect('dave', { caps: CAPS });
    world.now++;
    bob.run('PRIVMSG dave :for the first dave');
    world.disconnect(dave.user, 'bye');
    world.now++;
    const dave2 = world.connect('dave', { caps: CAPS });
    expect(texts(bare(await dave2.runAsync('CHATHISTORY LATEST bob * 10')))).toEqual([]);
    bob.run('PRIVMSG dave :for the second dave');
    expect(texts(bare(await dave2.runAsync('CHATHISTORY LATEST bob * 10')))).toEqual(['for the second dave']);
    expect(texts(bare(await bob.runAsync('CHATHISTORY LATEST dave * 10')))).toEqual(['for the first dave', 'for the second dave']);
  });

  it('a user who takes a nick by NICK reads nothing the nick said or was sent before', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    bob.user.account = 'bob';
    const dave = world.connect('dave', { caps: CAPS });
    world.now++;
    bob.run('PRIVMSG dave :for the first dave');
    world.disconnect(dave.user, 'bye');
    const x = world.connect('x', { caps: CAPS });
    world.now++;
    x.run('NICK dave');
    expect(texts(bare(await x.runAsync('CHATHISTORY LATEST bob * 10')))).toEqual([]);
  });

  it('an unregistered channel made again after it emptied shows nothing of the old one', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    bob.run('JOIN #tmp');
    bob.run('PRIVMSG #tmp :said in the old #tmp');
    bob.run('PART #tmp');
    world.now++;
    const eve = world.connect('eve', { caps: CAPS });
    eve.run('JOIN #tmp');
    expect(texts(bare(await eve.runAsync('CHATHISTORY LATEST #tmp * 10')))).toEqual([]);
  });

  it('between two users not logged in nothing is kept: an empty batch', async () => {
    const bob = world.connect('bob', { caps: CAPS });
    alice.run('PRIVMSG bob :unkept');
    expect(bare(await bob.runAsync('CHATHISTORY LATEST alice * 10'))).toEqual([`${S} BATCH +b1 chathistory :alice`, `${S} BATCH :-b1`]);
  });
});

describe('TARGETS', () => {
  it('the channels and conversations with something in the range, by latest time, oldest first', async () => {
    alice.user.account = 'alice';
    const bob = world.connect('bob', { caps: CAPS });
    world.now += 10;
    alice.run('PRIVMSG bob :hi');
    const dm = world.now * 1000;
    const chan = (msgs[9] as HistoryEntry).time;
    const all = bare(await alice.runAsync('CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2200-01-01T00:00:00.000Z 10'));
    expect(all).toEqual([`${S} BATCH +b1 :draft/chathistory-targets`, `${S} CHATHISTORY TARGETS #c :${iso(chan)}`, `${S} CHATHISTORY TARGETS bob :${iso(dm)}`, `${S} BATCH :-b1`]);
    const later = bare(await alice.runAsync(`CHATHISTORY TARGETS timestamp=${iso(chan)} timestamp=2200-01-01T00:00:00.000Z 10`));
    expect(later.slice(1, -1)).toEqual([`${S} CHATHISTORY TARGETS bob :${iso(dm)}`]);
    const one = bare(await alice.runAsync('CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2200-01-01T00:00:00.000Z 1'));
    expect(one.slice(1, -1)).toEqual([`${S} CHATHISTORY TARGETS #c :${iso(chan)}`]);
  });
});

describe('multiline replay', () => {
  const send = () =>
    emit(world, { type: 'message', origin: world.bus.nodeId, userId: alice.user.id, command: 'PRIVMSG', target: '#c', channel: '#c', statusMask: 0, recipientId: null, text: 'one', tags: [['+draft/reply', 'x']], lines: [{ text: 'one', concat: false }, { text: '', concat: false }, { text: 'two', concat: true }], msgid: 'ml1', time: (world.now + 1) * 1000 }, null);

  it('to a client with draft/multiline: a multiline batch inside the chathistory batch, the msgid on its opening', async () => {
    send();
    const bob = world.connect('bob', { caps: CAPS });
    bob.capMask |= CAP.MULTILINE;
    bob.run('JOIN #c');
    const lines = bare(await bob.runAsync('CHATHISTORY LATEST #c * 1'));
    const at = iso((world.now + 1) * 1000);
    expect(lines).toEqual([
      `${S} BATCH +b1 chathistory :#c`,
      `@time=${at};msgid=ml1;+draft/reply=x :alice!alice@127.0.0.1 BATCH +b2 draft/multiline :#c`,
      `@time=${at} :alice!alice@127.0.0.1 PRIVMSG #c :one`,
      `@time=${at} :alice!alice@127.0.0.1 PRIVMSG #c :`,
      `@time=${at};draft/multiline-concat :alice!alice@127.0.0.1 PRIVMSG #c :two`,
      `${S} BATCH :-b2`,
      `${S} BATCH :-b1`,
    ]);
  });

  it('to a client without it: one PRIVMSG per non-blank line, the msgid on the first, the client tags on each', async () => {
    send();
    const lines = bare(await alice.runAsync('CHATHISTORY LATEST #c * 1'));
    const at = iso((world.now + 1) * 1000);
    expect(lines.slice(1, -1)).toEqual([`@time=${at};msgid=ml1;+draft/reply=x :alice!alice@127.0.0.1 PRIVMSG #c :one`, `@time=${at};+draft/reply=x :alice!alice@127.0.0.1 PRIVMSG #c :two`]);
  });
});

describe('replay on join', () => {
  it('history.replay_on_join N: the last N messages after the names, to clients without draft/chathistory', async () => {
    const w = new World({ config: { history: { replay_on_join: 2 } } });
    const a = w.connect('alice');
    await a.runAsync('JOIN #c');
    for (let k = 0; k < 3; k++) a.run(`PRIVMSG #c :r${k}`);
    const bob = w.connect('bob', { caps: ['batch', 'server-time'] });
    const lines = bare(await bob.runAsync('JOIN #c'));
    const end = lines.findIndex((l) => / 366 /.test(l));
    expect(end).toBeGreaterThan(0);
    expect(lines.slice(end + 1)).toEqual([
      `${S} BATCH +b1 chathistory :#c`,
      `@time=${iso(w.now * 1000)} :alice!alice@127.0.0.1 PRIVMSG #c :r1`,
      `@time=${iso(w.now * 1000)} :alice!alice@127.0.0.1 PRIVMSG #c :r2`,
      `${S} BATCH :-b1`,
    ]);
    // A client that asks for history itself gets none unasked.
    const carol = w.connect('carol', { caps: CAPS });
    expect((bare(await carol.runAsync('JOIN #c'))).filter((l) => / PRIVMSG /.test(l))).toEqual([]);
  });

  it('off by default', async () => {
    const bob = world.connect('bob', { caps: ['batch'] });
    const lines = bare(await bob.runAsync('JOIN #c'));
    expect(lines.at(-1)).toMatch(/ 366 /);
  });
});

describe('TARGETS and later activity', () => {
  it('leaves out a target whose latest entry is past the range, even with entries inside it', async () => {
    const before = `timestamp=${iso((msgs[0] as HistoryEntry).time - 1000)}`;
    expect(bare(await alice.runAsync(`CHATHISTORY TARGETS ${before} ${ts(5)} 10`))).toEqual([`${S} BATCH +b1 :draft/chathistory-targets`, `${S} BATCH :-b1`]);
    expect(bare(await alice.runAsync(`CHATHISTORY TARGETS ${before} timestamp=2200-01-01T00:00:00.000Z 10`)).slice(1, -1)).toEqual([`${S} CHATHISTORY TARGETS #c :${iso((msgs[9] as HistoryEntry).time)}`]);
  });
});
