/**
 * account-notify and account-tag for users who have not logged in: with both
 * negotiated a client gets no ACCOUNT line nor an `account` tag for them,
 * and the places that show an account show the logged-out placeholder.
 * (Logged-in users: test/integration/accounts.test.ts.)
 * https://ircv3.net/specs/extensions/account-notify,
 * https://ircv3.net/specs/extensions/account-tag
 */
import { describe, expect, it } from 'vitest';
import { mask, S, settle, splitTags, tagNames, useIrc } from './setup.js';

const irc = useIrc();

describe('account-notify and account-tag without a login', () => {
  it('are offered and can be negotiated', async () => {
    const { port } = await irc.server();
    const c = await irc.withCaps(port, 'watcher', 'account-notify account-tag');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP watcher LIST :account-notify account-tag cap-notify`]);
  });

  it('no ACCOUNT line and no account tag on anything a user does', async () => {
    const { port } = await irc.server();
    const watcher = await irc.withCaps(port, 'watcher', 'account-notify account-tag message-tags extended-join away-notify');
    await irc.join(watcher, '#c');
    await settle(watcher);
    const alice = await irc.register(port, 'alice');
    await irc.join(alice, '#c');
    alice.send('PRIVMSG #c :hello');
    alice.send('NOTICE watcher :psst');
    alice.send('AWAY :away');
    alice.send('NICK alice2');
    alice.send('PART #c');
    await alice.sync();
    alice.nick = 'alice2';
    await irc.join(alice, '#c');
    alice.send('QUIT :bye');
    await alice.waitClosed();
    const lines = await watcher.sync();
    expect(lines.map((l) => splitTags(l).body)).toEqual([
      `:${mask('alice')} JOIN #c * :alice Test`,
      `:${mask('alice')} PRIVMSG #c :hello`,
      `:${mask('alice')} NOTICE watcher :psst`,
      `:${mask('alice')} AWAY :away`,
      `:${mask('alice')} NICK :alice2`,
      ':alice2!alice@127.0.0.1 PART :#c',
      ':alice2!alice@127.0.0.1 JOIN #c * :alice Test',
      ':alice2!alice@127.0.0.1 AWAY :away',
      ':alice2!alice@127.0.0.1 QUIT :Quit: bye',
    ]);
    // Only the msgid, never an account tag.
    for (const line of lines) expect(tagNames(line)).toEqual(['msgid']);
    expect(lines.some((l) => / ACCOUNT /.test(l))).toBe(false);
  });

  it('WHOX shows account 0 (logged out)', async () => {
    const { port } = await irc.server();
    const watcher = await irc.withCaps(port, 'watcher', 'account-notify account-tag');
    await irc.register(port, 'alice');
    watcher.send('WHO alice %na');
    expect(await watcher.sync()).toEqual([`${S} 354 watcher alice :0`, `${S} 315 watcher alice :End of WHO list`]);
  });
});
