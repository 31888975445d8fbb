/**
 * The keys history is stored under.
 *
 * A channel's conversation is its casefolded name. A direct conversation is
 * named by its two sides in sorted order, joined by a space: a side is `~`
 * and the casefolded account for a user logged in, else the casefolded nick
 * (`~alice bob`, `~alice ~carol`; to oneself `~alice ~alice`). A casefolded
 * nick never holds `~` (rfc1459 folds it to `^`; the other mappings do not
 * allow it), nor a space, nor starts with a channel prefix, so the three
 * kinds never collide.
 *
 * Keying by account lets every client of an account, and the same person
 * next week, read their conversations back; a nick side is what an
 * unregistered correspondent has. A direct message is stored only when at
 * least one side is logged in (as Ergo does): two strangers' nicks are taken
 * by others tomorrow, and nothing would tie the history to them.
 */
import type { Folder } from '../protocol/casemap.js';

/** The side a user is in a direct conversation: `~account` when logged in, else the casefolded nick. */
export function sideOf(user: { readonly account: string | null; readonly folded: string }, fold: Folder): string {
  return user.account !== null ? `~${fold(user.account)}` : user.folded;
}

export function isAccountSide(side: string): boolean {
  return side.startsWith('~');
}

/** The key of the conversation between two sides, the same whichever sends. */
export function conversationKey(a: string, b: string): string {
  return a <= b ? `${a} ${b}` : `${b} ${a}`;
}

/** The two sides as HistoryEntry.peers holds them (sorted, like the key). */
export function peersOf(a: string, b: string): [string, string] {
  return a <= b ? [a, b] : [b, a];
}
