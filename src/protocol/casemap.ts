/**
 * Case-insensitive comparison of nicks and channel names.
 * https://modern.ircdocs.horse/#casemapping-parameter
 *
 * - ascii:          A-Z are the upper case of a-z
 * - rfc1459:        also []\~ are the upper case of {}|^ (the historical Scandinavian mapping)
 * - strict-rfc1459: like rfc1459 but without ~ and ^
 */
export const CASEMAPPINGS = ['rfc1459', 'strict-rfc1459', 'ascii'] as const;
export type Casemapping = (typeof CASEMAPPINGS)[number];

export type Folder = (text: string) => string;

export function makeFolder(casemapping: Casemapping): Folder {
  const table = new Uint16Array(128);
  for (let c = 0; c < 128; c++) table[c] = c;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = c + 0x20;
  if (casemapping !== 'ascii') {
    table[0x5b] = 0x7b; // [ -> {
    table[0x5c] = 0x7c; // \ -> |
    table[0x5d] = 0x7d; // ] -> }
    if (casemapping === 'rfc1459') table[0x7e] = 0x5e; // ~ -> ^
  }
  return (text: string): string => {
    const n = text.length;
    let k = 0;
    // Fast path: most names are already folded, so return the same string.
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c < 128 && table[c] !== c) break;
    }
    if (k === n) return text;
    let out = text.slice(0, k);
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      out += c < 128 ? String.fromCharCode(table[c] as number) : text[k];
    }
    return out;
  };
}
