/**
 * How the chat client reaches a server: TLS (a self-signed certificate is
 * refused unless --insecure), WebSocket (ws://, irc-framework's websocket
 * transport on the `ws` package), and SASL PLAIN against a scripted server
 * that offers it (Obrol does not yet).
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/client/terminal/connect.js';
import { parseServerAddress, type ChatOptions } from '../../src/client/terminal/options.js';
import type { ChatSession } from '../../src/client/core/index.js';
import { makeCerts, type TestCerts } from '../helpers/certs.js';
import { waitLine, waitModel } from '../helpers/chat.js';
import { useFixture } from '../helpers/fixture.js';

const fx = useFixture();
let certs: TestCerts;
beforeAll(async () => {
  certs = await makeCerts();
});
afterAll(() => certs.cleanup());

const sessions: ChatSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.quit('test over')));
});

function options(server: string, extra: Partial<ChatOptions> = {}): ChatOptions {
  return { address: parseServerAddress(server), nick: 'tester', defaultNick: false, user: 'tester', realname: 'Tester', channels: ['#t'], insecure: false, configPath: null, ...extra };
}

function open(opts: ChatOptions, retryFirstConnect = true): ChatSession {
  const session = createSession(opts, { retryFirstConnect, backoff: { baseMs: 20, maxMs: 100 } });
  sessions.push(session);
  session.connect();
  return session;
}

describe('chat client transports', () => {
  it('connects with TLS to a self-signed server only when told to accept it (--insecure)', async () => {
    const srv = await fx.server({ config: { tls: { host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key } } });
    const tlsPort = srv.server.addressOf('tls').port;
    const address = { ...parseServerAddress(`127.0.0.1:${tlsPort}`, true) };

    const strict = open({ ...options('127.0.0.1'), address }, false);
    await strict.closed;
    expect(strict.endError).toBe(`could not connect to 127.0.0.1:${tlsPort}`);
    expect(strict.model.server.lines.some((l) => l.kind === 'error' && /certificate/i.test(l.text))).toBe(true);

    const trusting = open({ ...options('127.0.0.1'), address, insecure: true });
    await waitModel(trusting.model, () => trusting.model.find('#t')?.joined, 'joined over TLS');
    const peer = await fx.register(srv, 'peer');
    await fx.join(peer, '#t');
    peer.send('PRIVMSG #t :over TLS');
    await waitLine(trusting.model, '#t', 'over TLS');
  });

  it('connects over WebSocket (ws://host:port/)', async () => {
    const srv = await fx.server({ config: { websocket: { host: '127.0.0.1', port: 0, origins: ['*'] } } });
    const wsPort = srv.server.addressOf('websocket').port;
    const globals = globalThis as { WebSocket?: unknown };
    const saved = globals.WebSocket;
    try {
      const session = open(options(`ws://127.0.0.1:${wsPort}/`));
      await waitModel(session.model, () => session.model.find('#t')?.joined, 'joined over WebSocket');
      const peer = await fx.register(srv, 'peer');
      await fx.join(peer, '#t');
      session.input('hello over websocket');
      expect(await peer.expect(/ PRIVMSG /)).toBe(':tester!tester@127.0.0.1 PRIVMSG #t :hello over websocket');
      await waitLine(session.model, '#t', 'hello over websocket');
    } finally {
      globals.WebSocket = saved;
    }
  });

  it('logs in with SASL PLAIN when the server offers it and an account is set', async () => {
    const received: string[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.setEncoding('utf8');
      let partial = '';
      const send = (line: string) => socket.write(`${line}\r\n`);
      socket.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\r\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          received.push(line);
          if (line === 'CAP LS 302') send(':fake CAP * LS :sasl=PLAIN,EXTERNAL server-time');
          else if (line.startsWith('CAP REQ ')) send(`:fake CAP * ACK ${line.slice(8)}`);
          else if (line === 'AUTHENTICATE PLAIN') send('AUTHENTICATE +');
          else if (line.startsWith('AUTHENTICATE ') && line !== 'AUTHENTICATE +') {
            send(':fake 900 tester tester!tester@h acct :You are now logged in as acct');
            send(':fake 903 tester :SASL authentication successful');
          } else if (line === 'CAP END') {
            send(':fake 001 tester :Welcome');
            send(':fake 422 tester :No MOTD');
          } else if (line.startsWith('QUIT')) socket.end();
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const session = open({ ...options(`127.0.0.1:${port}`), channels: [], account: { account: 'acct', password: 'secret' } });
      await waitModel(session.model, () => session.connected, 'registered after SASL');
      expect(received).toContain('AUTHENTICATE PLAIN');
      expect(received).toContain(`AUTHENTICATE ${btoa('acct\0acct\0secret')}`);
      expect(received.indexOf('CAP END')).toBeGreaterThan(received.indexOf('AUTHENTICATE PLAIN'));
      await session.quit();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
