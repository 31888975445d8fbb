/**
 * /metrics on the admin listener: the counters are there, they move with
 * traffic by the right amounts, and their label sets stay bounded.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { newToken, tokenDigest } from '../../../src/admin/tokens.js';
import { COMMANDS } from '../../../src/commands/index.js';
import { makeCerts, type TestCerts } from '../../helpers/certs.js';
import { useFixture } from '../../helpers/fixture.js';
import type { TestServer } from '../../helpers/server.js';

const fx = useFixture();
let certs: TestCerts;
beforeAll(async () => {
  certs = await makeCerts();
});
afterAll(() => certs.cleanup());

type Samples = Map<string, number>;

/** `name{labels} value` lines into a map keyed by `name{labels}` (as printed). */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function scrape(srv: TestServer, token?: string): Promise<{ status: number; text: string; samples: Samples; type: string | null }> {
  const port = srv.server.adminAddress?.port;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, text, samples: parse(text), type: res.headers.get('content-type') };
}

function metricsServer(extra: Record<string, unknown> = {}): Promise<TestServer> {
  return fx.server({ config: { admin_http: { host: '127.0.0.1', port: 0, ...extra } } });
}

const get = (samples: Samples, key: string) => {
  const value = samples.get(key);
  if (value === undefined) throw new Error(`no sample ${key}`);
  return value;
};

