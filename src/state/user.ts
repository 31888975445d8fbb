/**
 * A user as the rest of the network sees it. Local users have an endpoint
 * (their session); users of other nodes (later, over the bus) have none and an
 * origin naming their node.
 */
import type { Outgoing } from '../protocol/outgoing.js';
import { own } from './budget.js';
import type { Channel } from './channel.js';

/** Where messages for a user go. The server's session implements it; tests use a recorder. */
export interface Endpoint {
  /** The capabilities the client negotiated (bits of protocol/caps.ts CAP). */
  readonly capMask: number;
  /** draft/metadata-3 keys the client subscribed to. */
  readonly metadataSubs: ReadonlySet<string>;
  send(out: Outgoing): void;
}

/**
 * The endpoint of a user with several sessions (multiclient), or of an
 * always-on user with none: a line sent to it goes to every member, each
 * rendering it with its own capabilities. A user with one session has that
 * session as its endpoint, not a group of one, so the common delivery path
 * has no loop. Fan-out (network/fanout.ts) picks per member, since what a
 * Pick chooses depends on each member's capabilities.
 */
export class EndpointGroup implements Endpoint {
  readonly members: Endpoint[];

  constructor(members: Endpoint[] = []) {
    this.members = members;
  }

  /** Any member's capabilities: a line gated on one goes to the group, then each member renders or is skipped as its own mask says. */
  get capMask(): number {
    let mask = 0;
    for (const member of this.members) mask |= member.capMask;
    return mask;
  }

  get metadataSubs(): ReadonlySet<string> {
    if (this.members.length === 1) return (this.members[0] as Endpoint).metadataSubs;
    const subs = new Set<string>();
    for (const member of this.members) for (const key of member.metadataSubs) subs.add(key);
    return subs;
  }

  send(out: Outgoing): void {
    for (const member of this.members) member.send(out);
  }
}

/** How many sessions are attached to `user` (0 for an always-on user with none, or a user of another node). */
export function sessionCount(user: User): number {
  const endpoint = user.endpoint;
  if (endpoint === null) return 0;
  return endpoint instanceof EndpointGroup ? endpoint.members.length : 1;
}

/**
 * May a connection logged into `account` attach to `holder` (a user holding
 * the nick it asked for, or found by account) instead of becoming a user of
 * its own? Only a registered local user of the same account, and with
 * multiclient off only an always-on user with no session attached.
 */
export function mayAttach(holder: User | undefined, account: string | null, fold: (name: string) => string, multiclient: boolean): holder is User {
  if (holder === undefined || account === null || holder.account === null) return false;
  if (!holder.registered || holder.forgotten || holder.server !== null || holder.endpoint === null) return false;
  if (fold(holder.account) !== fold(account)) return false;
  return multiclient || (holder.alwaysOn && sessionCount(holder) === 0);
}

/** What a user's lazily made collections read as before their first write (never written). */
const NO_CHANNELS: ReadonlySet<Channel> = new Set();
const NO_INVITES: ReadonlySet<Channel> = new Set();
const NO_ENTRIES: ReadonlyMap<string, string> = new Map();

/** User modes Obrol knows: bot, invisible, operator, wallops. */
export const USER_MODES = 'Biow';

export class User {
  nick = '*';
  /** The casefolded nick: the key of the registry's nick map. */
  folded = '*';
  username = '';
  realname = '';
  /** Shown to other users. */
  host: string;
  /** The real address, shown only to opers and the user themself. */
  readonly ip: string;
  /** The user modes set, as letters in USER_MODES order (a string costs less than a Set per user). */
  private modeLetters = '';
  away: string | null = null;
  /** Services account name; always null until accounts exist (account-tag, extended-join, WHOX). */
  account: string | null = null;
  // Many users are in no channel (yet), and most never get an invite, keep a
  // MONITOR list, set metadata or read markers: those collections are made on
  // first write (an empty Set or Map costs about 200 bytes, a tenth of an
  // idle client). Until then readers get a shared empty one; writers ask for
  // the editable...() one.
  private joined: Set<Channel> | null = null;
  private invites: Set<Channel> | null = null;
  private monitors: Map<string, string> | null = null;
  private meta: Map<string, string> | null = null;
  private markers: Map<string, string> | null = null;
  registered = false;
  /** Removed from the registry (it gave back all it was charged): a second removal does nothing. */
  forgotten = false;
  /** Connected over TLS; the client certificate's fingerprint, if it presented one. */
  secure = false;
  certfp: string | null = null;
  /** Unix seconds. */
  signonAt = 0;
  /**
   * Unix milliseconds since the user has had this nick (registration, the
   * last NICK, a logout): a user not logged in reads direct-message history
   * only from then on, since the nick was someone else's before.
   */
  nickSince = 0;
  /** Unix seconds of the last message sent (for WHOIS idle). */
  lastSpokeAt = 0;
  /** The server name of the node a user of another node is connected to; null for this node's users. */
  server: string | null = null;
  /** Always-on (accounts.always_on): the user stays, in its channels, when its last session leaves. */
  alwaysOn = false;
  /** The oper block name after a successful OPER. */
  operName: string | null = null;
  private cachedMask: string | null = null;

