/**
 * draft/metadata-3: key/value data on users and channels, in the form Ergo
 * and irctest (server_tests/metadata_3.py) implement
 * (https://github.com/ircv3/ircv3-specifications/pull/501). GET, LIST, CLEAR,
 * SYNC and SUBS answer in batches; subscribers hear of changes.
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { useFixture } from '../helpers/fixture.js';

const S = ':obrol.local';
const CAPS = 'draft/metadata-3 batch';

const fx = useFixture();

/** Negotiate `caps` ('' for none) before NICK and USER, then register. */
async function client(port: number, nick: string, caps = CAPS): Promise<TestClient> {
  const c = await fx.connect(port);
  if (caps !== '') {
    c.send(`CAP REQ :${caps}`);
    expect(await c.expect(/ CAP \* (ACK|NAK) /)).toBe(`${S} CAP * ACK :${caps}`);
  }
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  if (caps !== '') c.send('CAP END');
  await c.expect(/ (376|422) /);
  await c.sync();
  c.nick = nick;
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(` 366 ${c.nick} ${channel} `);
  await c.sync();
}

/** Everything the clients were sent so far has arrived and is consumed; fail if any of them got anything. */
async function expectNothing(...cs: TestClient[]): Promise<void> {
  for (const c of cs) expect(await c.sync(), `lines sent to ${c.nick}`).toEqual([]);
}

/**
 * Replace each batch reference with B1, B2... in order of opening, after
 * checking every reference is opened once, closed once, and only used in between.
 */
function batchIds(lines: string[]): string[] {
  const names = new Map<string, string>();
  const open = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    let text = line;
    const tag = /^@batch=(\S+) /.exec(text);
    if (tag) {
      const id = tag[1] as string;
      expect(open.has(id), `batch ${id} is open at ${line}`).toBe(true);
      text = `@batch=${names.get(id) as string} ${text.slice(tag[0].length)}`;
    }
    const start = / BATCH \+(\S+) /.exec(text);
    const end = / BATCH :-(\S+)$/.exec(text);
    if (start) {
      const id = start[1] as string;
      expect(names.has(id), `batch ${id} opened once`).toBe(false);
      names.set(id, `B${names.size + 1}`);
      open.add(id);
      text = text.replace(` BATCH +${id} `, ` BATCH +${names.get(id) as string} `);
    } else if (end) {
      const id = end[1] as string;
      expect(open.has(id), `batch ${id} closed once, after it was opened`).toBe(true);
      open.delete(id);
      text = text.replace(/ BATCH :-\S+$/, ` BATCH :-${names.get(id) as string}`);
    }
    out.push(text);
  }
  expect([...open], 'batches left open').toEqual([]);
  return out;
}

/** Send a line and return the reply lines, batch references renamed B1, B2... */
async function ask(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  return batchIds(await c.sync());
}

describe('CAP LS', () => {
  it('offers draft/metadata-3 with before-connect and the configured limits', async () => {
    const { port } = await fx.server({ config: { limits: { metadata_keys: 7, metadata_subscriptions: 8, metadata_value_bytes: 9 } } });
    const c = await fx.connect(port);
    c.send('CAP LS 302');
    const [ls] = await c.sync();
    expect(ls?.split(' ')).toContain('draft/metadata-3=before-connect,max-subs=8,max-keys=7,max-value-bytes=9');
  });

  it('shows the default limits', async () => {
    const { port } = await fx.server();
    const c = await fx.connect(port);
    c.send('CAP LS 302');
    const [ls] = await c.sync();
    expect(ls?.split(' ')).toContain('draft/metadata-3=before-connect,max-subs=100,max-keys=50,max-value-bytes=300');
  });
});

