/**
 * What a command handler is given: the caller, a reply buffer, and the server
 * through a narrow interface. Handlers never see a socket: delivery goes
 * through each user's endpoint (their session here; remote users, which have
 * none, are reached over the bus).
 */
import type { Logger } from 'pino';
import type { MultilineBatch } from './multiline.js';
import type { OperGuard } from './operguard.js';
import type { Bus } from '../bus/bus.js';
import type { NameDirectory } from '../bus/directory.js';
import type { Config } from '../config/schema.js';
import type { IrcMessage } from '../protocol/message.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { ClusterEvent, Stamp } from '../bus/events.js';
import { emit, type Emitter } from '../network/effects.js';
import type { Caller, Pick, Replies } from '../network/fanout.js';
import type { NetworkHost } from '../network/host.js';
import { ERR_TOOMANYMATCHES, type Reply } from '../protocol/replies.js';
import type { BudgetRefusal } from '../state/budget.js';
import type { Channel } from '../state/channel.js';
import type { Registry } from '../state/registry.js';
import type { Store } from '../store/types.js';
import type { User } from '../state/user.js';
import type { WhowasHistory } from '../state/whowas.js';
import type { Clock } from '../server/clock.js';

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
export interface ServerApi extends NetworkHost {
  readonly config: Config;
  readonly info: ServerInfo;
  readonly registry: Registry;
  readonly whowas: WhowasHistory;
  readonly bus: Bus;
  /** Nick and channel claims across the network; null on a node alone (the registry decides). */
  readonly directory: NameDirectory | null;
  readonly log: Logger;
  /** Accounts, channel registrations, history, read markers (src/store/). */
  readonly store: Store;
  /** Time and timers (nick enforcement); the system clock when absent. */
  readonly clock?: Clock;
  /** Local connections, registered or not. */
  readonly connectionCount: number;
  /** Connections of this server (every worker) that have not registered yet (LUSERS 253). */
  unknownConnections(): number;
  /** Highest number of local connections seen at once. */
  readonly maxConnections: number;
  motd(): readonly string[] | null;
  isupportLines(): readonly string[][];
  /** How many times each command has run (STATS m). */
  readonly commandCounts: ReadonlyMap<string, number>;
  /** Counters for the metrics that handlers bump (plain fields: no call per delivery). */
  readonly stats: { messageDeliveries: number };
  /** Lines about the server's memory and tables, for operators (STATS z). */
  debugStats(): string[];
  /** A new network-unique message id (msgid tag). */
  nextMsgId(): string;
  /** The capabilities offered to a connection (plain or secure), with their CAP LS 302 values. */
  offeredCaps(secure: boolean): readonly OfferedCap[];
  /** OPER back-off and the bound on password checks running at once. */
  readonly operGuard: OperGuard;
  /**
   * End a user's connection: QUIT to their peers, ERROR to them; the log gets `logReason` if given.
   * With `session`, only that session ends if the user has others or is always-on (multiclient).
   */
  disconnect(user: User, quitReason: string, errorReason?: string, dropQueued?: boolean, logReason?: string, session?: SessionState): void;
  rehash(): Promise<RehashResult>;
  shutdown(reason: string): void;
  /** Resolves once the server listens again. */
  restart(reason: string): Promise<void>;
  /**
   * NickServ SET ALWAYS-ON: make a logged-in local user's account always-on
   * or not (server/alwayson.ts); resolves once the account is written.
   * Optional: the unit-test world has none.
   */
  setAlwaysOn?(user: User, on: boolean): Promise<'ok' | 'disabled' | 'not-logged-in'>;
  /** `user` logged into an account after registering (NickServ IDENTIFY): an always-on account makes it always-on. */
  accountLoggedIn?(user: User): void;
  /** `user` joined `channel` from the session `from`: their other sessions (multiclient) get its topic and NAMES. */
  joinedFromOneSession?(user: User, channel: Channel, from: SessionState): void;
}

export interface OfferedCap {
  name: string;
  bit: number;
  /** The CAP LS 302 value, if any. */
  value?: string;
  /** Advertised but not requestable (sts). */
  advertiseOnly?: boolean;
}

