/**
 * A chat session: one irc-framework Client (made by the factory it is
 * given), its events turned into model updates, the user's actions turned
 * into IRC. It requests the capabilities a chat client wants (server-time,
 * echo-message, labeled-response, chathistory), routes labeled replies to the
 * window that asked, fetches history with CHATHISTORY when the server has
 * it, reconnects with capped, jittered exponential backoff and rejoins its
 * channels. Nothing here touches a terminal, a DOM or Node's own modules.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { helpLines, parseInput, type Action } from './commands.js';
import type { ClientFactory, IrcClientLike, IrcEvent, IrcMessageLike } from './irc.js';
import { ChatModel, type ChatBuffer, type LineKind, type NewLine } from './model.js';
import { casefold } from './text.js';

/** Timers, injectable so tests can drive reconnects without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SessionOptions {
  /** Makes the irc-framework Client (the browser passes one set up for WebSocket). */
  factory: ClientFactory;
  host: string;
  port: number;
  tls?: boolean;
  /** Accept a certificate that does not verify (self-signed). */
  insecure?: boolean;
  /** More options for irc-framework's connect() (transport, path, websocket_protocol...). */
  connectOptions?: Record<string, unknown>;
  nick: string;
  username?: string;
  realname?: string;
  /** Server password (PASS). */
  password?: string;
  /** SASL PLAIN credentials, used when the server offers sasl. */
  account?: { account: string; password: string } | null;
  /** Channels to join once registered (and after every reconnect). */
  channels?: string[];
  model?: ChatModel;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** Keep retrying when the very first connection fails (default true). */
  retryFirstConnect?: boolean;
  backoff?: BackoffOptions;
  timers?: Timers;
  /** Lines asked for per CHATHISTORY request (default 50). */
  historyBatch?: number;
}

/** Capabilities the core asks for beyond irc-framework's defaults. */
// Not draft/event-playback: history windows show messages only, and a
// replayed JOIN of our own would read as a new join (and ask for history again).
export const EXTRA_CAPS = ['labeled-response', 'draft/chathistory', 'chathistory'];

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface HistoryCollect {
  buffer: ChatBuffer;
  lines: NewLine[];
  /** 'latest' or 'before' */
  mode: 'latest' | 'before';
}

export class ChatSession {
  readonly model: ChatModel;
  readonly client: IrcClientLike;
  /** Channels to be in (casefolded name → name as typed), rejoined after a reconnect. */
  readonly channels = new Map<string, string>();
  private readonly options: SessionOptions;
  private readonly timers: Timers;
  private nick: string;
  private nickAttempt = 0;
  private registeredOnce = false;
  private quitting = false;
  private reconnectAttempt = 0;
  private reconnectTimer: unknown = null;
  private queue: Action[] = [];
  private labelCounter = 0;
  /** label → buffer its replies belong in. */
  private readonly labels = new Map<string, ChatBuffer>();
  /** batch id → label. */
  private readonly batchLabels = new Map<string, string>();
  /** The buffer replies being dispatched now belong in (from their label). */
  private replyBuffer: ChatBuffer | null = null;
  /** Channels whose next NAMES reply the user asked to see. */
  private readonly namesWanted = new Set<string>();
  /** Channel buffers to make active when our JOIN arrives. */
  private readonly activateOnJoin = new Set<string>();
  private readonly historyBatches = new Map<string, HistoryCollect>();
  private readonly historyPending = new Map<string, 'latest' | 'before'>();
  private closedResolve: (() => void) | null = null;
  /** Resolves when the session has ended for good (QUIT, or a first connection that failed without retry). */
  readonly closed: Promise<void>;
  /** Why it ended ('' while running or after a /quit). */
  endError = '';

