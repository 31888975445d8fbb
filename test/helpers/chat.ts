/**
 * Helpers for the chat client's tests: core sessions against a test server,
 * waits on the chat model (checked on every change, failing after a timeout,
 * never sleeping), and closing every session a test opened.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ChatSession, ircFrameworkFactory, type ChatModel, type SessionOptions } from '../../src/client/core/index.js';

const DEFAULT_TIMEOUT_MS = 5000;

/** Resolve with `check()`'s value once it is not undefined/false, re-checked on every model change. */
export function waitModel<T>(model: ChatModel, check: () => T | undefined | false, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first !== undefined && first !== false) return resolve(first);
    const timer = setTimeout(() => {
      off();
      const lines = model.buffers.flatMap((b) => b.lines.slice(-5).map((l) => `${b.name}: [${l.kind}] ${l.nick} ${l.text}`));
      reject(new Error(`timed out waiting for ${what}; last lines:\n${lines.join('\n')}`));
    }, timeoutMs);
    const off = model.subscribe(() => {
      const value = check();
      if (value === undefined || value === false) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** The first line of buffer `name` whose text matches. */
export function waitLine(model: ChatModel, name: string, match: RegExp | string, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const test = (text: string) => (typeof match === 'string' ? text.includes(match) : match.test(text));
  return waitModel(model, () => model.find(name)?.lines.find((l) => test(l.text)), `a line ${String(match)} in ${name}`, timeoutMs);
}

export interface ChatSessions {
  /** A session to 127.0.0.1:port, connected; closed after the test. */
  open(port: number, nick: string, options?: Partial<SessionOptions>): ChatSession;
  /** Open and wait for registration. */
  connect(port: number, nick: string, options?: Partial<SessionOptions>): Promise<ChatSession>;
  closeAll(): Promise<void>;
}

export function chatSessions(): ChatSessions {
  let sessions: ChatSession[] = [];
  const api: ChatSessions = {
    open(port, nick, options = {}) {
      const session = new ChatSession({ factory: ircFrameworkFactory, host: '127.0.0.1', port, nick, backoff: { baseMs: 20, maxMs: 100 }, ...options });
      sessions.push(session);
      session.connect();
      return session;
    },
    async connect(port, nick, options = {}) {
      const session = api.open(port, nick, options);
      await waitModel(session.model, () => session.connected, `${nick} to register`);
      return session;
    },
    async closeAll() {
      const closing = sessions;
      sessions = [];
      await Promise.all(
        closing.map(async (s) => {
          const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
          await Promise.race([s.quit('test over'), timeout]);
        }),
      );
    },
  };
  return api;
}

/**
 * A scripted server with CHATHISTORY (Obrol has none yet): answers
 * registration, JOIN, and CHATHISTORY LATEST (messages 3-5) and BEFORE
 * (messages 1-2) with fixed batches.
 */
export async function fakeHistoryServer(): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    let partial = '';
    let nick = '*';
    const send = (line: string) => socket.write(`${line}\r\n`);
    socket.on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        received.push(line);
        const [verb, ...rest] = line.split(' ');
        if (line === 'CAP LS 302') send(':fake CAP * LS :batch server-time message-tags draft/chathistory echo-message');
        else if (verb === 'CAP' && rest[0] === 'REQ') send(`:fake CAP * ACK ${rest.slice(1).join(' ')}`);
        else if (verb === 'NICK') nick = rest[0] ?? '*';
        else if (line === 'CAP END') {
          send(`:fake 001 ${nick} :Welcome`);
          send(`:fake 005 ${nick} CHANTYPES=# PREFIX=(ov)@+ CHATHISTORY=100 :are supported`);
          send(`:fake 422 ${nick} :No MOTD`);
        } else if (verb === 'PING') send(`:fake PONG fake :${rest.join(' ')}`);
        else if (verb === 'JOIN') {
          send(`:${nick}!u@h JOIN ${rest[0]}`);
          send(`:fake 353 ${nick} = ${rest[0]} :${nick} old`);
          send(`:fake 366 ${nick} ${rest[0]} :End of /NAMES list`);
        } else if (verb === 'CHATHISTORY' && rest[0] === 'LATEST') {
          send(`:fake BATCH +h1 chathistory ${rest[1]}`);
          for (let i = 3; i <= 5; i++) send(`@batch=h1;time=2026-12-01T10:0${i}:00.000Z;msgid=m${i} :old!u@h PRIVMSG ${rest[1]} :message ${i}`);
          send(':fake BATCH -h1');
        } else if (verb === 'CHATHISTORY' && rest[0] === 'BEFORE') {
          send(`:fake BATCH +h2 chathistory ${rest[1]}`);
          for (let i = 1; i <= 2; i++) send(`@batch=h2;time=2026-12-01T10:0${i}:00.000Z;msgid=m${i} :old!u@h PRIVMSG ${rest[1]} :message ${i}`);
          send(':fake BATCH -h2');
        } else if (verb === 'QUIT') {
          send('ERROR :bye');
          socket.end();
        }
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
