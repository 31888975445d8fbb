/**
 * A new user's first day, through irc-framework (the library real bots and
 * web clients use) against the built server on a data file:
 * register an account with NickServ, register a channel with ChanServ, talk
 * from two clients logged into the account with SASL at the same time,
 * restart the server, come back with SASL, get ops back from the channel
 * registration, and scroll back through CHATHISTORY.
 */
import { join } from 'node:path';
import IRC from 'irc-framework';
import { afterEach, describe, expect, it } from 'vitest';
import type { IrcClientLike } from '../../src/client/core/irc.js';
import { cleanupCli, freePort, startCli, tempDir, writeConfig, type CliServer } from '../helpers/cli.js';

type RawEvent = { line: string; from_server: boolean };

const clients: IrcClientLike[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.quit('done');
  await cleanupCli();
});

/** An irc-framework client whose incoming raw lines can be awaited. */
class Person {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly client = new IRC.Client() as IrcClientLike;

  constructor(port: number, nick: string, account: { account: string; password: string } | null) {
    clients.push(this.client);
    this.client.on('raw', (raw) => {
      const event = raw as unknown as RawEvent;
      if (!event.from_server) return;
      this.lines.push(event.line.trimEnd());
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.client.connect({ host: '127.0.0.1', port, nick, username: nick, gecos: nick, auto_reconnect: false, ...(account ? { account } : {}) });
  }

  /** The first line from `from` on that matches; returns it and where the search may go on. */
  async expect(pattern: RegExp, from = 0, timeoutMs = 5000): Promise<{ line: string; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((line, k) => k >= from && pattern.test(line));
      if (index >= 0) return { line: this.lines[index] as string, index: index + 1 };
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; last lines:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.client.raw(line);
  }
}

async function start(configPath: string, port: number): Promise<CliServer> {
  return startCli({ configPath, port, args: ['--port', String(port)] });
}

describe('e2e: accounts, a registered channel and history across a restart, through irc-framework', { timeout: 60_000 }, () => {
  it('registers, talks from two SASL clients on one nick, restarts, gets ops back and scrolls back', async () => {
    const dir = tempDir();
    const configPath = writeConfig({ store: { path: join(dir, 'obrol.db') }, log: { level: 'info', format: 'json' } }, dir);
    const port = await freePort();
    let server = await start(configPath, port);

    // Day one: a nick, an account, a channel.
    const alice = new Person(port, 'alice', null);
    await alice.expect(/ 001 alice /);
    alice.send('PRIVMSG NickServ :REGISTER wonderland99');
    await alice.expect(/ 900 alice \S+ alice /);
    alice.send('JOIN #tea');
    await alice.expect(/ 366 alice #tea /);
    alice.send('PRIVMSG ChanServ :REGISTER #tea');
    await alice.expect(/NOTICE alice :#tea is now registered/);
    alice.send('TOPIC #tea :Tea every day');
    await alice.expect(/TOPIC #tea :Tea every day/);
    alice.client.quit('see you');

    // Two clients logged in with SASL at once share the nick alice; each sees what the other says.
    const laptop = new Person(port, 'alice', { account: 'alice', password: 'wonderland99' });
    await laptop.expect(/ 903 /);
    await laptop.expect(/ 001 alice /);
    const phone = new Person(port, 'alice_phone', { account: 'alice', password: 'wonderland99' });
    await phone.expect(/ 903 /);
    await phone.expect(/ 001 alice /);
    laptop.send('JOIN #tea');
    await phone.expect(/:alice!\S+ JOIN #tea/);
    const bob = new Person(port, 'bob', null);
    await bob.expect(/ 001 bob /);
    bob.send('JOIN #tea');
    await bob.expect(/ 366 bob #tea /);
    laptop.send('PRIVMSG #tea :written on the laptop');
    await phone.expect(/PRIVMSG #tea :written on the laptop/);
    await bob.expect(/PRIVMSG #tea :written on the laptop/);
    phone.send('PRIVMSG #tea :written on the phone');
    await laptop.expect(/PRIVMSG #tea :written on the phone/);
    bob.send('PRIVMSG #tea :bob says hi');
    await laptop.expect(/PRIVMSG #tea :bob says hi/);
    await phone.expect(/PRIVMSG #tea :bob says hi/);
    for (const person of [laptop, phone, bob]) person.client.quit('restart');

    // The server restarts on the same data file.
    server.signal('SIGTERM');
    await server.waitForExit(10_000);
    server = await start(configPath, port);

    // Back with SASL: ops from the registration, the topic kept, and the day's messages in history.
    const back = new Person(port, 'alice', { account: 'alice', password: 'wonderland99' });
    await back.expect(/ 903 /);
    back.send('JOIN #tea');
    await back.expect(/ 332 alice #tea :Tea every day/);
    await back.expect(/:ChanServ!\S+ MODE #tea \+o :?alice/);
    const asked = back.lines.length;
    back.send('CHATHISTORY LATEST #tea * 50');
    const opened = await back.expect(/BATCH \+\S+ chathistory :?#tea/, asked);
    const closed = await back.expect(/BATCH :?-/, opened.index);
    const texts = back.lines.slice(opened.index, closed.index - 1).filter((line) => line.includes(' PRIVMSG #tea ')).map((line) => line.replace(/^.* PRIVMSG #tea :/, ''));
    expect(texts).toEqual(['written on the laptop', 'written on the phone', 'bob says hi']);
    expect(server.exited).toBe(false);
  });
});
