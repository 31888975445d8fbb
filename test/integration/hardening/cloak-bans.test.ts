/**
 * Cloaks do not leak through channel lists: a ban, exception or invite
 * exception set by a channel operator matches nick!user@cloak only, as the
 * channel operator sees it; one set by a server operator (who sees real
 * addresses anyway) also matches the real address. Otherwise a channel
 * operator could bisect a member's address with ~32 bans.
 *
 * The channel operator connects from 127.0.1.1, alice from 127.0.0.2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import { cloakAddress } from '../../../src/server/cloak.js';
import type { TestClient } from '../../helpers/client.js';
import { S, useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const SECRET = 'a-test-secret-of-16+';
const PASSWORD = 'cloak-bans-oper-password';

let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

function cloakOf(ip: string): string {
  return cloakAddress(ip, { secret: SECRET, ipv4Prefix: 24, ipv6Prefix: 64, suffix: 'ip' });
}

async function register(srv: TestServer, nick: string, ip: string): Promise<TestClient> {
  const c = await fx.open(srv, { localAddress: ip });
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} Test`);
  await c.expect(/ (376|422) /);
  c.nick = nick;
  return c;
}

/** A server with cloaks; `op` holds #c, alice is outside it. */
async function setup(): Promise<{ op: TestClient; alice: TestClient }> {
  const srv = await fx.server({ config: { cloak: { enabled: true, secret: SECRET }, opers: [{ name: 'boss', password: hash, hosts: ['*@*'] }] } });
  const op = await register(srv, 'op', '127.0.1.1');
  await fx.join(op, '#c');
  const alice = await register(srv, 'alice', '127.0.0.2');
  return { op, alice };
}

async function mode(op: TestClient, change: string): Promise<void> {
  op.send(`MODE #c ${change}`);
  await op.expect(/ MODE #c /);
}

async function becomeOper(c: TestClient): Promise<void> {
  c.send(`OPER boss ${PASSWORD}`);
  await c.expect(/ 381 /);
}

async function refused(c: TestClient, numeric: string): Promise<void> {
  c.send('JOIN :#c');
  expect(await c.expect(new RegExp(` ${numeric} `))).toMatch(new RegExp(`^${S} ${numeric} ${c.nick} #c :`));
}

describe('lists set by a channel operator', () => {
  it('+b on the real address, exact or wildcard, does not match a cloaked user', async () => {
    const { op, alice } = await setup();
    await mode(op, '+bb *!*@127.0.0.2 *!*@127.0.0.*');
    await fx.join(alice, '#c');
  });

  it('bisecting with bans tells nothing: a banned prefix of the real address still lets the member speak', async () => {
    const { op, alice } = await setup();
    await fx.join(alice, '#c');
    await op.expect(/ JOIN /);
    for (const mask of ['*!*@1*', '*!*@127.*', '*!*@127.0.0.2']) {
      await mode(op, `+b ${mask}`);
      alice.send(`PRIVMSG #c :still here with ${mask}`);
      expect(await op.expect(/ PRIVMSG /)).toBe(`:alice!alice@${cloakOf('127.0.0.2')} PRIVMSG #c :still here with ${mask}`);
      await mode(op, `-b ${mask}`);
    }
  });

  it('+I on the real address does not let a cloaked user into a +i channel', async () => {
    const { op, alice } = await setup();
    await mode(op, '+iI *!*@127.0.0.*');
    await refused(alice, '473');
  });

  it('+e on the real address does not let a cloaked user past a ban', async () => {
    const { op, alice } = await setup();
    await mode(op, `+be *!*@${cloakOf('127.0.0.2')} *!*@127.0.0.2`);
    await refused(alice, '474');
  });

  it('masks on the cloak still work: +I lets alice into a +i channel', async () => {
    const { op, alice } = await setup();
    await mode(op, `+iI *!*@${cloakOf('127.0.0.2')}`);
    await fx.join(alice, '#c');
  });
});

describe('lists set by a server operator', () => {
  it('+b on the real address bans the cloaked user', async () => {
    const { op, alice } = await setup();
    await becomeOper(op);
    await mode(op, '+b *!*@127.0.0.*');
    await refused(alice, '474');
  });

  it('+I on the real address lets the cloaked user into a +i channel', async () => {
    const { op, alice } = await setup();
    await becomeOper(op);
    await mode(op, '+iI *!*@127.0.0.2');
    await fx.join(alice, '#c');
  });

  it('keeps matching after the setter drops +o: what counts is who set it, when', async () => {
    const { op, alice } = await setup();
    await becomeOper(op);
    await mode(op, '+b *!*@127.0.0.2');
    op.send('MODE op -o');
    await op.expect(/ MODE op :-o/);
    await refused(alice, '474');
    // And an entry the same person sets now, as a plain channel operator, does not.
    await mode(op, '-b *!*@127.0.0.2');
    await mode(op, '+b *!*@127.0.0.2');
    await fx.join(alice, '#c');
  });
});
