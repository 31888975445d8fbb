/**
 * Syntax of nicknames, channel names, usernames and channel keys.
 * https://modern.ircdocs.horse/#clients and #channels
 */

/** Letters, and the "special" characters RFC 2812 allows anywhere in a nick: [ ] \ ` _ ^ { | } */
function isNickStart(c: number): boolean {
  return c >= 0x41 && c <= 0x7d; // A-Z [ \ ] ^ _ ` a-z { | }
}

function isNickRest(c: number): boolean {
  return isNickStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d; // digits, '-'
}

export function isValidNick(nick: string, maxLength: number): boolean {
  const n = nick.length;
  if (n === 0 || n > maxLength) return false;
  if (!isNickStart(nick.charCodeAt(0))) return false;
  for (let k = 1; k < n; k++) if (!isNickRest(nick.charCodeAt(k))) return false;
  return true;
}

/** A channel name starts with one of `chanTypes` and has no space, comma, BEL, NUL, CR or LF. */
export function isValidChannelName(name: string, chanTypes: string, maxLength: number): boolean {
  if (name.length < 2 || name.length > maxLength) return false;
  if (!chanTypes.includes(name[0] as string)) return false;
  return !/[\s,\x07\x00]/.test(name);
}

export function isChannelName(target: string, chanTypes: string): boolean {
  return target.length > 0 && chanTypes.includes(target[0] as string);
}

/**
 * The username from USER, reduced to characters every client displays safely
 * and cut to `maxLength`; null when nothing usable is left.
 */
export function sanitizeUsername(raw: string, maxLength: number): string | null {
  const cleaned = raw.replace(/[^A-Za-z0-9_.\-[\]{}\\`^|]/g, '').slice(0, maxLength);
  return cleaned.length > 0 ? cleaned : null;
}

/** RFC 2812 key: 7-bit, no NUL, CR, LF, FF, tabs, space; also no comma (it separates JOIN keys). */
export function isValidChannelKey(key: string, maxLength: number): boolean {
  if (key.length === 0 || key.length > maxLength) return false;
  return !/[^\x21-\x2b\x2d-\x7e]/.test(key);
}
