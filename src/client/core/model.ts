/**
 * The chat model: what any UI shows. Buffers (the server's, one per channel,
 * one per query), each with a bounded list of lines, its topic, members,
 * unread count and highlight flag; which buffer is active; the connection's
 * state. Plain data and synchronous methods; every change calls the
 * subscribers (a UI re-renders), and every new line also goes to the line
 * listeners (line mode prints it).
 */
import { casefold, isChannelName, mentions } from './text.js';

export type BufferKind = 'server' | 'channel' | 'query';

export type LineKind = 'message' | 'action' | 'notice' | 'join' | 'part' | 'quit' | 'kick' | 'nick' | 'topic' | 'mode' | 'away' | 'info' | 'error';

export interface ChatLine {
  /** Unique within the model, increasing in arrival order. */
  id: number;
  /** Milliseconds since the epoch: the server-time tag when there is one. */
  time: number;
  kind: LineKind;
  /** Who said or did it ('' for the client's own notes and server text). */
  nick: string;
  text: string;
  /** Written by this client's user. */
  self: boolean;
  /** Mentions the user's nick, or is a query message from someone else. */
  highlight: boolean;
  /** The server's message id, when tagged. */
  msgid?: string;
  /** Came from CHATHISTORY rather than live. */
  history?: boolean;
}

export type NewLine = Omit<ChatLine, 'id' | 'self' | 'highlight' | 'time'> & { time?: number; self?: boolean; highlight?: boolean };

export interface Member {
  nick: string;
  /** Channel modes (`o`, `v`, ...), highest first. */
  modes: string[];
  away: boolean;
}

export type ConnectionState = 'idle' | 'connecting' | 'registered' | 'reconnecting' | 'closed';

/** Default number of lines a buffer keeps. */
export const MAX_LINES = 2000;

export class ChatBuffer {
  key: string;
  lines: ChatLine[] = [];
  topic = '';
  topicSetBy = '';
  readonly members = new Map<string, Member>();
  unread = 0;
  highlight = false;
  /** CHATHISTORY has nothing older (or the server has no CHATHISTORY). */
  historyExhausted = false;
  /** A CHATHISTORY request for this buffer is in flight. */
  historyLoading = false;
  /** For channels: we are in it now. */
  joined = false;

  constructor(
    public name: string,
    readonly kind: BufferKind,
  ) {
    this.key = kind === 'server' ? '' : casefold(name);
  }

  /** Members ordered by rank (by PREFIX order), then nick. */
  memberList(prefixModes = 'qaohv'): Member[] {
    const rank = (m: Member) => {
      const first = m.modes[0];
      const index = first === undefined ? -1 : prefixModes.indexOf(first);
      return index < 0 ? prefixModes.length : index;
    };
    return [...this.members.values()].sort((a, b) => rank(a) - rank(b) || casefold(a.nick).localeCompare(casefold(b.nick)));
  }

  member(nick: string): Member | undefined {
    return this.members.get(casefold(nick));
  }
}

export interface ModelOptions {
  maxLines?: number;
  /** Clock for lines without a server-time tag (default Date.now). */
  now?: () => number;
}

export class ChatModel {
  readonly buffers: ChatBuffer[];
  activeIndex = 0;
  /** The user's current nick. */
  nick = '';
  state: ConnectionState = 'idle';
  /** The user is marked away. */
  away = false;
  /** NETWORK from ISUPPORT, or the host. */
  networkName = '';
  /** PREFIX from ISUPPORT: modes and their symbols, highest first. */
  prefixModes = 'ov';
  prefixSymbols = '@+';
  chantypes = '#&';
  /** Bumped on every change (for useSyncExternalStore-style UIs). */
  version = 0;
  private nextLineId = 1;
  private readonly listeners = new Set<() => void>();
  private readonly lineListeners = new Set<(buffer: ChatBuffer, line: ChatLine) => void>();
  private readonly maxLines: number;
  private readonly now: () => number;

  constructor(options: ModelOptions = {}) {
    this.maxLines = options.maxLines ?? MAX_LINES;
    this.now = options.now ?? Date.now;
    this.buffers = [new ChatBuffer('server', 'server')];
  }

  /** Call `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call `listener` for every line added (live or history); returns the unsubscribe function. */
  onLine(listener: (buffer: ChatBuffer, line: ChatLine) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Tell subscribers something changed (the session calls it after direct edits). */
  changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }

  get server(): ChatBuffer {
    return this.buffers[0] as ChatBuffer;
  }

  get active(): ChatBuffer {
    return this.buffers[this.activeIndex] ?? this.server;
  }

  isChannel(name: string): boolean {
    return isChannelName(name, this.chantypes);
  }

  find(name: string): ChatBuffer | undefined {
    if (name === '' || name === '*') return this.server;
    const key = casefold(name);
    return this.buffers.find((b) => b.kind !== 'server' && b.key === key);
  }

