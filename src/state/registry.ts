/**
 * The server's view of who is here: users by casefolded nick, channels by
 * casefolded name, and the counters LUSERS reports. Every method is
 * synchronous, so each command sees and leaves a consistent state.
 *
 * In a single-node setup this is also the NameDirectory: the authority on
 * which nick and channel names are taken.
 */
import { makeFolder, type Casemapping, type Folder } from '../protocol/casemap.js';
import {
  type BudgetLimits,
  type BudgetRefusal,
  channelMetadataCost,
  INVITE_COST,
  listEntryCost,
  markerCost,
  metadataCost,
  monitorCost,
  own,
  StateBudget,
  subscriptionCost,
  topicCost,
} from './budget.js';
import { Channel } from './channel.js';
import { EndpointGroup, User } from './user.js';

const EMPTY: ReadonlySet<User> = new Set();

/** Something stored and who is charged for it (see state/budget.ts). */
type Visit = (owner: string, bytes: number) => void;

/**
 * Everything stored in `channel` that is charged to someone: the channel
 * itself, its topic, list entries, metadata and pending invites. One walk,
 * for crediting a channel that goes and for recounting the budget.
 */
function channelCharges(channel: Channel, visit: Visit): void {
  visit(channel.owner, channel.ownerCost);
  if (channel.topicOwner !== '') visit(channel.topicOwner, topicCost(channel.topic, channel.topicSetBy));
  for (const list of Object.values(channel.lists)) for (const entry of list) visit(entry.owner, listEntryCost(entry.mask, entry.setBy));
  for (const [key, owner] of channel.metadataOwners) visit(owner, channelMetadataCost(key, channel.metadata.get(key) ?? ''));
  for (const inviter of channel.invited.values()) visit(inviter, INVITE_COST);
}

/** What a user holds on their own record (metadata, read markers, subscriptions); MONITOR is credited by unmonitor. */
function userCharges(user: User, visit: Visit): void {
  for (const [key, value] of user.metadata) visit(user.id, metadataCost(key, value));
  for (const [target, value] of user.readMarkers) visit(user.id, markerCost(target, value));
  const endpoint = user.endpoint;
  // Each session of a user with several (multiclient) was charged for its own subscriptions.
  const sessions = endpoint instanceof EndpointGroup ? endpoint.members : endpoint === null ? [] : [endpoint];
  for (const session of sessions) for (const key of session.metadataSubs) visit(user.id, subscriptionCost(key));
}

export class Registry {
  readonly fold: Folder;
  /** Every claimed nick, including those of users still registering. */
  private readonly nicks = new Map<string, User>();
  readonly channels = new Map<string, Channel>();
  /** Casefolded nick -> users monitoring it (MONITOR). */
  private readonly watchers = new Map<string, Set<User>>();
  /** Registered users, in registration order. */
  readonly users = new Set<User>();
  /** Registered users by network-wide id, for events from other nodes (bus/events.ts). */
  private readonly ids = new Map<string, User>();
  private invisible = 0;
  private opers = 0;
  /** Highest number of registered users seen at once. */
  maxUsers = 0;
  /** Connections not registered yet on each other node (LUSERS 253 adds those of nodes of this server). */
  readonly nodeUnknown = new Map<string, number>();
  /** Registered users of this server (this node, and other nodes with its name: its workers), and the most seen at once. */
  localUsers = 0;
  maxLocalUsers = 0;
  /** The other nodes of the network known now: node id -> server name (LUSERS, WHOIS, netsplits). */
  readonly nodes = new Map<string, string>();
  /** Told when a channel ceases to exist (its last member left), e.g. to free its name in the network's directory. */
  onChannelGone: ((channel: Channel) => void) | null = null;
  /** Bytes of stored state charged to each user (state/budget.ts); commands charge, removals here credit. */
  readonly budget = new StateBudget();

