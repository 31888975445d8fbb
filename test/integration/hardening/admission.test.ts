/**
 * Admission (src/server/admission.ts): connection classes chosen by address,
 * and the limits that turn a connection away before it becomes a session —
 * limits.max_clients, a class's max_per_ip, max_per_cidr (per
 * limits.cidr_ipv4_prefix block) and connects_per_minute with
 * throttle_seconds. A refused connection gets
 * `ERROR :Closing link: (unknown@<ip>) [<reason>]` and is closed.
 *
 * Clients connect from several loopback addresses (127.0.0.0/8 all reaches
 * the server on 127.0.0.1) with fx.open(port, { localAddress }).
 */
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../../src/config/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { TestClient } from '../../helpers/client.js';
import { useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const S = ':obrol.local';
const PASSWORD = 'admission-oper-password';
let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

/** A class with everything generous except what the test sets. */
type ClassInput = NonNullable<ConfigInput['classes']>[number];

function klass(name: string, hosts: string[], limits: Record<string, number>): ClassInput {
  return { name, hosts, max_per_ip: 1000, max_per_cidr: 1000, connects_per_minute: 100_000, flood_rate: 0, ...limits };
}

/** Connect from `localAddress` and see the welcome notice: the connection was let in. */
async function admitted(srv: TestServer, localAddress = '127.0.0.1'): Promise<TestClient> {
  const c = await fx.open(srv.port, { localAddress });
  expect(await c.expect(/NOTICE|ERROR/)).toMatch(/^:obrol\.local NOTICE \* :\*\*\* Welcome to Obrol/);
  return c;
}

/** Connect from `localAddress` and be turned away with exactly this ERROR, then closed. */
async function refused(srv: TestServer, localAddress: string, reason: string): Promise<void> {
  const c = await fx.open(srv.port, { localAddress });
  expect(await c.expect(/NOTICE|ERROR/)).toBe(`ERROR :Closing link: (unknown@${localAddress}) [${reason}]`);
  await c.waitClosed();
  expect(c.received).toEqual([`ERROR :Closing link: (unknown@${localAddress}) [${reason}]`]);
}

async function registerFrom(srv: TestServer, nick: string, localAddress = '127.0.0.1'): Promise<TestClient> {
  const c = await admitted(srv, localAddress);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick}`);
  await c.expect(/ 001 /);
  await c.expect(/ (376|422) /);
  c.nick = nick;
  return c;
}

async function oper(c: TestClient): Promise<void> {
  c.send(`OPER boss ${PASSWORD}`);
  await c.expect(/ 381 /);
}

/** The admission line of STATS z. */
async function admissionStats(c: TestClient): Promise<string | undefined> {
  c.send('STATS z');
  return (await c.sync()).find((l) => / 249 \S+ z :admission: /.test(l));
}

function opersBlock(): ConfigInput['opers'] {
  return [{ name: 'boss', password: hash, hosts: ['*@127.0.*'] }];
}

describe('limits.max_clients', () => {
  it('past max_clients a connection gets ERROR [Server is full] and is closed; a place freed by a QUIT can be taken', async () => {
    const srv = await fx.server({ config: { limits: { max_clients: 3 } }, captureLogs: true });
    const a = await registerFrom(srv, 'a');
    await registerFrom(srv, 'b');
    // An unregistered connection takes a place too.
    await admitted(srv);
    await refused(srv, '127.0.0.1', 'Server is full');
    await refused(srv, '127.0.0.2', 'Server is full');
    await a.quit();
    const d = await registerFrom(srv, 'd');
    d.send('LUSERS');
    expect((await d.sync()).find((l) => / 251 /.test(l))).toBe(`${S} 251 d :There are 2 users and 0 invisible on 1 servers`);
    await refused(srv, '127.0.0.1', 'Server is full');
    // Each refusal is logged with the address and the reason.
    const records = srv.logs.filter((r) => r.event === 'refused');
    expect(records.map((r) => [r.level, r.ip, r.reason, r.msg])).toEqual([
      [30, '127.0.0.1', 'Server is full', 'connection refused'],
      [30, '127.0.0.2', 'Server is full', 'connection refused'],
      [30, '127.0.0.1', 'Server is full', 'connection refused'],
    ]);
  });
});

describe('per address and per network', () => {
  it('max_per_ip: the next connection from that address is refused, other addresses are not', async () => {
    const srv = await fx.server({ config: { classes: [klass('c', ['*'], { max_per_ip: 2 })] } });
    await registerFrom(srv, 'a1');
    await admitted(srv);
    await refused(srv, '127.0.0.1', 'Too many connections from your address');
    await registerFrom(srv, 'b1', '127.0.0.2');
    await admitted(srv, '127.0.0.2');
    await refused(srv, '127.0.0.2', 'Too many connections from your address');
  });

  it('max_per_cidr with cidr_ipv4_prefix 24: 127.0.0.x addresses count together', async () => {
    const srv = await fx.server({ config: { limits: { cidr_ipv4_prefix: 24 }, classes: [klass('c', ['*'], { max_per_ip: 10, max_per_cidr: 3 })] } });
    await admitted(srv, '127.0.0.1');
    await admitted(srv, '127.0.0.2');
    await admitted(srv, '127.0.0.3');
    await refused(srv, '127.0.0.4', 'Too many connections from your network');
    await refused(srv, '127.0.0.1', 'Too many connections from your network');
    // Another /24 is another network.
    await admitted(srv, '127.0.1.1');
  });

  it('max_per_cidr with cidr_ipv4_prefix 32: each address is its own network', async () => {
    const srv = await fx.server({ config: { limits: { cidr_ipv4_prefix: 32 }, classes: [klass('c', ['*'], { max_per_ip: 10, max_per_cidr: 2 })] } });
    await admitted(srv, '127.0.0.1');
    await admitted(srv, '127.0.0.1');
    await refused(srv, '127.0.0.1', 'Too many connections from your network');
    await admitted(srv, '127.0.0.2');
    await admitted(srv, '127.0.0.3');
    await admitted(srv, '127.0.0.3');
    await refused(srv, '127.0.0.3', 'Too many connections from your network');
  });

  it('counts are given back when clients go (QUIT or a dropped socket): reconnecting works again and again', async () => {
    const srv = await fx.server({
      config: { limits: { cidr_ipv4_prefix: 24 }, classes: [klass('c', ['*'], { max_per_ip: 2, max_per_cidr: 2 })], opers: opersBlock() },
    });
    const watcher = await registerFrom(srv, 'watcher', '127.0.1.1');
    await oper(watcher);
    watcher.send('JOIN #c');
    await watcher.expect(/ 366 /);
    for (let round = 1; round <= 15; round++) {
      const first = await registerFrom(srv, `a${round}`);
      const second = await registerFrom(srv, `b${round}`, '127.0.0.2');
      // The network is full now.
      await refused(srv, '127.0.0.3', 'Too many connections from your network');
      await first.quit();
      second.send('JOIN #c');
      await watcher.expect(` JOIN :#c`);
      // A socket closed without QUIT: the watcher sees the QUIT once the server has let it go.
      second.socket.end();
      expect(await watcher.expect(/ QUIT /)).toBe(`:b${round}!b${round}@127.0.0.2 QUIT :Connection closed`);
    }
    // Nothing is left counted but the watcher (refusals leave only rate records, which expire).
    expect(await admissionStats(watcher)).toBe(`${S} 249 watcher z :admission: 1 addresses, 1 blocks, 4 recent, 0 throttled`);
  });
});