describe('/metrics', () => {
  it('exposes the counters, and they move by the traffic sent', async () => {
    const srv = await metricsServer();
    const before = await scrape(srv);
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'obrol_event_loop_utilization', 'obrol_event_loop_busy_seconds_total']) {
      expect(before.text, name).toMatch(new RegExp(`^${name}(\\{| )`, 'm'));
    }
    expect(get(before.samples, 'obrol_users')).toBe(0);
    // The Node.js release stays private, as in VERSION without server.show_versions.
    expect(before.text).not.toContain('nodejs_version_info');
    expect(before.text).not.toContain(process.version);

    const alice = await fx.register(srv, 'alice');
    const bob = await fx.register(srv, 'bob');
    const carol = await fx.register(srv, 'carol');
    for (const c of [alice, bob, carol]) await fx.join(c, '#metrics');
    for (let k = 0; k < 5; k++) alice.send(`PRIVMSG #metrics :hello ${k}`);
    alice.send('NOTICE bob :psst');
    for (let k = 0; k < 5; k++) await carol.expect(/ PRIVMSG #metrics /);
    await bob.expect(/ NOTICE bob /);
    alice.send('FROBNICATE');
    await alice.expect(/ 421 /);
    await carol.quit('done');
    await alice.expect(/ QUIT /);

    const after = await scrape(srv);
    const delta = (key: string) => get(after.samples, key) - (before.samples.get(key) ?? 0);
    expect(delta('obrol_connections_accepted_total{transport="tcp"}')).toBe(3);
    expect(get(after.samples, 'obrol_connections{transport="tcp"}')).toBe(2);
    expect(get(after.samples, 'obrol_connections{transport="websocket"}')).toBe(0);
    expect(delta('obrol_registrations_total')).toBe(3);
    expect(delta('obrol_commands_total{verb="JOIN"}')).toBe(3);
    expect(delta('obrol_commands_total{verb="PRIVMSG"}')).toBe(5);
    expect(delta('obrol_commands_total{verb="unknown"}')).toBe(1);
    expect(delta('obrol_messages_received_total{command="PRIVMSG"}')).toBe(5);
    expect(delta('obrol_messages_received_total{command="NOTICE"}')).toBe(1);
    expect(delta('obrol_messages_received_total{command="TAGMSG"}')).toBe(0);
    // Five channel messages to two other members, one private notice.
    expect(delta('obrol_message_deliveries_total')).toBe(5 * 2 + 1);
    expect(delta('obrol_disconnects_total{reason="quit"}')).toBe(1);
    expect(delta('obrol_received_bytes_total')).toBeGreaterThan(200);
    expect(delta('obrol_sent_bytes_total')).toBeGreaterThan(3 * 1000);
    expect(get(after.samples, 'obrol_users')).toBe(2);
    expect(get(after.samples, 'obrol_channels')).toBe(1);
    expect(get(after.samples, 'obrol_opers')).toBe(0);
    expect(get(after.samples, 'obrol_refused_connections_total{reason="server_full"}')).toBe(0);
  });

  it('counts WebSocket connections under their own transport', async () => {
    const srv = await fx.server({
      config: { admin_http: { host: '127.0.0.1', port: 0 }, websocket: { host: '127.0.0.1', port: 0, origins: ['*'] } },
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.server.addressOf('websocket').port}`, ['text.ircv3.net']);
    const welcome = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => (String(data).includes('Welcome') ? resolve() : undefined));
      ws.on('error', reject);
    });
    await welcome;
    await fx.connect(srv);
    const { samples } = await scrape(srv);
    expect(get(samples, 'obrol_connections{transport="websocket"}')).toBe(1);
    expect(get(samples, 'obrol_connections{transport="tcp"}')).toBe(1);
    expect(get(samples, 'obrol_connections_accepted_total{transport="websocket"}')).toBe(1);
    ws.close();
  });

  it('counts refusals and disconnects by reason', async () => {
    const srv = await fx.server({
      config: { admin_http: { host: '127.0.0.1', port: 0 }, classes: [{ name: 'tight', hosts: ['*'], max_per_ip: 1, flood_rate: 0 }] },
    });
    const first = await fx.connect(srv);
    const refused = await fx.open(srv);
    await refused.expect(/^ERROR .*Too many connections from your address/);
    first.send('QUIT');
    await first.waitClosed();
    const { samples } = await scrape(srv);
    expect(get(samples, 'obrol_refused_connections_total{reason="per_ip"}')).toBe(1);
    expect(get(samples, 'obrol_refused_connections_total{reason="throttled"}')).toBe(0);
    expect(get(samples, 'obrol_disconnects_total{reason="quit"}')).toBe(1);
  });

  it('counts sockets dropped before they became connections: refused Origin, failed TLS, handshake timeout', async () => {
    const srv = await fx.server({
      config: {
        admin_http: { host: '127.0.0.1', port: 0 },
        websocket: { host: '127.0.0.1', port: 0, origins: ['https://chat.example.org'] },
        tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key },
        timeouts: { handshake: 1 },
      },
    });
    const refusal = (key: string) => async () => get((await scrape(srv)).samples, `obrol_refused_connections_total{reason="${key}"}`);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.server.addressOf('websocket').port}/`, ['text.ircv3.net'], { origin: 'https://evil.example' });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => reject(new Error('a foreign origin was let in')));
      ws.once('error', reject);
    });
    expect(status).toBe(403);
    expect(await refusal('origin')()).toBe(1);

    // Plain text on the TLS port is no handshake.
    const plain = tcpConnect(srv.server.addressOf('tls').port, '127.0.0.1', () => plain.write('NICK x\r\nUSER x 0 * :x\r\n'));
    plain.on('error', () => {});
    await expect.poll(refusal('tls_failed'), { timeout: 3000 }).toBe(1);
    plain.destroy();

    // A socket that says nothing is dropped at the handshake deadline (1 s here).
    const silent: Socket = tcpConnect(srv.server.addressOf('websocket').port, '127.0.0.1');
    silent.on('error', () => {});
    await expect.poll(refusal('handshake_timeout'), { timeout: 4000, interval: 100 }).toBe(1);
    silent.destroy();
    expect(await refusal('origin')()).toBe(1);
    expect(await refusal('tls_failed')()).toBe(1);
  });

  it('keeps label sets bounded: 200 unknown verbs are one series', async () => {
    const srv = await metricsServer();
    const client = await fx.register(srv, 'noisy');
    const before = await scrape(srv);
    const series = (text: string) => text.split('\n').filter((line) => line.startsWith('obrol_')).length;
    for (let k = 0; k < 200; k++) client.send(`X${Math.random().toString(36).slice(2, 10).toUpperCase()} a b`);
    await client.sync();
    const after = await scrape(srv);
    expect(series(after.text)).toBe(series(before.text));
    expect(get(after.samples, 'obrol_commands_total{verb="unknown"}') - get(before.samples, 'obrol_commands_total{verb="unknown"}')).toBe(200);
    const verbs = [...after.samples.keys()].filter((key) => key.startsWith('obrol_commands_total{'));
    expect(verbs).toHaveLength(COMMANDS.size + 1);
    // No nick, channel or address anywhere in a label.
    expect(after.text).not.toMatch(/noisy|127\.0\.0\.1/);
  });

  it('has every metric the sample Grafana dashboard uses', async () => {
    const srv = await metricsServer();
    const { text } = await scrape(srv);
    const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const names = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\b(?:obrol|process|nodejs)_[a-z0-9_]+/g) ?? [])));
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
  });

  it('asks for a read token when metrics_auth is on, and is absent when metrics is off', async () => {
    const reader = newToken();
    const srv = await metricsServer({ metrics_auth: true, tokens: [{ name: 'prometheus', sha256: tokenDigest(reader), scopes: ['read'] }] });
    const refused = await scrape(srv);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text).error.code).toBe('missing_token');
    expect((await scrape(srv, newToken())).status).toBe(401);
    expect((await scrape(srv, reader)).status).toBe(200);
    const off = await metricsServer({ metrics: false });
    expect((await scrape(off)).status).toBe(404);
  });
});
