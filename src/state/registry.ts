/**
 * The server's view of who is here: users by casefolded nick, channels by
 * casefolded name, and the counters LUSERS reports. Every method is
 * synchronous, so each command sees and leaves a consistent state.
 *
 * In a single-node setup this is also the NameDirectory: the authority on
 * which nick and channel names are taken.
 */
import { makeFolder, type Casemapping, type Folder } from '../protocol/casemap.js';
import { Channel } from './channel.js';
import type { User } from './user.js';

const EMPTY: ReadonlySet<User> = new Set();

export class Registry {
  readonly fold: Folder;
  /** Every claimed nick, including those of users still registering. */
  private readonly nicks = new Map<string, User>();
  readonly channels = new Map<string, Channel>();
  /** Casefolded nick -> users monitoring it (MONITOR). */
  private readonly watchers = new Map<string, Set<User>>();
  /** Registered users, in registration order. */
  readonly users = new Set<User>();
  private invisible = 0;
  private opers = 0;
  /** Highest number of registered users seen at once. */
  maxUsers = 0;

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
    this.nicks.set(folded, user);
    user.setNick(nick, folded);
    return true;
  }

  /** The user finished registration: count them. */
  register(user: User, now: number): void {
    user.registered = true;
    user.signonAt = now;
    user.lastSpokeAt = now;
    this.users.add(user);
    if (user.isInvisible) this.invisible++;
    if (user.isOper) this.opers++;
    if (this.users.size > this.maxUsers) this.maxUsers = this.users.size;
  }

  /** Forget a user entirely: their channels (removing those left empty), invites, MONITOR list, nick, the counters. */
  remove(user: User): void {
    this.clearMonitor(user);
    for (const channel of user.channels) this.leave(user, channel);
    for (const channel of user.invitedTo) channel.invited.delete(user);
    if (user.invitedTo.size > 0) user.editableInvites().clear();
    if (this.nicks.get(user.folded) === user) this.nicks.delete(user.folded);
    if (this.users.delete(user)) {
      if (user.isInvisible) this.invisible--;
      if (user.isOper) this.opers--;
    }
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
    user.editableMonitoring().set(folded, nick);
    let set = this.watchers.get(folded);
    if (!set) this.watchers.set(folded, (set = new Set()));
    set.add(user);
  }

  unmonitor(user: User, nick: string): void {
    const folded = this.fold(nick);
    if (!user.monitoring.has(folded)) return;
    user.editableMonitoring().delete(folded);
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
      if (channel.members.size === 0) problems.push(`channel ${channel.name} is empty but exists`);
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
    return problems;
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
    channel.invited.delete(user);
    if (user.invitedTo.has(channel)) user.editableInvites().delete(channel);
    user.channels.add(channel);
  }

  invite(user: User, channel: Channel): void {
    channel.invited.add(user);
    user.editableInvites().add(channel);
  }

  /** Remove `user` from `channel`; an empty channel ceases to exist, with its pending invites. */
  leave(user: User, channel: Channel): void {
    channel.members.delete(user);
    user.channels.delete(channel);
    if (channel.members.size > 0) return;
    this.channels.delete(channel.folded);
    for (const invitee of channel.invited) invitee.editableInvites().delete(channel);
    channel.invited.clear();
  }

  /** Everyone sharing at least one channel with `user`, each once, without `user`. */
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

  peersOf(user: User): Set<User> {
    const peers = new Set<User>();
    for (const channel of user.channels) for (const member of channel.members.keys()) peers.add(member);
    peers.delete(user);
    return peers;
  }
}
