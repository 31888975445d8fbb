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
