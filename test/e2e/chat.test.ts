/**
 * Scenario (a): two people at telnet prompts register with the built server,
 * join a channel and chat; one changes nick; one quits and the other sees it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, startCli, TelnetUser } from '../helpers/cli.js';

afterEach(cleanupCli);

describe('e2e: two telnet users chat through the built server', { timeout: 30_000 }, () => {
  it('registers, joins, chats, changes nick and sees the other quit', async () => {
    const server = await startCli({ config: { server: { name: 'e2e.obrol.test' } } });

    const alice = await TelnetUser.register(server.port, 'alice');
    const bob = await TelnetUser.register(server.port, 'bob');

    alice.send('JOIN #e2e');
    expect(await alice.expect(/ JOIN /)).toBe(':alice!alice@127.0.0.1 JOIN :#e2e');
    expect(await alice.expect(/ 353 /)).toBe(':e2e.obrol.test 353 alice = #e2e :@alice');
    expect(await alice.expect(/ 366 /)).toBe(':e2e.obrol.test 366 alice #e2e :End of /NAMES list');

    bob.send('JOIN #e2e');
    expect(await bob.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#e2e');
    expect(await bob.expect(/ 353 /)).toBe(':e2e.obrol.test 353 bob = #e2e :@alice bob');
    expect(await alice.expect(/ JOIN /)).toBe(':bob!bob@127.0.0.1 JOIN :#e2e');

    alice.send('PRIVMSG #e2e :hello bob, typed in telnet');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #e2e :hello bob, typed in telnet');
    bob.send('PRIVMSG alice :hi alice, just to you');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG alice :hi alice, just to you');
    // The sender does not get its own channel message back.
    expect((await alice.sync()).filter((line) => line.includes('PRIVMSG'))).toEqual([]);

    alice.send('NICK alicia');
    expect(await alice.expect(/ NICK /)).toBe(':alice!alice@127.0.0.1 NICK :alicia');
    expect(await bob.expect(/ NICK /)).toBe(':alice!alice@127.0.0.1 NICK :alicia');
    alice.nick = 'alicia';
    bob.send('PRIVMSG #e2e :welcome, alicia');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG #e2e :welcome, alicia');

    bob.send('QUIT :off to lunch');
    expect(await bob.expect(/^ERROR /)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Quit: off to lunch]');
    await bob.waitClosed();
    expect(await alice.expect(/ QUIT /)).toBe(':bob!bob@127.0.0.1 QUIT :Quit: off to lunch');

    // alicia is alone in the channel now, and the server is still serving her.
    alice.send('NAMES #e2e');
    expect(await alice.expect(/ 353 /)).toBe(':e2e.obrol.test 353 alicia = #e2e :@alicia');

    await alice.quit('done');
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });
});
