/**
 * A stand-in for irc-framework's Client: records what the session sends and
 * lets a test emit the events the library would. Not a test file.
 */
import type { IrcClientLike, IrcEvent, RawMiddleware } from '../../../src/client/core/index.js';

export class FakeClient implements IrcClientLike {
  readonly sent: string[] = [];
  readonly connects: Array<Record<string, unknown>> = [];
  readonly caps: string[] = [];
  connected = false;
  readonly user = { nick: '' };
  private readonly listeners = new Map<string, Set<(e: IrcEvent) => void>>();
  private middleware: RawMiddleware[] = [];
  readonly network = {
    name: 'Network',
    server: '',
    options: {} as Record<string, unknown>,
    cap: {
      enabled: [] as string[],
      available: new Map<string, string>(),
      isEnabled(cap: string): boolean {
        return this.enabled.includes(cap);
      },
    },
    supports: () => undefined,
    isChannelName: (name: string) => name.startsWith('#'),
  };
  readonly connection = { end: () => {}, connected: false, transport: null };

  connect(options: Record<string, unknown>): void {
    this.connects.push(options);
    this.user.nick = String(options.nick);
  }
  on(event: string, listener: (e: IrcEvent) => void): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
  }
  off(event: string, listener: (e: IrcEvent) => void): void {
    this.listeners.get(event)?.delete(listener);
  }
  use(fn: (client: IrcClientLike, raw: { use(mw: RawMiddleware): void }, parsed: unknown) => void): void {
    fn(this, { use: (mw) => this.middleware.push(mw) }, null);
  }
  requestCap(cap: string | string[]): void {
    this.caps.push(...(Array.isArray(cap) ? cap : [cap]));
  }
  join(channel: string): void {
    this.sent.push(`JOIN ${channel}`);
  }
  part(channel: string, message?: string): void {
    this.sent.push(message ? `PART ${channel} :${message}` : `PART ${channel}`);
  }
  say(target: string, message: string): void {
    this.sent.push(`PRIVMSG ${target} :${message}`);
  }
  notice(target: string, message: string): void {
    this.sent.push(`NOTICE ${target} :${message}`);
  }
  action(target: string, message: string): void {
    this.sent.push(`PRIVMSG ${target} :\x01ACTION ${message}\x01`);
  }
  raw(...args: string[]): void {
    this.sent.push(args.join(' '));
  }
  changeNick(nick: string): void {
    this.sent.push(`NICK ${nick}`);
  }
  quit(message?: string): void {
    this.sent.push(`QUIT :${message ?? ''}`);
    this.connected = false;
    this.emit('close', {});
  }

  /** Emit an irc-framework event. */
  emit(event: string, payload: IrcEvent = {}): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(payload);
  }

  /** Run a parsed line through the raw middleware (labels), then `then` inside it. */
  through(command: string, params: string[], tags: Record<string, string>, then: () => void): void {
    const mw = this.middleware[0];
    if (!mw) return then();
    mw(command, { command, params, tags }, '', this, () => then());
  }

  /** Registration as irc-framework reports it. */
  register(nick: string, caps: string[] = ['server-time', 'echo-message', 'labeled-response']): void {
    this.network.cap.enabled = caps;
    this.connected = true;
    this.emit('registered', { nick });
  }
}
