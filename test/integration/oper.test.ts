/**
 * IRC operators: OPER, KILL, WALLOPS, REHASH, DIE, dropping +o, and what the
 * log records about them. https://modern.ircdocs.horse/#operator-messages
 */
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { TestClient } from '../helpers/client.js';
import { useFixture } from '../helpers/fixture.js';
import type { TestServer } from '../helpers/server.js';

const S = ':obrol.local';
const PASSWORD = 'Tr0ub4dor&3-oper-secret';
const NOT_OPER = "481 %s :Permission Denied- You're not an IRC operator";

let hash = '';
const fx = useFixture();

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

function operConfig(extra: ConfigInput = {}): ConfigInput {
  return {
    ...extra,
    opers: [
      { name: 'boss', password: hash, hosts: ['*@127.0.0.1'] },
      { name: 'faraway', password: hash, hosts: ['*@10.0.0.1', 'nobody@*'] },
    ],
  };
}

async function oper(c: TestClient): Promise<void> {
  c.send(`OPER boss ${PASSWORD}`);
  await c.expect(/ 381 /);
}

function notOper(nick: string): string {
  return `${S} ${NOT_OPER.replace('%s', nick)}`;
}

/** The 252 line of a LUSERS (the rest of the LUSERS reply is consumed too). */
async function operCount(c: TestClient): Promise<string | undefined> {
  c.send('LUSERS');
  return (await c.sync()).find((line) => / 252 /.test(line));
}

describe('OPER', () => {
  it('succeeds with the right name and password: MODE +o then 381', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER boss ${PASSWORD}`);
    expect(await alice.sync()).toEqual([':alice!alice@127.0.0.1 MODE alice :+o', `${S} 381 alice :You are now an IRC operator`]);
    expect(await operCount(alice)).toBe(`${S} 252 alice 1 :operator(s) online`);
    alice.send('MODE alice');
    expect(await alice.expect(/ 221 /)).toBe(`${S} 221 alice :+o`);
    // A second OPER confirms without a second MODE line.
    alice.send(`OPER boss ${PASSWORD}`);
    expect(await alice.sync()).toEqual([`${S} 381 alice :You are now an IRC operator`]);
  });

  it('464 for a wrong password, and no operator status', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    alice.send('OPER boss wrong-password');
    expect(await alice.sync()).toEqual([`${S} 464 alice :Password incorrect`]);
    expect(await operCount(alice)).toBe(`${S} 252 alice 0 :operator(s) online`);
    alice.send('KILL alice :test');
    expect(await alice.sync()).toContain(notOper('alice'));
  });

  it('464 for an unknown oper name, as for a wrong password', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER nosuchoper ${PASSWORD}`);
    expect(await alice.sync()).toEqual([`${S} 464 alice :Password incorrect`]);
  });

  it('464 when the host masks do not match, even with the right password', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    alice.send(`OPER faraway ${PASSWORD}`);
    expect(await alice.sync()).toEqual([`${S} 464 alice :Password incorrect`]);
    expect(await operCount(alice)).toBe(`${S} 252 alice 0 :operator(s) online`);
  });

  it('the username part of a host mask counts', async () => {
    const srv = await fx.server({ config: operConfig() });
    // faraway allows nobody@* from anywhere.
    const nobody = await fx.register(srv, 'nobody', { user: 'nobody' });
    nobody.send(`OPER faraway ${PASSWORD}`);
    expect(await nobody.sync()).toEqual([':nobody!nobody@127.0.0.1 MODE nobody :+o', `${S} 381 nobody :You are now an IRC operator`]);
  });

  it('461 with too few parameters', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    alice.send('OPER boss');
    expect(await alice.sync()).toEqual([`${S} 461 alice OPER :Not enough parameters`]);
  });

  it('is not allowed before registration', async () => {
    const srv = await fx.server({ config: operConfig() });
    const c = await fx.open(srv);
    await c.expect(/NOTICE/);
    c.send(`OPER boss ${PASSWORD}`);
    expect(await c.sync()).toEqual([`${S} 451 * :You have not registered`]);
  });
});

