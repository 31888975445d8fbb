/**
 * kill -9 in the middle of a flood of account registrations and channel
 * messages, then a restart on the same data file:
 * - every account whose REGISTER was answered exists (an answer is only sent
 *   once the account is committed);
 * - every message whose echo arrived before the kill, less the commit window
 *   (history is committed once per event-loop turn: docs/store.md), is in
 *   CHATHISTORY, once, in the order it was sent.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, freePort, startCli, tempDir, writeConfig } from '../helpers/cli.js';
import { TestClient } from '../helpers/client.js';

afterEach(cleanupCli);

/** Echoes that arrived this long before the kill must have been committed (the window is one turn: milliseconds). */
const COMMIT_WINDOW_MS = 200;
const REGISTRARS = 30;
const TALKERS = 3;

function configFor(dir: string): string {
  return writeConfig(
    {
      store: { backend: 'sqlite', path: join(dir, 'obrol.db') },
      history: { query_limit: 10_000, max_per_target: 0, max_age: 0 },
      accounts: { registrations_per_hour: 0 },
      classes: [{ name: 'test', hosts: ['*'], flood_rate: 0, connects_per_minute: 1_000_000, max_per_ip: 1_000_000, max_per_cidr: 1_000_000 }],
      log: { level: 'info', format: 'json' },
    },
    dir,
  );
}

describe('e2e: kill -9 during registrations and messages', { timeout: 90_000 }, () => {
  it('keeps every answered REGISTER and every message older than the commit window', async () => {
    const dir = tempDir();
    const configPath = configFor(dir);
    // The config file sets no port: pass one on the command line.
    const port = await freePort();
    let server = await startCli({ configPath, port, args: ['--port', String(port)] });

    // Registrars: each registers one account after connecting; answered ones are remembered.
    const answered = new Set<string>();
    const registrars = await Promise.all(
      Array.from({ length: REGISTRARS }, async (_, k) => {
        const client = await TestClient.register(port, `reg${k}`);
        return client;
      }),
    );

    // The channel is registered (ChanServ), as a channel whose history should outlive the server is.
    const owner = await TestClient.register(port, 'owner');
    owner.send('REGISTER * * ownerpassword');
    await owner.expect(/REGISTER SUCCESS/);
    owner.send('JOIN #flood');
    await owner.expect(/ 366 /);
    owner.send('PRIVMSG ChanServ :REGISTER #flood');
    await owner.expect(/#flood is now registered/);

    // Talkers: in that channel with echo-message, sending as fast as the echoes come back.
    const talkers = await Promise.all(
      Array.from({ length: TALKERS }, async (_, k) => {
        const client = await TestClient.connect(port);
        client.send('CAP LS 302');
        client.send('CAP REQ :echo-message server-time message-tags');
        client.send(`NICK talk${k}`);
        client.send(`USER talk${k} 0 * :talker`);
        client.send('CAP END');
        await client.expect(/ 001 /);
        client.send('JOIN #flood');
        await client.expect(/ 366 /);
        return client;
      }),
    );

    const echoed: Array<{ text: string; msgid: string; at: number }> = [];
    let stopTalking = false;
    const talking = talkers.map(async (client, k) => {
      for (let n = 0; !stopTalking; n++) {
        const text = `t${k}-${n}`;
        client.send(`PRIVMSG #flood :${text}`);
        let line: string;
        try {
          line = await client.expect((l) => l.includes(`PRIVMSG #flood :${text}`), 5000);
        } catch {
          return; // the server is gone
        }
        const msgid = /(?:^@|;)msgid=([^; ]+)/.exec(line)?.[1] ?? '';
        echoed.push({ text, msgid, at: Date.now() });
      }
    });

    // REGISTER floods: every registrar sends one, answers are collected as they come.
    const registering = registrars.map(async (client, k) => {
      client.send(`REGISTER acct${k} * password${k}`);
      try {
        await client.expect(/REGISTER SUCCESS acct/, 10_000);
        answered.add(`acct${k}`);
      } catch {
        /* killed before it was answered */
      }
    });

    // Let both floods run, then kill the server outright.
    await waitFor(() => answered.size >= REGISTRARS / 3 && echoed.length >= 300, 20_000);
    const killedAt = Date.now();
    server.signal('SIGKILL');
    await server.waitForExit(10_000);
    stopTalking = true;
    await Promise.allSettled([...talking, ...registering]);
    for (const client of [...registrars, ...talkers, owner]) client.close();
    expect(answered.size).toBeGreaterThan(0);
    expect(echoed.length).toBeGreaterThan(0);

    // Restart on the same file.
    server = await startCli({ configPath, port, args: ['--port', String(port)] });

    // Every answered account exists: logging in with its password works (one connection each: one login per connection).
    for (const account of answered) {
      const k = account.slice('acct'.length);
      const login = await TestClient.register(port, `check${k}`);
      login.send(`PRIVMSG NickServ :IDENTIFY ${account} password${k}`);
      await login.expect(new RegExp(` 900 check${k} \\S+ ${account} `), 5000);
      login.close();
    }
    const checker = await TestClient.register(port, 'checker');

    // Every message echoed before the commit window is in history, once and in order.
    checker.send('CAP REQ :batch server-time message-tags draft/chathistory');
    await checker.expect(/ACK/);
    checker.send('JOIN #flood');
    await checker.expect(/ 366 /);
    checker.send('CHATHISTORY LATEST #flood * 10000');
    await checker.expect(/BATCH \+\S+ chathistory :?#flood/);
    const stored: string[] = [];
    for (;;) {
      const line = await checker.expect(/PRIVMSG #flood|BATCH :?-/, 5000);
      if (/BATCH :?-/.test(line)) break;
      stored.push(line);
    }
    const storedIds = stored.map((line) => /(?:^@|;)msgid=([^; ]+)/.exec(line)?.[1]);
    const mustHave = echoed.filter((e) => e.at < killedAt - COMMIT_WINDOW_MS);
    expect(mustHave.length).toBeGreaterThan(0);
    for (const e of mustHave) expect(storedIds).toContain(e.msgid);
    // The figures, for whoever reads the run: how much was in flight when the server died.
    console.info(`durability: ${answered.size}/${REGISTRARS} REGISTERs answered before the kill, all present; ${echoed.length} messages echoed, ${stored.length} stored, ${mustHave.length} older than ${COMMIT_WINDOW_MS} ms all present`);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    // Each talker's messages are stored in the order it sent them.
    for (let k = 0; k < TALKERS; k++) {
      const mine = stored.map((line) => new RegExp(`:t${k}-(\\d+)$`).exec(line)?.[1]).filter((n): n is string => n !== undefined).map(Number);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    checker.close();
  });
});

async function waitFor(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the floods');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
