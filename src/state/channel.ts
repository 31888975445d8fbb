/**
 * A channel: its members with their status, its modes, lists and topic, and
 * the rules for who may join and who may speak. Pure and synchronous.
 */
import type { Folder } from '../protocol/casemap.js';
import { wildcardMatch } from '../protocol/wildcard.js';
import type { User } from './user.js';

/** Member status bits, highest rank first. */
export const OP = 1;
export const VOICE = 2;

/** Status modes in rank order, their bits and their NAMES prefixes (PREFIX=(ov)@+). */
export const STATUS_MODES = [
  { mode: 'o', bit: OP, prefix: '@' },
  { mode: 'v', bit: VOICE, prefix: '+' },
] as const;

/**
 * Channel modes without a parameter (CHANMODES type D): C no CTCP but ACTION,
 * i invite only, m moderated, n no external messages, s secret, t topic by ops.
 */
export const FLAG_MODES = 'Cimnst';
/** List modes (type A): bans, ban exceptions, invite exceptions. */
export const LIST_MODES = 'beI';
export type ListMode = 'b' | 'e' | 'I';

export interface ListEntry {
  mask: string;
  setBy: string;
  setAt: number;
  /**
   * Set by a server operator, who may see real addresses: only then does the
   * mask also match a cloaked user's real address. A channel operator's mask
   * matching it would let them bisect a member's address with bans.
   */
  byOper: boolean;
  /** The id of the user charged for it (state/budget.ts): who set it. */
  owner: string;
}

/**
 * A channel registered with ChanServ: who founded it and the auto-modes of
 * accounts (casefolded account -> status letters, e.g. "o"). A registered
 * channel outlives its last member; its state is kept in the store
 * (network/registered.ts).
 */
export interface Registration {
  /** The founder's account, casefolded. */
  founder: string;
  /** Unix milliseconds. */
  registeredAt: number;
  amodes: Record<string, string>;
}

export type JoinRefusal = 'banned' | 'invite-only' | 'bad-key' | 'full';
export type SpeakRefusal = 'no-external' | 'moderated' | 'banned' | 'no-ctcp';

/** A CTCP request is a message wrapped in \x01 (https://modern.ircdocs.horse/ctcp.html). */
function isCtcp(text: string): boolean {
  return text.charCodeAt(0) === 1;
}

export class Channel {
  topic = '';
  topicSetBy = '';
  topicSetAt = 0;
  /** The id of the user charged for the topic, or '' when none was ever set. */
  topicOwner = '';
  /** The id of the user charged for the channel itself (who created it), and what they were charged. */
  owner = '';
  ownerCost = 0;
  /** Member -> status bits (OP, VOICE). Insertion order is join order. */
  readonly members = new Map<User, number>();
  readonly flags = new Set<string>();
  key: string | null = null;
  limit: number | null = null;
  readonly lists: Record<ListMode, ListEntry[]> = { b: [], e: [], I: [] };
  /** Users invited since they last joined (an invite lets them past +i), with the id of who invited them. */
  readonly invited = new Map<User, string>();
  /** draft/metadata-3 key -> value. */
  readonly metadata = new Map<string, string>();
  /** draft/metadata-3 key -> the id of the user charged for it (who set it). */
  readonly metadataOwners = new Map<string, string>();
  /** Set while the channel is registered with ChanServ: it then exists even when empty. */
  registration: Registration | null = null;

  constructor(
    public name: string,
    public folded: string,
    /** Unix seconds. */
    readonly createdAt: number,
  ) {}

  /** Entries of the b, e and I lists together (limits.list_entries bounds it). */
  get listEntryCount(): number {
    return this.lists.b.length + this.lists.e.length + this.lists.I.length;
  }

  has(user: User): boolean {
    return this.members.has(user);
  }

  status(user: User): number {
    return this.members.get(user) ?? 0;
  }

  isOp(user: User): boolean {
    return (this.status(user) & OP) !== 0;
  }

  /** Op or voice: may speak through +m and bans. */
  isVoicedOrOp(user: User): boolean {
    return (this.status(user) & (OP | VOICE)) !== 0;
  }

  /** The NAMES prefix of a member: only the highest, or all of them for multi-prefix. */
  prefixOf(user: User, all = false): string {
    const bits = this.status(user);
    if (bits === 0) return '';
    let out = '';
    for (const s of STATUS_MODES) {
      if ((bits & s.bit) === 0) continue;
      if (!all) return s.prefix;
      out += s.prefix;
    }
    return out;
  }

  /**
   * Does any entry of list `mode` match this user, by the host others see or,
   * for entries a server operator set, by the real address (so an oper's ban
   * on an IP block works with cloaked hosts)? Masks are stored as given and
   * folded here.
   */
  matchesList(mode: ListMode, user: User, fold: Folder): boolean {
    const list = this.lists[mode];
    if (list.length === 0) return false;
    const visible = fold(user.mask);
    const real = user.host === user.ip ? null : fold(`${user.nick}!${user.username}@${user.ip}`);
    for (const entry of list) {
      const mask = fold(entry.mask);
      if (wildcardMatch(mask, visible) || (entry.byOper && real !== null && wildcardMatch(mask, real))) return true;
    }
    return false;
  }

  isBanned(user: User, fold: Folder): boolean {
    return this.matchesList('b', user, fold) && !this.matchesList('e', user, fold);
  }

  /** Why `user` may not join with `key`, or null if they may. */
  joinRefusal(user: User, key: string | undefined, fold: Folder): JoinRefusal | null {
    // An invite from a member lets the user past every restriction, as InspIRCd's
    // invitebypassmodes does: the inviter vouched for them.
    if (this.invited.has(user)) return null;
    if (this.isBanned(user, fold)) return 'banned';
    if (this.flags.has('i') && !this.matchesList('I', user, fold)) return 'invite-only';
    if (this.key !== null && key !== this.key) return 'bad-key';
    if (this.limit !== null && this.members.size >= this.limit) return 'full';
    return null;
  }

  /** Why `user` may not send `text` to the channel, or null if they may. Ops and voiced users pass +m, bans and +C. */
  speakRefusal(user: User, text: string, fold: Folder): SpeakRefusal | null {
    const bits = this.members.get(user);
    if (bits === undefined && this.flags.has('n')) return 'no-external';
    if (bits !== undefined && (bits & (OP | VOICE)) !== 0) return null;
    if (this.flags.has('m')) return 'moderated';
    if (this.isBanned(user, fold)) return 'banned';
    if (this.flags.has('C') && isCtcp(text) && !text.startsWith('\x01ACTION ')) return 'no-ctcp';
    return null;
  }

  /** Secret channels are hidden from non-members in LIST, WHOIS, NAMES and WHO. */
  isVisibleTo(user: User): boolean {
    return !this.flags.has('s') || this.members.has(user);
  }

  /** `+ntk key` style mode string; the key and limit are shown to members only. */
  modeString(showParams: boolean): { modes: string; params: string[] } {
    let modes = '+';
    const params: string[] = [];
    for (const m of FLAG_MODES) if (this.flags.has(m)) modes += m;
    if (this.key !== null) {
      modes += 'k';
      if (showParams) params.push(this.key);
    }
    if (this.limit !== null) {
      modes += 'l';
      if (showParams) params.push(String(this.limit));
    }
    return { modes, params };
  }
}
