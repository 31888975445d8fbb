/**
 * What one Obrol node tells the others: a discriminated union of cluster
 * events, each stamped with the node it came from. Users are named by their
 * network-wide id (node id + local id) so renames cannot confuse them.
 *
 * A single node publishes these and nobody else consumes them; the Redis
 * backplane will carry them between nodes, which will apply them to their own
 * registry and deliver to their local users.
 */
export interface UserInfo {
  id: string;
  nick: string;
  username: string;
  host: string;
  realname: string;
  modes: string;
}

export type ClusterEvent =
  | { type: 'user.register'; origin: string; user: UserInfo }
  | { type: 'user.nick'; origin: string; userId: string; nick: string }
  | { type: 'user.mode'; origin: string; userId: string; modes: string }
  | { type: 'user.away'; origin: string; userId: string; message: string | null }
  | { type: 'user.realname'; origin: string; userId: string; realname: string }
  | { type: 'user.host'; origin: string; userId: string; username: string; host: string }
  | { type: 'user.quit'; origin: string; userId: string; reason: string }
  | { type: 'channel.join'; origin: string; userId: string; channel: string; status: number }
  | { type: 'channel.part'; origin: string; userId: string; channel: string; reason: string | null }
  | { type: 'channel.kick'; origin: string; userId: string; channel: string; targetId: string; reason: string }
  | { type: 'channel.topic'; origin: string; userId: string; channel: string; topic: string; setAt: number }
  | { type: 'channel.mode'; origin: string; userId: string; channel: string; modes: string; params: string[] }
  | { type: 'message'; origin: string; userId: string; command: 'PRIVMSG' | 'NOTICE'; target: string; text: string };

export type ClusterEventType = ClusterEvent['type'];
