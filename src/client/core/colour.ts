/**
 * Nick colours: a stable hash of the casefolded nick picks one of a fixed
 * palette, so a nick has the same colour in every window, session and UI.
 * The names are ones both Ink (chalk) and CSS understand.
 */
import { casefold } from './text.js';

export const NICK_PALETTE = [
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'redBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'cyanBright',
] as const;

export type NickColour = (typeof NICK_PALETTE)[number];

/** FNV-1a (32-bit) over the UTF-16 code units of the casefolded nick. */
export function nickHash(nick: string): number {
  let hash = 0x811c9dc5;
  const folded = casefold(nick);
  for (let i = 0; i < folded.length; i++) {
    hash ^= folded.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Index into NICK_PALETTE for `nick`. */
export function nickColourIndex(nick: string): number {
  return nickHash(nick) % NICK_PALETTE.length;
}

export function nickColour(nick: string): NickColour {
  return NICK_PALETTE[nickColourIndex(nick)] as NickColour;
}
