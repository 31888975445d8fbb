/**
 * Registered channels across a restart, and account-owned read markers, on
 * real servers. Logins are acted out on the in-process server (the user's
 * account set, then restoreAccountState) until SASL exists to do it.
 */
import { describe, expect, it } from 'vitest';
import { restoreAccountState } from '../../src/commands/accountstate.js';
import type { ObrolServer } from '../../src/server/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { TestClient } from '../helpers/client.js';
import { S, useFixture } from '../helpers/fixture.js';

const CS = ':ChanServ!ChanServ@obrol.local';
const T1 = 'timestamp=2024-03-01T10:00:00.000Z';
const fx = useFixture();

/** Log the user with `nick` into `account`, as a login would. */
async function login(server: ObrolServer, nick: string, account: string): Promise<void> {
  const user = server.registry.findUser(nick);
  if (user === undefined) throw new Error(`no user ${nick}`);
  user.account = account;
  await restoreAccountState(server, user, account);
}

async function ask(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  return c.sync();
}

describe('a channel registered with ChanServ', () => {
  it('keeps its topic, modes and bans across a restart, and its founder gets +o on JOIN', async () => {
    const store = new MemoryStore();
    const first = await fx.server({ store });
    const alice = await fx.register(first, 'alice');
    await login(first.server, 'alice', 'Alice');
    await fx.join(alice, '#Reg');
    expect(await ask(alice, 'PRIVMSG ChanServ :REGISTER #reg')).toContain(`${CS} NOTICE alice :#Reg is now registered to your account Alice.`);
    alice.send('TOPIC #reg :Kept across restarts');
    alice.send('MODE #reg +mk sesame');
    alice.send('MODE #reg +b *!*@banned.example');
    await alice.sync();
    await first.stop();

    const second = await fx.server({ store });
    const bob = await fx.register(second, 'bob');
    const topic = await ask(bob, 'TOPIC #reg');
    expect(topic[0]).toBe(`${S} 332 bob #Reg :Kept across restarts`);
    expect(topic[1]).toMatch(new RegExp(`^${S} 333 bob #Reg alice!alice@127\\.0\\.0\\.1 :?\\d+$`));
    expect(await ask(bob, 'LIST')).toContain(`${S} 322 bob #Reg 0 :Kept across restarts`);
    expect(await ask(bob, 'JOIN #reg')).toEqual([`${S} 475 bob #Reg :Cannot join channel (+k)`]);
    const joined = await ask(bob, 'JOIN #reg sesame');
    expect(joined).toContain(`${S} 353 bob = #Reg :bob`);
    expect(joined.some((line) => line.includes('MODE'))).toBe(false);
    expect(await ask(bob, 'MODE #reg')).toContain(`${S} 324 bob #Reg +mntk :sesame`);
    expect((await ask(bob, 'MODE #reg b'))[0]).toMatch(new RegExp(`^${S} 367 bob #Reg \\*!\\*@banned\\.example alice!alice@127\\.0\\.0\\.1 :?\\d+$`));

    const alice2 = await fx.register(second, 'alice');
    await login(second.server, 'alice', 'alice');
    const rejoined = await ask(alice2, 'JOIN #reg sesame');
    expect(rejoined.slice(0, 2)).toEqual([':alice!alice@127.0.0.1 JOIN :#Reg', `${CS} MODE #Reg +o :alice`]);
    expect(rejoined).toContain(`${S} 353 alice = #Reg :bob @alice`);
    expect(await bob.expect(/ MODE /)).toBe(`${CS} MODE #Reg +o :alice`);
    expect(await ask(alice2, 'PRIVMSG ChanServ :INFO #reg')).toContain(`${CS} NOTICE alice :  Founder:    alice`);
  });
});

describe('read markers of an account', () => {
  it('are shared by the account’s connections and come back on the next login', async () => {
    const srv = await fx.server();
    const one = await fx.withCaps(srv, 'one', 'draft/read-marker');
    const two = await fx.withCaps(srv, 'two', 'draft/read-marker');
    await login(srv.server, 'one', 'acct');
    await login(srv.server, 'two', 'acct');
    expect(await ask(one, `MARKREAD #chat ${T1}`)).toEqual([`${S} MARKREAD #chat :${T1}`]);
    expect(await two.expect(/MARKREAD/)).toBe(`${S} MARKREAD #chat :${T1}`);
    expect(await ask(two, 'MARKREAD #CHAT')).toEqual([`${S} MARKREAD #CHAT :${T1}`]);
    await one.quit();
    await two.quit();

    const three = await fx.withCaps(srv, 'three', 'draft/read-marker');
    await login(srv.server, 'three', 'ACCT');
    const join = await ask(three, 'JOIN #chat');
    const marker = join.indexOf(`${S} MARKREAD #chat :${T1}`);
    expect(marker).toBeGreaterThan(0);
    expect(marker).toBeLessThan(join.findIndex((line) => line.includes(' 366 ')));
  });
});