describe('METADATA on yourself', () => {
  it('SET with * or your own nick answers 761; GET with either answers in a metadata batch', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * SET display-name :Foo The First')).toEqual([`${S} 761 foo foo display-name * :Foo The First`]);
    expect(await ask(foo, 'METADATA * GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo display-name * :Foo The First`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(foo, 'METADATA foo SET display-name :Foo The Second')).toEqual([`${S} 761 foo foo display-name * :Foo The Second`]);
    expect(await ask(foo, 'METADATA FOO GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo display-name * :Foo The Second`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('GET answers 761 or 766 for every key in order, and FAIL INVALID_KEY inside the batch for a bad name', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, 'METADATA * SET avatar :https://example.com/foo.png');
    expect(await ask(foo, 'METADATA * GET display-name $bad avatar Upper')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 766 foo foo display-name :Key not set`,
      `@batch=B1 ${S} FAIL METADATA INVALID_KEY $bad :Invalid key name`,
      `@batch=B1 ${S} 761 foo foo avatar * :https://example.com/foo.png`,
      `@batch=B1 ${S} FAIL METADATA INVALID_KEY Upper :Invalid key name`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('GET without a key is 461', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * GET')).toEqual([`${S} 461 foo METADATA :Not enough parameters`]);
  });

  it('LIST gives every key in a batch (an empty batch when there is none)', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * LIST')).toEqual([`${S} BATCH +B1 metadata :foo`, `${S} BATCH :-B1`]);
    await ask(foo, 'METADATA * SET display-name :Foo');
    await ask(foo, 'METADATA * SET avatar :https://example.com/foo.png');
    expect(await ask(foo, 'METADATA foo LIST')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo display-name * :Foo`,
      `@batch=B1 ${S} 761 foo foo avatar * :https://example.com/foo.png`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('SET with a key and no value removes it (766)', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, 'METADATA * SET display-name :Foo');
    expect(await ask(foo, 'METADATA * SET display-name')).toEqual([`${S} 766 foo foo display-name :Key not set`]);
    expect(await ask(foo, 'METADATA * GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 766 foo foo display-name :Key not set`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(foo, 'METADATA * LIST')).toEqual([`${S} BATCH +B1 metadata :foo`, `${S} BATCH :-B1`]);
  });

  it('SET with an invalid key name is FAIL INVALID_KEY', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * SET Display :x')).toEqual([`${S} FAIL METADATA INVALID_KEY Display :Invalid key name`]);
    expect(await ask(foo, 'METADATA * LIST')).toEqual([`${S} BATCH +B1 metadata :foo`, `${S} BATCH :-B1`]);
  });

  it('CLEAR removes every key: one 766 per key in a batch', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, 'METADATA * SET display-name :Foo');
    await ask(foo, 'METADATA * SET avatar :https://example.com/foo.png');
    expect(await ask(foo, 'METADATA * CLEAR')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 766 foo foo display-name :Key not set`,
      `@batch=B1 ${S} 766 foo foo avatar :Key not set`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(foo, 'METADATA * LIST')).toEqual([`${S} BATCH +B1 metadata :foo`, `${S} BATCH :-B1`]);
  });

  it('accepts a value with multi-byte characters', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * SET display-name :->\u{1F49C}<-')).toEqual([`${S} 761 foo foo display-name * :->\u{1F49C}<-`]);
  });

  it('an unknown subcommand is FAIL INVALID_PARAMS', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA * DESTROY')).toEqual([`${S} FAIL METADATA INVALID_PARAMS DESTROY :Invalid subcommand`]);
  });
});

describe('METADATA on channels', () => {
  it('an operator sets a key; members read it; others in the channel hear nothing without a subscription', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    expect(await ask(foo, 'METADATA #chan SET display-name :Hash Channel')).toEqual([`${S} 761 foo #chan display-name * :Hash Channel`]);
    await expectNothing(bar);
    expect(await ask(bar, 'METADATA #CHAN GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :#chan`,
      `@batch=B1 ${S} 761 bar #chan display-name * :Hash Channel`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(bar, 'METADATA #chan LIST')).toEqual([
      `${S} BATCH +B1 metadata :#chan`,
      `@batch=B1 ${S} 761 bar #chan display-name * :Hash Channel`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('refuses SET and CLEAR by a member who is not an operator, and tells nobody', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(foo, 'METADATA * SUB display-name');
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    expect(await ask(bar, 'METADATA #chan SET display-name :Sharp Channel')).toEqual([
      `${S} FAIL METADATA KEY_NO_PERMISSION #chan display-name :You do not have permission to set display-name on #chan`,
    ]);
    expect(await ask(bar, 'METADATA #chan CLEAR')).toEqual([
      `${S} FAIL METADATA KEY_NO_PERMISSION #chan * :You do not have permission to clear #chan`,
    ]);
    await expectNothing(foo);
    expect(await ask(foo, 'METADATA #chan LIST')).toEqual([
      `${S} BATCH +B1 metadata :#chan`,
      `@batch=B1 ${S} 761 foo #chan display-name * :Hash Channel`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('CLEAR by the operator: one 766 per key in a batch', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    await ask(foo, 'METADATA #chan SET avatar :https://example.com/chan.png');
    expect(await ask(foo, 'METADATA #chan CLEAR')).toEqual([
      `${S} BATCH +B1 metadata :#chan`,
      `@batch=B1 ${S} 766 foo #chan display-name :Key not set`,
      `@batch=B1 ${S} 766 foo #chan avatar :Key not set`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(foo, 'METADATA #chan LIST')).toEqual([`${S} BATCH +B1 metadata :#chan`, `${S} BATCH :-B1`]);
  });

  it('a non-member cannot GET, LIST or SYNC a channel: FAIL KEY_NO_PERMISSION and no value', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await ask(bar, 'METADATA * SUB display-name');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET display-name :Invite Only Chan');
    await ask(foo, 'MODE #chan +i');
    const refused = `${S} FAIL METADATA KEY_NO_PERMISSION #chan * :You do not have permission to see this metadata`;
    expect(await ask(bar, 'METADATA #chan GET display-name')).toEqual([refused]);
    expect(await ask(bar, 'METADATA #chan LIST')).toEqual([refused]);
    expect(await ask(bar, 'METADATA #chan SYNC')).toEqual([refused]);
    expect(bar.received.some((line) => line.includes('Invite Only Chan'))).toBe(false);
  });

  it('a non-member cannot set a channel key either', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    expect(await ask(bar, 'METADATA #chan SET display-name :Mine')).toEqual([
      `${S} FAIL METADATA KEY_NO_PERMISSION #chan display-name :You do not have permission to set display-name on #chan`,
    ]);
    expect(await ask(foo, 'METADATA #chan LIST')).toEqual([`${S} BATCH +B1 metadata :#chan`, `${S} BATCH :-B1`]);
  });

  it('SYNC by a member gives the subscribed keys of the channel and its members', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    await ask(foo, 'METADATA #chan SET topic-url :https://example.com');
    await ask(foo, 'METADATA * SET display-name :Foo');
    await ask(bar, 'METADATA * SET avatar :bar.png');
    await bar.sync();
    await ask(bar, 'METADATA * SUB display-name avatar');
    const lines = await ask(bar, 'METADATA #chan SYNC');
    expect(lines.slice(0, 2)).toEqual([`${S} BATCH +B1 metadata :#chan`, `@batch=B1 ${S} 761 bar #chan display-name * :Hash Channel`]);
    // The members' keys follow, in membership order: foo (display-name), bar (avatar).
    expect(lines.slice(2)).toEqual([
      `@batch=B1 ${S} 761 bar foo display-name * :Foo`,
      `@batch=B1 ${S} 761 bar bar avatar * :bar.png`,
      `${S} BATCH :-B1`,
    ]);
  });
});

describe('METADATA permissions and targets', () => {
  it('refuses SET and CLEAR on another user and leaves their keys alone', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(bar, 'METADATA * SET color :#c90076');
    expect(await ask(foo, 'METADATA bar SET display-name :Totally Not Foo')).toEqual([
      `${S} FAIL METADATA KEY_NO_PERMISSION bar display-name :You do not have permission to set display-name on bar`,
    ]);
    expect(await ask(foo, 'METADATA bar CLEAR')).toEqual([`${S} FAIL METADATA KEY_NO_PERMISSION bar * :You do not have permission to clear bar`]);
    await expectNothing(bar);
    expect(await ask(bar, 'METADATA * LIST')).toEqual([
      `${S} BATCH +B1 metadata :bar`,
      `@batch=B1 ${S} 761 bar bar color * :#c90076`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('another user’s keys are public: GET on them works without a shared channel', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await ask(foo, 'METADATA * SET display-name :Foo The First');
    await expectNothing(bar);
    expect(await ask(bar, 'METADATA foo GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 bar foo display-name * :Foo The First`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('an unknown nick or channel is FAIL INVALID_TARGET, with no batch', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'METADATA nobody LIST')).toEqual([`${S} FAIL METADATA INVALID_TARGET nobody :Invalid metadata target`]);
    expect(await ask(foo, 'METADATA nobody GET avatar')).toEqual([`${S} FAIL METADATA INVALID_TARGET nobody :Invalid metadata target`]);
    expect(await ask(foo, 'METADATA #nowhere SET avatar :x')).toEqual([`${S} FAIL METADATA INVALID_TARGET #nowhere :Invalid metadata target`]);
    expect(await ask(foo, 'METADATA #nowhere SYNC')).toEqual([`${S} FAIL METADATA INVALID_TARGET #nowhere :Invalid metadata target`]);
  });
});

describe('METADATA limits', () => {
  it('a value longer than limits.metadata_value_bytes (in bytes) is FAIL INVALID_VALUE and is not stored or relayed', async () => {
    const { port } = await fx.server({ config: { limits: { metadata_value_bytes: 10 } } });
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(bar, 'METADATA * SUB display-name');
    expect(await ask(foo, 'METADATA * SET display-name :0123456789')).toEqual([`${S} 761 foo foo display-name * :0123456789`]);
    expect(await bar.sync()).toEqual([`${S} 761 * foo display-name * :0123456789`]);
    const tooLong = `${S} FAIL METADATA INVALID_VALUE display-name :Values may be at most 10 bytes`;
    expect(await ask(foo, 'METADATA * SET display-name :0123456789a')).toEqual([tooLong]);
    // Three four-byte characters: 3 characters, 12 bytes.
    expect(await ask(foo, 'METADATA * SET display-name :\u{1F49C}\u{1F49C}\u{1F49C}')).toEqual([tooLong]);
    await expectNothing(bar);
    expect(await ask(foo, 'METADATA * GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo display-name * :0123456789`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('a key past limits.metadata_keys is FAIL LIMIT_REACHED; replacing a value or a freed slot still works', async () => {
    const { port } = await fx.server({ config: { limits: { metadata_keys: 2 } } });
    const foo = await client(port, 'foo');
    await ask(foo, 'METADATA * SET a :1');
    await ask(foo, 'METADATA * SET b :2');
    expect(await ask(foo, 'METADATA * SET c :3')).toEqual([`${S} FAIL METADATA LIMIT_REACHED foo 2 :Metadata limit reached`]);
    expect(await ask(foo, 'METADATA * SET b :two')).toEqual([`${S} 761 foo foo b * :two`]);
    await ask(foo, 'METADATA * SET a');
    expect(await ask(foo, 'METADATA * SET c :3')).toEqual([`${S} 761 foo foo c * :3`]);
    expect(await ask(foo, 'METADATA * LIST')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo b * :two`,
      `@batch=B1 ${S} 761 foo foo c * :3`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('the key limit applies to channels too', async () => {
    const { port } = await fx.server({ config: { limits: { metadata_keys: 1 } } });
    const foo = await client(port, 'foo');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET a :1');
    expect(await ask(foo, 'METADATA #chan SET b :2')).toEqual([`${S} FAIL METADATA LIMIT_REACHED #chan 1 :Metadata limit reached`]);
  });
});

describe('METADATA SUB, UNSUB, SUBS', () => {
  it('SUB answers 770 with the keys, UNSUB 771, SUBS a metadata-subs batch of 772', async () => {
    const { port } = await fx.server();
    const bar = await client(port, 'bar');
    expect(await ask(bar, 'METADATA * SUBS')).toEqual([`${S} BATCH +B1 :metadata-subs`, `${S} BATCH :-B1`]);
    expect(await ask(bar, 'METADATA * SUB avatar display-name')).toEqual([`${S} 770 bar avatar :display-name`]);
    expect(await ask(bar, 'METADATA * SUBS')).toEqual([
      `${S} BATCH +B1 :metadata-subs`,
      `@batch=B1 ${S} 772 bar avatar :display-name`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(bar, 'METADATA * UNSUB avatar')).toEqual([`${S} 771 bar :avatar`]);
    expect(await ask(bar, 'METADATA * SUBS')).toEqual([
      `${S} BATCH +B1 :metadata-subs`,
      `@batch=B1 ${S} 772 bar :display-name`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('SUB with an invalid key: FAIL INVALID_KEY for it, the others are subscribed', async () => {
    const { port } = await fx.server();
    const bar = await client(port, 'bar');
    expect(await ask(bar, 'METADATA * SUB foo $url bar')).toEqual([`${S} FAIL METADATA INVALID_KEY $url :Invalid key name`, `${S} 770 bar foo :bar`]);
    expect(await ask(bar, 'METADATA * UNSUB $url')).toEqual([`${S} FAIL METADATA INVALID_KEY $url :Invalid key name`]);
  });

  it('SUB without keys is 461', async () => {
    const { port } = await fx.server();
    const bar = await client(port, 'bar');
    expect(await ask(bar, 'METADATA * SUB')).toEqual([`${S} 461 bar METADATA :Not enough parameters`]);
  });

  it('SUBS lists at most ten keys per 772', async () => {
    const { port } = await fx.server();
    const bar = await client(port, 'bar');
    const keys = Array.from({ length: 12 }, (_, k) => `k${k}`);
    await ask(bar, `METADATA * SUB ${keys.join(' ')}`);
    expect(await ask(bar, 'METADATA * SUBS')).toEqual([
      `${S} BATCH +B1 :metadata-subs`,
      `@batch=B1 ${S} 772 bar ${keys.slice(0, 9).join(' ')} :k9`,
      `@batch=B1 ${S} 772 bar k10 :k11`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('past limits.metadata_subscriptions: FAIL TOO_MANY_SUBS for the first key refused, nothing after it', async () => {
    const { port } = await fx.server({ config: { limits: { metadata_subscriptions: 3 } } });
    const bar = await client(port, 'bar');
    expect(await ask(bar, 'METADATA * SUB website avatar')).toEqual([`${S} 770 bar website :avatar`]);
    expect(await ask(bar, 'METADATA * SUB email city country')).toEqual([
      `${S} FAIL METADATA TOO_MANY_SUBS city :Too many subscriptions`,
      `${S} 770 bar :email`,
    ]);
    expect(await ask(bar, 'METADATA * SUB country')).toEqual([`${S} FAIL METADATA TOO_MANY_SUBS country :Too many subscriptions`]);
    // Keys already subscribed do not count again.
    expect(await ask(bar, 'METADATA * SUB avatar')).toEqual([`${S} 770 bar :avatar`]);
    expect(await ask(bar, 'METADATA * SUBS')).toEqual([
      `${S} BATCH +B1 :metadata-subs`,
      `@batch=B1 ${S} 772 bar website avatar :email`,
      `${S} BATCH :-B1`,
    ]);
    await ask(bar, 'METADATA * UNSUB website');
    expect(await ask(bar, 'METADATA * SUB country')).toEqual([`${S} 770 bar :country`]);
  });
});

describe('METADATA notifications', () => {
  it('a subscriber sharing a channel hears of changes; a non-subscriber and a client without the capability do not', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    const baz = await client(port, 'baz');
    const qux = await client(port, 'qux', 'batch');
    for (const c of [foo, bar, baz, qux]) await join(c, '#chan');
    for (const c of [foo, bar, baz, qux]) await c.sync();
    await ask(bar, 'METADATA * SUB display-name');
    // The author's own subscription does not echo its changes back.
    await ask(foo, 'METADATA * SUB display-name');
    // qux may subscribe, but without the capability it is never told.
    expect(await ask(qux, 'METADATA * SUB display-name')).toEqual([`${S} 770 qux :display-name`]);

    expect(await ask(foo, 'METADATA * SET display-name :Foo The First')).toEqual([`${S} 761 foo foo display-name * :Foo The First`]);
    expect(await bar.sync()).toEqual([`${S} 761 * foo display-name * :Foo The First`]);
    await expectNothing(baz, qux);

    // Only the author's own reply reaches the author.
    expect(await ask(foo, 'METADATA * SET display-name')).toEqual([`${S} 766 foo foo display-name :Key not set`]);
    expect(await bar.sync()).toEqual([`${S} 766 * foo display-name :Key deleted`]);
    await expectNothing(baz, qux);

    // A key nobody subscribed to, a value that does not change, a key that was not set: no news.
    await ask(foo, 'METADATA * SET avatar :foo.png');
    await ask(foo, 'METADATA * SET display-name :Same');
    await bar.sync();
    await ask(foo, 'METADATA * SET display-name :Same');
    await ask(foo, 'METADATA * SET never-set');
    await expectNothing(bar, baz, qux);
  });

  it('CLEAR tells subscribers about every subscribed key removed', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(bar, 'METADATA * SUB display-name avatar');
    await ask(foo, 'METADATA * SET display-name :Foo');
    await ask(foo, 'METADATA * SET color :red');
    await ask(foo, 'METADATA * SET avatar :foo.png');
    await bar.sync();
    await ask(foo, 'METADATA * CLEAR');
    expect(await bar.sync()).toEqual([`${S} 766 * foo display-name :Key deleted`, `${S} 766 * foo avatar :Key deleted`]);
  });

  it('members subscribed to a key hear of channel changes; the operator who made it gets its reply only', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    const outside = await client(port, 'outside');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(foo, 'METADATA * SUB display-name');
    await ask(bar, 'METADATA * SUB display-name');
    await ask(outside, 'METADATA * SUB display-name');
    expect(await ask(foo, 'METADATA #chan SET display-name :Hash Channel')).toEqual([`${S} 761 foo #chan display-name * :Hash Channel`]);
    expect(await bar.sync()).toEqual([`${S} 761 * #chan display-name * :Hash Channel`]);
    expect(await ask(foo, 'METADATA #chan SET display-name :Harsh Channel')).toEqual([`${S} 761 foo #chan display-name * :Harsh Channel`]);
    expect(await bar.sync()).toEqual([`${S} 761 * #chan display-name * :Harsh Channel`]);
    await expectNothing(outside);
  });

  it('a subscriber who monitors a user hears of their changes without sharing a channel; others do not', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    const baz = await client(port, 'baz');
    await ask(bar, 'METADATA * SUB display-name');
    await ask(baz, 'METADATA * SUB display-name');
    expect(await ask(bar, 'MONITOR + foo')).toEqual([`${S} 730 bar :foo!foo@127.0.0.1`]);
    await ask(foo, 'METADATA * SET display-name :Foo');
    expect(await bar.sync()).toEqual([`${S} 761 * foo display-name * :Foo`]);
    await expectNothing(baz);
  });
});

describe('METADATA on JOIN', () => {
  it('after 366, a metadata batch with the subscribed keys of the channel and its members', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    await ask(foo, 'METADATA #chan SET secret :not subscribed');
    await ask(foo, 'METADATA * SET avatar :foo.png');
    await ask(bar, 'METADATA * SET avatar :bar.png');
    await ask(bar, 'METADATA * SUB display-name avatar');
    const lines = await ask(bar, 'JOIN #chan');
    const end = lines.indexOf(`${S} 366 bar #chan :End of /NAMES list`);
    expect(end, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[0]).toBe(':bar!bar@127.0.0.1 JOIN :#chan');
    // Neither the channel's other keys nor the joiner's own keys.
    expect(lines.slice(end + 1)).toEqual([
      `${S} BATCH +B1 metadata :#chan`,
      `@batch=B1 ${S} 761 bar #chan display-name * :Hash Channel`,
      `@batch=B1 ${S} 761 bar foo avatar * :foo.png`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('no batch when nothing subscribed is set, or without a subscription, or without the capability', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    const baz = await client(port, 'baz');
    const qux = await client(port, 'qux', 'batch');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    await ask(bar, 'METADATA * SUB avatar');
    await ask(qux, 'METADATA * SUB display-name');
    for (const c of [bar, baz, qux]) {
      const lines = await ask(c, 'JOIN #chan');
      expect(lines.at(-1), lines.join('\n')).toBe(`${S} 366 ${c.nick} #chan :End of /NAMES list`);
      expect(lines.some((line) => / (BATCH|761) /.test(line))).toBe(false);
    }
  });

  it('a channel set before the subscriber joined: exactly the one key', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await ask(bar, 'METADATA * SUB display-name avatar');
    await join(foo, '#chan');
    await ask(foo, 'METADATA #chan SET display-name :Hash Channel');
    await expectNothing(bar);
    const lines = await ask(bar, 'JOIN #chan');
    expect(lines.filter((line) => / 761 /.test(line))).toEqual([`@batch=B1 ${S} 761 bar #chan display-name * :Hash Channel`]);
  });
});

describe('METADATA before registration (before-connect)', () => {
  it('SET answers 761 * * ...; the registration burst has a metadata batch for the nick before the MOTD', async () => {
    const { port } = await fx.server();
    const c = await fx.connect(port);
    c.send('CAP LS 302');
    c.send(`CAP REQ :${CAPS}`);
    await c.expect(` CAP * ACK :${CAPS}`);
    expect(await ask(c, 'METADATA * SET display-name :Foo The First')).toEqual([`${S} 761 * * display-name * :Foo The First`]);
    expect(await ask(c, 'METADATA * GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :*`,
      `@batch=B1 ${S} 761 * * display-name * :Foo The First`,
      `${S} BATCH :-B1`,
    ]);
    c.send('NICK foo');
    c.send('USER foo 0 * :foo');
    c.send('CAP END');
    await c.expect(/ (376|422) /);
    const burst = batchIds(c.received.slice(c.received.findIndex((line) => / 001 /.test(line))));
    const start = burst.indexOf(`${S} BATCH +B1 metadata :foo`);
    expect(start, burst.join('\n')).toBeGreaterThan(0);
    expect(burst.slice(start + 1, start + 3)).toEqual([`@batch=B1 ${S} 761 foo foo display-name * :Foo The First`, `${S} BATCH :-B1`]);
    expect(burst[start + 3]).toMatch(/^:obrol\.local (375|422) foo /);
    expect(burst.slice(0, start).some((line) => / (375|372|376|422) /.test(line))).toBe(false);
    c.nick = 'foo';
    await c.sync();
    expect(await ask(c, 'METADATA * GET display-name')).toEqual([
      `${S} BATCH +B1 metadata :foo`,
      `@batch=B1 ${S} 761 foo foo display-name * :Foo The First`,
      `${S} BATCH :-B1`,
    ]);
  });

  it('before registration only your own metadata: another target is KEY_NO_PERMISSION', async () => {
    const { port } = await fx.server();
    await client(port, 'bar');
    const c = await fx.connect(port);
    c.send(`CAP REQ :${CAPS}`);
    await c.expect(` CAP * ACK :${CAPS}`);
    expect(await ask(c, 'METADATA bar GET avatar')).toEqual([
      `${S} FAIL METADATA KEY_NO_PERMISSION bar * :Before registration you can only use your own metadata`,
    ]);
  });
});

describe('METADATA without batch', () => {
  it('GET, LIST and the burst come without BATCH lines or batch tags', async () => {
    const { port } = await fx.server();
    const c = await fx.connect(port);
    c.send('CAP REQ :draft/metadata-3');
    await c.expect(' CAP * ACK :draft/metadata-3');
    c.send('METADATA * SET display-name :Foo');
    c.send('NICK foo');
    c.send('USER foo 0 * :foo');
    c.send('CAP END');
    await c.expect(/ (376|422) /);
    c.nick = 'foo';
    expect(c.received.filter((line) => / (BATCH|761) /.test(line))).toEqual([
      `${S} 761 * * display-name * :Foo`,
      `${S} 761 foo foo display-name * :Foo`,
    ]);
    await c.sync();
    expect(await ask(c, 'METADATA * GET display-name avatar')).toEqual([
      `${S} 761 foo foo display-name * :Foo`,
      `${S} 766 foo foo avatar :Key not set`,
    ]);
    expect(await ask(c, 'METADATA * LIST')).toEqual([`${S} 761 foo foo display-name * :Foo`]);
  });
});

describe('METADATA with labeled-response', () => {
  it('a labeled GET: the metadata batch nests inside the labeled-response batch', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo', `${CAPS} labeled-response`);
    await ask(foo, 'METADATA * SET display-name :Foo');
    expect(await ask(foo, '@label=m1 METADATA * GET display-name')).toEqual([
      `@label=m1 ${S} BATCH +B1 :labeled-response`,
      `@batch=B1 ${S} BATCH +B2 metadata :foo`,
      `@batch=B2 ${S} 761 foo foo display-name * :Foo`,
      `@batch=B1 ${S} BATCH :-B2`,
      `${S} BATCH :-B1`,
    ]);
    expect(await ask(foo, '@label=m2 METADATA * SET avatar :a.png')).toEqual([`@label=m2 ${S} 761 foo foo avatar * :a.png`]);
  });
});

describe('WHOIS', () => {
  it('shows 760 per key to clients with the capability only', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    const baz = await client(port, 'baz', '');
    await ask(foo, 'METADATA * SET display-name :Foo The First');
    await ask(foo, 'METADATA * SET avatar :foo.png');
    const withCap = await ask(bar, 'WHOIS foo');
    expect(withCap.filter((line) => / 760 /.test(line))).toEqual([
      `${S} 760 bar foo display-name * :Foo The First`,
      `${S} 760 bar foo avatar * :foo.png`,
    ]);
    expect(withCap.at(-1)).toBe(`${S} 318 bar foo :End of /WHOIS list`);
    const without = await ask(baz, 'WHOIS foo');
    expect(without.at(-1)).toBe(`${S} 318 baz foo :End of /WHOIS list`);
    expect(without.some((line) => / 760 /.test(line))).toBe(false);
  });
});

describe('UTF8ONLY', () => {
  it('a value that is not UTF-8 is FAIL METADATA INVALID_UTF8; nothing is stored or relayed', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    await join(foo, '#chan');
    await join(bar, '#chan');
    await foo.sync();
    await ask(bar, 'METADATA * SUB display-name');
    foo.write(Buffer.concat([Buffer.from('METADATA * SET display-name :invalid UTF-8 ->'), Buffer.from([0xc3]), Buffer.from('<-\r\n')]));
    expect(await foo.sync()).toEqual([
      `${S} FAIL METADATA INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network`,
    ]);
    await expectNothing(bar);
    expect(await ask(foo, 'METADATA * LIST')).toEqual([`${S} BATCH +B1 metadata :foo`, `${S} BATCH :-B1`]);
  });
});