describe('KILL', () => {
  it('by an oper: the victim gets KILL then ERROR and is closed; channel peers see one QUIT', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    const victim = await fx.register(srv, 'victim');
    const peer = await fx.register(srv, 'peer');
    for (const ch of ['#a', '#b']) {
      await fx.join(victim, ch);
      await fx.join(peer, ch);
    }
    await oper(alice);
    peer.drain();
    victim.drain();
    alice.send('KILL victim :spamming the channel');
    expect(await victim.expect(/ KILL /)).toBe(':alice!alice@127.0.0.1 KILL victim :spamming the channel');
    expect(await victim.expect(/^ERROR/)).toBe('ERROR :Closing link: (victim@127.0.0.1) [Killed by alice: spamming the channel]');
    await victim.waitClosed();
    expect(await peer.sync()).toEqual([':victim!victim@127.0.0.1 QUIT :Killed (alice (spamming the channel))']);
    expect(await alice.sync()).toEqual([]);
    // The nick is free again.
    alice.send('WHOIS victim');
    expect(await alice.expect(/ 401 /)).toBe(`${S} 401 alice victim :No such nick/channel`);
  });

  it('without a reason says "No reason given"', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    const victim = await fx.register(srv, 'victim');
    await oper(alice);
    alice.send('KILL Victim');
    expect(await victim.expect(/ KILL /)).toBe(':alice!alice@127.0.0.1 KILL victim :No reason given');
    expect(await victim.expect(/^ERROR/)).toBe('ERROR :Closing link: (victim@127.0.0.1) [Killed by alice: No reason given]');
    await victim.waitClosed();
  });

  it('by a non-oper: 481, and nobody is disconnected (not even the caller itself)', async () => {
    const srv = await fx.server({ config: operConfig() });
    const bob = await fx.register(srv, 'bob');
    const victim = await fx.register(srv, 'victim');
    bob.send('KILL victim :no');
    bob.send('KILL bob :no');
    expect(await bob.sync()).toEqual([notOper('bob'), notOper('bob')]);
    expect(await victim.sync()).toEqual([]);
    expect(victim.closed).toBe(false);
    expect(bob.closed).toBe(false);
  });

  it('of an unknown nick: 401; of the server: 483', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    await oper(alice);
    alice.send('KILL ghost :boo');
    alice.send('KILL obrol.local :boo');
    expect(await alice.sync()).toEqual([`${S} 401 alice ghost :No such nick/channel`, `${S} 483 alice :You can't kill a server!`]);
  });
});

describe('WALLOPS', () => {
  it('from an oper reaches +w users only', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    const quiet = await fx.register(srv, 'quiet');
    // USER mode 4 asks for +w at registration (RFC 2812).
    const carol = await fx.open(srv);
    carol.send('NICK carol');
    carol.send('USER carol 4 * :Carol');
    await carol.expect(/ 376 /);
    expect(await carol.sync()).toEqual([':carol!carol@127.0.0.1 MODE carol :+w']);
    bob.send('MODE bob +w');
    expect(await bob.sync()).toEqual([':bob!bob@127.0.0.1 MODE bob :+w']);
    await oper(alice);

    alice.send('WALLOPS :server maintenance at noon');
    const wallops = ':alice!alice@127.0.0.1 WALLOPS :server maintenance at noon';
    expect(await bob.sync()).toEqual([wallops]);
    expect(await carol.sync()).toEqual([wallops]);
    expect(await quiet.sync()).toEqual([]);
    // The oper is not +w, so it does not get its own WALLOPS.
    expect(await alice.sync()).toEqual([]);
  });

  it('from a non-oper: 481, delivered to nobody', async () => {
    const srv = await fx.server({ config: operConfig() });
    const bob = await fx.register(srv, 'bob');
    const watcher = await fx.register(srv, 'watcher');
    watcher.send('MODE watcher +w');
    await watcher.sync();
    bob.send('WALLOPS :hi all');
    expect(await bob.sync()).toEqual([notOper('bob')]);
    expect(await watcher.sync()).toEqual([]);
  });
});

