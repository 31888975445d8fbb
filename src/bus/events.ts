/**
 * What one Obrol node tells the others: a discriminated union of cluster
 * events, each stamped with the node it came from. Every change to the shared
 * state of the network is one of these: the node where it happens applies it
 * and delivers it to its own users, then publishes it; every other node
 * applies the same event through the same code (network/effects.ts) and
 * delivers it to its users. So an event carries everything a replica needs:
 * the message id and time its users will see, the whole user on
 * registration, the channel's first modes on creation.
 *
 * Users are named by their network-wide id (node id + local id), so renames
 * cannot confuse them; channels by name (any case: each node folds it).
 */

/** A registered user as the other nodes learn of them. */
export interface UserInfo {
  id: string;
  nick: string;
  username: string;
  host: string;
  /** The real address, which operators may see on any node. */
  ip: string;
  realname: string;
  /** `+iw` style. */
  modes: string;
  account: string | null;
  away: string | null;
  /** The server name of the node they are connected to (WHOIS 312). */
  server: string;
  /** Unix seconds. */
  signonAt: number;
  secure: boolean;
}

/** Who did something: a user (by id) or a server (by name). */
export type Actor = { user: string } | { server: string };

/** The identity of a message users see: the same msgid and time on every node. */
export interface Stamp {
  msgid: string;
  /** Milliseconds since the epoch (server-time). */
  time: number;
}

/** The channel as it is made by its first JOIN. */
export interface ChannelCreation {
  /** Unix seconds (RPL_CREATIONTIME). */
  at: number;
  /** Flag modes it starts with (channels.default_modes of the creating node). */
  flags: string;
}

export type ClusterEvent =
  | { type: 'user.register'; origin: string; user: UserInfo }
  | ({ type: 'user.nick'; origin: string; userId: string; nick: string } & Stamp)
  /** User modes applied, as `+o-i`. */
  | ({ type: 'user.mode'; origin: string; by: Actor; userId: string; modes: string } & Stamp)
  | ({ type: 'user.away'; origin: string; userId: string; message: string | null } & Stamp)
  | ({ type: 'user.realname'; origin: string; userId: string; realname: string } & Stamp)
  | ({ type: 'user.host'; origin: string; userId: string; username: string; host: string } & Stamp)
  /** A user logged into an account (its name as registered), or out (null). */
  | { type: 'user.account'; origin: string; userId: string; account: string | null }
  | ({ type: 'user.quit'; origin: string; userId: string; reason: string } & Stamp)
  /** An operator's (or the admin API's) KILL: the node holding the victim's connection ends it. */
  | ({ type: 'user.kill'; origin: string; by: Actor; byName: string; targetId: string; reason: string } & Stamp)
  | ({ type: 'channel.join'; origin: string; userId: string; channel: string; status: number; created: ChannelCreation | null } & Stamp)
  | ({ type: 'channel.part'; origin: string; userId: string; channel: string; reason: string | null } & Stamp)
  /** `onlyTarget`: a channel closed by the admin API tells each member only of its own KICK. */
  | ({ type: 'channel.kick'; origin: string; by: Actor; channel: string; targetId: string; reason: string; onlyTarget: boolean } & Stamp)
  | ({ type: 'channel.topic'; origin: string; by: Actor; channel: string; topic: string; setBy: string; setAt: number } & Stamp)
  /** Channel modes applied, as announced: `+o-k`, [nick, '*']. */
  | ({ type: 'channel.mode'; origin: string; by: Actor; channel: string; modes: string; params: string[] } & Stamp)
  | ({ type: 'channel.invite'; origin: string; userId: string; targetId: string; channel: string } & Stamp)
  /** ChanServ registered the channel (its founder and auto-modes, after any change to them) or dropped it (null). */
  | { type: 'channel.register'; origin: string; channel: string; registration: ChannelRegistrationInfo | null }
  /**
   * PRIVMSG, NOTICE or TAGMSG, to a channel (`channel` set; `statusMask` for
   * `@#chan`) or to a user (`recipientId` set). `target` is the first
   * parameter as recipients see it; `tags` the sender's client-only tags.
   */
  | ({
      type: 'message';
      origin: string;
      userId: string;
      command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG';
      target: string;
      channel: string | null;
      statusMask: number;
      recipientId: string | null;
      text: string;
      tags: Array<[string, string]> | null;
      /** draft/multiline: every line of a multiline message (text is then the first); absent for one line. */
      lines?: Array<{ text: string; concat: boolean }>;
    } & Stamp)
  /**
   * draft/message-redaction: `userId` redacted the message `redacted` of a
   * channel (`channel` set) or of their conversation with `recipientId`.
   * `target` is REDACT's first parameter as recipients see it; `historyTarget`
   * the conversation the message was stored under (HistoryEntry.target), so
   * every node can drop it from its history.
   */
  | ({
      type: 'message.redact';
      origin: string;
      userId: string;
      target: string;
      channel: string | null;
      recipientId: string | null;
      redacted: string;
      reason: string | null;
      historyTarget: string;
    } & Stamp)
  | ({ type: 'wallops'; origin: string; by: Actor; text: string } & Stamp)
  /** A server notice to every user on the network (admin API). */
  | { type: 'network.notice'; origin: string; text: string }
  /** draft/metadata-3: a key set (value) or deleted (null) on a user (by id) or a channel (by name), by `userId`. */
  | { type: 'metadata'; origin: string; userId: string; targetUser: string | null; targetChannel: string | null; key: string; value: string | null }

  /**
   * A node's own users and the channels they are on, published when it
   * starts or comes back (askBack: the others answer with theirs), so every
   * node learns the whole network: a netjoin.
   */
  | { type: 'node.burst'; origin: string; server: string; askBack: boolean; users: UserInfo[]; channels: ChannelSnapshot[] }
  /** How many connections on a node have not registered yet (LUSERS 253 counts those of its server). */
  | { type: 'node.unknown'; origin: string; count: number }
  /** A node stopping (or found dead): its users quit everywhere else, as in a netsplit. */
  | { type: 'node.gone'; origin: string; server: string };

/** What every node keeps of a channel's registration (the store holds the rest: topic, modes, lists). */
export interface ChannelRegistrationInfo {
  /** The founder's account, casefolded. */
  founder: string;
  /** Unix milliseconds. */
  registeredAt: number;
  /** Casefolded account -> status mode letters, e.g. "o". */
  amodes: Record<string, string>;
}

/** A channel as one node's burst shows it: its state and that node's members. */
export interface ChannelSnapshot {
  name: string;
  createdAt: number;
  flags: string;
  key: string | null;
  limit: number | null;
  topic: string;
  topicSetBy: string;
  topicSetAt: number;
  topicOwner: string;
  /** Who is charged for the channel itself (its creator). */
  owner: string;
  lists: Array<{ mode: 'b' | 'e' | 'I'; mask: string; setBy: string; setAt: number; byOper: boolean; owner: string }>;
  /** This node's members: [user id, status bits]. */
  members: Array<[string, number]>;
}

export type ClusterEventType = ClusterEvent['type'];

/** The event of one type. */
export type EventOf<T extends ClusterEventType> = Extract<ClusterEvent, { type: T }>;
