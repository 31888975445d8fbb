/**
 * Turn a message into one wire line (without CRLF).
 *
 * The last parameter always gets a ':' (as InspIRCd does): human text, lists of
 * names and single words read the same to every parser, and a naive client that
 * splits on " :" finds the text where it expects it.
 *
 * The body (everything after the tags) is held to 510 bytes so that with CRLF it
 * fits the 512-byte limit: a relayed line grows by the source prefix the server
 * adds, and the excess is cut from the last parameter at a UTF-8 boundary (or,
 * when the middle parameters alone pass the limit, from the longest of them).
 */
import type { IrcMessage, Tags } from './message.js';

export const MAX_BODY_BYTES = 510;

export function serializeMessage(msg: IrcMessage): string {
  const body = serializeBody(msg.source, msg.command, msg.params);
  return msg.tags && msg.tags.size > 0 ? `@${serializeTags(msg.tags)} ${body}` : body;
}

export function serializeBody(source: string | null, command: string, params: readonly string[]): string {
  let head = source ? `:${source} ${command}` : command;
  const n = params.length;
  if (n === 0) return head;
  for (let k = 0; k < n - 1; k++) head += ' ' + middle(params[k] as string);
  head += ' :';
  const last = params[n - 1] as string;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short lines skip the byte count.
  if ((head.length + last.length) * 3 <= MAX_BODY_BYTES) return head + last;
  const headBytes = Buffer.byteLength(head);
  const room = MAX_BODY_BYTES - headBytes;
  if (room < 0) return fitMiddles(source, command, params);
  return head + truncateUtf8(last, room);
}

/**
 * The middle parameters alone pass the limit (a reply echoing a long verb,
 * target or nick a client sent): cut the longest ones until the line fits,
 * keeping each at least one character, with an empty last parameter.
 */
function fitMiddles(source: string | null, command: string, params: readonly string[]): string {
  const middles = params.slice(0, -1).map(middle);
  const bytes = middles.map((p) => Buffer.byteLength(p));
  const fixed = Buffer.byteLength(source ? `:${source} ${command}` : command) + middles.length + 2;
  let excess = fixed + bytes.reduce((a, b) => a + b, 0) - MAX_BODY_BYTES;
  while (excess > 0) {
    let longest = 0;
    for (let k = 1; k < bytes.length; k++) if ((bytes[k] as number) > (bytes[longest] as number)) longest = k;
    const size = bytes[longest] as number;
    const text = middles[longest] as string;
    const firstChar = String.fromCodePoint(text.codePointAt(0) as number);
    if (size <= Buffer.byteLength(firstChar)) break;
    const cut = truncateUtf8(text, Math.max(size - excess, 1));
    middles[longest] = cut === '' ? firstChar : cut;
    bytes[longest] = Buffer.byteLength(middles[longest] as string);
    excess -= size - (bytes[longest] as number);
  }
  const head = source ? `:${source} ${command}` : command;
  return `${head} ${middles.join(' ')} :`;
}

/**
 * A middle parameter cannot be empty, contain a space or start with ':'
 * without changing how the line parses. Obrol never builds one, and this
 * guard keeps a future mistake from corrupting a line: such a parameter is
 * sent as '*' rather than shifting every parameter after it.
 */
export function middle(param: string): string {
  return param === '' || param.includes(' ') || param.charCodeAt(0) === 0x3a ? '*' : param;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text);
  let cut = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character start.
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}

export function serializeTags(tags: Tags): string {
  let out = '';
  for (const [key, value] of tags) {
    if (out.length > 0) out += ';';
    out += value === '' ? key : `${key}=${escapeTagValue(value)}`;
  }
  return out;
}

export function escapeTagValue(value: string): string {
  if (!/[;\s\\]/.test(value)) return value;
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case ';': out += '\\:'; break;
      case ' ': out += '\\s'; break;
      case '\\': out += '\\\\'; break;
      case '\r': out += '\\r'; break;
      case '\n': out += '\\n'; break;
      default: out += ch;
    }
  }
  return out;
}
