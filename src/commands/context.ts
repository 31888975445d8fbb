/**
 * What a command handler is given: the caller, a reply buffer, and the server
 * through a narrow interface. Handlers never see a socket: delivery goes
 * through each user's endpoint (their session here; remote users, which have
 * none, are reached over the bus).
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import type { IrcMessage } from '../protocol/message.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { Reply } from '../protocol/replies.js';
import type { Channel } from '../state/channel.js';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import type { WhowasHistory } from '../state/whowas.js';

export interface ServerInfo {
  name: string;
  version: string;
  /** When this build/process came up, for 003 and INFO. */
  createdAt: Date;
}

export interface RehashResult {
  ok: boolean;
  /** The config file reloaded, or '(defaults)'. */
  file: string;
  /** Why the new config was refused, or what could not be applied live. */
  problems: string[];
}

/** The server as command handlers see it. */
export interface ServerApi {
  readonly config: Config;
  readonly info: ServerInfo;
  readonly registry: Registry;
  readonly whowas: WhowasHistory;
  readonly bus: Bus;
  readonly log: Logger;
  /** Local connections, registered or not. */
  readonly connectionCount: number;
  /** Highest number of local connections seen at once. */
  readonly maxConnections: number;
  motd(): readonly string[] | null;
  isupportLines(): readonly string[][];
  /** End a user's connection: QUIT to their peers, ERROR to them. */
  disconnect(user: User, quitReason: string, errorReason?: string): void;
  rehash(): RehashResult;
  shutdown(reason: string): void;
  /** Resolves once the server listens again. */
  restart(reason: string): Promise<void>;
}

/** The caller's connection state that registration and CAP handlers read and change. */
export interface SessionState {
  readonly id: string;
  readonly log: Logger;
  readonly remoteAddress: string;
  /** Password given with PASS before registration. */
  password: string | null;
  /** USER was accepted. */
  userGiven: boolean;
  /** CAP LS or REQ seen and no CAP END yet: registration waits. */
  capNegotiating: boolean;
  /** Highest CAP LS version the client asked for (0 if none). */
  capVersion: number;
  readonly caps: Set<string>;
}

/** Lines for the caller, sent in order when the command is done. */
export interface Replies {
  numeric(reply: Reply): void;
  message(out: Outgoing): void;
}

export class CommandContext {
  constructor(
    readonly server: ServerApi,
    readonly session: SessionState,
    readonly user: User,
    readonly replies: Replies,
  ) {}

  get config(): Config {
    return this.server.config;
  }

  get registry(): Registry {
    return this.server.registry;
  }

  get serverName(): string {
    return this.server.info.name;
  }

  reply(reply: Reply): void {
    this.replies.numeric(reply);
  }

  /** A message to the caller, in order with the numerics. */
  send(out: Outgoing | IrcMessage): void {
    this.replies.message(out instanceof Outgoing ? out : new Outgoing(out));
  }

  /** A server NOTICE to the caller. */
  notice(text: string): void {
    this.send({ tags: null, source: this.serverName, command: 'NOTICE', params: [this.user.nick, text] });
  }

  /**
   * Deliver to `recipients`. The caller, if among them, gets it through the reply
   * buffer so it stays in order with the numerics that follow.
   */
  deliver(out: Outgoing, recipients: Iterable<User>): void {
    for (const user of recipients) {
      if (user === this.user) this.replies.message(out);
      else user.endpoint?.send(out);
    }
  }

  /**
   * Deliver to the members of `channel` whose status has any of `statusMask`
   * bits (0 = everyone), optionally without the caller.
   */
  deliverToChannel(channel: Channel, out: Outgoing, options: { skipCaller?: boolean; statusMask?: number } = {}): void {
    const { skipCaller = false, statusMask = 0 } = options;
    for (const [member, status] of channel.members) {
      if (statusMask !== 0 && (status & statusMask) === 0) continue;
      if (member === this.user) {
        if (!skipCaller) this.replies.message(out);
      } else {
        member.endpoint?.send(out);
      }
    }
  }

  /** A message from the caller (nick!user@host as source). */
  fromUser(command: string, params: string[]): Outgoing {
    return new Outgoing({ tags: null, source: this.user.mask, command, params });
  }

  /** A message from the server (its name as source). */
  fromServer(command: string, params: string[]): Outgoing {
    return new Outgoing({ tags: null, source: this.serverName, command, params });
  }

  nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }
}