  constructor(readonly casemapping: Casemapping) {
    this.fold = makeFolder(casemapping);
  }

  get userCount(): number {
    return this.users.size;
  }

  get invisibleCount(): number {
    return this.invisible;
  }

  get operCount(): number {
    return this.opers;
  }

  /** A registered user by nick. */
  findUser(nick: string): User | undefined {
    const user = this.nicks.get(this.fold(nick));
    return user?.registered ? user : undefined;
  }

  /** Servers of the network other than the one called `name` (nodes sharing a name are one server). */
  otherServers(name: string): number {
    const names = new Set(this.nodes.values());
    names.delete(name);
    return names.size;
  }

  /** Connections not registered yet on the other nodes called `name` (the workers of this server). */
  unknownOn(name: string): number {
    let count = 0;
    for (const [node, unknown] of this.nodeUnknown) if (this.nodes.get(node) === name) count += unknown;
    return count;
  }

  /** A registered user by network-wide id. */
  byId(id: string): User | undefined {
    return this.ids.get(id);
  }

  /** Whoever holds `nick` here, registered or not. */
  nickHolder(nick: string): User | undefined {
    return this.nicks.get(this.fold(nick));
  }

  /** May `user` take `nick`: nobody else (registered or not) holds it? */
  nickFreeFor(user: User, nick: string): boolean {
    const holder = this.nicks.get(this.fold(nick));
    return holder === undefined || holder === user;
  }

  findChannel(name: string): Channel | undefined {
    return this.channels.get(this.fold(name));
  }

  /**
   * Take `nick` for `user` (registered or not), releasing their old one.
   * Returns false when somebody else holds it. A change of case only is allowed.
   */
  claimNick(user: User, nick: string): boolean {
    const folded = this.fold(nick);
    const holder = this.nicks.get(folded);
    if (holder !== undefined && holder !== user) return false;
    if (this.nicks.get(user.folded) === user) this.nicks.delete(user.folded);
    const kept = own(folded);
    this.nicks.set(kept, user);
    // Most nicks are their own casefold: one string serves both.
    user.setNick(nick === folded ? kept : own(nick), kept);
    return true;
  }

  /** Give up an unregistered user's nick (the network refused it): they are `*` again until the next NICK. */
  dropNick(user: User): void {
    if (user.registered) return;
    if (this.nicks.get(user.folded) === user) this.nicks.delete(user.folded);
    user.setNick('*', '*');
  }

  /** Every user (of any node) logged into the account whose casefolded name is `folded`. */
  loggedInAs(folded: string): User[] {
    const found: User[] = [];
    for (const user of this.users) if (user.account !== null && this.fold(user.account) === folded) found.push(user);
    return found;
  }

  /** The user finished registration: count them. */
  register(user: User, now: number): void {
    user.registered = true;
    user.signonAt = now;
    user.nickSince = now * 1000;
    user.lastSpokeAt = now;
    this.users.add(user);
    this.ids.set(user.id, user);
    if (user.server === null && ++this.localUsers > this.maxLocalUsers) this.maxLocalUsers = this.localUsers;
    if (user.isInvisible) this.invisible++;
    if (user.isOper) this.opers++;
    if (this.users.size > this.maxUsers) this.maxUsers = this.users.size;
  }

  /**
   * Forget a user entirely: their channels (removing those left empty),
   * invites, MONITOR list, metadata, read markers and subscriptions (credited
   * to them), nick, the counters. What they set in channels that remain
   * stays charged to them until it goes.
   */
  remove(user: User): void {
    // Once: a QUIT's effect forgets a user before the server releases their connection.
    if (user.forgotten) return;
    user.forgotten = true;
    this.clearMonitor(user);
    for (const channel of user.channels) this.leave(user, channel);
    for (const channel of user.invitedTo) this.dropInvite(channel, user);
    if (user.invitedTo.size > 0) user.editableInvites().clear();
    userCharges(user, (owner, bytes) => this.budget.credit(owner, bytes));
    if (user.metadata.size > 0) user.editableMetadata().clear();
    if (user.readMarkers.size > 0) user.editableReadMarkers().clear();
    if (this.nicks.get(user.folded) === user) this.nicks.delete(user.folded);
    if (this.ids.get(user.id) === user) this.ids.delete(user.id);
    if (this.users.delete(user)) {
      if (user.server === null) this.localUsers--;
      if (user.isInvisible) this.invisible--;
      if (user.isOper) this.opers--;
    }
  }

