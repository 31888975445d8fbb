/**
 * Parse one IRC line (already split off the stream, without CR/LF) into a message.
 *
 * A small hand-written scanner: it never throws and returns a typed error instead.
 * Byte-length limits (512 for the body, 4094/8191 for tags) are enforced by the
 * framer in net/, which sees bytes; this function sees one decoded line.
 *
 * Grammar: https://modern.ircdocs.horse/#message-format,
 * tags: https://ircv3.net/specs/extensions/message-tags#format
 */
import type { IrcMessage, Tags } from './message.js';

export type ParseErrorCode =
  /** Nothing but spaces (or a tag section / source and nothing else). */
  | 'EMPTY'
  /** The verb is neither letters nor three digits. */
  | 'BAD_COMMAND';

export type ParseResult =
  | { ok: true; message: IrcMessage }
  /** `tags` are kept for a bad verb, so the error can still carry the client's label. */
  | { ok: false; code: ParseErrorCode; command?: string; tags?: Tags | null };

const SPACE = 0x20;
const COLON = 0x3a;
const AT = 0x40;

export function parseLine(line: string): ParseResult {
  const len = line.length;
  let i = 0;
  let tags: Tags | null = null;
  let source: string | null = null;

  if (len > 0 && line.charCodeAt(0) === AT) {
    let end = line.indexOf(' ', 1);
    if (end < 0) end = len;
    tags = parseTags(line, 1, end);
    i = end;
  }
  while (i < len && line.charCodeAt(i) === SPACE) i++;

  if (i < len && line.charCodeAt(i) === COLON) {
    let end = line.indexOf(' ', i + 1);
    if (end < 0) end = len;
    source = line.slice(i + 1, end);
    i = end;
    while (i < len && line.charCodeAt(i) === SPACE) i++;
  }

  if (i >= len) return { ok: false, code: 'EMPTY' };

  let end = line.indexOf(' ', i);
  if (end < 0) end = len;
  const command = line.slice(i, end).toUpperCase();
  i = end;
  if (!isValidCommand(command)) return tags ? { ok: false, code: 'BAD_COMMAND', command, tags } : { ok: false, code: 'BAD_COMMAND', command };

  const params: string[] = [];
  while (i < len) {
    while (i < len && line.charCodeAt(i) === SPACE) i++;
    if (i >= len) break;
    if (line.charCodeAt(i) === COLON) {
      params.push(line.slice(i + 1));
      break;
    }
    end = line.indexOf(' ', i);
    if (end < 0) end = len;
    params.push(line.slice(i, end));
    i = end;
  }
  return { ok: true, message: { tags, source, command, params } };
}

/** Letters only, or exactly three digits. */
function isValidCommand(command: string): boolean {
  const n = command.length;
  if (n === 0) return false;
  const c0 = command.charCodeAt(0);
  if (c0 >= 0x30 && c0 <= 0x39) {
    if (n !== 3) return false;
    for (let k = 1; k < 3; k++) {
      const c = command.charCodeAt(k);
      if (c < 0x30 || c > 0x39) return false;
    }
    return true;
  }
  for (let k = 0; k < n; k++) {
    const c = command.charCodeAt(k);
    if (c < 0x41 || c > 0x5a) return false;
  }
  return true;
}

/** Parse `key[=value];key2...` between start and end (exclusive). Later duplicates win; empty keys are skipped. */
export function parseTags(line: string, start: number, end: number): Tags {
  const tags: Tags = new Map();
  let i = start;
  while (i < end) {
    let semi = line.indexOf(';', i);
    if (semi < 0 || semi > end) semi = end;
    const eq = line.indexOf('=', i);
    if (eq >= 0 && eq < semi) {
      const key = line.slice(i, eq);
      if (key.length > 0) tags.set(key, unescapeTagValue(line.slice(eq + 1, semi)));
    } else if (semi > i) {
      tags.set(line.slice(i, semi), '');
    }
    i = semi + 1;
  }
  return tags;
}

export function unescapeTagValue(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  let out = '';
  for (let k = 0; k < raw.length; k++) {
    const ch = raw[k];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    k++;
    if (k >= raw.length) break; // a lone trailing backslash is dropped
    const next = raw[k];
    switch (next) {
      case ':': out += ';'; break;
      case 's': out += ' '; break;
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      default: out += next; // covers '\\\\' and unknown escapes (the backslash is dropped)
    }
  }
  return out;
}
