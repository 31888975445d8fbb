/**
 * Running out of file descriptors. Before, accept(2) failed with EMFILE and
 * libuv silently closed the waiting sockets: clients were dropped without a
 * word, and nothing was logged. Now the server keeps a reserve: new clients
 * are refused with a clear ERROR, it is logged once, nobody connected is
 * affected, and clients are let in again once descriptors are free. The
 * limit is lowered on the running server with prlimit(1).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, startCli, TelnetUser } from '../helpers/cli.js';

afterEach(cleanupCli);

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What the server says first: its welcome NOTICE, an ERROR, or '' if the socket is closed without a word. */
function firstWords(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text);
    });
    socket.once('close', () => resolve(text));
  });
}

describe('e2e: out of file descriptors', { timeout: 30_000 }, () => {
  it('EMFILE is logged once, connected users go on chatting, and accepting resumes', async () => {
    const server = await startCli({ config: { classes: [{ name: 'all', max_per_ip: 1000, max_per_cidr: 1000, connects_per_minute: 100_000 }] } });
    const alice = await TelnetUser.register(server.port, 'alice');
    const bob = await TelnetUser.register(server.port, 'bob');
    const inUse = readdirSync(`/proc/${server.pid}/fd`).length;
    // Room for two more clients beyond the server's reserve of 16.
    execFileSync('prlimit', [`--pid=${server.pid}`, `--nofile=${inUse + 18}:`]);

    const extra: Socket[] = [];
    const said: string[] = [];
    for (let k = 0; k < 4; k++) {
      const socket = await openSocket(server.port);
      extra.push(socket);
      said.push(await firstWords(socket));
    }
    // One or two more are let in, then every new one is told why it is refused.
    const first = said.findIndex((text) => text.startsWith('ERROR'));
    expect(first).toBeGreaterThanOrEqual(1);
    expect(said.slice(0, first).every((text) => text.includes('Welcome to Obrol'))).toBe(true);
    const refusedWith = said.at(-1);
    expect(said.slice(first).every((text) => text === refusedWith)).toBe(true);
    expect(refusedWith).toBe('ERROR :Closing link: (unknown@127.0.0.1) [Server is out of file descriptors, try again later]\r\n');
    alice.send('PRIVMSG bob :still here');
    expect(await bob.expect(/ PRIVMSG /)).toBe(':alice!alice@127.0.0.1 PRIVMSG bob :still here');
    await server.waitForLog((r) => r.event === 'descriptors-exhausted', 5000);
    expect(server.logs.filter((r) => r.event === 'descriptors-exhausted')).toHaveLength(1);
    expect(server.logs.find((r) => r.event === 'descriptors-exhausted')).toMatchObject({ level: 50 });

    // Descriptors come free: a new client registers.
    for (const socket of extra) socket.destroy();
    execFileSync('prlimit', [`--pid=${server.pid}`, '--nofile=4096:']);
    await server.waitForLog((r) => r.event === 'descriptors-available', 5000);
    const carol = await TelnetUser.register(server.port, 'carol');
    carol.send('PRIVMSG alice :hello');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':carol!carol@127.0.0.1 PRIVMSG alice :hello');
    expect(server.exited).toBe(false);
  });
});