  /**
   * Charge `bytes` of stored state to `owner` if the limits allow: null, or
   * the limit that refused (nothing charged). A local user's read markers are
   * a cache: their oldest are forgotten first to make room.
   */
  store(owner: { readonly id: string }, bytes: number, limits: BudgetLimits): BudgetRefusal | null {
    let refusal = this.budget.tryCharge(owner.id, bytes, limits);
    while (refusal !== null && owner instanceof User && this.forgetOldestMarker(owner)) refusal = this.budget.tryCharge(owner.id, bytes, limits);
    return refusal;
  }

  /**
   * Set `channel`'s topic ('' clears it), charged to `setter` as whoever set
   * it last: the previous setter is credited. A local change (with `limits`)
   * is refused when the setter cannot store it, and nothing changes; a
   * trusted one (another node's, checked there) is charged whatever the
   * limits. Returns whether anything changed: the same topic from the same
   * setter at the same second changes nothing.
   */
  setTopic(
    channel: Channel,
    topic: string,
    setter: { readonly id: string; readonly mask: string },
    setAt: number,
    options: { trusted: false; limits: BudgetLimits } | { trusted: true },
  ): boolean | { refused: 'storage'; limit: BudgetRefusal } {
    if (channel.topicOwner === setter.id && channel.topic === topic && channel.topicSetBy === setter.mask && channel.topicSetAt === setAt) return false;
    const oldCost = channel.topicOwner === '' ? 0 : topicCost(channel.topic, channel.topicSetBy);
    this.budget.credit(channel.topicOwner, oldCost);
    const cost = topicCost(topic, setter.mask);
    if (options.trusted) {
      this.budget.charge(setter.id, cost);
    } else {
      const limit = this.store(setter, cost, options.limits);
      if (limit !== null) {
        this.budget.charge(channel.topicOwner, oldCost);
        return { refused: 'storage', limit };
      }
    }
    channel.topic = own(topic);
    channel.topicSetBy = own(setter.mask);
    channel.topicSetAt = setAt;
    channel.topicOwner = setter.id;
    return true;
  }

  /** Forget `user`'s read marker set longest ago, crediting it; false if they have none. */
  forgetOldestMarker(user: User): boolean {
    const first = user.readMarkers.entries().next();
    if (first.done) return false;
    const [target, value] = first.value;
    user.editableReadMarkers().delete(target);
    this.budget.credit(user.id, markerCost(target, value));
    return true;
  }

  /** Set or clear a user mode, keeping the invisible and oper counters right. Returns whether it changed. */
  setUserMode(user: User, mode: string, on: boolean): boolean {
    if (user.hasMode(mode) === on) return false;
    user.setMode(mode, on);
    if (user.registered) {
      const delta = on ? 1 : -1;
      if (mode === 'i') this.invisible += delta;
      if (mode === 'o') this.opers += delta;
    }
    return true;
  }

  /** Add `nick` to `user`'s MONITOR list. */
  monitor(user: User, nick: string): void {
    const folded = this.fold(nick);
    if (user.monitoring.has(folded)) return;
    const kept = own(folded);
    user.editableMonitoring().set(kept, own(nick));
    let set = this.watchers.get(folded);
    if (!set) this.watchers.set(kept, (set = new Set()));
    set.add(user);
  }

