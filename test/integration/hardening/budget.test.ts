/**
 * Hardening II, bounded memory, over real sockets: one client driven to the
 * worst case the default limits allow (the longest names, masks, topics,
 * keys and values, every kind of stored state, all 50 channels) stays under
 * 100 KiB of accounted state, and the bookkeeping is exact afterwards.
 */
import { describe, expect, it } from 'vitest';
import { useFixture } from '../../helpers/fixture.js';

const fx = useFixture();

const KIB = 1024;
/** Channel names of the longest legal length (limits.channel_length 64). */
const channel = (i: number) => `#${String(i).padStart(2, '0')}${'c'.repeat(61)}`;
/** Distinct strings of `length` characters, none of them Latin-1 (two heap bytes each). */
const wide = (i: number, length: number) => `${String(i).padStart(4, '0')}${'Ω'.repeat(length - 4)}`;

describe('the worst case of one client with the default limits', () => {
  it('stays under 100 KiB of accounted state, and all of it is credited when the client and its channels go', async () => {
    const srv = await fx.server();
    const alice = await fx.register(srv, 'a'.repeat(32));
    const bob = await fx.register(srv, 'bob');
    const registry = srv.server.registry;
    const id = registry.findUser(alice.nick)!.id;

    const lines: string[] = [];
    for (let c = 0; c < 50; c++) {
      lines.push(`JOIN ${channel(c)}`);
      // 390-byte topics: 195 two-byte letters.
      lines.push(`TOPIC ${channel(c)} :${wide(c, 195)}`);
      // 100 list entries of 128 bytes each (124 + "!*@*"), spread over b, e and I.
      for (let e = 0; e < 100; e += 3) lines.push(`MODE ${channel(c)} +beI ${[e, e + 1, e + 2].map((n) => `${c}x${n}${'m'.repeat(124 - `${c}x${n}`.length)}`).join(' ')}`);
      // 50 keys of 64 bytes with 300-byte values.
      for (let k = 0; k < 50; k++) lines.push(`METADATA ${channel(c)} SET ${String(k).padStart(2, '0')}${'k'.repeat(62)} :${wide(k, 150)}`);
      lines.push(`INVITE bob ${channel(c)}`);
    }
    for (let k = 0; k < 50; k++) lines.push(`METADATA * SET ${String(k).padStart(2, '0')}${'u'.repeat(62)} :${wide(k, 150)}`);
    for (let k = 0; k < 100; k += 5) lines.push(`METADATA * SUB ${[0, 1, 2, 3, 4].map((n) => `${String(k + n).padStart(3, '0')}${'s'.repeat(61)}`).join(' ')}`);
    for (let m = 0; m < 1000; m++) lines.push(`MARKREAD #${String(m).padStart(3, '0')}${'r'.repeat(60)} timestamp=2024-01-01T00:00:00.000Z`);
    for (let n = 0; n < 100; n += 10) lines.push(`MONITOR + ${Array.from({ length: 10 }, (_, i) => `n${String(n + i).padStart(3, '0')}${'x'.repeat(28)}`).join(',')}`);
    for (const line of lines) alice.send(line);
    await alice.sync(30_000);

    const charged = registry.budget.charged(id);
    // The budget was reached (the client asked for far more) and held.
    expect(charged).toBeGreaterThan(60 * KIB);
    expect(charged).toBeLessThanOrEqual(64 * KIB);
    expect(charged).toBeLessThan(100 * KIB);
    expect(alice.received.some((line) => line.includes('LIMIT_REACHED'))).toBe(true);
    // Every connection is registered here, so the registry sees all of them.
    expect(registry.checkBudget(registry.users)).toEqual([]);

    // Everything goes with the client and its channels: nothing stays charged.
    alice.send('QUIT :done');
    await alice.expect(/^ERROR /);
    await bob.sync();
    expect(registry.channels.size).toBe(0);
    expect(registry.budget.charged(id)).toBe(0);
    expect(registry.budget.total).toBe(0);
    expect(registry.budget.ownerCount).toBe(0);
    expect(registry.checkInvariants()).toEqual([]);
    expect(registry.checkBudget(registry.users)).toEqual([]);
  });
});
