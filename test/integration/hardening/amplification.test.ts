/**
 * No cheap amplification (Hardening II, item 4), over real sockets: repeated
 * targets are answered once, TARGMAX names the JOIN and NAMES caps, NAMES
 * stops at names_results lines, and a change seen by every peer (AWAY with
 * away-notify) draws on the per-user broadcast budget. Work is measured in
 * lines received, never in time.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { TestClient } from '../../helpers/client.js';
import { S, useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const fx = useFixture();

const server = (config: ConfigInput = {}) => fx.server({ config });

/** Register `nick`; with `caps`, ask for them (CAP REQ only, no LS) first. */
function register(srv: TestServer, nick: string, caps?: string): Promise<TestClient> {
  return caps === undefined ? fx.register(srv, nick) : fx.withCaps(srv, nick, caps, { ls302: false });
}

async function run(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  return c.sync();
}

describe('repeated targets and target caps', () => {
  it('advertises the JOIN and NAMES caps in TARGMAX', async () => {
    const srv = await server({ limits: { channels_per_user: 7, targets: 3 } });
    const c = await fx.open(srv);
    c.send('NICK t');
    c.send('USER t 0 * :t');
    const line = await c.expect(/ 005 .*TARGMAX=/);
    expect(line).toContain('TARGMAX=JOIN:7,KICK:3,MONITOR:,NAMES:3,');
  });

  it('JOIN of one banned channel named 100 times answers one 474', async () => {
    const srv = await server();
    const op = await register(srv, 'op');
    const mallory = await register(srv, 'mallory');
    await run(op, 'JOIN #c');
    await run(op, 'MODE #c +b mallory!*@*');
    const lines = await run(mallory, `JOIN ${Array(50).fill('#c,#C').join(',')}`);
    expect(lines).toEqual([`${S} 474 mallory #c :Cannot join channel (+b)`]);
  });

  it('NAMES stops at names_results lines over all channels, then 416 and 366', async () => {
    const srv = await server({ limits: { names_results: 2 } });
    const alice = await register(srv, 'alice');
    for (const ch of ['#a', '#b', '#c']) await run(alice, `JOIN ${ch}`);
    expect(await run(alice, 'NAMES #a,#b,#c,#a')).toEqual([
      `${S} 353 alice = #a :@alice`,
      `${S} 353 alice = #b :@alice`,
      `${S} 416 alice NAMES :Output too long: only the first 2 results; ask for less`,
      `${S} 366 alice #a,#b,#c :End of /NAMES list`,
    ]);
  });
});

describe('broadcast budget', () => {
  it('refuses an AWAY whose audience the budget cannot cover, and sends it to nobody', async () => {
    // A budget of 2 recipients refilled at 0.01 a second: the second change must wait 100 s or so.
    const srv = await server({ limits: { broadcast_burst: 2, broadcast_rate: 0.01 } });
    const mallory = await register(srv, 'mallory');
    const peers = [await register(srv, 'p1', 'away-notify'), await register(srv, 'p2', 'away-notify')];
    for (const c of [mallory, ...peers]) await run(c, 'JOIN #c');
    for (const c of [mallory, ...peers]) await c.sync();
    expect(await run(mallory, 'AWAY :gone')).toEqual([`${S} 306 mallory :You have been marked as being away`]);
    const refused = await run(mallory, 'AWAY');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^:obrol\.local FAIL AWAY RATE_LIMITED :Too many changes seen by many users; wait \d+ seconds$/);
    for (const p of peers) expect((await p.sync()).filter((l) => / AWAY/.test(l))).toEqual([':mallory!mallory@127.0.0.1 AWAY :gone']);
  });
});