  unmonitor(user: User, nick: string): void {
    const folded = this.fold(nick);
    const nickGiven = user.monitoring.get(folded);
    if (nickGiven === undefined) return;
    user.editableMonitoring().delete(folded);
    this.budget.credit(user.id, monitorCost(folded, nickGiven));
    const set = this.watchers.get(folded);
    if (!set) return;
    set.delete(user);
    if (set.size === 0) this.watchers.delete(folded);
  }

  clearMonitor(user: User): void {
    for (const folded of [...user.monitoring.keys()]) this.unmonitor(user, folded);
  }

  /**
   * Everything that must hold between the maps, as a list of violations
   * (empty when all is well). For tests and the fuzzer; O(size of the state).
   */
  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const [folded, channel] of this.channels) {
      if (channel.folded !== folded) problems.push(`channel ${channel.name} is filed under ${folded}`);
      if (channel.members.size === 0 && channel.registration === null) problems.push(`channel ${channel.name} is empty but exists`);
      for (const member of channel.members.keys()) {
        if (!this.users.has(member)) problems.push(`${channel.name} has ${member.nick}, who is not a registered user`);
        if (!member.channels.has(channel)) problems.push(`${channel.name} has ${member.nick}, whose channels miss it`);
      }
    }
    let invisible = 0;
    let opers = 0;
    for (const user of this.users) {
      if (!user.registered) problems.push(`${user.nick} is listed as a user but not registered`);
      if (this.nicks.get(user.folded) !== user) problems.push(`${user.nick} is not filed under its nick ${user.folded}`);
      if (this.fold(user.nick) !== user.folded) problems.push(`${user.nick} has the stale fold ${user.folded}`);
      for (const channel of user.channels) {
        if (this.channels.get(channel.folded) !== channel) problems.push(`${user.nick} is on ${channel.name}, which is not in the registry`);
        if (!channel.members.has(user)) problems.push(`${user.nick} lists ${channel.name}, which does not list them`);
      }
      if (user.isInvisible) invisible++;
      if (user.isOper) opers++;
    }
    for (const [folded, user] of this.nicks) if (user.folded !== folded) problems.push(`nick ${folded} points at ${user.nick}`);
    if (invisible !== this.invisible) problems.push(`invisible count ${this.invisible}, actual ${invisible}`);
    if (opers !== this.opers) problems.push(`oper count ${this.opers}, actual ${opers}`);
    for (const [folded, watchers] of this.watchers) {
      if (watchers.size === 0) problems.push(`empty watcher set for ${folded}`);
      for (const watcher of watchers) if (!watcher.monitoring.has(folded)) problems.push(`${watcher.nick} watches ${folded} without listing it`);
    }
    problems.push(...this.checkBudget());
    return problems;
  }

  /**
   * The budget against a recount of everything stored. Given every user
   * connected (`allUsers`, registered or not), it checks each owner and the
   * total: users gone own only what channels still hold. Without it, the
   * registry does not know connections that have not claimed a nick yet, so
   * it checks only the owners it can see (users with a nick, and owners of
   * what channels hold).
   */
  checkBudget(allUsers?: Iterable<User>): string[] {
    const complete = allUsers !== undefined;
    const found: string[] = [];
    const counted = new Map<string, number>();
    const add = (owner: string, bytes: number) => {
      if (bytes !== 0 && owner !== '') counted.set(owner, (counted.get(owner) ?? 0) + bytes);
    };
    for (const channel of this.channels.values()) {
      channelCharges(channel, add);
      if (channel.metadataOwners.size !== channel.metadata.size) found.push(`${channel.name} has ${channel.metadata.size} metadata keys but ${channel.metadataOwners.size} owners`);
    }
    const users = new Set<User>([...this.users, ...(allUsers ?? this.nicks.values())]);
    for (const user of users) {
      userCharges(user, add);
      for (const [folded, nick] of user.monitoring) add(user.id, monitorCost(folded, nick));
    }
    let total = 0;
    for (const [owner, bytes] of counted) {
      total += bytes;
      if (this.budget.charged(owner) !== bytes) found.push(`budget: ${owner} is charged ${this.budget.charged(owner)} bytes, holds ${bytes}`);
    }
    const seen = new Set([...users].map((user) => user.id));
    for (const [owner, bytes] of this.budget.entries()) {
      if (!counted.has(owner) && (complete || seen.has(owner))) found.push(`budget: ${owner} is charged ${bytes} bytes, holds nothing`);
    }
    if (complete && total !== this.budget.total) found.push(`budget: total ${this.budget.total} bytes, stored ${total}`);
    return found;
  }

  /** Users monitoring the (casefolded) nick. */
  watchersOf(folded: string): ReadonlySet<User> {
    return this.watchers.get(folded) ?? EMPTY;
  }

  /** The channel called `name`, created (empty) if it does not exist yet. */
  channelFor(name: string, now: number): { channel: Channel; created: boolean } {
    const folded = this.fold(name);
    const existing = this.channels.get(folded);
    if (existing) return { channel: existing, created: false };
    const channel = new Channel(name, folded, now);
    this.channels.set(folded, channel);
    return { channel, created: true };
  }

  join(user: User, channel: Channel, status: number): void {
    channel.members.set(user, status);
    this.dropInvite(channel, user);
    if (user.invitedTo.has(channel)) user.editableInvites().delete(channel);
    user.editableChannels().add(channel);
  }

  /** Invite `user` to `channel` on behalf of the user with id `inviter` (charged INVITE_COST by the caller; '' for nobody). */
  invite(user: User, channel: Channel, inviter = ''): void {
    channel.invited.set(user, inviter);
    user.editableInvites().add(channel);
  }

  /** Forget `user`'s invite to `channel`, crediting whoever sent it. */
  private dropInvite(channel: Channel, user: User): void {
    const inviter = channel.invited.get(user);
    if (inviter === undefined) return;
    channel.invited.delete(user);
    this.budget.credit(inviter, INVITE_COST);
  }

  /**
   * Remove `user` from `channel`; an empty channel ceases to exist (unless
   * registered), with its pending invites, and everything stored in it is
   * credited to its owners.
   */
  leave(user: User, channel: Channel): void {
    channel.members.delete(user);
    user.leftChannel(channel);
    this.dropIfEmpty(channel);
  }

  /**
   * An empty channel that is not registered ceases to exist (a registered
   * one keeps its topic and modes for its next member); true if it went.
   */
  dropIfEmpty(channel: Channel): boolean {
    if (channel.members.size > 0 || channel.registration !== null || this.channels.get(channel.folded) !== channel) return false;
    this.channels.delete(channel.folded);
    // Everything stored in it is credited to its owners, pending invites included.
    channelCharges(channel, (owner, bytes) => this.budget.credit(owner, bytes));
    for (const invitee of channel.invited.keys()) invitee.editableInvites().delete(channel);
    channel.invited.clear();
    this.onChannelGone?.(channel);
    return true;
  }

  /**
   * Call `visit` once for each user sharing a channel with `user`. Without a
   * set when the user is in one channel (the common case, and the one a
   * channel full of leavers makes quadratic).
   */
  forEachPeer(user: User, visit: (peer: User) => void): void {
    if (user.channels.size === 1) {
      for (const channel of user.channels) for (const member of channel.members.keys()) if (member !== user) visit(member);
      return;
    }
    if (user.channels.size > 1) for (const peer of this.peersOf(user)) visit(peer);
  }

  /** Everyone sharing at least one channel with `user`, each once, without `user`. */
  peersOf(user: User): Set<User> {
    const peers = new Set<User>();
    for (const channel of user.channels) for (const member of channel.members.keys()) peers.add(member);
    peers.delete(user);
    return peers;
  }
}