  constructor(options: SessionOptions) {
    this.options = options;
    this.model = options.model ?? new ChatModel();
    this.timers = options.timers ?? defaultTimers;
    this.nick = options.nick;
    this.model.nick = options.nick;
    this.model.networkName = options.host;
    this.model.server.name = options.host;
    for (const name of options.channels ?? []) this.channels.set(casefold(name), name);
    this.closed = new Promise((resolve) => {
      this.closedResolve = resolve;
    });
    this.client = options.factory();
    this.client.requestCap(EXTRA_CAPS);
    this.client.use((_client, raw) => {
      raw.use((command, message, _line, _c, next) => this.onRaw(command, message, next));
    });
    this.bind();
  }

  get connected(): boolean {
    return this.model.state === 'registered';
  }

  /** Capabilities the server acknowledged. */
  get caps(): string[] {
    return [...this.client.network.cap.enabled];
  }

  get echoMessage(): boolean {
    return this.client.network.cap.isEnabled('echo-message');
  }

  /** Does the server offer CHATHISTORY? */
  get hasHistory(): boolean {
    const cap = this.client.network.cap;
    return cap.isEnabled('draft/chathistory') || cap.isEnabled('chathistory') || this.client.network.options.CHATHISTORY !== undefined;
  }

  /** Connect (the first time). */
  connect(): void {
    this.quitting = false;
    this.model.state = 'connecting';
    // Buffers for the channels to join, the first one active, so that typed
    // lines go there even before the server has answered.
    let first = true;
    for (const name of this.channels.values()) {
      const buffer = this.model.ensure(name);
      if (first) this.model.setActive(buffer);
      first = false;
    }
    this.model.note(`connecting to ${this.options.host}:${this.options.port}${this.options.tls ? ' (TLS)' : ''}`, 'info', this.model.server);
    this.client.connect(this.connectOptions());
  }

  private connectOptions(): Record<string, unknown> {
    const o = this.options;
    return {
      host: o.host,
      port: o.port,
      tls: o.tls === true,
      rejectUnauthorized: o.insecure !== true,
      nick: this.nick,
      username: o.username ?? this.nick,
      gecos: o.realname ?? this.nick,
      ...(o.password ? { password: o.password } : {}),
      // An account object without credentials keeps irc-framework from
      // trying the server password as SASL.
      account: o.account ?? {},
      auto_reconnect: false,
      enable_echomessage: true,
      enable_chghost: true,
      version: 'obrol chat',
      ...o.connectOptions,
    };
  }

  /** Handle one line the user typed (a message or a /command). */
  input(text: string): Action {
    const active = this.model.active;
    const action = parseInput(text, {
      target: active.kind === 'server' ? '' : active.name,
      kind: active.kind,
      chantypes: this.model.chantypes,
    });
    this.execute(action);
    return action;
  }

  /** Carry out an action; IRC ones wait in a queue until registration. */
  execute(action: Action): void {
    const local = action.type === 'help' || action.type === 'window' || action.type === 'error' || action.type === 'none' || (action.type === 'close' && !this.connected);
    // Before registration IRC actions wait; anything typed after them waits too, to keep the order.
    if ((!local || this.queue.length > 0) && !this.connected && action.type !== 'quit') {
      this.queue.push(action);
      return;
    }
    if (!this.connected && action.type === 'quit' && this.queue.length > 0) {
      this.queue.push(action);
      return;
    }
    this.run(action);
  }

