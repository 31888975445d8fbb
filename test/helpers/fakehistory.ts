/**
 * A scripted IRC server that offers CHATHISTORY (Obrol has none yet), apart
 * from its transport: registration (CAP LS/REQ/END, NICK, 001/005/422), PING,
 * JOIN with its names, QUIT, and CHATHISTORY LATEST/BEFORE answered in batches
 * from `messages` stored lines (msgid mK, minute K past 10:00 on 2026-12-01).
 * `fakeHistoryServer()` puts it on a TCP port; the browser test puts it on a
 * WebSocket.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeHistoryOptions {
  /** How many old messages the channel holds (1..messages). */
  messages: number;
  /** The CHATHISTORY=N token: the most lines one request gets. */
  limit: number;
  /** The capabilities offered in CAP LS. */
  caps: string[];
  /** The text of message k. */
  text: (k: number) => string;
}

const DEFAULTS: FakeHistoryOptions = {
  messages: 5,
  limit: 100,
  caps: ['batch', 'server-time', 'message-tags', 'draft/chathistory', 'echo-message'],
  text: (k) => `message ${k}`,
};

export interface FakeHistoryIo {
  send(line: string): void;
  /** Close the connection (after QUIT). */
  end(): void;
}

export interface FakeHistory {
  /** Every line any connection sent, in order. */
  received: string[];
  /** A new connection: returns the handler of each line it sends (without CRLF). */
  connect(io: FakeHistoryIo): (line: string) => void;
}

export function fakeHistory(options: Partial<FakeHistoryOptions> = {}): FakeHistory {
  const { messages, limit: maxLimit, caps, text } = { ...DEFAULTS, ...options };
  const received: string[] = [];
  const stored = (k: number, target: string, batch: string) =>
    `@batch=${batch};time=2026-12-01T10:${String(k).padStart(2, '0')}:00.000Z;msgid=m${k} :old!u@h PRIVMSG ${target} :${text(k)}`;
  return {
    received,
    connect({ send, end }) {
      let nick = '*';
      let batches = 0;
      return (line) => {
        received.push(line);
        const [verb, ...rest] = line.split(' ');
        if (line.startsWith('CAP LS')) send(`:fake CAP * LS :${caps.join(' ')}`);
        else if (verb === 'CAP' && rest[0] === 'REQ') send(`:fake CAP * ACK ${rest.slice(1).join(' ')}`);
        else if (verb === 'NICK') nick = rest[0] ?? '*';
        else if (line === 'CAP END') {
          send(`:fake 001 ${nick} :Welcome`);
          send(`:fake 005 ${nick} CHANTYPES=# PREFIX=(ov)@+ CHATHISTORY=${maxLimit} :are supported`);
          send(`:fake 422 ${nick} :No MOTD`);
        } else if (verb === 'PING') send(`:fake PONG fake :${rest.join(' ')}`);
        else if (verb === 'JOIN') {
          send(`:${nick}!u@h JOIN ${rest[0]}`);
          send(`:fake 353 ${nick} = ${rest[0]} :${nick} old`);
          send(`:fake 366 ${nick} ${rest[0]} :End of /NAMES list`);
        } else if (verb === 'CHATHISTORY' && (rest[0] === 'LATEST' || rest[0] === 'BEFORE')) {
          const [mode, target = '', at = '', limitText = String(maxLimit)] = rest;
          const limit = Math.min(Number(limitText), maxLimit);
          const before = mode === 'BEFORE' ? Number(/^msgid=m(\d+)$/.exec(at)?.[1] ?? 1) : messages + 1;
          const id = `h${++batches}`;
          send(`:fake BATCH +${id} chathistory ${target}`);
          for (let k = Math.max(1, before - limit); k < before; k++) send(stored(k, target, id));
          send(`:fake BATCH -${id}`);
        } else if (verb === 'QUIT') {
          send('ERROR :bye');
          end();
        }
      };
    },
  };
}

/** The script on a TCP port of 127.0.0.1 (defaults: messages 1-5, CHATHISTORY=100). */
export async function fakeHistoryServer(options: Partial<FakeHistoryOptions> = {}): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const script = fakeHistory(options);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    let partial = '';
    const handle = script.connect({ send: (line) => socket.write(`${line}\r\n`), end: () => socket.end() });
    socket.on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) handle(line);
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    received: script.received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