describe('connects_per_minute and throttle_seconds', () => {
  it('the connection past the rate is refused, later ones are throttled too, other addresses are unaffected', async () => {
    const srv = await fx.server({
      config: {
        classes: [klass('trusted', ['127.0.0.2/32'], {}), klass('strict', ['*'], { connects_per_minute: 3, throttle_seconds: 60 })],
        opers: opersBlock(),
      },
      captureLogs: true,
    });
    const first = await registerFrom(srv, 'first');
    await (await admitted(srv)).quit();
    (await admitted(srv)).close();
    await refused(srv, '127.0.0.1', 'Throttled: reconnecting too fast');
    await refused(srv, '127.0.0.1', 'Throttled: reconnecting too fast');
    // The connection let in before is still there.
    expect(await first.sync()).toEqual([]);
    // Another address in the same class has its own count.
    await admitted(srv, '127.0.0.3');
    await admitted(srv, '127.0.0.3');
    await admitted(srv, '127.0.0.3');
    await refused(srv, '127.0.0.3', 'Throttled: reconnecting too fast');
    // Both addresses are now throttled (an address in another class looks).
    const boss = await registerFrom(srv, 'boss', '127.0.0.2');
    await oper(boss);
    expect(await admissionStats(boss)).toBe(`${S} 249 boss z :admission: 3 addresses, 1 blocks, 3 recent, 2 throttled`);
    // Refusals are logged; those of an address already throttled only at debug level (20, else info: 30).
    expect(srv.logs.filter((r) => r.event === 'refused').map((r) => `${String(r.level)} ${String(r.ip)} ${String(r.reason)}`)).toEqual([
      '30 127.0.0.1 Throttled: reconnecting too fast',
      '20 127.0.0.1 Throttled: reconnecting too fast',
      '30 127.0.0.3 Throttled: reconnecting too fast',
    ]);
  });

  it('with throttle_seconds 0 the address is refused past the rate but not throttled', async () => {
    const srv = await fx.server({
      config: {
        classes: [klass('trusted', ['127.0.0.2/32'], {}), klass('strict', ['*'], { connects_per_minute: 1, throttle_seconds: 0 })],
        opers: opersBlock(),
      },
    });
    await admitted(srv);
    await refused(srv, '127.0.0.1', 'Throttled: reconnecting too fast');
    const boss = await registerFrom(srv, 'boss', '127.0.0.2');
    await oper(boss);
    expect(await admissionStats(boss)).toBe(`${S} 249 boss z :admission: 2 addresses, 1 blocks, 2 recent, 0 throttled`);
  });
});