  private run(action: Action): void {
    const m = this.model;
    const c = this.client;
    switch (action.type) {
      case 'none':
        return;
      case 'error':
        m.note(action.message, 'error');
        return;
      case 'help':
        for (const line of helpLines(action.command)) m.note(line);
        return;
      case 'window':
        if (!m.setActive(action.index - 1)) m.note(`no window ${action.index} (there are ${m.buffers.length})`, 'error');
        return;
      case 'say':
        this.say(action.target, action.text, 'message');
        return;
      case 'me':
        this.say(action.target, action.text, 'action');
        return;
      case 'notice':
        c.notice(action.target, action.text);
        if (!this.echoMessage) m.addLine(m.find(action.target) ?? m.active, { kind: 'notice', nick: m.nick, text: `(to ${action.target}) ${action.text}`, self: true });
        return;
      case 'join':
        action.channels.forEach((name, i) => {
          this.channels.set(casefold(name), name);
          const existing = m.find(name);
          if (existing?.joined) m.setActive(existing);
          else if (i === 0) this.activateOnJoin.add(casefold(name));
          c.join(name, action.keys[i]);
        });
        return;
      case 'part':
        this.channels.delete(casefold(action.channel));
        c.part(action.channel, action.reason || undefined);
        return;
      case 'query': {
        const buffer = m.ensure(action.nick);
        m.setActive(buffer);
        if (action.text !== '') this.say(action.nick, action.text, 'message');
        return;
      }
      case 'nick':
        this.sendLabeled(`NICK ${action.nick}`);
        return;
      case 'topic':
        if (action.text === null) this.sendLabeled(`TOPIC ${action.channel}`);
        else this.sendLabeled(`TOPIC ${action.channel} :${action.text}`);
        return;
      case 'names':
        this.namesWanted.add(casefold(action.channel));
        this.sendLabeled(`NAMES ${action.channel}`);
        return;
      case 'whois':
        this.sendLabeled(`WHOIS ${action.nick}`);
        return;
      case 'away':
        this.sendLabeled(action.message === '' ? 'AWAY' : `AWAY :${action.message}`);
        return;
      case 'list':
        this.sendLabeled(action.args === '' ? 'LIST' : `LIST ${action.args}`);
        return;
      case 'raw':
        this.sendLabeled(action.line);
        return;
      case 'close': {
        const buffer = m.find(action.name);
        if (!buffer || buffer.kind === 'server') {
          m.note(`no window ${action.name}`, 'error');
          return;
        }
        if (buffer.kind === 'channel' && buffer.joined) {
          this.channels.delete(buffer.key);
          c.part(buffer.name);
        }
        m.remove(buffer);
        return;
      }
      case 'quit':
        void this.quit(action.reason);
        return;
    }
  }

  private say(target: string, text: string, kind: 'message' | 'action'): void {
    if (kind === 'action') this.client.action(target, text);
    else this.client.say(target, text);
    // With echo-message the server's echo is what shows the line.
    if (!this.echoMessage) this.model.addLine(this.model.ensure(target), { kind, nick: this.model.nick, text, self: true });
  }

  /** Send `line`, labeled when the server has labeled-response, so its replies go to the active window. */
  private sendLabeled(line: string): void {
    const buffer = this.model.active;
    if (this.client.network.cap.isEnabled('labeled-response')) {
      const label = `o${++this.labelCounter}`;
      this.labels.set(label, buffer);
      this.client.raw(`@label=${label} ${line}`);
    } else {
      this.client.raw(line);
    }
  }

  /** Ask for older lines of `buffer` (scrolled past the top). False when there is nothing to ask. */
  requestOlder(buffer: ChatBuffer = this.model.active): boolean {
    if (buffer.kind === 'server' || buffer.historyExhausted || buffer.historyLoading || !this.connected) return false;
    if (!this.hasHistory) {
      buffer.historyExhausted = true;
      this.model.changed();
      return false;
    }
    const oldest = buffer.lines.find((l) => l.kind === 'message' || l.kind === 'action' || l.kind === 'notice');
    if (!oldest) return this.requestLatest(buffer);
    const at = oldest.msgid ? `msgid=${oldest.msgid}` : `timestamp=${new Date(oldest.time).toISOString()}`;
    this.sendHistory(buffer, `CHATHISTORY BEFORE ${buffer.name} ${at} ${this.historyBatch}`, 'before');
    return true;
  }

  private requestLatest(buffer: ChatBuffer): boolean {
    if (!this.hasHistory) return false;
    this.sendHistory(buffer, `CHATHISTORY LATEST ${buffer.name} * ${this.historyBatch}`, 'latest');
    return true;
  }

  private sendHistory(buffer: ChatBuffer, line: string, mode: 'latest' | 'before'): void {
    buffer.historyLoading = true;
    this.historyPending.set(buffer.key, mode);
    this.client.raw(line);
    this.model.changed();
  }