  constructor(
    readonly id: string,
    ip: string,
    host: string,
    readonly origin: string,
    public endpoint: Endpoint | null,
  ) {
    this.ip = ip;
    this.host = host;
  }

  /** The channels this user is in (the registry's join and leave keep it). */
  get channels(): ReadonlySet<Channel> {
    return this.joined ?? NO_CHANNELS;
  }

  /** For the registry's join. */
  editableChannels(): Set<Channel> {
    return (this.joined ??= new Set());
  }

  /** For the registry's leave: the set goes with the last channel, so a user who parted everything costs no more than one who never joined. */
  leftChannel(channel: Channel): void {
    if (this.joined === null) return;
    this.joined.delete(channel);
    if (this.joined.size === 0) this.joined = null;
  }

  /** Channels holding an unused invite for this user (so it can be dropped when they leave). */
  get invitedTo(): ReadonlySet<Channel> {
    return this.invites ?? NO_INVITES;
  }

  editableInvites(): Set<Channel> {
    return (this.invites ??= new Set());
  }

  /** This user's MONITOR list: casefolded nick -> the nick as they gave it. */
  get monitoring(): ReadonlyMap<string, string> {
    return this.monitors ?? NO_ENTRIES;
  }

  editableMonitoring(): Map<string, string> {
    return (this.monitors ??= new Map());
  }

  /** draft/metadata-3 key -> value. */
  get metadata(): ReadonlyMap<string, string> {
    return this.meta ?? NO_ENTRIES;
  }

  editableMetadata(): Map<string, string> {
    return (this.meta ??= new Map());
  }

  /** draft/read-marker: casefolded target -> `timestamp=...` of the last message read. */
  get readMarkers(): ReadonlyMap<string, string> {
    return this.markers ?? NO_ENTRIES;
  }

  editableReadMarkers(): Map<string, string> {
    return (this.markers ??= new Map());
  }

  /** nick!user@host, the source of everything this user sends. */
  get mask(): string {
    // Flattened (own copies it): the concatenation would be kept as a rope of three strings.
    if (this.cachedMask === null) this.cachedMask = own(`${this.nick}!${this.username}@${this.host}`);
    return this.cachedMask;
  }

  setNick(nick: string, folded: string): void {
    this.nick = nick;
    this.folded = folded;
    this.cachedMask = null;
  }

  setUsername(username: string): void {
    this.username = username;
    this.cachedMask = null;
  }

  setHost(host: string): void {
    this.host = host;
    this.cachedMask = null;
  }

  /** Change username and host together (CHGHOST, or another node's user.host event). Returns whether either changed. */
  setUserHost(username: string, host: string): boolean {
    if (username === this.username && host === this.host) return false;
    this.username = own(username);
    this.host = own(host);
    this.cachedMask = null;
    return true;
  }

  /** Set the away message, or null for back. Returns whether it changed. */
  setAway(message: string | null): boolean {
    if (message === this.away) return false;
    this.away = message === null ? null : own(message);
    return true;
  }

  /** Returns whether the realname changed. */
  setRealname(realname: string): boolean {
    if (realname === this.realname) return false;
    this.realname = own(realname);
    return true;
  }

  hasMode(mode: string): boolean {
    return mode.length === 1 && this.modeLetters.includes(mode);
  }

  /** Set or clear one of USER_MODES (the registry's setUserMode keeps its counters right). */
  setMode(mode: string, on: boolean): void {
    let letters = '';
    for (const m of USER_MODES) if (m === mode ? on : this.modeLetters.includes(m)) letters += m;
    this.modeLetters = letters;
  }

  get hasModes(): boolean {
    return this.modeLetters !== '';
  }

  get isOper(): boolean {
    return this.hasMode('o');
  }

  get isInvisible(): boolean {
    return this.hasMode('i');
  }

  get isBot(): boolean {
    return this.hasMode('B');
  }

  /** `+iw` style, sorted in USER_MODES order; `+` alone when none. */
  modeString(): string {
    return `+${this.modeLetters}`;
  }
}
