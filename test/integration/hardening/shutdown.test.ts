/**
 * Shutdown, RESTART and DIE: everyone is leaving, so nobody is told of
 * anybody else's QUIT: one ERROR each, then close. Before, each user's QUIT
 * went to every peer still connected (quadratic in a big channel), and
 * 10,000 users took longer than Docker's 10-second stop timeout. And lines
 * are never rendered for a connection that is already closing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outgoing } from '../../../src/protocol/outgoing.js';
import { useFixture } from '../../helpers/fixture.js';
import { MemoryLink, nextTurn } from '../../helpers/memorylink.js';

const fx = useFixture();

// Registered after the fixture's, so it runs first: the mocks go before the servers stop.
afterEach(() => {
  vi.restoreAllMocks();
});

describe('shutdown', () => {
  it('10,000 users in shared channels: one ERROR each, no QUIT among them, nothing left', async () => {
    const srv = await fx.server();
    const USERS = 10_000;
    const links: MemoryLink[] = [];
    for (let k = 0; k < USERS; k++) {
      const link = MemoryLink.attach(srv.server, '127.0.0.1', { record: false });
      link.send(`NICK u${k}\r\nUSER u${k} 0 * :u\r\n`);
      links.push(link);
      if (k % 200 === 199) await nextTurn();
    }
    await nextTurn();
    // Ten channels of a thousand, joined directly (the JOIN fan-out is not what is tested).
    const { registry } = srv.server;
    for (let c = 0; c < 10; c++) {
      links[c * 1000]!.send(`JOIN #c${c}\r\n`);
      const channel = registry.findChannel(`#c${c}`)!;
      for (let k = c * 1000 + 1; k < (c + 1) * 1000; k++) registry.join(registry.findUser(`u${k}`)!, channel, 0);
    }
    await nextTurn();
    expect(srv.server.connectionCount).toBe(USERS);
    for (const link of links) link.record = true;
    const rendered = vi.spyOn(Outgoing.prototype, 'bytes');

    await srv.server.stop('Going down');
    await nextTurn();

    expect(links.every((link) => link.ended)).toBe(true);
    expect(links.every((link) => link.lines.length === 1 && /^ERROR :Closing link: \(u\d+@127\.0\.0\.1\) \[Going down\]$/.test(link.lines[0]!))).toBe(true);
    expect(rendered).not.toHaveBeenCalled();
    expect(srv.server.connectionCount).toBe(0);
  }, 60_000);
});

describe('a connection that is closing', () => {
  it('gets nothing rendered for it: a channel message skips a member whose connection is closing', async () => {
    const srv = await fx.server();
    const alice = MemoryLink.attach(srv.server);
    alice.send('NICK alice\r\nUSER a 0 * :A\r\nJOIN #c\r\n');
    const bob = MemoryLink.attach(srv.server);
    bob.send('NICK bob\r\nUSER b 0 * :B\r\nJOIN #c\r\n');
    await nextTurn();
    // bob's connection is closing (its ERROR is out) but bob is still in the channel for this turn.
    const session = srv.server.registry.findUser('bob')!.endpoint as unknown as { conn: { close(): void } };
    session.conn.close();
    const rendered = vi.spyOn(Outgoing.prototype, 'bytes');
    alice.send('PRIVMSG #c :hello\r\n');
    expect(rendered).not.toHaveBeenCalled();
  });
});