  private get historyBatch(): number {
    const limit = Number(this.client.network.options.CHATHISTORY);
    const wanted = this.options.historyBatch ?? 50;
    return Number.isInteger(limit) && limit > 0 ? Math.min(limit, wanted) : wanted;
  }

  /** Send QUIT and wait for the connection to close; no reconnect after it. */
  quit(reason = ''): Promise<void> {
    this.quitting = true;
    this.cancelReconnect();
    if (this.client.connected) {
      this.client.quit(reason || 'obrol chat');
    } else {
      // Not connected (yet): drop any attempt in progress.
      this.client.connection.end();
      this.finish();
    }
    return this.closed;
  }

  /** Drop the connection without QUIT (tests: a lost link). It reconnects. */
  dropConnection(): void {
    const transport = this.client.connection.transport as { socket?: { destroy?: () => void; close?: () => void } } | null | undefined;
    const socket = transport?.socket;
    if (socket?.destroy) socket.destroy();
    else socket?.close?.();
  }

  private finish(): void {
    this.cancelReconnect();
    this.model.state = 'closed';
    for (const b of this.model.buffers) b.joined = false;
    this.model.changed();
    this.closedResolve?.();
    this.closedResolve = null;
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.reconnectAttempt, this.options.backoff);
    this.reconnectAttempt++;
    this.model.state = 'reconnecting';
    this.model.note(`reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${this.reconnectAttempt})`, 'info', this.model.server);
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.quitting) return;
      this.model.state = 'connecting';
      this.model.changed();
      this.client.connect(this.connectOptions());
    }, delay);
  }

  /** Every parsed line before irc-framework dispatches it: follow labels. */
  private onRaw(command: string, message: IrcMessageLike, next: () => void): void {
    const tags = message.tags ?? {};
    let label = typeof tags.label === 'string' ? tags.label : undefined;
    const batchTag = typeof tags.batch === 'string' ? tags.batch : undefined;
    if (!label && batchTag) label = this.batchLabels.get(batchTag);
    let endLabel = false;
    if (command === 'BATCH') {
      const ref = message.params[0] ?? '';
      const id = ref.slice(1);
      if (ref.startsWith('+') && label) this.batchLabels.set(id, label);
      if (ref.startsWith('-')) {
        label = this.batchLabels.get(id) ?? label;
        this.batchLabels.delete(id);
        endLabel = label !== undefined && !batchTag;
      }
    } else if (typeof tags.label === 'string') {
      endLabel = true;
    }
    const saved = this.replyBuffer;
    this.replyBuffer = label ? (this.labels.get(label) ?? null) : saved;
    try {
      next();
    } finally {
      this.replyBuffer = saved;
      if (endLabel && label) this.labels.delete(label);
    }
    if (command === 'FAIL' && message.params[0] === 'CHATHISTORY') {
      for (const b of this.model.buffers) b.historyLoading = false;
      this.historyPending.clear();
      this.model.note(`history: ${message.params[message.params.length - 1] ?? ''}`, 'error', this.model.server);
    }
  }

  /** Where a reply to the user's command goes: the labeled window, else `fallback`. */
  private replyTo(fallback: ChatBuffer = this.model.active): ChatBuffer {
    const buffer = this.replyBuffer;
    return buffer && this.model.buffers.includes(buffer) ? buffer : fallback;
  }

  private isMe(nick: string | undefined): boolean {
    return nick !== undefined && casefold(nick) === casefold(this.model.nick);
  }

  private on(event: string, handler: (e: IrcEvent) => void): void {
    this.client.on(event, (e) => {
      try {
        handler(e ?? {});
      } catch (err) {
        this.model.note(`internal error handling ${event}: ${(err as Error).message}`, 'error', this.model.server);
      }
    });
  }

  private bind(): void {
    const m = this.model;
    this.on('registered', (e) => {
      this.registeredOnce = true;
      this.reconnectAttempt = 0;
      this.nickAttempt = 0;
      m.nick = e.nick ?? this.nick;
      this.nick = m.nick;
      m.state = 'registered';
      const net = this.client.network;
      if (typeof net.name === 'string' && net.name !== 'Network') m.networkName = net.name;
      m.note(`connected as ${m.nick}; capabilities: ${this.caps.join(' ') || '(none)'}`, 'info', m.server);
      if (this.channels.size > 0) {
        for (const name of this.channels.values()) this.client.join(name);
      }
      const queued = this.queue;
      this.queue = [];
      for (const action of queued) this.run(action);
    });
    this.on('server options', () => {
      const opts = this.client.network.options;
      const prefix = opts.PREFIX as Array<{ symbol: string; mode: string }> | undefined;
      if (Array.isArray(prefix)) {
        m.prefixModes = prefix.map((p) => p.mode).join('');
        m.prefixSymbols = prefix.map((p) => p.symbol).join('');
      }
      if (Array.isArray(opts.CHANTYPES)) m.chantypes = (opts.CHANTYPES as string[]).join('');
      if (typeof opts.NETWORK === 'string') {
        m.networkName = opts.NETWORK;
      }
      m.changed();
    });
    this.on('nick in use', (e) => {
      if (!this.registeredOnce || m.state !== 'registered') {
        const base = this.options.nick;
        this.nickAttempt++;
        this.nick = this.nickAttempt === 1 ? `${base}_` : `${base}${this.nickAttempt - 1}`;
        m.note(`nick ${e.nick ?? ''} is taken; trying ${this.nick}`, 'info', m.server);
        this.client.changeNick(this.nick);
        this.client.user.nick = this.nick;
        return;
      }
      m.note(`nick ${e.nick ?? ''} is taken`, 'error', this.replyTo());
    });
    this.on('nick invalid', (e) => m.note(`nick ${e.nick ?? ''}: ${e.reason ?? 'invalid'}`, 'error', this.replyTo()));
    this.on('motd', (e) => {
      const text = e.motd ?? e.error ?? '';
      for (const line of text.split('\n')) if (line !== '') m.note(line, 'info', m.server);
    });
    this.on('join', (e) => {
      const name = e.channel ?? '';
      if (this.isMe(e.nick)) {
        const buffer = m.ensure(name);
        buffer.name = name;
        buffer.joined = true;
        buffer.members.clear();
        // The server sends the topic (332) after the JOIN if there is one.
        buffer.topic = '';
        buffer.topicSetBy = '';
        buffer.historyExhausted = false;
        this.channels.set(buffer.key, name);
        if (this.activateOnJoin.delete(buffer.key)) m.setActive(buffer);
        m.addLine(buffer, { kind: 'join', nick: e.nick ?? '', text: `you joined ${name}`, time: e.time });
        this.requestLatest(buffer);
        return;
      }
      const buffer = m.find(name);
      if (!buffer) return;
      buffer.members.set(casefold(e.nick ?? ''), { nick: e.nick ?? '', modes: [], away: false });
      m.addLine(buffer, { kind: 'join', nick: e.nick ?? '', text: `${e.nick ?? ''} joined`, time: e.time });
    });
    this.on('userlist', (e) => {
      const buffer = m.find(e.channel ?? '');
      if (!buffer) return;
      buffer.members.clear();
      for (const u of e.users ?? []) buffer.members.set(casefold(u.nick), { nick: u.nick, modes: m.sortModes(u.modes), away: false });
      if (this.namesWanted.delete(buffer.key)) {
        const names = buffer.memberList(m.prefixModes).map((mem) => m.prefixOf(mem) + mem.nick);
        m.note(`${buffer.name}: ${names.join(' ')} (${names.length})`, 'info', this.replyTo(buffer));
      } else {
        m.changed();
      }
    });
    this.on('part', (e) => {
      const buffer = m.find(e.channel ?? '');
      if (!buffer) return;
      if (this.isMe(e.nick)) {
        buffer.joined = false;
        buffer.members.clear();
        this.channels.delete(buffer.key);
        m.addLine(buffer, { kind: 'part', nick: e.nick ?? '', text: `you left ${buffer.name}${e.message ? ` (${e.message})` : ''}`, time: e.time });
        return;
      }
      buffer.members.delete(casefold(e.nick ?? ''));
      m.addLine(buffer, { kind: 'part', nick: e.nick ?? '', text: `${e.nick ?? ''} left${e.message ? ` (${e.message})` : ''}`, time: e.time });
    });
    this.on('kick', (e) => {
      const buffer = m.find(e.channel ?? '');
      if (!buffer) return;
      buffer.members.delete(casefold(e.kicked ?? ''));
      if (this.isMe(e.kicked)) {
        buffer.joined = false;
        buffer.members.clear();
        this.channels.delete(buffer.key);
      }
      m.addLine(buffer, { kind: 'kick', nick: e.nick ?? '', text: `${e.nick ?? ''} kicked ${this.isMe(e.kicked) ? 'you' : (e.kicked ?? '')}${e.message ? ` (${e.message})` : ''}`, time: e.time });
    });
    this.on('quit', (e) => {
      const key = casefold(e.nick ?? '');
      for (const buffer of [...m.buffers]) {
        const inChannel = buffer.kind === 'channel' && buffer.members.delete(key);
        if (inChannel || (buffer.kind === 'query' && buffer.key === key)) {
          m.addLine(buffer, { kind: 'quit', nick: e.nick ?? '', text: `${e.nick ?? ''} quit${e.message ? ` (${e.message})` : ''}`, time: e.time });
        }
      }
    });
    this.on('nick', (e) => {
      const oldKey = casefold(e.nick ?? '');
      const next = e.new_nick ?? '';
      const me = this.isMe(e.nick);
      const text = me ? `you are now ${next}` : `${e.nick ?? ''} is now ${next}`;
      if (me) {
        m.nick = next;
        this.nick = next;
        m.addLine(m.server, { kind: 'nick', nick: next, text, time: e.time, self: true });
      }
      for (const buffer of [...m.buffers]) {
        const member = buffer.kind === 'channel' ? buffer.members.get(oldKey) : undefined;
        if (member) {
          buffer.members.delete(oldKey);
          member.nick = next;
          buffer.members.set(casefold(next), member);
          m.addLine(buffer, { kind: 'nick', nick: next, text, time: e.time, self: me });
        } else if (buffer.kind === 'query' && buffer.key === oldKey && !me) {
          m.rename(buffer, next);
          m.addLine(buffer, { kind: 'nick', nick: next, text: `${e.nick ?? ''} is now ${next}`, time: e.time });
        }
      }
    });
    this.on('topic', (e) => {
      const buffer = m.find(e.channel ?? '');
      if (!buffer) {
        m.note(`topic of ${e.channel ?? ''}: ${e.topic ?? ''}`, 'info', this.replyTo());
        return;
      }
      buffer.topic = e.topic ?? '';
      if (e.nick) {
        buffer.topicSetBy = e.nick;
        m.addLine(buffer, { kind: 'topic', nick: e.nick, text: e.topic ? `${e.nick} set the topic: ${e.topic}` : `${e.nick} cleared the topic`, time: e.time });
      } else {
        m.addLine(buffer, { kind: 'topic', nick: '', text: e.topic ? `topic: ${e.topic}` : 'no topic is set', time: e.time });
      }
    });
    this.on('topicsetby', (e) => {
      const buffer = m.find(e.channel ?? '');
      if (!buffer) return;
      buffer.topicSetBy = e.nick ?? '';
      m.changed();
    });
    this.on('mode', (e) => {
      const target = e.target ?? '';
      const modes = e.modes ?? [];
      const text = `${e.nick ?? ''} sets mode ${modes.map((x) => x.mode).join(' ')}${modes.some((x) => x.param) ? ` ${modes.map((x) => x.param ?? '').filter((p) => p !== '').join(' ')}` : ''}`;
      if (!m.isChannel(target)) {
        if (this.isMe(target) && e.nick && !this.isMe(e.nick)) m.addLine(m.server, { kind: 'mode', nick: e.nick, text, time: e.time });
        return;
      }
      const buffer = m.find(target);
      if (!buffer) return;
      for (const { mode, param } of modes) {
        const letter = mode.slice(1);
        if (!param || !m.prefixModes.includes(letter)) continue;
        const member = buffer.member(param);
        if (!member) continue;
        member.modes = mode.startsWith('+') ? m.sortModes([...member.modes, letter]) : member.modes.filter((x) => x !== letter);
      }
      m.addLine(buffer, { kind: 'mode', nick: e.nick ?? '', text, time: e.time });
    });
    this.on('privmsg', (e) => this.onMessage(e, 'message'));
    this.on('action', (e) => this.onMessage(e, 'action'));
    this.on('notice', (e) => this.onMessage(e, 'notice'));
    this.on('away', (e) => this.onAway(e, true));
    this.on('back', (e) => this.onAway(e, false));
    this.on('whois', (e) => {
      const buffer = this.replyTo();
      const nick = e.nick ?? '';
      if ((e as { error?: string }).error === 'not_found') {
        m.note(`whois ${nick}: no such nick`, 'error', buffer);
        return;
      }
      const raw = e as Record<string, unknown>;
      const lines = [`${nick} is ${String(raw.ident ?? '')}@${String(raw.hostname ?? '')} (${String(raw.real_name ?? '')})`];
      if (raw.channels) lines.push(`${nick} is on ${String(raw.channels)}`);
      if (raw.server) lines.push(`${nick} is connected to ${String(raw.server)}${raw.server_info ? ` (${String(raw.server_info)})` : ''}`);
      if (raw.account) lines.push(`${nick} is logged in as ${String(raw.account)}`);
      if (raw.away) lines.push(`${nick} is away: ${String(raw.away)}`);
      if (typeof raw.idle === 'number' || typeof raw.idle === 'string') lines.push(`${nick} has been idle ${String(raw.idle)} s`);
      for (const line of lines) m.note(line, 'info', buffer);
    });
    this.on('channel list start', () => m.note('channels:', 'info', this.replyTo(m.server)));
    this.client.on('channel list', (list) => {
      const buffer = this.replyTo(m.server);
      for (const ch of list as unknown as Array<{ channel: string; num_users: number; topic: string }>) {
        m.note(`  ${ch.channel} (${ch.num_users}) ${ch.topic}`, 'info', buffer);
      }
    });
    this.on('channel list end', () => m.note('end of channel list', 'info', this.replyTo(m.server)));
    this.on('irc error', (e) => {
      const what = e.channel ?? e.nick ?? '';
      const text = `${what ? `${what}: ` : ''}${e.reason ?? e.error ?? 'error'}`;
      if (e.error === 'irc') m.note(text, this.quitting ? 'info' : 'error', m.server);
      else m.note(text, 'error', this.replyTo());
    });
    this.on('unknown command', (e) => {
      const command = e.command ?? '';
      const params = e.params ?? [];
      if (/^\d{3}$/.test(command)) {
        m.note(params.slice(1).join(' '), Number(command) >= 400 && Number(command) < 600 ? 'error' : 'info', this.replyTo(m.server));
      } else if (command === 'FAIL' || command === 'WARN' || command === 'NOTE') {
        m.note(`${command} ${params.join(' ')}`, command === 'FAIL' ? 'error' : 'info', this.replyTo(m.server));
      }
    });
    this.on('sasl failed', (e) => m.note(`SASL failed: ${e.reason ?? ''}`, 'error', m.server));
    this.on('loggedin', (e) => m.note(`logged in as ${String(e.account ?? '')}`, 'info', m.server));
    this.on('socket error', (e) => {
      const err = e as unknown as Error;
      m.note(`connection error: ${err.message ?? String(err)}`, 'error', m.server);
    });
    this.on('socket close', (e) => {
      // irc-framework passes the socket's error, if any (a refused connection, a bad certificate).
      const err = e as unknown as { message?: unknown } | false;
      if (err && typeof err.message === 'string' && err.message !== '' && !this.quitting) m.note(`connection error: ${err.message}`, 'error', m.server);
      for (const b of m.buffers) {
        if (b.joined) {
          b.joined = false;
          if (!this.quitting) m.note('disconnected', 'error', b);
        }
        b.historyLoading = false;
      }
      this.historyPending.clear();
    });
    this.on('close', () => {
      if (this.quitting) {
        m.note('disconnected', 'info', m.server);
        this.finish();
        return;
      }
      if (this.options.reconnect === false || (!this.registeredOnce && this.options.retryFirstConnect === false)) {
        this.endError = this.registeredOnce ? 'connection lost' : `could not connect to ${this.options.host}:${this.options.port}`;
        m.note(this.endError, 'error', m.server);
        this.finish();
        return;
      }
      m.note('connection lost', 'error', m.server);
      this.scheduleReconnect();
    });
    this.on('batch start chathistory', (e) => {
      const target = e.params?.[0] ?? '';
      const buffer = m.find(target) ?? m.ensure(target);
      const mode = this.historyPending.get(buffer.key) ?? 'before';
      this.historyBatches.set(e.id ?? '', { buffer, lines: [], mode });
    });
    this.on('batch end chathistory', (e) => {
      const collect = this.historyBatches.get(e.id ?? '');
      this.historyBatches.delete(e.id ?? '');
      if (!collect) return;
      const { buffer, lines, mode } = collect;
      this.historyPending.delete(buffer.key);
      buffer.historyLoading = false;
      const added = m.prependHistory(buffer, lines);
      if (lines.length < this.historyBatch || (mode === 'before' && added === 0)) buffer.historyExhausted = true;
      m.changed();
    });
  }

  private onAway(e: IrcEvent, away: boolean): void {
    const m = this.model;
    if (e.self || this.isMe(e.nick)) {
      if (m.away === away && !e.self) return;
      m.away = away;
      m.note(away ? `you are marked away${e.message ? ` (${e.message})` : ''}` : 'you are back', 'info', this.replyTo(m.server));
      return;
    }
    const key = casefold(e.nick ?? '');
    for (const buffer of m.buffers) {
      const member = buffer.members.get(key);
      if (member) member.away = away;
    }
    const query = m.find(e.nick ?? '');
    if (query && query.kind === 'query' && away) m.addLine(query, { kind: 'away', nick: e.nick ?? '', text: `${e.nick ?? ''} is away${e.message ? `: ${e.message}` : ''}`, time: e.time });
    else m.changed();
  }

  private onMessage(e: IrcEvent, kind: LineKind): void {
    const m = this.model;
    const from = e.nick ?? '';
    const target = e.target ?? '';
    const serverOrigin = e.from_server === true || (!e.ident && !e.hostname);
    const msgid = typeof e.tags?.msgid === 'string' ? e.tags.msgid : undefined;
    const line: NewLine = { kind, nick: serverOrigin ? '' : from, text: e.message ?? '', ...(e.time ? { time: e.time } : {}), ...(msgid ? { msgid } : {}) };
    if (e.batch?.type === 'chathistory') {
      const collect = this.historyBatches.get(e.batch.id);
      if (collect) {
        collect.lines.push(line);
        return;
      }
    }
    let buffer: ChatBuffer;
    if (serverOrigin) {
      buffer = m.find(target) ?? m.server;
      if (kind === 'notice') line.text = from ? `${from}: ${line.text}` : line.text;
    } else if (m.isChannel(target)) {
      buffer = m.find(target) ?? m.ensure(target);
    } else if (this.isMe(from)) {
      buffer = m.ensure(target);
    } else if (kind === 'notice') {
      buffer = m.find(from) ?? m.active;
    } else {
      buffer = m.ensure(from);
    }
    m.addLine(buffer, line);
  }
}
