/**
 * A hostile network against the built server, over real sockets: the worst
 * cases of the hardening work, one after another, while two bystanders keep
 * chatting. After each, the process is alive, the bystanders still reach each
 * other, and at the end the memory the server holds is within bounds.
 *
 *   1. a channel of slow readers (they never read) flooded until every one of
 *      them passes its send queue: each is dropped once, nobody else is;
 *   2. commands with a target repeated a hundred times;
 *   3. PONG floods from connections that never register;
 *   4. handshake floods on the TLS and WebSocket ports;
 *   5. one client driven to its stored-state budget.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/config/password.js';
import { cleanupCli, startCli, type CliServer } from '../helpers/cli.js';
import { makeCerts, type TestCerts } from '../helpers/certs.js';
import { TestClient } from '../helpers/client.js';

const PASSWORD = 'scenario-oper-password';
const SLOW = 1000;
let certs: TestCerts;
let server: CliServer;
let tlsPort = 0;
let wsPort = 0;
let alice: TestClient;
let bob: TestClient;
const opened: Array<{ destroy(): void } | { close(): void }> = [];

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

async function register(nick: string, localAddress = '127.0.0.1'): Promise<TestClient> {
  const c = await TestClient.connect(server.port, '127.0.0.1', { localAddress });
  opened.push(c);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick}`);
  await c.expect(/ (376|422) /, 10_000);
  return c;
}

/** alice and bob still reach each other, and the process is up. */
async function bystandersChat(label: string): Promise<void> {
  expect(server.exited).toBe(false);
  alice.send(`PRIVMSG bob :${label}`);
  expect(await bob.expect(new RegExp(`PRIVMSG bob :${label}$`), 10_000)).toBe(`:alice!alice@127.0.0.1 PRIVMSG bob :${label}`);
  bob.send(`PRIVMSG #lobby :${label} too`);
  expect(await alice.expect(new RegExp(`PRIVMSG #lobby :${label} too$`), 10_000)).toBe(`:bob!bob@127.0.0.1 PRIVMSG #lobby :${label} too`);
}

function silentSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.on('error', () => {});
    // Read (and drop) what the server says, so its closing is seen.
    socket.resume();
    opened.push(socket);
  });
}

beforeAll(async () => {
  certs = await makeCerts();
  const hash = await hashPassword(PASSWORD);
  server = await startCli({
    config: {
      server: { motd_file: null },
      tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key },
      websocket: { host: '127.0.0.1', port: 0, origins: ['*'] },
      timeouts: { handshake: 2 },
      // Each loopback address is its own network here.
      limits: { cidr_ipv4_prefix: 32 },
      opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }],
      classes: [
        // The bystanders and the flooder: no flood control.
        { name: 'local', hosts: ['127.0.0.1/32'], flood_rate: 0, max_per_ip: 50 },
        // Slow readers: many from one address, with a small send queue.
        { name: 'slow', hosts: ['127.0.0.2/32'], max_per_ip: SLOW, max_per_cidr: 5000, connects_per_minute: 100_000, sendq_bytes: 32768 },
        // Everyone else: the defaults.
        { name: 'default', hosts: ['*'] },
      ],
    },
  });
  tlsPort = (server.logs.find((r) => r.event === 'listening' && r.kind === 'tls')?.port as number) ?? 0;
  wsPort = (server.logs.find((r) => r.event === 'listening' && r.kind === 'websocket')?.port as number) ?? 0;
  alice = await register('alice');
  bob = await register('bob');
  for (const c of [alice, bob]) {
    c.send('JOIN #lobby');
    await c.expect(/ 366 /);
  }
}, 60_000);

afterAll(async () => {
  for (const thing of opened) ('destroy' in thing ? thing.destroy() : thing.close());
  await cleanupCli();
  certs?.cleanup();
});

