/**
 * Tab completion of the word before the cursor: `/` + command names at the
 * start of the line, channel names for words starting with a channel type,
 * nicks otherwise (a nick at the start of the line gets ": "). Pressing Tab
 * again cycles through the matches: pass back the state you were given.
 */
import { COMMANDS } from './commands.js';
import { casefold, DEFAULT_CHANTYPES } from './text.js';

export interface CompletionSources {
  /** Nicks to offer (the active channel's members, most relevant first). */
  nicks: string[];
  /** Channels to offer (the user's channels). */
  channels: string[];
  chantypes?: string;
}

export interface CompletionState {
  /** Where the completed word starts. */
  start: number;
  /** The matches, in cycling order. */
  matches: string[];
  /** Which match is shown now. */
  index: number;
  /** What followed the word (kept as it was). */
  after: string;
  /** The text before the word. */
  before: string;
  /** Suffix added after the match (': ' or ' '). */
  suffix: string;
}

export interface CompletionResult {
  text: string;
  cursor: number;
  state: CompletionState | null;
}

function render(state: CompletionState): CompletionResult {
  const word = (state.matches[state.index] as string) + state.suffix;
  const head = state.before + word;
  return { text: head + state.after, cursor: head.length, state };
}

/**
 * Complete at `cursor` in `text`. With `previous` (the state from the last
 * Tab, when nothing was typed since), move to the next match instead.
 */
export function complete(text: string, cursor: number, sources: CompletionSources, previous: CompletionState | null = null): CompletionResult {
  if (previous && previous.matches.length > 0) {
    return render({ ...previous, index: (previous.index + 1) % previous.matches.length });
  }
  const before = text.slice(0, cursor);
  const after = text.slice(cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const chantypes = sources.chantypes ?? DEFAULT_CHANTYPES;
  let candidates: string[];
  let prefix = word;
  let suffix = ' ';
  if (start === 0 && word.startsWith('/')) {
    candidates = COMMANDS.map((c) => `/${c.name}`);
  } else if (word !== '' && chantypes.includes(word[0] as string)) {
    candidates = sources.channels;
  } else {
    candidates = sources.nicks;
    if (start === 0) suffix = ': ';
  }
  if (word === '' && candidates === sources.nicks && start !== 0) prefix = '';
  const folded = casefold(prefix);
  const matches = [...new Set(candidates.filter((c) => casefold(c).startsWith(folded)))];
  if (matches.length === 0 || (word === '' && start === 0)) return { text, cursor, state: null };
  return render({ start, matches, index: 0, after: after.replace(/^(: | )/, ''), before: text.slice(0, start), suffix });
}
