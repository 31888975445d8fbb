/**
 * A small IRC line client for tests: write a line, await the next matching
 * reply. Reads are awaited with a timeout, never with sleeps. Every line
 * received is kept, so a test can also assert on what did NOT arrive, after a
 * PING/PONG round trip (sync) proves the server has handled everything sent
 * before it.
 */
import { connect, type Socket } from 'node:net';
import { parseLine } from '../../src/protocol/parse.js';
import type { IrcMessage } from '../../src/protocol/message.js';

const DEFAULT_TIMEOUT_MS = 3000;

type Matcher = RegExp | string | ((line: string) => boolean);

function matches(matcher: Matcher, line: string): boolean {
  if (typeof matcher === 'function') return matcher(line);
  if (typeof matcher === 'string') return line.includes(matcher);
  return matcher.test(line);
}

export function parse(line: string): IrcMessage {
  const result = parseLine(line);
  if (!result.ok) throw new Error(`unparsable line from server: ${JSON.stringify(line)}`);
  return result.message;
}

export class TestClient {
  /** Lines received and not yet consumed by expect()/sync(). */
  private pending: string[] = [];
  /** Every line received, in order. */
  readonly received: string[] = [];
  private waiters: Array<() => void> = [];
  private partial = '';
  private closedFlag = false;
  private syncCounter = 0;
  nick = '';

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const parts = text.split('\r\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        this.received.push(line);
        this.pending.push(line);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /**
   * Connect to `port`; `localAddress` picks the source address (any of
   * 127.0.0.0/8 works on Linux), `allowHalfOpen` keeps the socket open after
   * the server ends its side.
   */
  static connect(port: number, host = '127.0.0.1', options: { localAddress?: string; allowHalfOpen?: boolean } = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, ...options }, () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  /** A client around a socket already connected (a TLS socket, say). */
  static fromSocket(socket: Socket): TestClient {
    return new TestClient(socket);
  }

  /** Connect and register; resolves once the welcome burst has ended (376 or 422). */
  static async register(port: number, nick: string, options: { user?: string; realname?: string } = {}): Promise<TestClient> {
    const client = await TestClient.connect(port);
    client.send(`NICK ${nick}`);
    client.send(`USER ${options.user ?? nick.toLowerCase()} 0 * :${options.realname ?? `${nick} Test`}`);
    await client.expect(/ 001 /);
    await client.expect(/ (376|422) /);
    client.nick = nick;
    return client;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** Write raw bytes, e.g. to test framing. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForData(deadline: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = deadline - Date.now();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== onData);
        reject(new Error(`timed out waiting for ${what}; unconsumed lines:\n${this.pending.join('\n') || '(none)'}\nlast received:\n${this.received.slice(-10).join('\n')}`));
      }, Math.max(0, left));
      const onData = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(onData);
    });
  }

  /**
   * The first unconsumed line matching `matcher`; it and every line before it
   * are consumed. Fails after the timeout, or if the connection closes first.
   */
  async expect(matcher: Matcher, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.pending.findIndex((line) => matches(matcher, line));
      if (index >= 0) {
        const line = this.pending[index] as string;
        this.pending = this.pending.slice(index + 1);
        return line;
      }
      if (this.closedFlag) throw new Error(`connection closed while waiting for ${String(matcher)}; unconsumed:\n${this.pending.join('\n')}`);
      await this.waitForData(deadline, String(matcher));
    }
  }

  /** Like expect(), parsed. */
  async expectMessage(matcher: Matcher, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<IrcMessage> {
    return parse(await this.expect(matcher, timeoutMs));
  }

  /**
   * Round-trip a PING and return every line that arrived before its PONG
   * (consuming them): everything the server sent in answer to earlier lines.
   */
  async sync(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    const token = `sync-${++this.syncCounter}-${Math.random().toString(36).slice(2, 8)}`;
    this.send(`PING ${token}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.pending.findIndex((line) => / PONG /.test(line) && line.endsWith(token));
      if (index >= 0) {
        const before = this.pending.slice(0, index);
        this.pending = this.pending.slice(index + 1);
        return before;
      }
      if (this.closedFlag) throw new Error('connection closed during sync');
      await this.waitForData(deadline, `PONG ${token}`);
    }
  }

  /** Unconsumed lines, consumed now. */
  drain(): string[] {
    const lines = this.pending;
    this.pending = [];
    return lines;
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) await this.waitForData(deadline, 'the connection to close');
  }

  close(): void {
    this.socket.destroy();
  }

  /** Send QUIT and wait for the server to close the connection. */
  async quit(reason = 'bye'): Promise<void> {
    if (this.closedFlag) return;
    this.send(`QUIT :${reason}`);
    await this.waitClosed();
  }
}
