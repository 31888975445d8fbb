/**
 * draft/read-marker: MARKREAD gets and sets where a user has read up to in a
 * channel or a conversation with a nick; the marker only moves forward and
 * comes with every JOIN, before its 366.
 * https://ircv3.net/specs/extensions/read-marker
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { useFixture } from '../helpers/fixture.js';

const S = ':obrol.local';
const CAP = 'draft/read-marker';
const T1 = 'timestamp=2019-01-04T14:33:26.123Z';
const T2 = 'timestamp=2019-01-04T14:33:27.000Z';

const fx = useFixture();

/** Negotiate `caps` ('' for none) before NICK and USER, then register. */
async function client(port: number, nick: string, caps = CAP): Promise<TestClient> {
  const c = await fx.open(port);
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

async function ask(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  return c.sync();
}

describe('MARKREAD get and set', () => {
  it('a target without a marker: MARKREAD <target> *', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :*`]);
  });

  it('set, then get, the same timestamp; the target is matched case-insensitively', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, `MARKREAD #c ${T1}`)).toEqual([`${S} MARKREAD #c :${T1}`]);
    expect(await ask(foo, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :${T1}`]);
    expect(await ask(foo, 'MARKREAD #C')).toEqual([`${S} MARKREAD #C :${T1}`]);
    expect(await ask(foo, 'MARKREAD #other')).toEqual([`${S} MARKREAD #other :*`]);
  });

  it('only moves forward: an older or equal timestamp is answered with the stored one', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, `MARKREAD #c ${T2}`)).toEqual([`${S} MARKREAD #c :${T2}`]);
    expect(await ask(foo, `MARKREAD #c ${T1}`)).toEqual([`${S} MARKREAD #c :${T2}`]);
    expect(await ask(foo, `MARKREAD #c ${T2}`)).toEqual([`${S} MARKREAD #c :${T2}`]);
    expect(await ask(foo, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :${T2}`]);
    const later = 'timestamp=2020-06-01T00:00:00.000Z';
    expect(await ask(foo, `MARKREAD #c ${later}`)).toEqual([`${S} MARKREAD #c :${later}`]);
  });

  it('works for a nick target too, and markers are not shared with other users', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar');
    expect(await ask(foo, 'MARKREAD bar')).toEqual([`${S} MARKREAD bar :*`]);
    expect(await ask(foo, `MARKREAD bar ${T1}`)).toEqual([`${S} MARKREAD bar :${T1}`]);
    expect(await ask(foo, 'MARKREAD BAR')).toEqual([`${S} MARKREAD BAR :${T1}`]);
    expect(await bar.sync()).toEqual([]);
    expect(await ask(bar, 'MARKREAD bar')).toEqual([`${S} MARKREAD bar :*`]);
  });

  it('answers a labeled MARKREAD with the label', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo', `${CAP} labeled-response batch`);
    expect(await ask(foo, `@label=r1 MARKREAD #c ${T1}`)).toEqual([`@label=r1 ${S} MARKREAD #c :${T1}`]);
  });
});

