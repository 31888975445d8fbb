/**
 * The full-screen chat (Ink): a topic line on top; the window list on the
 * left, the active window's lines in the middle, its nick list on the right;
 * a status line and the input line at the bottom. Everything it shows comes
 * from the core's ChatModel; everything typed goes to the ChatSession.
 *
 * Keys: Enter sends; Up/Down input history; Tab completes nicks, channels and
 * commands (again: next match); Alt+1..9 / Alt+0 (10) pick a window;
 * Ctrl+N / Ctrl+P or Alt+→ / Alt+← next / previous window; PageUp / PageDown
 * scroll (past the top asks the server for older lines with CHATHISTORY);
 * Left/Right, Home/End (Ctrl+A/E), Ctrl+U, Ctrl+W edit; Ctrl+C quits.
 */
import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useReducer, useRef, useState, useSyncExternalStore, type ReactElement } from 'react';
import {
  clockTime,
  complete,
  InputHistory,
  nickColour,
  type ChatBuffer,
  type ChatLine,
  type ChatSession,
  type CompletionState,
} from '../core/index.js';

/** A run of text in one style. */
interface Segment {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

const LIST_WIDTH = 18;
const NICKS_WIDTH = 16;

/** The segments of one line: time, who, text. */
export function lineSegments(line: ChatLine): Segment[] {
  const time: Segment = { text: `${clockTime(line.time)} `, dim: true };
  const colour = line.nick ? nickColour(line.nick) : undefined;
  const said = (s: Segment): Segment[] => [time, s, { text: line.text, ...(line.highlight ? { color: 'yellow', bold: true } : {}) }];
  switch (line.kind) {
    case 'message':
      return said({ text: `<${line.nick}> `, ...(colour ? { color: colour } : {}), bold: line.self });
    case 'action':
      return said({ text: `* ${line.nick} `, ...(colour ? { color: colour } : {}) });
    case 'notice':
      return said({ text: line.nick ? `-${line.nick}- ` : '-*- ', color: 'magenta' });
    case 'error':
      return [time, { text: '!! ', color: 'red', bold: true }, { text: line.text, color: 'red' }];
    case 'info':
      return [time, { text: '-- ', dim: true }, { text: line.text }];
    default:
      return [time, { text: '-- ', dim: true }, { text: line.text, dim: true }];
  }
}

/**
 * Cut segments into rows of at most `width` characters, after the last space
 * that fits (a longer word is cut); rows after the first start with `indent` spaces.
 */
export function wrapSegments(segments: Segment[], width: number, indent = 0): Segment[][] {
  const w = Math.max(1, width);
  const pad = Math.min(indent, Math.floor(w / 3));
  const text = segments.map((s) => s.text).join('');
  // Where each row starts and ends in `text`.
  const ranges: Array<[number, number]> = [];
  let start = 0;
  while (start < text.length || ranges.length === 0) {
    const room = ranges.length === 0 ? w : w - pad;
    let end = Math.min(text.length, start + room);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space + 1;
    }
    ranges.push([start, end]);
    if (end >= text.length) break;
    start = end;
  }
  return ranges.map(([from, to], row) => {
    const out: Segment[] = row > 0 && pad > 0 ? [{ text: ' '.repeat(pad) }] : [];
    let at = 0;
    for (const seg of segments) {
      const a = Math.max(from, at);
      const b = Math.min(to, at + seg.text.length);
      if (a < b) out.push({ ...seg, text: seg.text.slice(a - at, b - at) });
      at += seg.text.length;
    }
    return out;
  });
}

