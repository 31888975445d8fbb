/**
 * SocketLink over a real loopback socket pair: the shared socket listeners
 * reach the right connection, and a batch joined for one connection is reused
 * for the next only when its lines are the very same Buffers.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkEvents } from '../../../src/net/link.js';
import { SocketLink } from '../../../src/net/tcp.js';

let server: Server | null = null;
const sockets: Socket[] = [];

/** Waiters woken by every socket and link event, so a test awaits a condition without polling. */
let waiters: Array<() => void> = [];
function wake(): void {
  for (const w of waiters.splice(0)) w();
}

/** Resolves once `check()` holds, re-checking after each event (the test's timeout bounds the wait). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise<void>((resolve) => waiters.push(resolve));
}

afterEach(async () => {
  waiters = [];
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** `n` accepted sockets, each with the client end that reads what the server writes. */
async function pairs(n: number): Promise<Array<{ link: SocketLink; peer: Socket; received: () => string }>> {
  const accepted: Socket[] = [];
  server = createServer((s) => {
    accepted.push(s);
    wake();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const out = [];
  for (let i = 0; i < n; i++) {
    const peer = connect(port, '127.0.0.1');
    sockets.push(peer);
    let data = '';
    peer.on('data', (d: Buffer) => {
      data += d.toString();
      wake();
    });
    await new Promise<void>((resolve) => peer.once('connect', resolve));
    await until(() => accepted.length > i);
    sockets.push(accepted[i]!);
    out.push({ link: new SocketLink(accepted[i]!), peer, received: () => data });
  }
  return out;
}

function recorder(): LinkEvents & { chunks: string[]; ended: boolean; closed: boolean } {
  return {
    chunks: [],
    ended: false,
    closed: false,
    onChunk(data) {
      this.chunks.push(data.toString());
      wake();
    },
    onMessage() {},
    onEnd() {
      this.ended = true;
      wake();
    },
    onError() {},
    onClosed() {
      this.closed = true;
      wake();
    },
  };
}

describe('SocketLink', () => {
  it('delivers each socket’s events to its own LinkEvents', async () => {
    const [a, b] = await pairs(2);
    const ea = recorder();
    const eb = recorder();
    a!.link.start(ea);
    b!.link.start(eb);
    a!.peer.write('to a\r\n');
    b!.peer.write('to b\r\n');
    await until(() => ea.chunks.length > 0 && eb.chunks.length > 0);
    expect(ea.chunks.join('')).toBe('to a\r\n');
    expect(eb.chunks.join('')).toBe('to b\r\n');
    b!.peer.end();
    await until(() => eb.ended && eb.closed);
    expect(ea.ended).toBe(false);
  });

  it('writes the same batch to several sockets, and a different batch of the same size as itself', async () => {
    const links = await pairs(3);
    for (const l of links) l.link.start(recorder());
    const x = Buffer.from('PRIVMSG #c :one\r\n');
    const y = Buffer.from('PRIVMSG #c :two\r\n');
    links[0]!.link.write([x, y], x.length + y.length);
    links[1]!.link.write([x, y], x.length + y.length);
    // Same lengths, different Buffers (and bytes): must not reuse the joined batch.
    const z = Buffer.from('PRIVMSG #c :ONE\r\n');
    links[2]!.link.write([z, y], z.length + y.length);
    await until(() => links.every((l) => l.received().length === 34));
    expect(links[0]!.received()).toBe('PRIVMSG #c :one\r\nPRIVMSG #c :two\r\n');
    expect(links[1]!.received()).toBe('PRIVMSG #c :one\r\nPRIVMSG #c :two\r\n');
    expect(links[2]!.received()).toBe('PRIVMSG #c :ONE\r\nPRIVMSG #c :two\r\n');
  });
});
