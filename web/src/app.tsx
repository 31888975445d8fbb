/**
 * The page's UI: a connect form, then the chat (conversations, the active
 * conversation's messages and topic, its members, a message box). All state
 * lives in the client core's ChatModel; this only draws it and turns clicks
 * and keys into session calls.
 *
 * Accessibility: landmarks (banner, navigation, main, complementary), every
 * control labelled, the connection state in a status region, new messages
 * from others announced through one polite live region (the active
 * conversation's, and mentions or private messages from elsewhere), never by
 * re-reading the log; focus goes to the message box after connecting and
 * after choosing a conversation. Alt+Up/Down switch conversations, Tab
 * completes nicks and channels, Up/Down recall sent lines.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  clockTime,
  complete,
  InputHistory,
  nickColourIndex,
  type ChatBuffer,
  type ChatLine,
  type ChatModel,
  type ChatSession,
  type CompletionState,
} from '../../src/client/core/index.js';
import { startSession } from './connect.js';

// Browsers compile it with the v flag: every punctuator in a class is escaped.
const NICK_PATTERN = '[A-Za-z_\\[\\]\\\\^`\\{\\|\\}][A-Za-z0-9_\\[\\]\\\\^`\\{\\|\\}\\-]{0,31}';
const SAVED_NICK = 'obrol.nick';
const SAVED_CHANNELS = 'obrol.channels';

function readSaved(key: string, fallback: string): string {
  try {
    return window.localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

function save(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // private mode or storage off: nothing to remember
  }
}

export function App(): JSX.Element {
  const [session, setSession] = useState<ChatSession | null>(null);
  const [error, setError] = useState('');

  const connect = useCallback((nick: string, channels: string[]) => {
    setError('');
    const next = startSession({ nick, channels });
    setSession(next);
    void next.closed.then(() => {
      setSession((current) => (current === next ? null : current));
      setError(next.endError);
    });
  }, []);

  if (!session) return <ConnectForm error={error} onConnect={connect} />;
  return <ChatView session={session} />;
}

function ConnectForm(props: { error: string; onConnect: (nick: string, channels: string[]) => void }): JSX.Element {
  const [nick, setNick] = useState(() => readSaved(SAVED_NICK, ''));
  const [channels, setChannels] = useState(() => readSaved(SAVED_CHANNELS, '#obrol'));
  const nickInput = useRef<HTMLInputElement>(null);
  useEffect(() => nickInput.current?.focus(), []);

  const submit = (event: Event) => {
    event.preventDefault();
    const list = channels
      .split(/[\s,]+/)
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map((name) => (/^[#&]/.test(name) ? name : `#${name}`));
    save(SAVED_NICK, nick);
    save(SAVED_CHANNELS, list.join(' '));
    props.onConnect(nick.trim(), list);
  };

  return (
    <main class="connect" aria-labelledby="connect-title">
      <form class="connect-card" onSubmit={submit}>
        <h1 id="connect-title">Obrol chat</h1>
        <p class="hint">Pick a nick to join the conversation on this server.</p>
        <div class="field">
          <label for="nick">Nick</label>
          <input
            id="nick"
            ref={nickInput}
            name="nick"
            autocomplete="nickname"
            autocapitalize="off"
            spellcheck={false}
            required
            maxLength={32}
            pattern={NICK_PATTERN}
            aria-describedby="nick-help"
            value={nick}
            onInput={(e) => setNick(e.currentTarget.value)}
          />
          <p id="nick-help" class="help">
            Letters, digits and <code>_-[]{}\|^`</code>; not starting with a digit or dash.
          </p>
        </div>
        <div class="field">
          <label for="channels">Channels to join</label>
          <input
            id="channels"
            name="channels"
            autocapitalize="off"
            spellcheck={false}
            aria-describedby="channels-help"
            value={channels}
            onInput={(e) => setChannels(e.currentTarget.value)}
          />
          <p id="channels-help" class="help">
            Separated by spaces, e.g. <code>#obrol #help</code>. Optional.
          </p>
        </div>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <button type="submit" class="primary">
          Connect
        </button>
      </form>
    </main>
  );
}

/** Re-render on every model change. */
function useModel(model: ChatModel): number {
  const [version, setVersion] = useState(model.version);
  useEffect(() => model.subscribe(() => setVersion(model.version)), [model]);
  return version;
}