function Row({ segments }: { segments: Segment[] }): ReactElement {
  return (
    <Text wrap="truncate">
      {segments.length === 0 ? ' ' : null}
      {segments.map((s, i) => (
        <Text key={i} {...(s.color ? { color: s.color } : {})} bold={s.bold === true} dimColor={s.dim === true}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

/** The last `height` rows of `buffer`, `offset` rows up from the bottom; and whether the top was reached. */
function visibleRows(buffer: ChatBuffer, width: number, height: number, offset: number): { rows: Segment[][]; atTop: boolean; total: number } {
  const rows: Segment[][] = [];
  const need = height + offset;
  for (let i = buffer.lines.length - 1; i >= 0 && rows.length < need; i--) {
    const segments = lineSegments(buffer.lines[i] as ChatLine);
    const indent = (segments[0]?.text.length ?? 0) + (segments[1]?.text.length ?? 0);
    rows.unshift(...wrapSegments(segments, width, indent));
  }
  const total = rows.length;
  const end = Math.max(0, rows.length - offset);
  const start = Math.max(0, end - height);
  return { rows: rows.slice(start, end), atTop: start === 0 && rows.length < need + 1 && offset > 0, total };
}

function windowLabel(buffer: ChatBuffer, index: number, session: ChatSession): string {
  const name = buffer.kind === 'server' ? session.model.networkName || buffer.name : buffer.name;
  const marks = buffer.highlight ? '!' : '';
  const unread = buffer.unread > 0 ? ` ${buffer.unread}${marks}` : '';
  return `${index + 1}.${name}`.slice(0, LIST_WIDTH - 2 - unread.length) + unread;
}

export interface AppProps {
  session: ChatSession;
  /** Screen size (default: the terminal's). */
  columns?: number;
  rows?: number;
}

export function App({ session, columns, rows }: AppProps): ReactElement {
  const model = session.model;
  useSyncExternalStore(
    (fn) => model.subscribe(fn),
    () => model.version,
  );
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [, forceRender] = useReducer((n: number) => n + 1, 0);
  const [size, setSize] = useState({ columns: columns ?? stdout.columns ?? 80, rows: rows ?? stdout.rows ?? 24 });
  // The input line lives in a ref: keys can arrive faster than renders.
  const edit = useRef({ text: '', cursor: 0 });
  const completion = useRef<CompletionState | null>(null);
  const history = useRef(new InputHistory());
  /** Scroll offset (rows up from the bottom) per buffer. */
  const scroll = useRef(new Map<ChatBuffer, number>());

  useEffect(() => {
    if (columns !== undefined && rows !== undefined) return;
    const onResize = () => setSize({ columns: columns ?? stdout.columns ?? 80, rows: rows ?? stdout.rows ?? 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, columns, rows]);

  useEffect(() => {
    let done = false;
    void session.closed.then(() => {
      if (!done) exit();
    });
    return () => {
      done = true;
    };
  }, [session, exit]);

  const active = model.active;
  const showNicks = active.kind === 'channel';
  const bodyHeight = Math.max(1, size.rows - 3);
  const textWidth = Math.max(10, size.columns - LIST_WIDTH - (showNicks ? NICKS_WIDTH : 0) - 2);
  const offset = scroll.current.get(active) ?? 0;
  const view = visibleRows(active, textWidth, bodyHeight, offset);

  const setInput = (value: string, at: number) => {
    edit.current = { text: value, cursor: Math.max(0, Math.min(at, value.length)) };
    forceRender();
  };
  const setCursor = (at: number) => setInput(edit.current.text, at);

  const scrollBy = (delta: number) => {
    const active = model.active;
    const page = Math.max(1, bodyHeight - 1);
    const current = scroll.current.get(active) ?? 0;
    let next = Math.max(0, current + delta * page);
    // Past the top: ask the server for older lines (they appear above).
    const { total } = visibleRows(active, textWidth, bodyHeight, next);
    if (next > 0 && total < bodyHeight + next) {
      session.requestOlder(active);
      next = Math.max(0, total - bodyHeight);
    }
    scroll.current.set(active, next);
    forceRender();
  };

  const handleKey = (input: string, key: Key): void => {
    const { text, cursor } = edit.current;
    const active = model.active;
    if (!key.tab) completion.current = null;
    if (key.ctrl && input === 'c') {
      void session.quit('');
      return;
    }
    if (key.return) {
      setInput('', 0);
      if (text.trim() === '') return;
      history.current.push(text);
      scroll.current.set(model.active, 0);
      session.input(text);
      return;
    }
    if (key.tab) {
      const nicks =
        active.kind === 'channel' ? active.memberList(model.prefixModes).map((m) => m.nick).filter((n) => n !== model.nick) : active.kind === 'query' ? [active.name] : [];
      const channels = model.buffers.filter((b) => b.kind === 'channel').map((b) => b.name);
      const result = complete(text, cursor, { nicks, channels, chantypes: model.chantypes }, completion.current);
      completion.current = result.state;
      setInput(result.text, result.cursor);
      return;
    }
    if (key.pageUp) return scrollBy(1);
    if (key.pageDown) return scrollBy(-1);
    if (key.meta && /^[0-9]$/.test(input)) {
      model.setActive(input === '0' ? 9 : Number(input) - 1);
      return;
    }
    if ((key.meta && key.rightArrow) || (key.ctrl && input === 'n')) return model.cycle(1);
    if ((key.meta && key.leftArrow) || (key.ctrl && input === 'p')) return model.cycle(-1);
    if (key.upArrow) {
      const value = history.current.up(text);
      return setInput(value, value.length);
    }
    if (key.downArrow) {
      const value = history.current.down();
      return setInput(value, value.length);
    }
    if (key.leftArrow) return setCursor(Math.max(0, cursor - 1));
    if (key.rightArrow) return setCursor(Math.min(text.length, cursor + 1));
    if (key.home || (key.ctrl && input === 'a')) return setCursor(0);
    if (key.end || (key.ctrl && input === 'e')) return setCursor(text.length);
    if (key.backspace || key.delete) {
      if (cursor === 0) return;
      return setInput(text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1);
    }
    if (key.ctrl && input === 'u') return setInput(text.slice(cursor), 0);
    if (key.ctrl && input === 'w') {
      const start = text.slice(0, cursor).replace(/\S+\s*$/, '').length;
      return setInput(text.slice(0, start) + text.slice(cursor), start);
    }
    if (key.ctrl || key.meta || key.escape || input === '') return;
    setInput(text.slice(0, cursor) + input + text.slice(cursor), cursor + input.length);
  };

  useInput((input, key) => {
    if (!key.ctrl && !key.meta && input.length > 1 && /[\r\n\t]/.test(input)) {
      // Text with Enter or Tab in one chunk (a paste, a fast sender): one key at a time.
      const plain: Key = { ...key, return: false, tab: false };
      for (const part of input.split(/(\r\n|\r|\n|\t)/)) {
        if (part === '\t') handleKey('', { ...plain, tab: true });
        else if (part === '\r\n' || part === '\r' || part === '\n') handleKey('', { ...plain, return: true });
        else if (part !== '') handleKey(part, plain);
      }
      return;
    }
    handleKey(input, key);
  });

  const topic =
    active.kind === 'channel'
      ? `${active.name}${active.topic ? `: ${active.topic}` : ' (no topic)'}`
      : active.kind === 'query'
        ? `${active.name} (private)`
        : `obrol chat — ${session.model.networkName || active.name}`;
  const stateText = model.state === 'registered' ? '' : ` [${model.state}]`;
  const activity = model.buffers
    .map((b, i) => (b !== active && b.unread > 0 ? `${i + 1}${b.highlight ? '!' : ''}` : ''))
    .filter((s) => s !== '')
    .join(',');
  const members = showNicks ? active.memberList(model.prefixModes) : [];
  const { text, cursor } = edit.current;
  const inputWidth = Math.max(1, size.columns - 3);
  const shownFrom = Math.max(0, cursor - inputWidth + 1);
  const before = text.slice(shownFrom, cursor);
  const atCursor = text[cursor] ?? ' ';
  const after = text.slice(cursor + 1, shownFrom + inputWidth);

  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Box height={1}>
        <Text inverse wrap="truncate">
          {` ${topic}`.padEnd(size.columns)}
        </Text>
      </Box>
      <Box flexDirection="row" height={bodyHeight}>
        <Box flexDirection="column" width={LIST_WIDTH} borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false}>
          {model.buffers.slice(0, bodyHeight).map((b, i) => (
            <Text
              key={i}
              wrap="truncate"
              inverse={b === active}
              bold={b.unread > 0}
              {...(b.highlight ? { color: 'magenta' } : b.kind === 'channel' && !b.joined ? { dimColor: true } : {})}
            >
              {windowLabel(b, i, session)}
            </Text>
          ))}
        </Box>
        <Box flexDirection="column" width={textWidth + 1} paddingLeft={1}>
          {view.rows.map((segments, i) => (
            <Row key={i} segments={segments} />
          ))}
        </Box>
        {showNicks ? (
          <Box flexDirection="column" width={NICKS_WIDTH} borderStyle="single" borderTop={false} borderBottom={false} borderRight={false}>
            {members.slice(0, bodyHeight).map((m) => (
              <Text key={m.nick} wrap="truncate" color={nickColour(m.nick)} dimColor={m.away}>
                {model.prefixOf(m) || ' '}
                {m.nick}
              </Text>
            ))}
          </Box>
        ) : null}
      </Box>
      <Box height={1}>
        <Text inverse wrap="truncate">
          {` ${clockTime(Date.now())} [${model.nick}${model.away ? ' (away)' : ''}] [${model.activeIndex + 1}:${active.kind === 'server' ? model.networkName || active.name : active.name}]${
            activity ? ` [Act: ${activity}]` : ''
          }${offset > 0 ? ` [scrolled -${offset}${active.historyLoading ? ', loading' : active.historyExhausted && view.atTop ? ', top' : ''}]` : ''}${stateText}`.padEnd(size.columns)}
        </Text>
      </Box>
      <Box height={1}>
        <Text wrap="truncate">
          <Text bold>{'> '}</Text>
          {before}
          <Text inverse>{atCursor}</Text>
          {after}
        </Text>
      </Box>
    </Box>
  );
}