describe('connection classes', () => {
  it('the first class whose hosts match applies: its limits, and its name in the log', async () => {
    const srv = await fx.server({
      config: {
        classes: [klass('trusted', ['127.0.0.2/32', '10.0.0.0/8'], { max_per_ip: 4 }), klass('strict', ['*'], { max_per_ip: 1 })],
      },
      captureLogs: true,
    });
    await admitted(srv, '127.0.0.1');
    await refused(srv, '127.0.0.1', 'Too many connections from your address');
    for (let k = 0; k < 4; k++) await admitted(srv, '127.0.0.2');
    await refused(srv, '127.0.0.2', 'Too many connections from your address');
    await admitted(srv, '127.0.0.3');
    await refused(srv, '127.0.0.3', 'Too many connections from your address');
    const connects = srv.logs.filter((r) => r.event === 'connect').map((r) => `${String(r.ip)} ${String(r.class)}`);
    expect(connects).toEqual([
      '127.0.0.1 strict',
      '127.0.0.2 trusted',
      '127.0.0.2 trusted',
      '127.0.0.2 trusted',
      '127.0.0.2 trusted',
      '127.0.0.3 strict',
    ]);
  });

  it('REHASH applies new class limits to new connections and moves connected clients to their new class', async () => {
    const dir = fx.tempDir();
    const path = joinPath(dir, 'obrol.yaml');
    const write = (strict: Record<string, number>) =>
      writeFileSync(
        path,
        stringify({
          server: { motd_file: null },
          classes: [klass('trusted', ['127.0.0.2/32'], {}), klass('strict', ['*'], strict)],
          opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.*'] }],
        }),
      );
    write({ max_per_ip: 2, flood_burst: 5, flood_rate: 1 });
    // `classes: undefined` takes away the test helper's own class, so the file's apply.
    const srv = await fx.server({ configPath: path, config: { classes: undefined } });
    const boss = await registerFrom(srv, 'boss', '127.0.0.2');
    await oper(boss);
    const bob = await registerFrom(srv, 'bob');
    await admitted(srv);
    await refused(srv, '127.0.0.1', 'Too many connections from your address');

    write({ max_per_ip: 4, flood_rate: 0 });
    boss.send('REHASH');
    expect(await boss.sync()).toEqual([`${S} 382 boss ${path} :Rehashing`]);
    // New connections: the new limit.
    await admitted(srv);
    await admitted(srv);
    await refused(srv, '127.0.0.1', 'Too many connections from your address');
    // bob, connected before, is in the new class: no flood control any more.
    // (Under the old one, 5 units and 1 per second, these would take 50 s.)
    let batch = '';
    for (let k = 1; k <= 100; k++) batch += `PING r${k}\r\n`;
    bob.write(batch);
    expect(await bob.expect(/:r100$/, 2000)).toBe(`${S} PONG obrol.local :r100`);
  });
});