function bufferLabel(buffer: ChatBuffer, model: ChatModel): string {
  return buffer.kind === 'server' ? model.networkName || 'Server' : buffer.name;
}

function statusText(model: ChatModel): string {
  switch (model.state) {
    case 'idle':
    case 'connecting':
      return 'Connecting…';
    case 'registered':
      return `Connected as ${model.nick}`;
    case 'reconnecting':
      return 'Connection lost; reconnecting…';
    case 'closed':
      return 'Disconnected';
  }
}

const PHONE_QUERY = '(max-width: 760px)';

function isPhone(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia(PHONE_QUERY).matches;
}

function ChatView({ session }: { session: ChatSession }): JSX.Element {
  const model = session.model;
  useModel(model);
  const active = model.active;
  const [navOpen, setNavOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  /** Where the "new messages" divider goes in a conversation: before the line with this id. */
  const [marker, setMarker] = useState<{ buffer: ChatBuffer; before: number } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const messageInput = useRef<HTMLInputElement>(null);
  const navToggle = useRef<HTMLButtonElement>(null);
  const membersToggle = useRef<HTMLButtonElement>(null);

  useEffect(() => messageInput.current?.focus(), []);

  // Escape closes an open panel (on a phone) and gives focus back to its button.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || (!navOpen && !membersOpen)) return;
    event.preventDefault();
    (navOpen ? navToggle : membersToggle).current?.focus();
    setNavOpen(false);
    setMembersOpen(false);
  };

  // New messages from others, spoken once: the active conversation's, and mentions or private messages elsewhere.
  useEffect(
    () =>
      model.onLine((buffer, line) => {
        if (line.self || line.history) return;
        if (line.kind !== 'message' && line.kind !== 'action' && line.kind !== 'notice') return;
        const text = line.kind === 'action' ? `${line.nick} ${line.text}` : `${line.nick || 'server'}: ${line.text}`;
        if (buffer === model.active) setAnnouncement(text);
        else if (line.highlight) setAnnouncement(`${buffer.kind === 'query' ? 'Private message from' : `In ${buffer.name},`} ${text}`);
      }),
    [model],
  );

  const choose = (buffer: ChatBuffer) => {
    if (buffer.unread > 0) {
      const said = buffer.lines.filter((l) => !l.self && (l.kind === 'message' || l.kind === 'action' || l.kind === 'notice'));
      const first = said[said.length - buffer.unread];
      setMarker(first ? { buffer, before: first.id } : null);
    } else if (buffer !== model.active) {
      setMarker(null);
    }
    model.setActive(buffer);
    if (isPhone()) setNavOpen(false);
    messageInput.current?.focus();
  };

  const cycle = (delta: number) => {
    const n = model.buffers.length;
    const next = model.buffers[(((model.activeIndex + delta) % n) + n) % n];
    if (next) choose(next);
  };

  const unreadElsewhere = model.buffers.reduce((sum, b) => (b === active ? sum : sum + b.unread), 0);
  const members = active.kind === 'channel' ? active.memberList(model.prefixModes) : [];
  const title = bufferLabel(active, model);
  const unreadAll = model.buffers.reduce((sum, b) => sum + b.unread, 0);
  useEffect(() => {
    document.title = `${unreadAll > 0 ? `(${unreadAll}) ` : ''}${title} – Obrol chat`;
    return () => {
      document.title = 'Obrol chat';
    };
  }, [title, unreadAll]);

  const openQuery = (nick: string) => {
    session.execute({ type: 'query', nick, text: '' });
    setMarker(null);
    if (isPhone()) setMembersOpen(false);
    messageInput.current?.focus();
  };

  return (
    <div class={`chat${active.kind === 'channel' ? '' : ' no-members'}${navOpen ? ' nav-open' : ''}${membersOpen ? ' members-open' : ''}`} onKeyDown={onKeyDown}>
      <header class="topbar">
        <button
          type="button"
          class="toggle nav-toggle"
          ref={navToggle}
          aria-expanded={navOpen}
          aria-controls="conversations"
          onClick={() => {
            setNavOpen(!navOpen);
            setMembersOpen(false);
          }}
        >
          Chats
          {unreadElsewhere > 0 ? (
            <span class="badge">
              {unreadElsewhere}
              <span class="sr-only"> unread</span>
            </span>
          ) : null}
        </button>
        <div class="title">
          <h1 id="buffer-title">{title}</h1>
          {active.kind === 'channel' ? (
            <p class="topic" id="topic">
              <span class="sr-only">Topic: </span>
              {active.topic ? linkify(active.topic) : <span class="muted">No topic</span>}
            </p>
          ) : null}
        </div>
        <p class={`status state-${model.state}`} role="status">
          {statusText(model)}
        </p>
        {active.kind === 'channel' ? (
          <button
            type="button"
            class="toggle members-toggle"
            ref={membersToggle}
            aria-expanded={membersOpen}
            aria-controls="members"
            onClick={() => {
              setMembersOpen(!membersOpen);
              setNavOpen(false);
            }}
          >
            Members ({members.length})
          </button>
        ) : null}
        <button type="button" class="quit" onClick={() => void session.quit('leaving')}>
          Disconnect
        </button>
      </header>

      <nav id="conversations" aria-label="Conversations">
        <h2 class="pane-title">Conversations</h2>
        <ul>
          {model.buffers.map((buffer) => (
            <li key={buffer.kind + buffer.key}>
              <button
                type="button"
                class={`buffer kind-${buffer.kind}${buffer.highlight ? ' highlighted' : ''}${buffer.unread > 0 ? ' has-unread' : ''}${buffer.kind === 'channel' && !buffer.joined ? ' parted' : ''}`}
                aria-current={buffer === active ? 'true' : undefined}
                onClick={() => choose(buffer)}
              >
                <span class="name">{bufferLabel(buffer, model)}</span>
                {buffer.unread > 0 ? (
                  <span class="badge" data-unread={buffer.unread}>
                    {buffer.unread}
                    <span class="sr-only">{buffer.highlight ? ' unread, mentions you' : ' unread'}</span>
                  </span>
                ) : null}
              </button>
            </li>
          ))}
        </ul>
        <JoinForm onJoin={(name) => session.execute({ type: 'join', channels: [name], keys: [] })} />
      </nav>

      <main id="main" aria-labelledby="buffer-title">
        <MessageLog session={session} buffer={active} marker={marker?.buffer === active ? marker.before : null} />
        <Compose session={session} buffer={active} inputRef={messageInput} onCycle={cycle} />
      </main>

      {active.kind === 'channel' ? (
        <aside id="members" aria-labelledby="members-title">
          <h2 class="pane-title" id="members-title">
            Members <span class="count">({members.length})</span>
          </h2>
          <ul>
            {members.map((member) => {
              const prefix = model.prefixOf(member);
              return (
                <li key={member.nick}>
                  <button
                    type="button"
                    class={`member${member.away ? ' away' : ''}`}
                    title={`Open a private conversation with ${member.nick}`}
                    onClick={() => openQuery(member.nick)}
                  >
                    <span class="prefix" aria-hidden="true">
                      {prefix}
                    </span>
                    <span class={`nick c${nickColourIndex(member.nick)}`}>{member.nick}</span>
                    {prefix === '@' ? <span class="sr-only"> (operator)</span> : prefix === '+' ? <span class="sr-only"> (voice)</span> : null}
                    {member.away ? <span class="sr-only"> (away)</span> : null}
                  </button>
                </li>
              );
            })}
          </ul>
        </aside>
      ) : null}

      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
    </div>
  );
}

