/**
 * The plain text of a line, as line mode prints it: one line per message,
 * fields separated by single spaces, easy to grep and cut:
 *
 *   TIME TARGET WHO TEXT
 *   2026-12-02T21:00:00Z #chan <alice> hello          a message
 *   2026-12-02T21:00:00Z #chan * alice waves          an action (/me)
 *   2026-12-02T21:00:00Z bob -bob- psst                a notice
 *   2026-12-02T21:00:01Z #chan *** bob joined         an event (join, part, quit, nick, topic, mode, away)
 *   2026-12-02T21:00:02Z * *** connected as x         a note from the client or the server
 *   2026-12-02T21:00:02Z #chan !!! cannot send ...    an error
 *
 * TIME is UTC, to the second (from the server-time tag when there is one).
 * TARGET is the window: the channel, the other person's nick for a private
 * conversation, `*` for the server window. Control characters in TEXT are
 * replaced by spaces, so a line never spans two.
 */
import type { ChatBuffer, ChatLine } from './model.js';
import { isoSeconds } from './text.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function formatPlainLine(buffer: ChatBuffer, line: ChatLine): string {
  const target = buffer.kind === 'server' ? '*' : buffer.name;
  const text = line.text.replace(CONTROL, ' ');
  let who: string;
  switch (line.kind) {
    case 'message':
      who = `<${line.nick}>`;
      break;
    case 'action':
      who = `* ${line.nick}`;
      break;
    case 'notice':
      who = line.nick ? `-${line.nick}-` : '-*-';
      break;
    case 'error':
      who = '!!!';
      break;
    default:
      who = '***';
  }
  return `${isoSeconds(line.time)} ${target} ${who} ${text}`;
}
