/**
 * Output and input limits added with the hardening work, over real sockets:
 * WHO and LIST stop at limits.who_results / list_results with 416
 * ERR_TOOMANYMATCHES, limits.client_tag_bytes bounds the tags a client may
 * send, and STATS u, m and z (https://modern.ircdocs.horse/#stats-message;
 * m and z are for operators).
 * Also the configurable lengths no other test sets: user_length,
 * channel_length and whowas_entries.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';

const S = ':obrol.local';
const PASSWORD = 'limits-oper-password';
let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

/** Send a command and return everything it answered (up to a PING round trip). */
async function run(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  return c.sync();
}

function code(line: string): string {
  return line.split(' ')[1] ?? '';
}

describe('WHO and LIST result limits', () => {
  it('WHO on a channel stops at who_results: that many 352s, then 416, then 315', async () => {
    const srv = await fx.server({ config: { limits: { who_results: 3 } } });
    const users: TestClient[] = [];
    for (const nick of ['u1', 'u2', 'u3', 'u4', 'u5']) {
      const c = await fx.register(srv, nick);
      await fx.join(c, '#c');
      users.push(c);
    }
    const u1 = users[0] as TestClient;
    await u1.sync();
    expect(await run(u1, 'WHO #c')).toEqual([
      `${S} 352 u1 #c u1 127.0.0.1 obrol.local u1 H@ :0 u1 Test`,
      `${S} 352 u1 #c u2 127.0.0.1 obrol.local u2 H :0 u2 Test`,
      `${S} 352 u1 #c u3 127.0.0.1 obrol.local u3 H :0 u3 Test`,
      `${S} 416 u1 WHO :Output too long: only the first 3 results; ask for less`,
      `${S} 315 u1 #c :End of WHO list`,
    ]);
    // A mask over users (not a channel) is capped the same way.
    const masked = await run(u1, 'WHO u*');
    expect(masked.map(code)).toEqual(['352', '352', '352', '416', '315']);
    expect(masked.slice(3)).toEqual([
      `${S} 416 u1 WHO :Output too long: only the first 3 results; ask for less`,
      `${S} 315 u1 u* :End of WHO list`,
    ]);
    // Exactly as many results as the limit: no 416.
    for (const c of users.slice(0, 3)) await fx.join(c, '#three');
    await u1.sync();
    expect((await run(u1, 'WHO #three')).map(code)).toEqual(['352', '352', '352', '315']);
  });

  it('LIST stops at list_results: that many 322s, then 416, then 323', async () => {
    const srv = await fx.server({ config: { limits: { list_results: 3 } } });
    const alice = await fx.register(srv, 'alice');
    for (const ch of ['#a', '#b', '#c', '#d', '#e']) await fx.join(alice, ch);
    expect(await run(alice, 'LIST')).toEqual([
      `${S} 321 alice Channel :Users  Name`,
      `${S} 322 alice #a 1 :`,
      `${S} 322 alice #b 1 :`,
      `${S} 322 alice #c 1 :`,
      `${S} 416 alice LIST :Output too long: only the first 3 results; ask for less`,
      `${S} 323 alice :End of /LIST`,
    ]);
    // Exactly as many as the limit: no 416.
    expect((await run(alice, 'LIST #c,#d,#e')).map(code)).toEqual(['321', '322', '322', '322', '323']);
  });
});

describe('limits.client_tag_bytes', () => {
  it('a tag section over the limit gets 417 and is not relayed; one at the limit is relayed', async () => {
    const srv = await fx.server({ config: { limits: { client_tag_bytes: 100 } } });
    const alice = await fx.withCaps(srv, 'alice', 'message-tags', { ls302: false });
    const bob = await fx.withCaps(srv, 'bob', 'message-tags', { ls302: false });
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    // "@+a=" + value + " ": 5 bytes around the value.
    const atLimit = 'v'.repeat(95);
    const overLimit = 'w'.repeat(96);
    await alice.sync();
    expect(await run(alice, `@+a=${overLimit} PRIVMSG #c :over`)).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(await run(alice, `@+a=${atLimit} PRIVMSG #c :at the limit`)).toEqual([]);
    const relayed = await bob.sync();
    expect(relayed).toHaveLength(1);
    expect(relayed[0]).toMatch(new RegExp(`^@msgid=[^; ]+;\\+a=${atLimit} :alice!alice@127\\.0\\.0\\.1 PRIVMSG #c :at the limit$`));
    expect(bob.received.some((l) => l.includes('over'))).toBe(false);
  });

  it('the default (4096) lets through a tag section that a lowered limit refuses', async () => {
    const srv = await fx.server();
    const alice = await fx.withCaps(srv, 'alice', 'message-tags', { ls302: false });
    expect(await run(alice, `@+a=${'w'.repeat(200)} TAGMSG alice`)).toHaveLength(1);
    expect(alice.received.some((l) => / 417 /.test(l))).toBe(false);
  });
});

