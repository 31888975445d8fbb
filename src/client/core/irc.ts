/**
 * The parts of irc-framework (CommonJS, no types) that the chat core uses,
 * typed by hand. The core never constructs a client itself: a session is given
 * a factory, so a terminal passes `() => new IRC.Client()` and a browser page
 * does the same with its bundle (and the websocket transport in the options).
 */

/** A parsed IRC message as irc-framework hands it to raw middleware. */
export interface IrcMessageLike {
  command: string;
  params: string[];
  tags: Record<string, string | true>;
  nick?: string;
  prefix?: string;
}

/** Event payloads carry different fields; the ones the core reads. */
export interface IrcEvent {
  nick?: string;
  new_nick?: string;
  ident?: string;
  hostname?: string;
  target?: string;
  channel?: string;
  message?: string;
  reason?: string;
  error?: string;
  kicked?: string;
  topic?: string;
  gecos?: string;
  time?: number;
  when?: string;
  self?: boolean;
  from_server?: boolean;
  tags?: Record<string, string | true>;
  batch?: { id: string; type: string; params: string[] };
  users?: Array<{ nick: string; modes: string[] }>;
  modes?: Array<{ mode: string; param: string | null }>;
  // 'batch start' / 'batch end'
  id?: string;
  type?: string;
  params?: string[];
  commands?: unknown[];
  // 'whois'
  ident_?: string;
  real_name?: string;
  server?: string;
  server_info?: string;
  channels?: string;
  away?: string;
  idle?: number;
  account?: string | false;
  // 'motd'
  motd?: string;
  // 'reconnecting'
  attempt?: number;
  wait?: number;
  // generic numerics ('unknown command')
  command?: string;
}

export type IrcListener = (event: IrcEvent) => void;

/**
 * Raw middleware: called with every parsed line before irc-framework
 * dispatches it; call next() to let it through (synchronously).
 */
export type RawMiddleware = (command: string, message: IrcMessageLike, rawLine: string, client: IrcClientLike, next: (err?: unknown) => void) => void;

export interface IrcClientLike {
  connect(options: Record<string, unknown>): void;
  on(event: string, listener: (event: IrcEvent) => void): unknown;
  off(event: string, listener: (event: IrcEvent) => void): unknown;
  use(fn: (client: IrcClientLike, raw: { use(mw: RawMiddleware): void }, parsed: unknown) => void): unknown;
  requestCap(cap: string | string[]): void;
  join(channel: string, key?: string): void;
  part(channel: string, message?: string): void;
  say(target: string, message: string, tags?: Record<string, string>): void;
  notice(target: string, message: string): void;
  action(target: string, message: string): void;
  raw(...args: string[]): void;
  changeNick(nick: string): void;
  quit(message?: string): void;
  readonly connected: boolean;
  readonly user: { nick: string; away?: boolean };
  readonly network: {
    name?: string;
    server?: string;
    options: Record<string, unknown>;
    cap: { enabled: string[]; available: Map<string, string>; isEnabled(cap: string): boolean };
    supports(name: string): unknown;
    isChannelName(name: string): boolean;
  };
  readonly connection: { end(data?: string, hadError?: boolean): void; connected: boolean; transport?: { socket?: unknown; disposeSocket?: () => void } | null };
}

/** Makes a fresh irc-framework Client (or a test double). */
export type ClientFactory = () => IrcClientLike;
