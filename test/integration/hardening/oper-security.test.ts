/**
 * OPER and KILL over real sockets: every refused OPER is the same 464; the
 * back-off configured in timeouts.oper_backoff holds the next attempt back;
 * the log never gets the text given as an oper name, nor (without
 * log.message_text) a KILL's reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { S, useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';
import { ManualClock } from '../../helpers/clock.js';
import { until } from '../../helpers/until.js';

const PASSWORD = 'oper-security-password';

let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

function server(extra: ConfigInput = {}): Promise<TestServer> {
  return fx.server({
    captureLogs: true,
    config: {
      ...extra,
      opers: [
        { name: 'boss', password: hash, hosts: ['*@127.0.0.1'] },
        { name: 'faraway', password: hash, hosts: ['*@10.0.0.1'] },
      ],
    },
  });
}

describe('refused OPER', () => {
  it('is the same 464 for an unknown name, a host mismatch and a wrong password', async () => {
    const srv = await server();
    const alice = await fx.register(srv, 'alice');
    for (const line of [`OPER nosuchoper ${PASSWORD}`, `OPER faraway ${PASSWORD}`, 'OPER boss wrong']) {
      alice.send(line);
      expect(await alice.sync()).toEqual([`${S} 464 alice :Password incorrect`]);
    }
  });

  it('never logs the text given as the name (it may be a password typed in the wrong place)', async () => {
    const srv = await server();
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER ${PASSWORD}-typed-as-the-name x`);
    await alice.expect(/ 464 /);
    await alice.sync();
    const failed = srv.logs.filter((r) => r.event === 'oper-failed');
    expect(failed).toEqual([expect.objectContaining({ reason: 'no such oper' })]);
    expect(failed[0]).not.toHaveProperty('name');
    expect(JSON.stringify(srv.logs)).not.toContain('typed-as-the-name');
  });

  it('holds the next attempt from the same address back by timeouts.oper_backoff', async () => {
    // Time moves only when the test says so: the back-off is exact, and nothing waits for real.
    const clock = new ManualClock();
    const srv = await fx.server({ clock, config: { timeouts: { oper_backoff: 1, oper_backoff_max: 30 }, opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
    const alice = await fx.register(srv, 'alice');
    alice.send('OPER boss wrong');
    await alice.expect(/ 464 /);
    alice.send(`OPER boss ${PASSWORD}`);
    await until(() => srv.server.operGuard.load.waiting === 1, 'the second OPER to wait for its back-off');
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(srv.server.operGuard.load.waiting).toBe(1);
    expect(alice.drain().some((l) => / 381 /.test(l))).toBe(false);
    clock.advance(1);
    await alice.expect(/ 381 /, 5000);
  });
});

describe('KILL in the log', () => {
  async function kill(srv: TestServer): Promise<void> {
    const alice = await fx.register(srv, 'alice');
    const victim = await fx.register(srv, 'victim');
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    alice.send('KILL victim :a private matter');
    await victim.waitClosed();
    await alice.sync();
  }

  it('records who killed whom, without the reason', async () => {
    const srv = await server();
    await kill(srv);
    expect(srv.logs.filter((r) => r.event === 'kill')).toEqual([expect.objectContaining({ target: 'victim', by: 'alice' })]);
    expect(srv.logs.find((r) => r.event === 'disconnect' && r.nick === 'victim')).toMatchObject({ reason: 'Killed (alice)' });
    expect(JSON.stringify(srv.logs)).not.toContain('a private matter');
  });

  it('with log.message_text, the reason too', async () => {
    const srv = await server({ log: { message_text: true } });
    await kill(srv);
    expect(srv.logs.filter((r) => r.event === 'kill')).toEqual([expect.objectContaining({ target: 'victim', by: 'alice', reason: 'a private matter' })]);
    expect(srv.logs.find((r) => r.event === 'disconnect' && r.nick === 'victim')).toMatchObject({ reason: 'Killed (alice (a private matter))' });
  });
});