function JoinForm({ onJoin }: { onJoin: (name: string) => void }): JSX.Element {
  const [name, setName] = useState('');
  return (
    <form
      class="join"
      onSubmit={(event) => {
        event.preventDefault();
        const trimmed = name.trim();
        if (trimmed === '') return;
        onJoin(/^[#&]/.test(trimmed) ? trimmed : `#${trimmed}`);
        setName('');
      }}
    >
      <label for="join-channel">Join a channel</label>
      <div class="row">
        <input id="join-channel" autocapitalize="off" spellcheck={false} placeholder="#channel" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Join</button>
      </div>
    </form>
  );
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]}'"]/g;

/** Text with its http(s) links as links (opened in a new tab, without a referrer). */
function linkify(text: string): Array<string | JSX.Element> {
  const parts: Array<string | JSX.Element> = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(
      <a href={match[0]} target="_blank" rel="noopener noreferrer">
        {match[0]}
      </a>,
    );
    last = start + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function MessageLog({ session, buffer, marker }: { session: ChatSession; buffer: ChatBuffer; marker: number | null }): JSX.Element {
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const lastBuffer = useRef<ChatBuffer | null>(null);
  const lines = buffer.lines;
  const lastId = lines[lines.length - 1]?.id ?? 0;
  const firstId = lines[0]?.id ?? 0;
  const previousHeight = useRef(0);
  const previousFirst = useRef(0);
  const previousLast = useRef(0);
  /** The user pressed "Load older messages": show what arrives. */
  const reveal = useRef(false);

  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (lastBuffer.current !== buffer) {
      lastBuffer.current = buffer;
      const divider = el.querySelector('.marker');
      if (divider instanceof HTMLElement) {
        el.scrollTop = Math.max(0, divider.offsetTop - el.offsetTop - 8);
        stick.current = false;
      } else {
        el.scrollTop = el.scrollHeight;
        stick.current = true;
      }
    } else if (firstId !== previousFirst.current && previousFirst.current !== 0 && lastId === previousLast.current) {
      if (reveal.current) {
        // Asked for with the button: show them, from the oldest; if nothing older is left
        // (the button is gone), focus moves to the list rather than being lost.
        reveal.current = false;
        el.scrollTop = 0;
        stick.current = false;
        if (!el.parentElement?.querySelector('.older')) el.focus();
      } else {
        // Older lines came in above (scrolled to the top): keep what was on screen where it was.
        el.scrollTop += el.scrollHeight - previousHeight.current;
      }
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
    previousHeight.current = el.scrollHeight;
    previousFirst.current = firstId;
    previousLast.current = lastId;
  }, [buffer, lastId, firstId, lines.length]);

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 40) session.requestOlder(buffer);
  };

  const canLoadOlder = buffer.kind !== 'server' && session.hasHistory && !buffer.historyExhausted;

  return (
    <div class="log-pane">
      {canLoadOlder ? (
        // aria-disabled rather than disabled while loading: a disabled button would drop the focus.
        <button
          type="button"
          class="older"
          aria-disabled={buffer.historyLoading}
          onClick={() => {
            reveal.current = session.requestOlder(buffer) || reveal.current;
          }}
        >
          {buffer.historyLoading ? 'Loading older messages…' : 'Load older messages'}
        </button>
      ) : null}
      <ol class="log" ref={list} onScroll={onScroll} tabIndex={0} aria-label={`Messages in ${buffer.kind === 'server' ? 'the server window' : buffer.name}`}>
        {lines.length === 0 ? <li class="line empty">No messages yet.</li> : null}
        {lines.map((line) => (
          <Line key={line.id} line={line} marker={marker === line.id} />
        ))}
      </ol>
    </div>
  );
}