describe('a hostile network', { timeout: 120_000 }, () => {
  it('a channel of slow readers, flooded: each is dropped once, the bystanders are not', async () => {
    const rssBefore = rssKiB(server.pid);
    const slow: TestClient[] = [];
    for (let k = 0; k < SLOW; k++) {
      const c = await TestClient.connect(server.port, '127.0.0.1', { localAddress: '127.0.0.2' });
      opened.push(c);
      c.send(`NICK slow${k}\r\nUSER s 0 * :s\r\nJOIN #slow`);
      slow.push(c);
    }
    await Promise.all(slow.map((c) => c.expect(/ 366 /, 30_000)));
    // They stop reading.
    for (const c of slow) c.socket.pause();
    const flooder = await register('flooder');
    flooder.send('JOIN #slow');
    await flooder.expect(/ 366 /);
    bob.send('JOIN #slow');
    await bob.expect(/ 366 /);

    // Flood until every slow reader is gone (bounded in count and time).
    const text = 'x'.repeat(400);
    const deadline = Date.now() + 60_000;
    let sent = 0;
    let quits = 0;
    while (quits < SLOW && sent < 40_000 && Date.now() < deadline) {
      flooder.write(`PRIVMSG #slow :${sent} ${text}\r\n`.repeat(50));
      sent += 50;
      await flooder.sync(30_000);
      quits = bob.drain().filter((l) => / QUIT :SendQ exceeded$/.test(l)).length + quits;
    }
    // bob read everything: he saw each slow reader QUIT exactly once.
    expect(quits).toBe(SLOW);
    expect(flooder.closed).toBe(false);
    await bystandersChat('after the slow channel');
    bob.send('NAMES #slow');
    expect(await bob.expect(/ 353 bob . #slow /)).toMatch(/:(@?flooder bob|bob @?flooder)$/);
    // What they left behind is freed (within a generous margin of the start).
    expect(rssKiB(server.pid) - rssBefore).toBeLessThan(200 * 1024);
  });

  it('targets repeated dozens of times cost one each', async () => {
    const eve = await register('eve');
    // As many as fit in one line.
    const many = (t: string) => Array(Math.floor(440 / (t.length + 1))).fill(t).join(',');
    eve.send(`JOIN ${many('#dup')}`);
    eve.send(`NAMES ${many('#lobby')}`);
    eve.send(`WHOIS ${many('alice')}`);
    eve.send(`MONITOR + ${many('bob')}`);
    const lines = await eve.sync(10_000);
    expect(lines.filter((l) => / JOIN :?#dup$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / 366 eve #lobby /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / 311 eve alice /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / 730 /.test(l))).toHaveLength(1);
    await bystandersChat('after the repeated targets');
  });

  it('PONG floods before registration are dropped', async () => {
    const flooders: TestClient[] = [];
    for (let k = 0; k < 5; k++) {
      const c = await TestClient.connect(server.port, '127.0.0.1', { localAddress: '127.0.0.3' });
      opened.push(c);
      c.write('PONG :x\r\n'.repeat(20_000));
      flooders.push(c);
    }
    for (const c of flooders) {
      expect(await c.expect(/^ERROR /, 10_000)).toMatch(/\[(Too many lines before registration|Excess Flood)\]$/);
      await c.waitClosed(10_000);
    }
    await bystandersChat('after the PONG floods');
  });

  it('handshake floods on the TLS and WebSocket ports hold no more than one address may', async () => {
    const held: Socket[] = [];
    let closed = 0;
    let enough: () => void = () => {};
    const refusedAll = new Promise<void>((resolve) => (enough = resolve));
    for (const port of [tlsPort, wsPort]) {
      for (let k = 0; k < 100; k++) {
        const socket = await silentSocket(port, '127.0.0.4');
        socket.once('close', () => ++closed >= 190 && enough());
        held.push(socket);
      }
    }
    // All but max_per_ip (10) are closed without waiting for the handshake deadline.
    await refusedAll;
    expect(held.filter((s) => !s.destroyed).length).toBeLessThanOrEqual(10);
    await bystandersChat('during the handshake floods');
    // And past the deadline none is held.
    await Promise.all(held.map((s) => (s.destroyed ? undefined : new Promise((resolve) => s.once('close', resolve)))));
    await bystandersChat('after the handshake floods');
  });

  it('one client filling its stored-state budget is refused clearly, and the server holds its bound', async () => {
    // From the flood-exempt address: the budget, not flood control, is what stops her.
    const mallory = await register('mallory');
    const rssBefore = rssKiB(server.pid);
    const long = (k: number) => `${'m'.repeat(100)}${k}!*@*`;
    const refusals: string[] = [];
    for (let c = 0; c < 10; c++) {
      mallory.send(`JOIN #m${c}`);
      for (let k = 0; k < 99; k += 3) mallory.send(`MODE #m${c} +bbb ${[0, 1, 2].map((d) => long(k + d)).join(' ')}`);
      const got = await mallory.sync(30_000);
      refusals.push(...got.filter((l) => / 478 /.test(l)));
    }
    // The budget (64 KiB) ran out long before 990 entries of ~110-byte masks.
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatch(/limits\.user_state_bytes/);
    const oper = await register('operator');
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    oper.send('STATS z');
    const stored = (await oper.sync()).find((l) => /stored state/.test(l)) ?? '';
    const bytes = Number(/stored state: (\d+) bytes/.exec(stored)?.[1] ?? NaN);
    expect(bytes).toBeLessThanOrEqual(10 * 65536);
    expect(rssKiB(server.pid) - rssBefore).toBeLessThan(32 * 1024);
    await bystandersChat('after the budget');
    expect(server.logs.some((r) => r.event === 'crash')).toBe(false);
  });
});
