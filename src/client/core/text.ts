/** Small pure helpers shared by the model, commands and UIs. */

/** RFC 1459 casemapping: ASCII letters plus []\~ fold to {}|^. */
export function casefold(name: string): string {
  return name.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c] ?? c);
}

/** Channel names start with one of these (the server's CHANTYPES when known). */
export const DEFAULT_CHANTYPES = '#&';

export function isChannelName(name: string, chantypes = DEFAULT_CHANTYPES): boolean {
  return name.length > 0 && chantypes.includes(name[0] as string);
}

/** `2026-12-02T21:00:00Z`: ISO 8601 in UTC, to the second (the line-mode time field). */
export function isoSeconds(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `21:00` in local time (the full-screen time column). */
export function clockTime(time: number): string {
  const d = new Date(time);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Does `text` mention `nick` as a word (case-insensitively)? */
export function mentions(text: string, nick: string): boolean {
  if (nick === '') return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_\\-\\[\\]\\\\^{}|\`])${escaped}($|[^A-Za-z0-9_\\-\\[\\]\\\\^{}|\`])`, 'i').test(text);
}