function Line({ line, marker }: { line: ChatLine; marker: boolean }): JSX.Element {
  const time = new Date(line.time);
  const stamp = (
    <time class="time" dateTime={time.toISOString()}>
      {clockTime(line.time)}
    </time>
  );
  const said = line.kind === 'message' || line.kind === 'action' || line.kind === 'notice';
  const classes = `line kind-${line.kind}${line.self ? ' self' : ''}${line.highlight ? ' highlight' : ''}${line.history ? ' history' : ''}`;
  const divider = marker ? (
    // An item of its own (a list holds only items), read out as it reads.
    <li class="marker">
      <span>New messages</span>
    </li>
  ) : null;
  if (!said) {
    return (
      <>
        {divider}
        <li class={classes}>
          {stamp} <span class="event">{line.text}</span>
        </li>
      </>
    );
  }
  const nick = line.nick ? <span class={`nick c${nickColourIndex(line.nick)}`}>{line.nick}</span> : <span class="nick server">server</span>;
  return (
    <>
      {divider}
      <li class={classes}>
        {stamp}{' '}
        {line.kind === 'action' ? (
          <>
            <span aria-hidden="true">* </span>
            {nick} <span class="text">{linkify(line.text)}</span>
          </>
        ) : line.kind === 'notice' ? (
          <>
            <span class="sr-only">Notice from </span>
            <span aria-hidden="true">-</span>
            {nick}
            <span aria-hidden="true">-</span> <span class="text">{linkify(line.text)}</span>
          </>
        ) : (
          <>
            {nick}
            <span class="sep">:</span> <span class="text">{linkify(line.text)}</span>
          </>
        )}
      </li>
    </>
  );
}

