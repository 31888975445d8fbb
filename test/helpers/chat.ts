/**
 * Helpers for the chat client's tests: core sessions against a test server,
 * waits on the chat model (checked on every change, failing after a timeout,
 * never sleeping), and closing every session a test opened.
 */
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