describe('STATS', () => {
  it('STATS u: 242 with the uptime, then 219', async () => {
    const srv = await fx.server();
    const alice = await fx.register(srv, 'alice');
    const lines = await run(alice, 'STATS u');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^:obrol\.local 242 alice :Server Up 0 days 00:00:0\d$/);
    expect(lines[1]).toBe(`${S} 219 alice u :End of /STATS report`);
  });

  it('STATS m: 481 for a non-oper, and nothing of the counts', async () => {
    const srv = await fx.server();
    const bob = await fx.register(srv, 'bob');
    expect(await run(bob, 'STATS m')).toEqual([`${S} 481 bob :Permission Denied- You're not an IRC operator`]);
  });

  it('STATS m for an oper: one 212 per command used, with counts that grow', async () => {
    const srv = await fx.server({ config: { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    await fx.join(alice, '#c');
    const before = await run(alice, 'STATS m');
    expect(before.at(-1)).toBe(`${S} 219 alice m :End of /STATS report`);
    const counts = (lines: string[]) =>
      new Map(lines.filter((l) => code(l) === '212').map((l) => [l.split(' ')[3] as string, Number(l.split(' ')[4])]));
    const first = counts(before);
    expect(before.filter((l) => code(l) === '212').every((l) => /^:obrol\.local 212 alice [A-Z]+ \d+ 0 :0$/.test(l))).toBe(true);
    expect(first.get('JOIN')).toBe(1);
    expect(first.get('NICK')).toBe(1);
    expect(first.get('USER')).toBe(1);
    expect(first.get('STATS')).toBe(1);
    expect(first.has('PRIVMSG')).toBe(false);
    alice.send('PRIVMSG #c :one');
    alice.send('PRIVMSG #c :two');
    const second = counts(await run(alice, 'STATS m'));
    expect(second.get('PRIVMSG')).toBe(2);
    expect(second.get('STATS')).toBe(2);
    // sync() itself sends a PING each time.
    expect(second.get('PING')).toBe((first.get('PING') ?? 0) + 1);
    // The lines come sorted by command.
    const names = [...second.keys()];
    expect(names).toEqual([...names].sort());
  });

  it('STATS z: 481 for a non-oper; memory and table lines (249) then 219 for an oper', async () => {
    const srv = await fx.server({ config: { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
    const bob = await fx.register(srv, 'bob');
    expect(await run(bob, 'STATS z')).toEqual([`${S} 481 bob :Permission Denied- You're not an IRC operator`]);
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    await fx.join(alice, '#c');
    const lines = await run(alice, 'STATS z');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^:obrol\.local 249 alice z :rss [\d.]+ MiB, heap used [\d.]+ MiB of [\d.]+ MiB, external [\d.]+ MiB$/);
    expect(lines[1]).toBe(`${S} 249 alice z :connections 2, users 2, channels 1, whowas 0`);
    expect(lines[2]).toBe(`${S} 249 alice z :admission: 1 addresses, 1 blocks, 1 recent, 0 throttled`);
    // #c is charged to alice, who made it: 1024 bytes and two 2-character names.
    expect(lines[3]).toBe(`${S} 249 alice z :stored state: 1060 bytes charged to 1 owners (limits: 65536 per user, 268435456 in all)`);
    expect(lines[4]).toBe(`${S} 219 alice z :End of /STATS report`);
  });

  it('an unknown letter gets only 219, and STATS without a letter 219 *', async () => {
    const srv = await fx.server();
    const alice = await fx.register(srv, 'alice');
    expect(await run(alice, 'STATS q')).toEqual([`${S} 219 alice q :End of /STATS report`]);
    expect(await run(alice, 'STATS')).toEqual([`${S} 219 alice * :End of /STATS report`]);
  });
});

describe('lengths no other test configures', () => {
  it('limits.user_length cuts the username (and is advertised as USERLEN)', async () => {
    const srv = await fx.server({ config: { limits: { user_length: 5 } } });
    const alice = await fx.register(srv, 'alice', { user: 'abcdefghij' });
    expect(alice.received.join('\n')).toMatch(/ USERLEN=5 /);
    alice.send('JOIN #c');
    expect(await alice.expect(/ JOIN /)).toBe(':alice!abcde@127.0.0.1 JOIN :#c');
  });

  it('limits.channel_length: a longer name gets 403, one of that length is fine', async () => {
    const srv = await fx.server({ config: { limits: { channel_length: 10 } } });
    const alice = await fx.register(srv, 'alice');
    expect(alice.received.join('\n')).toMatch(/ CHANNELLEN=10 /);
    expect(await run(alice, 'JOIN #abcdefghij')).toEqual([`${S} 403 alice #abcdefghij :No such channel`]);
    alice.send('JOIN #abcdefghi');
    expect(await alice.expect(/ JOIN /)).toBe(':alice!alice@127.0.0.1 JOIN :#abcdefghi');
  });

  it('limits.whowas_entries: only the newest entries are kept', async () => {
    const srv = await fx.server({ config: { limits: { whowas_entries: 2 } } });
    const alice = await fx.register(srv, 'alice');
    for (const nick of ['gone1', 'gone2', 'gone3']) await (await fx.register(srv, nick)).quit();
    expect(await run(alice, 'WHOWAS gone1')).toEqual([`${S} 406 alice gone1 :There was no such nickname`, `${S} 369 alice gone1 :End of WHOWAS`]);
    expect((await run(alice, 'WHOWAS gone2')).map(code)).toEqual(['314', '312', '369']);
    expect((await run(alice, 'WHOWAS gone3')).map(code)).toEqual(['314', '312', '369']);
  });
});