function Compose(props: {
  session: ChatSession;
  buffer: ChatBuffer;
  inputRef: { current: HTMLInputElement | null };
  onCycle: (delta: number) => void;
}): JSX.Element {
  const { session, buffer } = props;
  const [text, setText] = useState('');
  const history = useMemo(() => new InputHistory(), []);
  const completion = useRef<CompletionState | null>(null);
  const model = session.model;

  const submit = (event: Event) => {
    event.preventDefault();
    if (text.trim() === '') return;
    history.push(text);
    session.input(text);
    setText('');
    completion.current = null;
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const input = event.currentTarget as HTMLInputElement;
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      event.preventDefault();
      props.onCycle(event.key === 'ArrowUp' ? -1 : 1);
      return;
    }
    if (event.key === 'Tab' && !event.shiftKey && !event.altKey && !event.ctrlKey) {
      // Complete only a word being typed; on an empty box (or after a space) Tab moves focus as usual.
      const cursor = input.selectionStart ?? text.length;
      const before = text.slice(0, cursor);
      if (before === '' || /\s$/.test(before)) return;
      const nicks = buffer.kind === 'channel' ? buffer.memberList(model.prefixModes).map((m) => m.nick) : buffer.kind === 'query' ? [buffer.name] : [];
      const channels = model.buffers.filter((b) => b.kind === 'channel').map((b) => b.name);
      const result = complete(text, cursor, { nicks, channels, chantypes: model.chantypes }, completion.current);
      if (result.state === null) return;
      event.preventDefault();
      completion.current = result.state;
      setText(result.text);
      requestAnimationFrame(() => input.setSelectionRange(result.cursor, result.cursor));
      return;
    }
    completion.current = null;
    if (event.key === 'ArrowUp' && history.size > 0) {
      event.preventDefault();
      setText(history.up(text));
    } else if (event.key === 'ArrowDown' && history.size > 0) {
      event.preventDefault();
      setText(history.down());
    }
  };

  const target = buffer.kind === 'server' ? 'the server (commands start with /)' : buffer.name;
  const disabled = buffer.kind === 'channel' && !buffer.joined && model.state === 'registered';
  return (
    <form class="compose" onSubmit={submit}>
      <label for="message" class="sr-only">
        Message {target}
      </label>
      <input
        id="message"
        ref={props.inputRef}
        autocomplete="off"
        autocapitalize="sentences"
        enterKeyHint="send"
        placeholder={disabled ? `You are not in ${buffer.name}: /join ${buffer.name}` : `Message ${target}`}
        aria-describedby="compose-help"
        value={text}
        onInput={(e) => {
          completion.current = null;
          setText(e.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
      />
      <p id="compose-help" class="sr-only">
        Enter sends. Commands start with a slash, such as /join, /msg, /me, /topic and /help. Alt+Up and Alt+Down switch conversations.
      </p>
      <button type="submit" class="primary">
        Send
      </button>
    </form>
  );
}
