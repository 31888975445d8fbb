/**
 * The TLS and WebSocket ports admit a socket when it is accepted, before any
 * TLS handshake or HTTP parsing, and give the handshake (and the upgrade) a
 * deadline, timeouts.handshake. Before, admission ran only once the handshake
 * was done, and an unfinished handshake held its socket for two minutes: one
 * address could fill every file descriptor through these ports.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../helpers/certs.js';
import { useFixture } from '../../helpers/fixture.js';
import { UNLIMITED_CLASS, type TestServer } from '../../helpers/server.js';

let certs: TestCerts;
const fx = useFixture();

beforeAll(async () => {
  certs = await makeCerts();
});
afterAll(() => certs?.cleanup());

/** Destroy `socket` after the test. */
function track<T extends Socket>(socket: T): T {
  fx.track({ close: () => socket.destroy() });
  return socket;
}

async function server(handshake = 10): Promise<{ srv: TestServer; tls: number; ws: number; wss: number }> {
  const srv = await fx.server({
    config: {
      classes: [{ ...UNLIMITED_CLASS, max_per_ip: 3 }],
      tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key },
      websocket: { host: '127.0.0.1', port: 0, origins: ['*'] },
      timeouts: { handshake },
    },
  });
  return { srv, tls: srv.server.addressOf('tls').port, ws: srv.server.addressOf('websocket').port, wss: 0 };
}

/** A TCP socket that says nothing; resolves with what it received when it closes. */
function silent(port: number): { socket: Socket; closed: Promise<string> } {
  const socket = track(tcpConnect(port, '127.0.0.1'));
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve(received))) };
}

function opened(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.readyState === 'open' ? resolve() : socket.once('connect', () => resolve())));
}

const admissionSizes = (srv: TestServer) => (srv.server as unknown as { admission: { sizes: { addresses: number } } }).admission.sizes;

/** The server sees a close a moment after the client does: wait (boundedly) for its count to drop. */
async function addressesCounted(srv: TestServer): Promise<number> {
  for (let k = 0; k < 100 && admissionSizes(srv).addresses > 0; k++) await new Promise((resolve) => setTimeout(resolve, 10));
  return admissionSizes(srv).addresses;
}

describe('admission at accept', () => {
  it('the TLS port: past max_per_ip, sockets are closed before any handshake', async () => {
    const { srv, tls } = await server();
    const held = [silent(tls), silent(tls), silent(tls)];
    await Promise.all(held.map((h) => opened(h.socket)));
    const refused = silent(tls);
    // Closed by the server without a byte: no TLS ServerHello was ever sent.
    expect(await refused.closed).toBe('');
    expect(held.every((h) => !h.socket.destroyed)).toBe(true);
    expect(srv.logs.length).toBe(0);
    // When the silent ones go, their places are given back: a real TLS client gets in.
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    const client = track(tlsConnect({ host: '127.0.0.1', port: tls, rejectUnauthorized: false }));
    const greeting = await new Promise<string>((resolve) => client.once('data', (chunk) => resolve(chunk.toString())));
    expect(greeting).toMatch(/Welcome to Obrol/);
    expect(srv.server.connectionCount).toBe(1);
  });

  it('the WebSocket port: past max_per_ip, an HTTP 503 naming the reason, before any upgrade', async () => {
    const { ws } = await server();
    const held = [silent(ws), silent(ws), silent(ws)];
    await Promise.all(held.map((h) => opened(h.socket)));
    const refused = silent(ws);
    const answer = await refused.closed;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(answer).toMatch(/\r\n\r\nToo many connections from your address\n$/);
  });

  it('places taken by sockets that never finish are given back when they close', async () => {
    const { srv, tls, ws } = await server();
    const all = [silent(tls), silent(ws)];
    await Promise.all(all.map((h) => opened(h.socket)));
    expect(admissionSizes(srv).addresses).toBe(1);
    for (const h of all) h.socket.destroy();
    await Promise.all(all.map((h) => h.closed));
    expect(await addressesCounted(srv)).toBe(0);
  });
});

describe('handshake deadline', () => {
  it('a TLS socket that never handshakes is closed after timeouts.handshake', async () => {
    const { srv, tls } = await server(1);
    const { closed } = silent(tls);
    expect(await closed).toBe('');
    expect(await addressesCounted(srv)).toBe(0);
  });

  it('a WebSocket socket that never sends its upgrade is closed after timeouts.handshake', async () => {
    const { srv, ws } = await server(1);
    const { socket, closed } = silent(ws);
    await opened(socket);
    // Half a request line, then nothing.
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    expect(await closed).toBe('');
    expect(await addressesCounted(srv)).toBe(0);
  });
});