describe('REHASH', () => {
  function writeConfig(path: string, description: string, topicLength: number, extraOpers = ''): void {
    writeFileSync(
      path,
      [
        'server:',
        `  description: ${JSON.stringify(description)}`,
        'limits:',
        `  topic_length: ${topicLength}`,
        'opers:',
        '  - name: boss',
        `    password: ${JSON.stringify(hash)}`,
        '    hosts: ["*@127.0.0.1"]',
        extraOpers,
        '',
      ].join('\n'),
    );
  }

  async function fileServer(): Promise<{ srv: TestServer; path: string }> {
    const dir = fx.tempDir();
    const path = joinPath(dir, 'obrol.yaml');
    writeConfig(path, 'First description', 300);
    const srv = await fx.server({ configPath: path });
    return { srv, path };
  }

  async function topicLen(c: TestClient): Promise<string | undefined> {
    c.send('VERSION');
    const lines = await c.sync();
    return lines.join(' ').match(/ TOPICLEN=(\d+) /)?.[1];
  }

  it('by an oper: 382, and the changed file takes effect', async () => {
    const { srv, path } = await fileServer();
    const alice = await fx.register(srv, 'alice');
    await oper(alice);
    alice.send('WHOIS alice');
    expect(await alice.expect(/ 312 /)).toBe(`${S} 312 alice alice obrol.local :First description`);
    expect(await topicLen(alice)).toBe('300');

    writeConfig(path, 'Second description', 120, ['  - name: newboss', `    password: ${JSON.stringify(hash)}`, '    hosts: ["*@127.0.0.1"]'].join('\n'));
    alice.send('REHASH');
    expect(await alice.sync()).toEqual([`${S} 382 alice ${path} :Rehashing`]);
    alice.send('WHOIS alice');
    expect(await alice.expect(/ 312 /)).toBe(`${S} 312 alice alice obrol.local :Second description`);
    expect(await topicLen(alice)).toBe('120');
    // Topics are cut to the new length.
    await fx.join(alice, '#t');
    alice.send(`TOPIC #t :${'x'.repeat(200)}`);
    expect(await alice.expect(/ TOPIC /)).toBe(`:alice!alice@127.0.0.1 TOPIC #t :${'x'.repeat(120)}`);
    // The new oper block can be used, from a new client.
    const bob = await fx.register(srv, 'bob');
    bob.send(`OPER newboss ${PASSWORD}`);
    expect(await bob.expect(/ 381 /)).toBe(`${S} 381 bob :You are now an IRC operator`);
    // Nobody was disconnected, and alice is still an oper.
    expect(await operCount(alice)).toBe(`${S} 252 alice 2 :operator(s) online`);
  });

  it('an invalid file keeps the old config, and the oper is told why', async () => {
    const { srv, path } = await fileServer();
    const alice = await fx.register(srv, 'alice');
    await oper(alice);
    writeFileSync(path, 'limits:\n  topic_length: lots\nserver:\n  description: Never applied\n');
    alice.send('REHASH');
    const lines = await alice.sync();
    expect(lines[0]).toBe(`${S} 382 alice ${path} :Rehashing`);
    expect(lines[1]).toMatch(/^:obrol\.local NOTICE alice :\*\*\* REHASH: limits\.topic_length: \S.*$/);
    expect(lines.slice(2)).toEqual([`${S} NOTICE alice :*** REHASH failed: the previous configuration stays in force`]);
    alice.send('WHOIS alice');
    expect(await alice.expect(/ 312 /)).toBe(`${S} 312 alice alice obrol.local :First description`);
    expect(await topicLen(alice)).toBe('300');

    // Broken YAML too.
    writeFileSync(path, 'server: [unclosed\n');
    alice.send('REHASH');
    const again = await alice.sync();
    expect(again[0]).toBe(`${S} 382 alice ${path} :Rehashing`);
    expect(again[1]).toMatch(/^:obrol\.local NOTICE alice :\*\*\* REHASH: .*not valid YAML/);
    expect(again.at(-1)).toBe(`${S} NOTICE alice :*** REHASH failed: the previous configuration stays in force`);
    expect(await topicLen(alice)).toBe('300');
  });

  it('by a non-oper: 481 and nothing reloaded', async () => {
    const { srv, path } = await fileServer();
    const bob = await fx.register(srv, 'bob');
    writeConfig(path, 'Changed', 50);
    bob.send('REHASH');
    expect(await bob.sync()).toEqual([notOper('bob')]);
    expect(await topicLen(bob)).toBe('300');
  });
});

