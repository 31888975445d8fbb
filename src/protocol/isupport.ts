/**
 * RPL_ISUPPORT (005) tokens. https://modern.ircdocs.horse/#rplisupport-005
 */
export type IsupportValue = string | number | true;

/** `KEY=value`, or a bare `KEY` for true. Values escape space, backslash and '=' as \xHH. */
export function formatIsupportToken(key: string, value: IsupportValue): string {
  if (value === true) return key;
  const text = String(value).replace(/[\\ =]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${key}=${text}`;
}

/** Split tokens into groups small enough for one 005 line each. */
export function chunkIsupport(tokens: readonly string[], perLine = 13): string[][] {
  const lines: string[][] = [];
  for (let k = 0; k < tokens.length; k += perLine) lines.push(tokens.slice(k, k + perLine));
  return lines;
}
