/**
 * OPER refusals tell nothing: an unknown name, a host that does not match
 * and a wrong password all get the same 464, each after one password check
 * and the same back-off (per address and per name, whether the name exists
 * or not). Run against the command table with an injected clock and sleep.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OperGuard } from '../../../src/commands/operguard.js';
import * as password from '../../../src/config/password.js';
import { World } from '../../helpers/harness.js';

vi.mock('../../../src/config/password.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/config/password.js')>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});

const PASSWORD = 'oper-refusals-password';
const REFUSED = (nick: string) => [`:obrol.local 464 ${nick} :Password incorrect`];
let hash = '';
let world: World;
let sleeps: number[];

beforeAll(async () => {
  hash = await password.hashPassword(PASSWORD);
});

beforeEach(() => {
  world = new World({
    config: {
      opers: [
        { name: 'boss', password: hash, hosts: ['*@127.0.0.1', '*@192.0.2.*'] },
        { name: 'faraway', password: hash, hosts: ['*@10.0.0.1'] },
      ],
    },
  });
  const clock = { now: 0 };
  sleeps = [];
  world.operGuard = new OperGuard({
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  });
  vi.mocked(password.verifyPassword).mockClear();
});

describe('OPER refusals', () => {
  it('an unknown name, a host mismatch and a wrong password: the same 464, each after one password check', async () => {
    const alice = world.connect('alice');
    expect(await alice.runAsync(`OPER nosuchoper ${PASSWORD}`)).toEqual(REFUSED('alice'));
    expect(await alice.runAsync(`OPER faraway ${PASSWORD}`)).toEqual(REFUSED('alice'));
    expect(await alice.runAsync('OPER boss wrong-password')).toEqual(REFUSED('alice'));
    const checks = vi.mocked(password.verifyPassword).mock.calls;
    expect(checks).toHaveLength(3);
    // Each against a real hash of the configured cost, the unknown name too.
    for (const [, stored] of checks) expect(stored).toBe(hash);
    expect(alice.user.isOper).toBe(false);
  });

  it('with no oper configured, an attempt still runs a check, against a hash no password matches', async () => {
    world = new World();
    const alice = world.connect('alice');
    expect(await alice.runAsync('OPER anyone anything')).toEqual(REFUSED('alice'));
    const checks = vi.mocked(password.verifyPassword).mock.calls;
    expect(checks).toHaveLength(1);
    expect(password.isPasswordHash(checks[0]?.[1] as string)).toBe(true);
  });

  it('the back-off after each kind of failure is the same: per address, whatever the names', async () => {
    const alice = world.connect('alice');
    await alice.runAsync(`OPER nosuchoper ${PASSWORD}`);
    await alice.runAsync(`OPER faraway ${PASSWORD}`);
    await alice.runAsync('OPER boss wrong-password');
    await alice.runAsync('OPER boss wrong-password');
    expect(sleeps).toEqual([1000, 2000, 4000]);
  });

  it('per name: a name that does not exist backs off as one that does', async () => {
    for (const name of ['nosuchoper', 'boss']) {
      sleeps.length = 0;
      const first = world.connect(`a${name}`, { ip: '192.0.2.1' });
      const second = world.connect(`b${name}`, { ip: '192.0.2.2' });
      expect(await first.runAsync(`OPER ${name} wrong-password`)).toEqual(REFUSED(first.nick));
      expect(await second.runAsync(`OPER ${name} wrong-password`)).toEqual(REFUSED(second.nick));
      expect(sleeps).toEqual([1000]);
      world.disconnect(first.user, 'bye');
      world.disconnect(second.user, 'bye');
    }
  });

  it('the right password after failures waits its turn too, then succeeds', async () => {
    const mallory = world.connect('mallory', { ip: '192.0.2.7' });
    const alice = world.connect('alice', { ip: '192.0.2.8' });
    await mallory.runAsync('OPER boss guess');
    expect(await alice.runAsync(`OPER boss ${PASSWORD}`)).toEqual([
      ':alice!alice@192.0.2.8 MODE alice :+o',
      ':obrol.local 381 alice :You are now an IRC operator',
    ]);
    expect(sleeps).toEqual([1000]);
  });

  it('a user gone while the attempt waited gets nothing, and is not made an oper', async () => {
    const alice = world.connect('alice');
    await alice.runAsync('OPER boss guess');
    const pending = world.execute(alice, `OPER boss ${PASSWORD}`, true);
    world.disconnect(alice.user, 'bye');
    alice.take();
    await pending;
    expect(alice.take()).toEqual([]);
    expect(alice.user.isOper).toBe(false);
  });
});
