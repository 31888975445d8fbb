/**
 * REHASH (and SIGHUP) check everything before they apply anything: the file,
 * the TLS files and the listeners it asks for. One failure refuses the whole
 * reload, so the server never runs half on the old config and half on the
 * new. Operators whose block is gone from the file lose +o.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../../src/config/password.js';
import { S, useFixture } from '../../helpers/fixture.js';

const fx = useFixture();
const PASSWORD = 'rehash-oper-password';

function busyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('REHASH is all or nothing', () => {
  it('a listener that cannot open refuses the whole reload: the other new settings do not apply either', async () => {
    const path = fx.tempFile('obrol.yaml', stringify({ server: { motd_file: null }, limits: { topic_length: 100 } }));
    const srv = await fx.server({ configPath: path });
    const busy = await busyPort();
    try {
      // A new WebSocket listener on a port that is taken, and a new topic length.
      writeFileSync(path, stringify({ server: { motd_file: null }, limits: { topic_length: 200 }, websocket: { host: '127.0.0.1', port: busy.port, origins: ['*'] } }));
      const result = await srv.server.rehash();
      expect(result.ok).toBe(false);
      expect(result.problems.join(' ')).toContain(`cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
      expect(srv.server.config.limits.topic_length).toBe(100);
      expect(() => srv.server.addressOf('websocket')).toThrow(/no websocket listener/);
      // The plain listener still takes clients.
      const alice = await fx.register(srv, 'alice');
      expect(alice.closed).toBe(false);
    } finally {
      busy.server.close();
    }
  });

  it('when everything checks out, all of it applies', async () => {
    const path = fx.tempFile('obrol.yaml', stringify({ server: { motd_file: null }, limits: { topic_length: 100 } }));
    const srv = await fx.server({ configPath: path });
    writeFileSync(path, stringify({ server: { motd_file: null }, limits: { topic_length: 200 }, websocket: { host: '127.0.0.1', port: 0, origins: ['*'] } }));
    const result = await srv.server.rehash();
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(srv.server.config.limits.topic_length).toBe(200);
    expect(srv.server.addressOf('websocket').port).toBeGreaterThan(0);
  });
});

describe('REHASH and operators', () => {
  it('an oper whose block is removed loses +o and is told; others keep it', async () => {
    const hash = await hashPassword(PASSWORD);
    const both = [
      { name: 'boss', password: hash, hosts: ['*@127.0.0.1'] },
      { name: 'helper', password: hash, hosts: ['*@127.0.0.1'] },
    ];
    const path = fx.tempFile('obrol.yaml', stringify({ server: { motd_file: null }, opers: both }));
    const srv = await fx.server({ configPath: path, config: { timeouts: { oper_backoff: 0 } } });
    const boss = await fx.register(srv, 'boss');
    const helper = await fx.register(srv, 'helper');
    boss.send(`OPER boss ${PASSWORD}`);
    await boss.expect(/ 381 /);
    helper.send(`OPER helper ${PASSWORD}`);
    await helper.expect(/ 381 /);

    writeFileSync(path, stringify({ server: { motd_file: null }, opers: [both[0]] }));
    boss.send('REHASH');
    await boss.expect(/ 382 /);
    expect(await helper.expect(/ MODE helper /)).toBe(`${S} MODE helper :-o`);
    expect(await helper.expect(/NOTICE/)).toMatch(/no longer an IRC operator/);
    helper.send('REHASH');
    expect(await helper.expect(/ 481 /)).toMatch(/ 481 helper /);
    boss.send('LUSERS');
    expect(await boss.expect(/ 252 /)).toBe(`${S} 252 boss 1 :operator(s) online`);
  });
});

describe('REHASH and the registration burst', () => {
  /** The burst a new client gets, from 001 to the end of the MOTD. */
  async function burst(srv: Parameters<typeof fx.register>[0], nick: string): Promise<string[]> {
    const c = await fx.register(srv, nick);
    return c.received.slice(c.received.findIndex((line) => / 001 /.test(line)));
  }

  it('new clients get the new network name, ISUPPORT and MOTD (the burst is rendered once per configuration)', async () => {
    const motd = fx.tempFile('motd.txt', 'First MOTD\n');
    const path = fx.tempFile('obrol.yaml', stringify({ server: { network: 'OldNet', motd_file: motd }, limits: { topic_length: 100 } }));
    const srv = await fx.server({ configPath: path });
    const before = await burst(srv, 'alice');
    expect(before[0]).toBe(`${S} 001 alice :Welcome to the OldNet IRC Network alice!alice@127.0.0.1`);
    expect(before.join('\n')).toContain(' NETWORK=OldNet ');
    expect(before.join('\n')).toContain(' TOPICLEN=100 ');
    expect(before.filter((line) => / 372 /.test(line))).toEqual([`${S} 372 alice :- First MOTD`]);

    writeFileSync(path, stringify({ server: { network: 'NewNet', motd_file: motd }, limits: { topic_length: 200 } }));
    writeFileSync(motd, 'Second MOTD\nline two\n');
    expect(await srv.server.rehash()).toMatchObject({ ok: true });
    const after = await burst(srv, 'bob');
    expect(after[0]).toBe(`${S} 001 bob :Welcome to the NewNet IRC Network bob!bob@127.0.0.1`);
    expect(after.join('\n')).toContain(' NETWORK=NewNet ');
    expect(after.join('\n')).toContain(' TOPICLEN=200 ');
    expect(after.filter((line) => / 372 /.test(line))).toEqual([`${S} 372 bob :- Second MOTD`, `${S} 372 bob :- line two`]);
    // The same lines as before but for what changed: the nick, the counts, the ISUPPORT tokens and the MOTD.
    expect(after.length).toBe(before.length + 1);

    // Only the MOTD file changed: a REHASH reads it again.
    writeFileSync(motd, 'Third MOTD\n');
    expect(await srv.server.rehash()).toMatchObject({ ok: true });
    const third = await burst(srv, 'carol');
    expect(third.filter((line) => / 372 /.test(line))).toEqual([`${S} 372 carol :- Third MOTD`]);
    // And MOTD asked for says the same.
    const dave = await fx.register(srv, 'dave');
    dave.send('MOTD');
    expect(await dave.sync()).toEqual([`${S} 375 dave :- obrol.local Message of the day - `, `${S} 372 dave :- Third MOTD`, `${S} 376 dave :End of /MOTD command.`]);
  });
});