  indexOf(buffer: ChatBuffer): number {
    return this.buffers.indexOf(buffer);
  }

  /** The buffer for `name` (a channel or a nick), created if missing. */
  ensure(name: string): ChatBuffer {
    const found = this.find(name);
    if (found) return found;
    const buffer = new ChatBuffer(name, this.isChannel(name) ? 'channel' : 'query');
    this.buffers.push(buffer);
    this.changed();
    return buffer;
  }

  /** Remove a channel or query buffer (never the server's). */
  remove(buffer: ChatBuffer): void {
    const index = this.buffers.indexOf(buffer);
    if (index <= 0) return;
    const active = this.active;
    this.buffers.splice(index, 1);
    this.activeIndex = active === buffer ? Math.min(index, this.buffers.length - 1) : this.buffers.indexOf(active);
    this.active.unread = 0;
    this.active.highlight = false;
    this.changed();
  }

  /** Make buffer `index` (0-based) or `buffer` active; clears its unread and highlight marks. */
  setActive(target: number | ChatBuffer): boolean {
    const index = typeof target === 'number' ? target : this.buffers.indexOf(target);
    if (index < 0 || index >= this.buffers.length) return false;
    this.activeIndex = index;
    const buffer = this.active;
    buffer.unread = 0;
    buffer.highlight = false;
    this.changed();
    return true;
  }

  /** Move the active buffer by `delta`, wrapping around. */
  cycle(delta: number): void {
    const n = this.buffers.length;
    this.setActive((((this.activeIndex + delta) % n) + n) % n);
  }

  /** Append a line to `buffer`; counts unread and highlights when it is not active. */
  addLine(buffer: ChatBuffer, line: NewLine): ChatLine {
    const self = line.self ?? (line.nick !== '' && casefold(line.nick) === casefold(this.nick));
    const said = line.kind === 'message' || line.kind === 'action' || line.kind === 'notice';
    const highlight =
      line.highlight ?? (said && !self && line.nick !== '' && (buffer.kind === 'query' || mentions(line.text, this.nick)));
    const full: ChatLine = { ...line, id: this.nextLineId++, time: line.time ?? this.now(), self, highlight };
    if (line.msgid && buffer.lines.some((l) => l.msgid === line.msgid)) return full;
    buffer.lines.push(full);
    if (buffer.lines.length > this.maxLines) buffer.lines.splice(0, buffer.lines.length - this.maxLines);
    // Server notices (no nick) do not count as unread.
    if (buffer !== this.active && said && !self && line.nick !== '') {
      buffer.unread++;
      if (highlight) buffer.highlight = true;
    }
    for (const listener of [...this.lineListeners]) listener(buffer, full);
    this.changed();
    return full;
  }

  /** A note from the client itself (info or error) in `buffer` (default: the active one). */
  note(text: string, kind: 'info' | 'error' = 'info', buffer: ChatBuffer = this.active): ChatLine {
    return this.addLine(buffer, { kind, nick: '', text, self: false, highlight: false });
  }

  /**
   * Put older lines (from CHATHISTORY, oldest first) before what the buffer
   * holds, skipping any it already has (same msgid). Returns how many were new.
   */
  prependHistory(buffer: ChatBuffer, lines: NewLine[]): number {
    const known = new Set(buffer.lines.map((l) => l.msgid).filter((id): id is string => id !== undefined));
    const fresh: ChatLine[] = [];
    for (const line of lines) {
      if (line.msgid && known.has(line.msgid)) continue;
      const self = line.self ?? (line.nick !== '' && casefold(line.nick) === casefold(this.nick));
      fresh.push({ ...line, id: this.nextLineId++, time: line.time ?? this.now(), self, highlight: false, history: true });
    }
    // Lines already shown that are older than the oldest history line stay where they are.
    // A stable sort by time alone: lines of one millisecond keep history before what was shown.
    buffer.lines = [...fresh, ...buffer.lines].sort((a, b) => a.time - b.time);
    if (buffer.lines.length > this.maxLines) buffer.lines.splice(this.maxLines);
    for (const line of fresh) for (const listener of [...this.lineListeners]) listener(buffer, line);
    this.changed();
    return fresh.length;
  }

  /** Rename a query buffer (the other side changed nick). */
  rename(buffer: ChatBuffer, name: string): void {
    if (buffer.kind === 'server') return;
    buffer.name = name;
    buffer.key = casefold(name);
    this.changed();
  }

  /** The symbol for a member's highest mode ('' for none). */
  prefixOf(member: Member): string {
    const first = member.modes[0];
    if (first === undefined) return '';
    const index = this.prefixModes.indexOf(first);
    return index < 0 ? '' : (this.prefixSymbols[index] ?? '');
  }

  /** Sort modes highest first by PREFIX order. */
  sortModes(modes: string[]): string[] {
    return [...new Set(modes)].sort((a, b) => this.prefixModes.indexOf(a) - this.prefixModes.indexOf(b));
  }
}