describe('DIE and RESTART', () => {
  it('DIE and RESTART by a non-oper: 481, the server keeps running', async () => {
    const srv = await fx.server({ config: operConfig() });
    const bob = await fx.register(srv, 'bob');
    bob.send('DIE');
    bob.send('RESTART');
    expect(await bob.sync()).toEqual([notOper('bob'), notOper('bob')]);
    const other = await fx.register(srv, 'other');
    expect(other.closed).toBe(false);
  });

  it('DIE by an oper: every client gets ERROR and is closed, the server stops listening', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await oper(alice);
    alice.send('DIE');
    expect(await alice.expect(/^ERROR/)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Server shutting down (requested by alice)]');
    expect(await bob.expect(/^ERROR/)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Server shutting down (requested by alice)]');
    await alice.waitClosed();
    await bob.waitClosed();
    await srv.stop();
    await expect(TestClient.connect(srv.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('RESTART by an oper', () => {
  it('disconnects everyone with ERROR, clears the state, and listens again', async () => {
    const srv = await fx.server({ config: operConfig() });
    // Observe the restart the command starts, to know when the listener is back.
    let restarted!: Promise<void>;
    const original = srv.server.restart.bind(srv.server);
    srv.server.restart = (reason: string) => (restarted = original(reason));
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await oper(alice);
    bob.send('JOIN #kept');
    await bob.sync();
    alice.send('RESTART');
    expect(await alice.expect(/^ERROR/)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Server restarting (requested by alice)]');
    expect(await bob.expect(/^ERROR/)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Server restarting (requested by alice)]');
    await alice.waitClosed();
    await bob.waitClosed();
    await restarted;
    // Port 0 in the test config: the new listener has a port of its own.
    const carol = await fx.register(srv.server.address.port, 'carol');
    carol.send('LIST');
    carol.send('LUSERS');
    const lines = await carol.sync();
    expect(lines.filter((l) => / 322 /.test(l))).toEqual([]);
    expect(lines).toContain(`${S} 251 carol :There are 1 users and 0 invisible on 1 servers`);
    expect(lines).toContain(`${S} 252 carol 0 :operator(s) online`);
    carol.close();
  });
});

describe('MODE -o', () => {
  it('drops operator status: LUSERS 252 goes back to 0 and oper commands get 481', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    await oper(alice);
    expect(await operCount(alice)).toBe(`${S} 252 alice 1 :operator(s) online`);
    alice.send('MODE alice -o');
    expect(await alice.sync()).toEqual([':alice!alice@127.0.0.1 MODE alice :-o']);
    expect(await operCount(alice)).toBe(`${S} 252 alice 0 :operator(s) online`);
    alice.send('WALLOPS :still there?');
    expect(await alice.sync()).toEqual([notOper('alice')]);
    // +o cannot be set with MODE.
    alice.send('MODE alice +o');
    expect(await alice.sync()).toEqual([]);
    expect(await operCount(alice)).toBe(`${S} 252 alice 0 :operator(s) online`);
  });

  it('an oper who quits is no longer counted', async () => {
    const srv = await fx.server({ config: operConfig() });
    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    await oper(alice);
    expect(await operCount(bob)).toBe(`${S} 252 bob 1 :operator(s) online`);
    await alice.quit();
    expect(await operCount(bob)).toBe(`${S} 252 bob 0 :operator(s) online`);
  });
});

describe('the log', () => {
  it('records OPER success and failures and KILL with the connection id, never the password', async () => {
    const srv = await fx.server({ config: operConfig({ log: { message_text: true } }), captureLogs: true });
    const alice = await fx.register(srv, 'alice');
    const victim = await fx.register(srv, 'victim');
    alice.send('OPER boss not-the-password');
    alice.send(`OPER nosuchoper ${PASSWORD}`);
    alice.send(`OPER faraway ${PASSWORD}`);
    alice.send(`OPER boss ${PASSWORD}`);
    await alice.expect(/ 381 /);
    alice.send('KILL victim :testing the log');
    await victim.waitClosed();
    await alice.sync();

    const conn = expect.stringMatching(/^[0-9a-z]+$/);
    const byEvent = (event: string) => srv.logs.filter((r) => r.event === event);
    expect(byEvent('oper-failed')).toEqual([
      expect.objectContaining({ conn, name: 'boss', reason: 'password' }),
      expect.objectContaining({ conn, reason: 'no such oper' }),
      expect.objectContaining({ conn, name: 'faraway', reason: 'host' }),
    ]);
    expect(byEvent('oper')).toEqual([expect.objectContaining({ conn, name: 'boss', nick: 'alice' })]);
    expect(byEvent('kill')).toEqual([expect.objectContaining({ conn, target: 'victim', by: 'alice', reason: 'testing the log' })]);
    // All of alice's records carry the same connection id, the victim's another.
    const aliceConn = byEvent('oper')[0]?.conn;
    expect(byEvent('kill')[0]?.conn).toBe(aliceConn);
    expect(srv.logs.find((r) => r.event === 'disconnect' && r.nick === 'victim')?.conn).not.toBe(aliceConn);

    // message_text logs command parameters, but never those of OPER.
    const operCommands = srv.logs.filter((r) => r.command === 'OPER' && r.msg === 'command');
    expect(operCommands).toHaveLength(4);
    for (const record of operCommands) expect(record).not.toHaveProperty('params');
    expect(srv.logs.find((r) => r.command === 'KILL' && r.msg === 'command')).toMatchObject({ params: ['victim', 'testing the log'] });
    const text = JSON.stringify(srv.logs);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('not-the-password');
  });
});
