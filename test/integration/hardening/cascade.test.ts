/**
 * A send queue that overflows during someone else's fan-out is only marked
 * there; the connection is closed, and its QUIT fanned out, once that fan-out
 * is done (ObrolServer.disconnectLater / reap). Before, each overflow closed
 * its connection on the spot and fanned its QUIT out inside the first fan-out,
 * and so on down the channel: with thousands of slow members the recursion
 * overflowed the stack, and state changed under a command still running.
 */
import { describe, expect, it } from 'vitest';
import { useFixture } from '../../helpers/fixture.js';
import { MemoryLink, nextTurn } from '../../helpers/memorylink.js';
import { UNLIMITED_CLASS, type TestServer } from '../../helpers/server.js';

const SLOW = '127.0.0.3';
// Big enough for a NAMES reply of the whole channel.
const SENDQ = 65536;
const fx = useFixture();

/** Slow readers come from SLOW and have the smallest send queue the config allows; everyone else is unlimited. */
function server(): Promise<TestServer> {
  return fx.server({
    config: { classes: [{ ...UNLIMITED_CLASS, name: 'slow', hosts: [`${SLOW}/32`], sendq_bytes: SENDQ }, UNLIMITED_CLASS] },
    captureLogs: false,
  });
}

function register(link: MemoryLink, nick: string, channels = ''): void {
  link.send(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n${channels ? `JOIN ${channels}\r\n` : ''}`);
}

describe('send-queue overflow during a fan-out', () => {
  it('6,000 slow members, one message: the server stays up, each is QUIT once, none is left in NAMES or WHO', async () => {
    const srv = await server();
    const MEMBERS = 6000;
    const sender = MemoryLink.attach(srv.server, '127.0.0.2', { record: false });
    register(sender, 'sender', '#big');
    const watcher = MemoryLink.attach(srv.server, '127.0.0.2');
    register(watcher, 'watcher', '#big');
    await nextTurn();
    const slow: MemoryLink[] = [];
    for (let k = 0; k < MEMBERS; k++) {
      const link = MemoryLink.attach(srv.server, SLOW, { record: false });
      register(link, `m${k}`);
      slow.push(link);
      if (k % 50 === 49) await nextTurn();
    }
    await nextTurn();
    // Put them in the channel directly: 6,000 JOINs through the server (each
    // with its NAMES) would only make the test slow, not the case harder.
    const { registry } = srv.server;
    const big = registry.findChannel('#big');
    if (!big) throw new Error('#big is missing');
    for (let k = 0; k < MEMBERS; k++) registry.join(registry.findUser(`m${k}`)!, big, 0);
    expect(srv.server.registry.findChannel('#big')?.members.size).toBe(MEMBERS + 2);

    // The members stop reading, with their send queues all but full.
    for (const link of slow) {
      link.stalled = true;
      link.pending = SENDQ - 500;
    }
    const text = 'x'.repeat(400);
    sender.send(`PRIVMSG #big :${text}\r\n`);
    await nextTurn();
    expect(srv.server.connectionCount).toBe(MEMBERS + 2);
    watcher.lines.length = 0;

    // One more message passes every member's send queue at once.
    sender.send(`PRIVMSG #big :${text}\r\n`);
    await nextTurn();
    await nextTurn();

    expect(srv.server.connectionCount).toBe(2);
    const quits = new Map<string, number>();
    for (const line of watcher.lines) {
      const match = /^:(m\d+)!\S+ QUIT :SendQ exceeded$/.exec(line);
      if (match) quits.set(match[1] as string, (quits.get(match[1] as string) ?? 0) + 1);
    }
    expect(quits.size).toBe(MEMBERS);
    expect([...quits.values()].every((n) => n === 1)).toBe(true);
    // Every slow connection was closed (its ERROR queued, then ended).
    expect(slow.every((link) => link.ended)).toBe(true);

    watcher.lines.length = 0;
    watcher.send('NAMES #big\r\nWHO #big\r\n');
    await nextTurn();
    const names = watcher.lines.filter((l) => / 353 /.test(l)).join(' ');
    expect(names).toMatch(/:(@?sender watcher|watcher @?sender)$/);
    expect(watcher.lines.filter((l) => / 352 /.test(l))).toHaveLength(2);
    expect(srv.server.registry.checkInvariants()).toEqual([]);
    // Bystanders still chat.
    watcher.lines.length = 0;
    sender.record = true;
    watcher.send('PRIVMSG #big :still here\r\n');
    await nextTurn();
    expect(sender.lines.some((l) => l.endsWith('PRIVMSG #big :still here'))).toBe(true);
  }, 60_000);

  it('no state change inside a command: JOIN #x,#y sees an overflowing member of #x in NAMES, and its QUIT only after', async () => {
    const srv = await server();
    const slowBob = MemoryLink.attach(srv.server, SLOW);
    register(slowBob, 'bob', '#x');
    const alice = MemoryLink.attach(srv.server, '127.0.0.2');
    register(alice, 'alice');
    await nextTurn();
    slowBob.stalled = true;
    slowBob.pending = SENDQ - 40;
    // Refresh the connection's view of its backlog: one flush while stalled.
    alice.send('PRIVMSG bob :hi\r\n');
    await nextTurn();
    expect(srv.server.connectionCount).toBe(2);
    alice.lines.length = 0;

    alice.send('JOIN #x,#y\r\n');
    await nextTurn();
    const joinX = alice.lines.findIndex((l) => / JOIN :?#x$/.test(l));
    const joinY = alice.lines.findIndex((l) => / JOIN :?#y$/.test(l));
    const quit = alice.lines.findIndex((l) => /^:bob!\S+ QUIT :SendQ exceeded$/.test(l));
    expect(alice.lines.find((l) => / 353 alice = #x /.test(l))).toMatch(/:(alice @bob|@bob alice)$/);
    expect(joinX).toBeGreaterThanOrEqual(0);
    expect(joinY).toBeGreaterThan(joinX);
    expect(quit).toBeGreaterThan(joinY);
    expect(srv.server.registry.findChannel('#y')?.members.size).toBe(1);
    expect(srv.server.registry.findChannel('#x')?.members.size).toBe(1);
    expect(srv.server.registry.checkInvariants()).toEqual([]);
    expect(srv.server.connectionCount).toBe(1);
  });
});
