/**
 * Every command costs flood budget, before registration too (PONG, CAP,
 * PASS, USER included), and a connection that sends more than
 * limits.unregistered_lines lines without registering is dropped. Before,
 * one unregistered connection sending PONG held a core and was never dropped.
 * Time stands still here (a manual clock): the bucket does not refill.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/commands/index.js';
import { ManualClock } from '../../helpers/clock.js';
import { useFixture } from '../../helpers/fixture.js';
import { MemoryLink, nextTurn } from '../../helpers/memorylink.js';
import { UNLIMITED_CLASS, type TestServer } from '../../helpers/server.js';

const fx = useFixture();

function server(klass: Record<string, unknown>, limits: Record<string, unknown> = {}): Promise<TestServer> {
  return fx.server({ clock: new ManualClock(), config: { classes: [{ ...UNLIMITED_CLASS, ...klass }], limits } });
}

const handled = (srv: TestServer, verb: string) => srv.server.commandCounts.get(verb) ?? 0;

describe('every command costs', () => {
  it('no command in the table is free', () => {
    const free = [...COMMANDS.values()].filter((spec) => !(spec.penalty > 0)).map((spec) => spec.verb);
    expect(free).toEqual([]);
  });

  it.each([
    ['PONG', 'PONG x'],
    ['CAP', 'CAP LS 302'],
    ['PASS', 'PASS secret'],
    ['USER', 'USER a 0 * :A'],
  ])('%s before registration waits for the bucket like anything else', async (verb, line) => {
    // A burst of 4 units: at most 8 lines of the cheapest cost run at once.
    const srv = await server({ flood_burst: 4, flood_rate: 1 });
    const link = MemoryLink.attach(srv.server);
    link.send(`${line}\r\n`.repeat(30));
    await nextTurn();
    expect(handled(srv, verb)).toBeGreaterThan(0);
    expect(handled(srv, verb)).toBeLessThanOrEqual(8);
    expect(link.ended).toBe(false);
  });

  it('PONG after registration costs too', async () => {
    const srv = await server({ flood_burst: 10, flood_rate: 1 });
    const link = MemoryLink.attach(srv.server);
    link.send('NICK a\r\nUSER a 0 * :A\r\n');
    await nextTurn();
    expect(link.lines.some((l) => / 001 a /.test(l))).toBe(true);
    link.send('PONG x\r\n'.repeat(100));
    await nextTurn();
    // 4 of the 10 units went to NICK and USER.
    expect(handled(srv, 'PONG')).toBeLessThanOrEqual(12);
  });
});

describe('lines before registration', () => {
  it('a connection that sends more than limits.unregistered_lines without registering is dropped', async () => {
    const srv = await server({ flood_rate: 0 }, { unregistered_lines: 40 });
    const link = MemoryLink.attach(srv.server);
    link.send('PONG x\r\n'.repeat(1000));
    await nextTurn();
    expect(handled(srv, 'PONG')).toBe(40);
    expect(link.ended).toBe(true);
    expect(link.lines.at(-1)).toBe('ERROR :Closing link: (*@127.0.0.1) [Too many lines before registration]');
    expect(srv.server.connectionCount).toBe(0);
  });

  it('a client that registers within the limit is not counted any more afterwards', async () => {
    const srv = await server({ flood_rate: 0 }, { unregistered_lines: 10 });
    const link = MemoryLink.attach(srv.server);
    link.send('CAP LS 302\r\nNICK a\r\nUSER a 0 * :A\r\nCAP END\r\n');
    await nextTurn();
    link.send('PING x\r\n'.repeat(50));
    await nextTurn();
    expect(link.ended).toBe(false);
    expect(handled(srv, 'PING')).toBe(50);
  });
});