describe('MARKREAD errors', () => {
  it('without a target: FAIL MARKREAD NEED_MORE_PARAMS', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, 'MARKREAD')).toEqual([`${S} FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters`]);
    expect(await ask(foo, 'MARKREAD :')).toEqual([`${S} FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters`]);
  });

  it('a bad timestamp or a literal *: FAIL MARKREAD INVALID_PARAMS, and the marker is unchanged', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, `MARKREAD #c ${T1}`);
    const invalid = (param: string) => `${S} FAIL MARKREAD INVALID_PARAMS ${param} :The timestamp must be timestamp=YYYY-MM-DDThh:mm:ss.sssZ`;
    for (const bad of [
      '*',
      '2019-01-04T14:33:26.123Z',
      'timestamp=2019-01-04T14:33:26Z',
      'timestamp=2019-01-04 14:33:26.123Z',
      'timestamp=2099-13-01T00:00:00.000Z',
      'timestamp=2099-01-01T25:00:00.000Z',
      // Well-formed but not a real day: Date.parse would roll it over to March 2.
      'timestamp=2019-02-30T10:00:00.000Z',
      'time=2019-01-04T14:33:26.123Z',
    ]) {
      // (A parameter with a space has to be the last one, after ':'; it is echoed back as a '*' middle.)
      const echoed = bad.includes(' ') ? '*' : bad;
      expect(await ask(foo, `MARKREAD #c :${bad}`), bad).toEqual([invalid(echoed)]);
    }
    expect(await ask(foo, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :${T1}`]);
  });

  it('before registration: 451', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    await c.expect(/NOTICE \* :\*\*\* /);
    expect(await ask(c, 'MARKREAD #c')).toEqual([`${S} 451 * :You have not registered`]);
  });
});

describe('MARKREAD on JOIN', () => {
  it('with the capability: MARKREAD <channel> * after the JOIN, before 366', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const lines = await ask(foo, 'JOIN #c');
    expect(lines[0]).toBe(':foo!foo@127.0.0.1 JOIN :#c');
    expect(lines.slice(-2)).toEqual([`${S} MARKREAD #c :*`, `${S} 366 foo #c :End of /NAMES list`]);
    expect(lines.filter((line) => line.includes('MARKREAD'))).toHaveLength(1);
  });

  it('after PART and JOIN: the stored marker, before 366', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    const bar = await client(port, 'bar', '');
    await ask(foo, 'JOIN #c');
    // bar keeps the channel (and its name, #c) alive while foo is away.
    await ask(bar, 'JOIN #c');
    await foo.sync();
    expect(await ask(foo, `MARKREAD #c ${T1}`)).toEqual([`${S} MARKREAD #c :${T1}`]);
    await ask(foo, 'PART #c');
    const lines = await ask(foo, 'JOIN #C');
    expect(lines.slice(-2)).toEqual([`${S} MARKREAD #c :${T1}`, `${S} 366 foo #c :End of /NAMES list`]);
  });

  it('a marker set before joining comes with the JOIN', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, `MARKREAD #c ${T2}`);
    const lines = await ask(foo, 'JOIN #c');
    expect(lines.slice(-2)).toEqual([`${S} MARKREAD #c :${T2}`, `${S} 366 foo #c :End of /NAMES list`]);
  });

  it('without the capability: no MARKREAD on JOIN (the command still works)', async () => {
    const { port } = await fx.server();
    const bar = await client(port, 'bar', '');
    const lines = await ask(bar, 'JOIN #c');
    expect(lines.at(-1)).toBe(`${S} 366 bar #c :End of /NAMES list`);
    expect(lines.some((line) => line.includes('MARKREAD'))).toBe(false);
    expect(await ask(bar, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :*`]);
  });

  it('each JOIN of a multi-channel JOIN gets its own marker before its own 366', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    await ask(foo, `MARKREAD #b ${T1}`);
    const lines = await ask(foo, 'JOIN #a,#b');
    const relevant = lines.filter((line) => / (MARKREAD|366|JOIN) /.test(line));
    expect(relevant).toEqual([
      ':foo!foo@127.0.0.1 JOIN :#a',
      `${S} MARKREAD #a :*`,
      `${S} 366 foo #a :End of /NAMES list`,
      ':foo!foo@127.0.0.1 JOIN :#b',
      `${S} MARKREAD #b :${T1}`,
      `${S} 366 foo #b :End of /NAMES list`,
    ]);
  });
});

describe('MARKREAD bounds', () => {
  it('a target that is neither a channel nor a nick: FAIL MARKREAD INVALID_PARAMS, nothing stored', async () => {
    const { port } = await fx.server();
    const foo = await client(port, 'foo');
    expect(await ask(foo, `MARKREAD a,b ${T1}`)).toEqual([`${S} FAIL MARKREAD INVALID_PARAMS a,b :The target must be a channel or a nick`]);
    expect(await ask(foo, `MARKREAD ${'x'.repeat(100)} ${T1}`)).toEqual([
      `${S} FAIL MARKREAD INVALID_PARAMS ${'x'.repeat(100)} :The target must be a channel or a nick`,
    ]);
  });

  it('keeps at most limits.read_markers targets, forgetting the one set longest ago', async () => {
    const { port } = await fx.server({ config: { limits: { read_markers: 2 } } });
    const foo = await client(port, 'foo');
    await ask(foo, `MARKREAD #a ${T1}`);
    await ask(foo, `MARKREAD #b ${T1}`);
    // Moving #a forward makes #b the oldest.
    await ask(foo, `MARKREAD #a ${T2}`);
    await ask(foo, `MARKREAD #c ${T1}`);
    expect(await ask(foo, 'MARKREAD #a')).toEqual([`${S} MARKREAD #a :${T2}`]);
    expect(await ask(foo, 'MARKREAD #b')).toEqual([`${S} MARKREAD #b :*`]);
    expect(await ask(foo, 'MARKREAD #c')).toEqual([`${S} MARKREAD #c :${T1}`]);
  });
});