/** The caller's connection state that registration and CAP handlers read and change. */
export interface SessionState {
  readonly id: string;
  readonly log: Logger;
  readonly remoteAddress: string;
  /** Connected over TLS (directly or WebSocket over TLS). */
  readonly secure: boolean;
  /** The client certificate's SHA-256 fingerprint, or null. */
  readonly certfp: string | null;
  /** Password given with PASS before registration. */
  password: string | null;
  /** The account logged into (SASL) before registration completed; the user gets it at the welcome. */
  account: string | null;
  /** USER was accepted. */
  userGiven: boolean;
  /** CAP LS or REQ seen and no CAP END yet: registration waits. */
  capNegotiating: boolean;
  /** Highest CAP LS version the client asked for (0 if none). */
  capVersion: number;
  /** Negotiated capabilities: bits of CAP (protocol/caps.ts). */
  readonly capMask: number;
  hasCap(bit: number): boolean;
  setCaps(mask: number): void;
  /** draft/metadata-3 keys the client subscribed to. */
  readonly metadataSubs: ReadonlySet<string>;
  editableMetadataSubs(): Set<string>;
  /** The client's open draft/multiline batch (commands/multiline.ts), or null. */
  multiline: MultilineBatch | null;
}

export type { Replies, Pick };

export class CommandContext implements Caller, Emitter {
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
   * Apply a change to the network's shared state, deliver it to the users
   * here (the caller's copy through the reply buffer) and publish it to the
   * other nodes: the one way a command tells anyone but the caller.
   */
  emit(event: ClusterEvent): void {
    emit(this.server, event, this);
  }

  /** A new msgid and the time now, for an event the caller causes. */
  stamp(): Stamp {
    return { msgid: this.server.nextMsgId(), time: Date.now() };
  }

  /** This node's id, the origin of the events it emits. */
  get nodeId(): string {
    return this.server.bus.nodeId;
  }

  /** A message from the server (its name as source). */
  fromServer(command: string, params: string[]): Outgoing {
    return new Outgoing({ tags: null, source: this.serverName, command, params });
  }

  /** A standard reply (https://ircv3.net/specs/extensions/standard-replies). */
  standardReply(type: 'FAIL' | 'WARN' | 'NOTE', command: string, code: string, description: string, context: string[] = []): void {
    this.send(this.fromServer(type, [command, code, ...context, description]));
  }

  nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  /**
   * Charge `bytes` of stored state to the caller: null, or the limit that
   * refused (nothing charged). Read markers are a cache: the caller's oldest
   * are forgotten first to make room.
   */
  store(bytes: number): BudgetRefusal | null {
    return this.registry.store(this.user, bytes, this.config.limits);
  }

  /** FAIL <command> LIMIT_REACHED [context] :why, for a refused store(). */
  failStore(command: string, refusal: BudgetRefusal, context: string[] = []): void {
    this.standardReply('FAIL', command, 'LIMIT_REACHED', storageRefusal(refusal, this.config.limits), context);
  }
}

/** Why a store() was refused, naming the limit. */
export function storageRefusal(refusal: BudgetRefusal, limits: Config['limits']): string {
  return refusal === 'user'
    ? `You have too much stored on this server (limits.user_state_bytes: ${limits.user_state_bytes} bytes)`
    : `The server holds too much stored state (limits.server_state_bytes: ${limits.server_state_bytes} bytes); try again later`;
}

/** Replies up to a limit; the first one past it is a 416 instead (limits.who_results, list_results). */
export class CappedReplies {
  private count = 0;

  constructor(
    private readonly ctx: CommandContext,
    private readonly command: string,
    private readonly max: number,
  ) {}

  /** Send `reply` if under the limit; false (after a 416) once the limit is reached. */
  add(reply: Reply): boolean {
    if (this.count >= this.max) {
      this.ctx.reply(ERR_TOOMANYMATCHES(this.command, this.max));
      return false;
    }
    this.count++;
    this.ctx.reply(reply);
    return true;
  }
}
