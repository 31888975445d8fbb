/**
 * The composition root: config, state, listeners, sessions and timers wired
 * together. The only module that knows all the others.
 */
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { restoreRegisteredChannels } from '../network/registered.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { NameDirectory } from '../bus/directory.js';
import type { ClusterWatch, NodeLease } from '../bus/lease.js';
import { CHANTYPES } from '../commands/channel.js';
import type { OfferedCap, RehashResult, ServerApi, ServerInfo, SessionState } from '../commands/context.js';
import { STATUSMSG } from '../commands/messaging.js';
import { metadataCapValue } from '../commands/metadata.js';
import { MULTILINE_CAP_VALUE } from '../commands/multiline.js';
import { registrationCapValue } from '../commands/account.js';
import { mechanismsFor } from '../commands/sasl.js';
import { emit, receive } from '../network/effects.js';
import { burstOf } from '../network/nodes.js';
import { OperGuard } from '../commands/operguard.js';
import { ConfigError, loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { addOutputGate, Connection, type ConnectionHandlers } from '../net/connection.js';
import type { Link } from '../net/link.js';
import { CAP, CAPABILITIES } from '../protocol/caps.js';
import { chunkIsupport, formatIsupportToken, type IsupportValue } from '../protocol/isupport.js';
import { msgIdGenerator, Outgoing } from '../protocol/outgoing.js';
import { truncateUtf8 } from '../protocol/serialize.js';
import { FLAG_MODES, LIST_MODES, STATUS_MODES, type Channel } from '../state/channel.js';
import { Registry } from '../state/registry.js';
import { EndpointGroup, User } from '../state/user.js';
import { WhowasHistory } from '../state/whowas.js';
import { receiveLine } from './dispatcher.js';
import { listenerSpecs, Listeners, type ListenerKind } from './listeners.js';
import { Admission, type ConnectClass, type Refusal } from './admission.js';
import { disconnectReason, Stats, type Transport } from './stats.js';
import { AdminListener, countByTransport } from './adminapi.js';
import { WebSocketLink } from '../net/websocket.js';
import { Descriptors } from './descriptors.js';
import { clusterParts, type ClusterParts } from './cluster.js';
import type { AcceptGate } from '../net/handshake.js';
import { cloakAddress } from './cloak.js';
import { Session } from './session.js';
import { creditSubscriptions, detachFromUser, joinedFromOneSession, sessionCount } from './multiclient.js';
import { channelsChanged, noteDetached, noteLogin, restoreAlwaysOn, setAlwaysOn, type AlwaysOnResult } from './alwayson.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { HistoryRetention } from '../history/retention.js';
import { VERSION } from './version.js';
import { greeting } from './welcome.js';

/** Re-exported for code that already has the server loaded. */
export { VERSION };

/** How often idle and unregistered connections are checked. */
const SWEEP_INTERVAL_MS = 1000;

export interface ServerOptions {
  loaded: LoadedConfig;
  /** Kept to rebuild the config the same way on REHASH (file, environment, flags). */
  loadOptions?: LoadOptions;
  logger: Logger;
  bus?: Bus;
  /** Called when an operator asks the server to DIE, after it has stopped. */
  onDie?: () => void;
  /** Called after an operator's REHASH (command or admin API) reloaded the config, not a SIGHUP's (workers pass it on). */
  onRehash?: () => void;
  /** Time and timers (tests give a manual clock). */
  clock?: Clock;
  /** Nick and channel claims across nodes (tests give a MemoryDirectory with an in-process bus). */
  directory?: NameDirectory;
  /** Accounts, registrations and history (default: what `store` in the config names, opened here). */
  store?: Store;
}


/** A refused connection only sends its ERROR and closes: nothing it says matters. */
const IGNORE_EVENTS: ConnectionHandlers<null> = { onLine: () => {}, onSendQueueExceeded: () => {}, onClose: () => {}, onFault: () => {} };

/** A socket admitted at accept (see gate): its class and the block it was counted in. */
class AdmissionTicket {
  constructor(
    readonly ip: string,
    readonly klass: ConnectClass,
    readonly block: string,
  ) {}
}

/** A disconnect waiting for the end of the current fan-out. */
interface PendingDisconnect {
  session: Session;
  reason: string;
}

export class ObrolServer implements ServerApi {
  config: Config;
  registry: Registry;
  whowas: WhowasHistory;
  readonly bus: Bus;
  /** Nick and channel claims across the network; null on a node alone (the registry decides). */
  readonly directory: NameDirectory | null;
  /** The bus, directory and lease, and how to leave the network (server/cluster.ts). */
  private readonly cluster: ClusterParts;
  private removeOutputGate: (() => void) | null = null;
  /** Sessions registered, and the unregistered count last told to the other nodes. */
  private registeredSessions = 0;
  private unknownPublished = 0;
  readonly log: Logger;
  readonly info: ServerInfo;
  readonly store: Store;
  maxConnections = 0;
  readonly operGuard: OperGuard;

  private loaded: LoadedConfig;
  private readonly loadOptions: LoadOptions;
  private readonly sessions = new Set<Session>();
  /** What every session's connection reports: one object for all of them. */
  private readonly sessionEvents: ConnectionHandlers<Session> = {
    onLine: (session, line, problem, validUtf8) => this.guard(session, () => receiveLine(this, session, line, problem, validUtf8)),
    // Only marked: this is called from within someone's fan-out (see disconnectLater).
    onSendQueueExceeded: (session) => this.disconnectLater(session, 'SendQ exceeded'),
    // Lines still pending (a password check, flood control) are answered first; then the dispatcher disconnects.
    onClose: (session, reason) =>
      this.guard(session, () =>
        session.busy || session.backlog.length > 0 ? (session.closeWhenIdle = reason) : this.endSession(session, reason),
      ),
    onFault: (session, err) => {
      this.fault(session, err);
      this.reap();
    },
  };
  /** Sessions to disconnect once the current command's (or timer's) deliveries are done, in order. */
  private pendingDisconnects: PendingDisconnect[] = [];
  private reaping = false;
  private reapScheduled = false;
  private readonly listeners: Listeners;
  /** The admin HTTP listener (metrics and the admin API), when admin_http is configured. */
  private readonly adminListener: AdminListener;
  private readonly admission: Admission;
  /** The key of cloaked hosts: configured, or random for this run. */
  private cloakSecret = randomBytes(32).toString('hex');
  private sweepTimer: TimerHandle | null = null;
  readonly clock: Clock;
  private motdLines: string[] | null = null;
  private isupport: string[][] = [];
  /** Prunes history by history.max_age and max_per_target every minute. */
  private readonly historyRetention: HistoryRetention;
  private nextId = 0;
  /** Sockets admitted at accept whose handshake is not done yet. */
  private handshaking = 0;
  private readonly descriptors = new Descriptors();
  /** Refusing for want of file descriptors (logged once per episode). */
  private outOfDescriptors = false;
  private stopping: Promise<void> | null = null;
  private readonly onDie: (() => void) | undefined;
  private readonly onRehash: (() => void) | undefined;
  readonly nextMsgId: () => string;
  readonly commandCounts = new Map<string, number>();
  /** Counters for the metrics, read at scrape time (server/metrics.ts). */
  readonly stats = new Stats();
  /** When this server object was made, on its clock (uptime in the admin API). */
  readonly startedAt: number;

  constructor(options: ServerOptions) {
    this.loaded = options.loaded;
    this.config = options.loaded.config;
    this.loadOptions = options.loadOptions ?? { path: options.loaded.path };
    this.log = options.logger;
    this.cluster = clusterParts(this.config.cluster, this.log, this.watch, { ...(options.bus ? { bus: options.bus } : {}), ...(options.directory ? { directory: options.directory } : {}) });
    this.bus = this.cluster.bus;
    this.directory = this.cluster.directory;
    // Opened first thing: a data file that cannot be used stops the server before it listens (StoreOpenError).
    this.store =
      options.store ??
      openStore(this.config.store, options.loaded.path, {
        // Nodes of a network may share the file: each commits every turn, so the others find what it stored at once.
        ...(this.config.cluster.redis !== null ? { commitDelayMs: 0 } : {}),
        onError: (err) => this.log.error({ event: 'history-write-failed', err }, `history entries could not be written: ${err.message}`),
      });
    this.onDie = options.onDie;
    this.onRehash = options.onRehash;
    this.clock = options.clock ?? systemClock;
    this.historyRetention = new HistoryRetention(this.clock, this.store.history, () => this.config, this.log);
    this.startedAt = this.clock.now();
    // OPER back-off waits on the server's clock too (tests move it by hand).
    this.operGuard = new OperGuard({
      now: () => this.clock.now(),
      sleep: (ms) => new Promise((resolve) => this.clock.setTimeout(() => resolve(), ms)),
    });
    this.nextMsgId = msgIdGenerator(this.bus.nodeId);
    this.info = { name: this.config.server.name, version: `obrol-${VERSION}`, createdAt: new Date() };
    this.registry = this.newRegistry();
    this.whowas = new WhowasHistory(this.config.limits.whowas_entries);
    this.listeners = new Listeners((link) => this.attach(link), this.log, this.gate);
    this.admission = new Admission(this.config);
    this.adminListener = new AdminListener(this);
    this.applyConfig();
    // With other nodes, replies wait until the events behind them are in the network's log (net/connection.ts).
    const bus = this.bus;
    if (bus.settled !== undefined) this.removeOutputGate = addOutputGate(() => (this.registry.nodes.size > 0 ? (bus.settled?.() ?? null) : null));
    // Events from the other nodes apply here like local ones, then whoever overflowed a send queue is closed.
    this.bus.subscribe((event) => {
      receive(this, event);
      // A node starting or coming back asks for everyone's users and channels.
      if (event.type === 'node.burst' && event.askBack && !this.stopping) {
        this.bus.publish(burstOf(this, false));
        // The newcomer knows nothing of this node's unregistered connections yet.
        this.tellUnknown(true);
      }
      this.reap();
    });
  }

  /** Connections open now, by transport (metrics, admin API). */
  connectionsByTransport(): Record<Transport, number> {
    return countByTransport(this.sessions);
  }

  /** The admin HTTP listener's address, or null when there is none. */
  get adminAddress(): AddressInfo | null {
    return this.adminListener.address;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** The address of the plain TCP listener (useful with port 0). */
  get address(): AddressInfo {
    return this.addressOf('plain');
  }

  addressOf(kind: ListenerKind): AddressInfo {
    const address = this.listeners.address(kind);
    if (!address) throw new Error(`no ${kind} listener`);
    return address;
  }

  debugStats(): string[] {
    // With --expose-gc (the soak benchmark) a collection first, so heap figures compare.
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
    const a = this.admission.sizes;
    return [
      `rss ${mib(mem.rss)} MiB, heap used ${mib(mem.heapUsed)} MiB of ${mib(mem.heapTotal)} MiB, external ${mib(mem.external)} MiB`,
      `connections ${this.sessions.size}, users ${this.registry.userCount}, channels ${this.registry.channels.size}, whowas ${this.whowas.size}`,
      `admission: ${a.addresses} addresses, ${a.blocks} blocks, ${a.recent} recent, ${a.throttled} throttled`,
      `stored state: ${this.registry.budget.total} bytes charged to ${this.registry.budget.ownerCount} owners (limits: ${this.config.limits.user_state_bytes} per user, ${this.config.limits.server_state_bytes} in all)`,
    ];
  }

  motd(): readonly string[] | null {
    return this.motdLines;
  }

  isupportLines(): readonly string[][] {
    return this.isupport;
  }

  /** Every capability, but sts only when TLS and an STS policy are configured. */
  offeredCaps(secure: boolean): readonly OfferedCap[] {
    const offered: OfferedCap[] = [];
    const accounts = this.config.accounts;
    for (const cap of CAPABILITIES) {
      // No history kept: CHATHISTORY would have nothing to give.
      if ((cap.bit === CAP.CHATHISTORY || cap.bit === CAP.EVENT_PLAYBACK) && !this.config.history.enabled) continue;
      if (cap.bit === CAP.SASL) {
        if (accounts.enabled) offered.push({ ...cap, value: mechanismsFor(secure).join(',') });
        continue;
      }
      if (cap.bit === CAP.ACCOUNT_REGISTRATION) {
        if (accounts.enabled && accounts.registration) offered.push({ ...cap, value: registrationCapValue(accounts) });
        continue;
      }
      if (cap.bit === CAP.METADATA) {
        offered.push({ ...cap, value: metadataCapValue(this.config.limits) });
        continue;
      }
      if (cap.bit === CAP.MULTILINE) {
        offered.push({ ...cap, value: MULTILINE_CAP_VALUE });
        continue;
      }
      if (cap.bit !== CAP.STS) {
        offered.push(cap);
        continue;
      }
      const tls = this.config.tls;
      const tlsPort = this.listeners.address('tls')?.port;
      if (!tls || tls.sts_duration === null || tlsPort === undefined) continue;
      const preload = tls.sts_preload ? ',preload' : '';
      const value = secure ? `duration=${tls.sts_duration}${preload}` : `port=${tlsPort},duration=${tls.sts_duration}`;
      offered.push({ ...cap, value });
    }
    return offered;
  }

  /**
   * Open what `loaded` needs, IRC listeners and the admin listener alike, as
   * one plan: commit() swaps all of them in, abort() closes what was opened.
   * Throws, having closed what it opened, if any cannot open.
   */
  private async prepareListeners(loaded: LoadedConfig): Promise<{ commit(): void; abort(): void }> {
    const irc = await this.listeners.prepare(listenerSpecs(loaded));
    let admin: { commit(): void; abort(): void };
    try {
      admin = await this.adminListener.prepare(loaded.config.admin_http);
    } catch (err) {
      irc.abort();
      throw err;
    }
    return {
      commit: () => {
        irc.commit();
        admin.commit();
      },
      abort: () => {
        irc.abort();
        admin.abort();
      },
    };
  }

  /** A registry with nothing in it; a channel that empties gives its name back to the directory. */
  private newRegistry(): Registry {
    const registry = new Registry(this.config.server.casemapping);
    if (this.directory !== null) {
      const directory = this.directory;
      registry.onChannelGone = (channel) => void directory.releaseChannel(channel.folded);
    }
    return registry;
  }

  /**
   * What this node does as other nodes come and go (reported by the lease
   * and the bus, server/cluster.ts).
   */
  private readonly watch: ClusterWatch = {
    nodeUp: (node) => this.log.info({ event: 'node-up', node }, 'a node joined the network'),
    nodeDown: (node) => {
      this.log.warn({ event: 'node-down', node, server: this.registry.nodes.get(node) }, 'a node left the network: its users quit');
      this.netsplit(node);
    },
    gap: (origin) => {
      // Events from it were lost: forget what is known of it and ask everyone again (their bursts answer).
      this.log.warn({ event: 'bus-gap', node: origin }, 'events from a node were lost: resynchronising');
      this.netsplit(origin);
      if (!this.stopping) this.bus.publish(burstOf(this, true));
    },
    selfLost: () => {
      this.log.warn({ event: 'lease-lost', nodes: this.registry.nodes.size }, 'this node was cut off longer than cluster.node_timeout: rejoining the network');
      void this.rejoin();
    },
    backendDown: () => this.log.error({ event: 'redis-down' }, 'Redis cannot be reached: new nicks and channels are refused, chat on this node goes on'),
    backendUp: () => this.log.info({ event: 'redis-up' }, 'Redis is reachable again'),
  };

  /** Another node is gone: its users quit here, as in a netsplit. */
  private netsplit(node: string): void {
    if (node === this.bus.nodeId) return;
    const server = this.registry.nodes.get(node) ?? node;
    receive(this, { type: 'node.gone', origin: node, server });
    this.reap();
  }

  /**
   * After this node was cut off (its lease lapsed): the others have quit its
   * users and freed its names. Forget every other node, claim this node's
   * nicks again (a user whose nick was taken meanwhile is disconnected, as
   * in a nick collision), and burst, asking the others for theirs.
   */
  private async rejoin(): Promise<void> {
    for (const node of [...this.registry.nodes.keys()]) this.netsplit(node);
    const directory = this.directory;
    if (directory !== null) {
      const locals = [...this.registry.users].filter((user) => user.origin === this.bus.nodeId);
      const claims = await Promise.all(locals.map((user) => directory.claimNick(user.folded, { node: this.bus.nodeId, user: user.id })));
      locals.forEach((user, k) => {
        if (claims[k] === 'taken') this.disconnect(user, 'Nick collision: your nick was taken while this server was cut off');
      });
      this.reap();
    }
    if (!this.stopping) this.bus.publish(burstOf(this, true));
  }

  async start(): Promise<void> {
    this.stopping = null;
    await this.joinNetwork();
    // Registered channels exist (empty, as saved) before anyone can ask for them.
    await restoreRegisteredChannels(this);
    // Always-on accounts are present (in their channels, restored above) before anyone can connect (server/alwayson.ts).
    await restoreAlwaysOn(this);
    (await this.prepareListeners(this.loaded)).commit();
    this.descriptors.refresh(this.sessions.size, this.clock.now(), true);
    this.sweepTimer = this.clock.setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.historyRetention.start();
    // Join the network: the other nodes answer with their users and channels.
    this.bus.publish(burstOf(this, true));
  }

  /**
   * Run `work` for `session` (a line, a timer, a socket event, a command
   * completing later): an exception ends that session alone, and the
   * disconnects it caused (send queues that overflowed during its fan-out)
   * happen after it, not inside it.
   */
  guard(session: Session, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.fault(session, err);
    }
    this.reap();
  }

  /** A bug met while serving `session`: log it with the connection and verb, tell the client, and end only its connection. */
  fault(session: Session, err: unknown): void {
    this.log.error({ err, conn: session.id, command: session.command ?? undefined }, 'internal error: closing the connection');
    session.command = null;
    try {
      this.endSession(session, 'Internal error');
    } catch (again) {
      this.log.error({ err: again, conn: session.id }, 'internal error while closing the connection');
      this.release(session);
    }
  }

  /**
   * Disconnect `session` once the deliveries in progress are done. A send
   * queue overflows in the middle of someone else's fan-out; closing it there
   * would fan its QUIT out inside that fan-out, and so on down a channel of
   * slow readers (a stack overflow with thousands), with state changed under
   * a command that is still running. Marked sessions read no more lines.
   */
  private disconnectLater(session: Session, reason: string): void {
    if (session.closed || session.doomed !== null) return;
    session.doomed = reason;
    this.pendingDisconnects.push({ session, reason });
    // Whoever caused it calls reap() when done; this is the backstop for paths that do not.
    if (!this.reapScheduled) {
      this.reapScheduled = true;
      setImmediate(() => {
        this.reapScheduled = false;
        this.reap();
      });
    }
  }

  /** Disconnect the marked sessions, one after another: QUITs they fan out may mark more, which join the queue. */
  reap(): void {
    if (this.reaping || this.pendingDisconnects.length === 0) return;
    this.reaping = true;
    try {
      for (let k = 0; k < this.pendingDisconnects.length; k++) {
        const { session, reason } = this.pendingDisconnects[k] as PendingDisconnect;
        try {
          this.endSession(session, reason, true);
        } catch (err) {
          this.fault(session, err);
        }
      }
    } finally {
      this.pendingDisconnects = [];
      this.reaping = false;
    }
  }

  /** Take a new connection from any transport (the listeners, or a test's in-memory link). */
  attach(link: Link): void {
    try {
      this.admit(link);
    } catch (err) {
      this.log.error({ err, ip: link.remoteAddress }, 'internal error while accepting a connection');
      link.destroy();
    }
  }

  private admit(link: Link): void {
    // Admitted at accept, before its handshake (TLS, WebSocket), or now.
    const ticket = link.ticket instanceof AdmissionTicket ? link.ticket : null;
    if (this.stopping) {
      if (ticket !== null) this.gate.release(ticket);
      link.destroy();
      return;
    }
    const now = this.clock.now();
    const ip = link.remoteAddress;
    let klass: ConnectClass;
    let block: string;
    if (ticket !== null) {
      this.handshaking--;
      ({ klass, block } = ticket);
    } else {
      klass = this.admission.classFor(ip);
      const refusal = this.admissionCheck(ip, klass);
      if (refusal !== null) {
        this.refuse(link, refusal);
        return;
      }
      block = this.admission.opened(ip);
    }
    const id = (++this.nextId).toString(36);
    let session: Session | null = null;
    try {
      const conn = new Connection<Session>(link, klass.sendq_bytes, this.config.limits.client_tag_bytes, this.stats);
      const user = new User(`${this.bus.nodeId}/${id}`, ip, this.visibleHost(ip), this.bus.nodeId, null);
      user.secure = conn.secure;
      user.certfp = conn.certfp;
      session = new Session(id, conn, user, this.log, now, klass);
      session.block = block;
      session.transport = transportOf(link);
      this.stats.accepted[session.transport]++;
      user.endpoint = session;
      this.sessions.add(session);
      this.tellUnknown(false);
      if (this.sessions.size > this.maxConnections) this.maxConnections = this.sessions.size;
      this.log.info({ conn: id, event: 'connect', ip, port: conn.remotePort, secure: conn.secure, class: klass.name }, 'client connected');
      conn.start(this.sessionEvents, session);
      // The greeting leaves with the answer to the client's first lines (one write, not two), or after CORK_MS if it says nothing.
      conn.holdOutputUntilInput();
      session.send(greeting(this.info.name));
    } catch (err) {
      // Whatever was counted for this connection is given back before the socket is dropped.
      if (session !== null) this.release(session);
      else this.admission.closed(ip, block);
      throw err;
    }
  }

  /**
   * Admission for the TLS and WebSocket listeners, asked when a socket is
   * accepted, before its handshake: a socket that handshakes counts against
   * its address's limits from the start, and a refused one costs no TLS work.
   */
  private readonly gate: AcceptGate = {
    admit: (ip) => {
      const klass = this.admission.classFor(ip);
      const refusal = this.admissionCheck(ip, klass);
      if (refusal !== null) {
        this.logRefusal(ip, refusal);
        return { refused: refusal.reason };
      }
      this.handshaking++;
      return { ticket: new AdmissionTicket(ip, klass, this.admission.opened(ip)) };
    },
    release: (ticket) => {
      if (!(ticket instanceof AdmissionTicket)) return;
      this.handshaking--;
      this.admission.closed(ticket.ip, ticket.block);
    },
    served: (ticket) => {
      if (ticket instanceof AdmissionTicket) this.admission.forgetAttempt(ticket.ip);
    },
    failed: (reason) => {
      this.stats.refusals[reason]++;
    },
    handshakeMs: () => this.config.timeouts.handshake * 1000,
  };

  /** Admission's verdict on a new socket from `ip`, file descriptors included. */
  private admissionCheck(ip: string, klass: ConnectClass): Refusal | null {
    const sockets = this.sessions.size + this.handshaking;
    const refusal = this.admission.check(ip, klass, sockets, this.clock.now());
    if (refusal !== null) return refusal;
    if (this.descriptors.hasRoom(sockets)) return null;
    // Make sure before refusing (a recount), and say so once per episode.
    this.descriptors.refresh(sockets, this.clock.now(), true);
    if (this.descriptors.hasRoom(sockets)) return null;
    const repeat = this.outOfDescriptors;
    if (!repeat) {
      this.outOfDescriptors = true;
      this.log.error({ event: 'descriptors-exhausted', ...this.descriptors.sizes, clients: sockets }, 'out of file descriptors: refusing new connections until some are free');
    }
    return { code: 'descriptors', reason: 'Server is out of file descriptors, try again later', repeat: true };
  }

  private logRefusal(ip: string, refusal: Refusal): void {
    const { reason, repeat } = refusal;
    this.stats.refusals[refusal.code]++;
    const entry = { event: 'refused', ip, reason };
    if (repeat) this.log.debug(entry, 'connection refused');
    else this.log.info(entry, 'connection refused');
  }

  /** Turn a connection away before it becomes a session: ERROR with the reason, then close. */
  private refuse(link: Link, refusal: Refusal): void {
    this.logRefusal(link.remoteAddress, refusal);
    const conn = new Connection<null>(link, 4096);
    conn.start(IGNORE_EVENTS, null);
    conn.close(closingLink(`unknown@${displayHost(link.remoteAddress)}`, refusal.reason));
  }

  /** The host others see: a cloak of the address, or the address itself with cloaking off. */
  private visibleHost(ip: string): string {
    const { cloak } = this.config;
    if (!cloak.enabled) return displayHost(ip);
    return cloakAddress(ip, { secret: cloak.secret ?? this.cloakSecret, ipv4Prefix: cloak.ipv4_prefix, ipv6Prefix: cloak.ipv6_prefix, suffix: cloak.suffix });
  }

  /**
   * End a user's connection: QUIT (once) to everyone sharing a channel with
   * them, MONITOR offline notices, a WHOWAS entry, and `ERROR :Closing link`
   * to the user before the socket closes. Whatever fails while telling
   * others, the session is still released whole (never half-closed).
   * `logReason` is what may be logged of a reason that holds text (a KILL's).
   */
  disconnect(user: User, quitReason: string, errorReason?: string, dropQueued = false, logReason = quitReason, only?: SessionState): void {
    const endpoint = user.endpoint;
    if (only instanceof Session) {
      // That session alone, which may have left already (its socket's close comes after its QUIT).
      if (only.closed || only.user !== user) return;
      // Several sessions (multiclient), or an always-on user's last: only that one leaves, unseen by others.
      if (user.registered && (endpoint instanceof EndpointGroup || user.alwaysOn)) {
        this.detachSession(only, quitReason, errorReason ?? quitReason, dropQueued);
        return;
      }
    } else if (endpoint instanceof EndpointGroup) {
      this.disconnectAll(user, endpoint, quitReason, errorReason ?? quitReason, logReason);
      return;
    }
    const session = only instanceof Session ? only : endpoint instanceof Session ? endpoint : null;
    if (!session || session.closed) return;
    session.closed = true;
    this.stats.disconnects[disconnectReason(quitReason)]++;
    try {
      if (user.registered) {
        this.announceQuit(user, quitReason);
        void this.directory?.releaseNick(user.folded, { node: this.bus.nodeId, user: user.id });
        // A logged-in user's session sees its own QUIT, whether or not others are left (as in Ergo's multiclient).
        if (user.account !== null && only !== undefined) session.send(new Outgoing({ tags: null, source: user.mask, command: 'QUIT', params: [quitReason] }));
      }
    } finally {
      this.release(session, closingLinkFor(user, errorReason ?? quitReason), dropQueued);
    }
    // Reasons are the user's words (QUIT) or an oper's (KILL): logged only with log.message_text.
    const entry: Record<string, unknown> = { conn: session.id, event: 'disconnect', nick: user.nick };
    if (this.config.log.message_text) entry.reason = quitReason;
    else if (logReason !== quitReason) entry.reason = logReason;
    this.log.info(entry, 'client disconnected');
  }

  /** End one connection: its user quits, or stays if it has other sessions or is always-on. */
  endSession(session: Session, reason: string, dropQueued = false): void {
    this.disconnect(session.user, reason, undefined, dropQueued, reason, session);
  }

  /**
   * One session of a user leaves while the user stays (it has others, or is
   * always-on): nobody else sees a QUIT; the session sees its own (as in
   * Ergo) and its ERROR. The user's endpoint becomes the one session left, a
   * smaller group, or an empty group (always-on, nobody attached).
   */
  private detachSession(session: Session, quitReason: string, errorReason: string, dropQueued: boolean): void {
    const user = session.user;
    session.closed = true;
    this.stats.disconnects[disconnectReason(quitReason)]++;
    creditSubscriptions(this.registry, user, session);
    detachFromUser(user, session);
    try {
      session.send(new Outgoing({ tags: null, source: user.mask, command: 'QUIT', params: [quitReason] }));
    } finally {
      this.release(session, closingLinkFor(user, errorReason), dropQueued, true);
    }
    this.log.info({ conn: session.id, event: 'detach', nick: user.nick, sessions: sessionCount(user) }, 'client disconnected; its user stays');
    if (sessionCount(user) === 0) noteDetached(this, user);
  }

  /** The whole user goes (KILL, a nick collision): every session closes, then the user quits. */
  private disconnectAll(user: User, group: EndpointGroup, quitReason: string, errorReason: string, logReason: string): void {
    const sessions = group.members.filter((member): member is Session => member instanceof Session);
    group.members.length = 0;
    for (const session of sessions) {
      creditSubscriptions(this.registry, user, session);
      session.closed = true;
      this.stats.disconnects[disconnectReason(quitReason)]++;
      this.release(session, closingLinkFor(user, errorReason), false, true);
    }
    try {
      if (user.registered) {
        this.announceQuit(user, quitReason);
        void this.directory?.releaseNick(user.folded, { node: this.bus.nodeId, user: user.id });
      }
    } finally {
      this.registry.remove(user);
      user.endpoint = null;
    }
    const entry: Record<string, unknown> = { event: 'disconnect', nick: user.nick, sessions: sessions.length };
    if (this.config.log.message_text) entry.reason = quitReason;
    else if (logReason !== quitReason) entry.reason = logReason;
    this.log.info(entry, 'user disconnected with all its sessions');
  }

  /** What others learn when a registered user leaves: QUIT to peers, MONITOR, WHOWAS (network/users.ts), here and on the other nodes. */
  private announceQuit(user: User, quitReason: string): void {
    emit(this, { type: 'user.quit', origin: this.bus.nodeId, userId: user.id, reason: quitReason, msgid: this.nextMsgId(), time: Date.now() }, null);
  }

  /**
   * Forget a session everywhere (admission counts, registry, the session
   * table) and close its connection with `last`; each step runs even if one
   * before it failed.
   */
  private release(session: Session, last?: Buffer, dropQueued = false, keepUser = false): void {
    const user = session.user;
    if (this.sessions.delete(session)) {
      this.admission.closed(session.conn.remoteAddress, session.block);
      if (user.registered) this.registeredSessions--;
      this.tellUnknown(false);
    }
    try {
      if (!keepUser) this.registry.remove(user);
    } finally {
      this.shut(session, last, dropQueued);
    }
  }

  /** A JOIN from one of a user's sessions: the others get topic and NAMES too (server/multiclient.ts). */
  joinedFromOneSession(user: User, channel: Channel, from: SessionState): void {
    joinedFromOneSession(this, user, channel, from);
  }

    /** A login after registration (NickServ IDENTIFY): an always-on account's user becomes always-on (server/alwayson.ts). */
  accountLoggedIn(user: User): void {
    noteLogin(this, user);
  }

    /** NickServ SET ALWAYS-ON (server/alwayson.ts). */
  setAlwaysOn(user: User, on: boolean): Promise<AlwaysOnResult> {
    return setAlwaysOn(this, user, on);
  }

  /** A local user's channels changed (network/effects.ts): an always-on account records them. */
  membershipChanged(userId: string): void {
    channelsChanged(this, userId);
  }

  /** A session finished registering (server/registration.ts). */
  noteRegistered(): void {
    this.registeredSessions++;
    this.tellUnknown(false);
  }

  unknownConnections(): number {
    return this.sessions.size - this.registeredSessions + this.registry.unknownOn(this.info.name);
  }

  /**
   * Tell the other nodes (the workers of this server count them in LUSERS)
   * how many connections here are unregistered: when it changed, or `always`.
   */
  private tellUnknown(always: boolean): void {
    const count = this.sessions.size - this.registeredSessions;
    if ((!always && count === this.unknownPublished) || this.registry.nodes.size === 0) return;
    this.unknownPublished = count;
    this.bus.publish({ type: 'node.unknown', origin: this.bus.nodeId, count });
  }

  /** Stop a session's own work (its waiting lines and flood timer), detach it from its user, and close its connection with `last`. */
  private shut(session: Session, last?: Buffer, dropQueued = false): void {
    session.closed = true;
    session.backlog.length = 0;
    session.backlogBytes = 0;
    if (session.floodTimer !== null) this.clock.clearTimeout(session.floodTimer);
    session.floodTimer = null;
    if (session.multilineTimer !== null) this.clock.clearTimeout(session.multilineTimer);
    session.multilineTimer = null;
    session.multiline = null;
    // A session that left a user with others (multiclient) is no longer its endpoint.
    if (session.user.endpoint === session) session.user.endpoint = null;
    session.conn.close(last, dropQueued);
  }

  /**
   * Wait (up to cluster.node_timeout) for the bus to read events and the
   * lease to be held. Redis down at start is no reason not to serve: chat on
   * this node works, and new nicks are refused until Redis answers.
   */
  private async joinNetwork(): Promise<void> {
    if (this.cluster.lease === null) return;
    let timer: NodeJS.Timeout | null = null;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.config.cluster.node_timeout * 1000)));
    const joined = await Promise.race([this.cluster.ready.then(() => true), late]);
    if (timer !== null) clearTimeout(timer);
    if (joined) this.log.info({ event: 'joined-network', node: this.bus.nodeId, nodes: this.cluster.lease.liveNodes().size }, 'joined the network over Redis');
    else this.log.error({ event: 'redis-down', node: this.bus.nodeId }, 'Redis does not answer: serving this node alone until it does');
  }

  /** This node's lease on a network over Redis, or null (tests suspend it to act out a stopped process). */
  get lease(): NodeLease | null {
    return this.cluster.lease;
  }

  /** Stop serving and leave the network for good (the process is ending). */
  async close(reason = 'Server shutting down'): Promise<void> {
    await this.stop(reason);
    this.removeOutputGate?.();
    await this.cluster.close();
    await this.store.close();
  }

  /**
   * Null, or what a line must wait for before it runs: on a network over
   * Redis, that this node has handled every event in the log when the line
   * arrived. With the output gate, a client that was told of a change made
   * on another node (or that made it there) sees it here in its next command.
   */
  lineFence(arrival: number): Promise<void> | null {
    // One wait covers every line that had arrived when it began (a burst waits once, not once a line).
    if (this.registry.nodes.size === 0 || arrival <= this.caughtUpTo) return null;
    const fence = this.bus.caughtUp?.() ?? null;
    if (fence === null) return null;
    const covers = this.arrivals;
    return fence.then(() => {
      if (covers > this.caughtUpTo) this.caughtUpTo = covers;
    });
  }

  /** Lines received so far (their arrival numbers), and the last one known to have seen the network's log. */
  arrivals = 0;
  private caughtUpTo = 0;

  /** Keepalive PINGs, ping timeouts and registration timeouts, for every connection once a second. */
  sweep(): void {
    const now = this.clock.now();
    try {
      this.admission.sweep(now);
      const sockets = this.sessions.size + this.handshaking;
      this.descriptors.refresh(sockets, now);
      if (this.outOfDescriptors && this.descriptors.hasRoom(sockets)) {
        this.outOfDescriptors = false;
        this.log.info({ event: 'descriptors-available', ...this.descriptors.sizes }, 'file descriptors are free again: accepting connections');
      }
    } catch (err) {
      this.log.error({ err }, 'internal error in the admission sweep');
    }
    for (const session of this.sessions) this.guard(session, () => this.check(session, now));
  }

  private check(session: Session, now: number): void {
    const { registration, ping_interval, ping_timeout } = this.config.timeouts;
    session.conn.trimIdle();
    const user = session.user;
    if (!user.registered) {
      if (now - session.connectedAt > registration * 1000) this.endSession(session, 'Registration timed out');
      return;
    }
    if (session.pingSentAt !== 0) {
      if (now - session.pingSentAt > ping_timeout * 1000) {
        this.endSession(session, `Ping timeout: ${Math.round((now - session.lastReadAt) / 1000)} seconds`);
      }
    } else if (now - session.lastReadAt > ping_interval * 1000) {
      session.pingSentAt = now;
      session.send(new Outgoing({ tags: null, source: null, command: 'PING', params: [this.info.name] }));
    }
  }

  /** Stop accepting, tell every client, wait (briefly) for them to go. */
  stop(reason = 'Server shutting down'): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.info({ event: 'stopping', reason }, 'stopping');
      if (this.sweepTimer) this.clock.clearInterval(this.sweepTimer);
      this.sweepTimer = null;
      this.historyRetention.stop();
      // Resolves once every listener and every connection it accepted is closed.
      const closed = Promise.all([this.listeners.close(), this.adminListener.close()]);
      // The other nodes see this node's users quit, as in a netsplit.
      this.bus.publish({ type: 'node.gone', origin: this.bus.nodeId, server: this.info.name });
      // Everyone is leaving: one ERROR each and close, no QUIT fan-out among them.
      for (const session of this.sessions) this.shut(session, closingLinkFor(session.user, reason));
      this.stats.disconnects.shutdown += this.sessions.size;
      this.sessions.clear();
      this.registeredSessions = 0;
      this.unknownPublished = 0;
      this.pendingDisconnects = [];
      this.admission.reset();
      this.registry = this.newRegistry();
      let grace: TimerHandle | null = null;
      await Promise.race([closed, new Promise((resolve) => (grace = this.clock.setTimeout(() => resolve(undefined), this.config.timeouts.shutdown_grace * 1000)))]);
      if (grace !== null) this.clock.clearTimeout(grace);
      this.log.info({ event: 'stopped' }, 'stopped');
    })();
    return this.stopping;
  }

  shutdown(reason: string): void {
    void this.close(reason).then(() => this.onDie?.());
  }

  /** Drop everyone, reload the config, and start listening afresh, in the same process. */
  restart(reason: string): Promise<void> {
    return (async () => {
      await this.stop(reason);
      const result = this.reloadConfig();
      if (!result.ok) this.log.error({ problems: result.problems }, 'restart: new config refused, keeping the old one');
      this.registry = this.newRegistry();
      this.whowas = new WhowasHistory(this.config.limits.whowas_entries);
      await this.start();
      this.log.info({ event: 'restarted' }, 'restarted');
    })().catch((err: unknown) => {
      this.log.fatal({ err }, 'restart failed');
      this.onDie?.();
    });
  }

  /**
   * REHASH and SIGHUP: build the new config whole and swap it in, or keep the
   * old one and say why. Nobody is disconnected: listeners that did not move
   * stay open (TLS takes the new certificate), and clients that asked for
   * cap-notify hear of capabilities that appeared or went.
   */
  async rehash(fromSignal = false): Promise<RehashResult> {
    const capsBefore = [this.offeredCaps(false), this.offeredCaps(true)] as const;
    // Everything is checked (the file, TLS files, the listeners opened)
    // before anything is applied: a REHASH applies whole or not at all.
    const built = this.buildConfig();
    if (!built.ok) return this.rehashRefused(built.result);
    const { loaded, result } = built;
    let plan: { commit(): void; abort(): void };
    try {
      plan = await this.prepareListeners(loaded);
    } catch (err) {
      return this.rehashRefused({ ok: false, file: result.file, problems: [err instanceof Error ? err.message : String(err)] });
    }
    try {
      this.loaded = loaded;
      this.config = loaded.config;
      this.applyConfig();
    } catch (err) {
      plan.abort();
      throw err;
    }
    plan.commit();
    // Sessions move to the class their address now matches (flood, recvq, sendq).
    for (const session of this.sessions) {
      session.klass = this.admission.classFor(session.conn.remoteAddress);
      session.conn.setSendQueueLimit(session.klass.sendq_bytes);
    }
    this.dropRemovedOpers();
    this.notifyCapChanges(capsBefore[0], capsBefore[1]);
    this.log.info({ event: 'rehash', file: result.file, problems: result.problems }, 'configuration reloaded');
    if (!fromSignal) this.onRehash?.();
    return result;
  }

  private rehashRefused(result: RehashResult): RehashResult {
    this.log.error({ event: 'rehash-failed', problems: result.problems }, 'REHASH refused: the previous configuration stays in force');
    return result;
  }

  /** Operators whose oper block is gone from the configuration lose +o, and are told. */
  private dropRemovedOpers(): void {
    const names = new Set(this.config.opers.map((oper) => oper.name));
    for (const session of this.sessions) {
      const user = session.user;
      if (!user.isOper || user.operName === null || names.has(user.operName)) continue;
      this.log.info({ conn: session.id, event: 'oper-removed', name: user.operName, nick: user.nick }, 'oper block removed: +o taken');
      user.operName = null;
      if (!user.isOper) continue;
      const by = { server: this.info.name };
      emit(this, { type: 'user.mode', origin: this.bus.nodeId, by, userId: user.id, modes: '-o', msgid: this.nextMsgId(), time: Date.now() }, null);
      session.send(new Outgoing({ tags: null, source: this.info.name, command: 'NOTICE', params: [user.nick, '*** Your oper block was removed from the configuration: you are no longer an IRC operator'] }));
    }
  }

  /** CAP NEW and CAP DEL to clients with cap-notify (or CAP LS 302), for what changed in the offer. */
  private notifyCapChanges(plainBefore: readonly OfferedCap[], secureBefore: readonly OfferedCap[]): void {
    const key = (cap: OfferedCap) => (cap.value === undefined ? cap.name : `${cap.name}=${cap.value}`);
    const diff = (before: readonly OfferedCap[], after: readonly OfferedCap[]) => ({
      added: after.filter((cap) => !before.some((old) => key(old) === key(cap))),
      // Without values (no 302) a changed value is no news: only new names.
      addedNames: after.filter((cap) => !before.some((old) => old.name === cap.name)),
      removed: before.filter((cap) => !after.some((now) => now.name === cap.name)),
    });
    const changes = [diff(plainBefore, this.offeredCaps(false)), diff(secureBefore, this.offeredCaps(true))] as const;
    if (changes.every((c) => c.added.length === 0 && c.removed.length === 0)) return;
    for (const session of this.sessions) {
      if (!session.hasCap(CAP.CAP_NOTIFY) && session.capVersion < 302) continue;
      const change = changes[session.secure ? 1 : 0];
      const target = session.user.registered ? session.user.nick : '*';
      const withValues = session.capVersion >= 302;
      const { removed } = change;
      const added = withValues ? change.added : change.addedNames;
      if (added.length > 0) {
        const list = added.map((cap) => (withValues ? key(cap) : cap.name)).join(' ');
        session.send(new Outgoing({ tags: null, source: this.info.name, command: 'CAP', params: [target, 'NEW', list] }));
      }
      // sts is never withdrawn with DEL (a zero duration does that), and a
      // withdrawn capability stops working for the client at once.
      const dropped = removed.filter((cap) => cap.bit !== CAP.STS);
      if (dropped.length > 0) {
        session.send(new Outgoing({ tags: null, source: this.info.name, command: 'CAP', params: [target, 'DEL', dropped.map((cap) => cap.name).join(' ')] }));
        session.setCaps(dropped.reduce((mask, cap) => mask & ~cap.bit, session.capMask));
      }
    }
  }

  /** The configuration as it would be reloaded now (file, environment, flags), or why it cannot be. */
  private buildConfig(): { ok: true; loaded: LoadedConfig; result: RehashResult } | { ok: false; result: RehashResult } {
    const file = this.loadOptions.path ?? '(defaults)';
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(this.loadOptions);
      // The TLS files must be readable and match, or the whole reload is refused.
      listenerSpecs(loaded);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      return { ok: false, result: { ok: false, file, problems } };
    }
    const problems: string[] = [];
    let config = loaded.config;
    if (config.server.casemapping !== this.registry.casemapping) {
      problems.push(`server.casemapping cannot change while users are connected; still ${this.registry.casemapping} until RESTART`);
      config = Object.freeze({ ...config, server: Object.freeze({ ...config.server, casemapping: this.registry.casemapping }) });
    }
    // The connection to the network (Redis, key prefix, workers) is made once, at start.
    const cluster = this.config.cluster;
    const changed = (['redis', 'key_prefix', 'workers'] as const).filter((key) => config.cluster[key] !== cluster[key]);
    if (changed.length > 0) {
      problems.push(`${changed.map((key) => `cluster.${key}`).join(', ')} cannot change while the server runs; the old value stays until the process is restarted`);
      config = Object.freeze({ ...config, cluster: Object.freeze({ ...config.cluster, redis: cluster.redis, key_prefix: cluster.key_prefix, workers: cluster.workers }) });
    }
    // The data file is opened once, at start (StoreOpenError stops the process there).
    const store = this.config.store;
    const storeChanged = (['backend', 'path'] as const).filter((key) => config.store[key] !== store[key]);
    if (storeChanged.length > 0) {
      problems.push(`${storeChanged.map((key) => `store.${key}`).join(', ')} cannot change while the server runs; the old value stays until the process is restarted`);
      config = Object.freeze({ ...config, store });
    }
    return { ok: true, loaded: { ...loaded, config }, result: { ok: true, file, problems } };
  }

  /** Reload the configuration in place (RESTART, with nobody connected); listeners are opened by start(). */
  private reloadConfig(): RehashResult {
    const built = this.buildConfig();
    if (!built.ok) return built.result;
    this.loaded = built.loaded;
    this.config = built.loaded.config;
    this.applyConfig();
    return built.result;
  }

  /** Derived state that follows the config: MOTD text, ISUPPORT, WHOWAS size. */
  private applyConfig(): void {
    const config = this.config;
    this.info.name = config.server.name;
    this.whowas.capacity = config.limits.whowas_entries;
    this.admission?.configure(config);
    if (config.cloak.enabled && config.cloak.secret === null) {
      const why = config.cluster.redis === null ? 'cloaked hosts change when the server restarts' : 'each node of the network cloaks the same address differently, and cloaked hosts change when it restarts';
      this.log.warn({ event: 'cloak-secret' }, `cloak.secret is not set: ${why}`);
    }
    this.motdLines = readMotd(this.loaded.motdPath, this.log);
    this.isupport = chunkIsupport(buildIsupport(config, this.registry.casemapping));
  }
}

function buildIsupport(config: Config, casemapping: string): string[] {
  const limits = config.limits;
  const targets = limits.targets;
  const listModes = [...LIST_MODES].join('');
  const tokens: Record<string, IsupportValue> = {
    AWAYLEN: limits.away_length,
    BOT: 'B',
    CASEMAPPING: casemapping,
    CHANLIMIT: `${CHANTYPES}:${limits.channels_per_user}`,
    CHANMODES: `${listModes},k,l,${FLAG_MODES}`,
    CHANNELLEN: limits.channel_length,
    CHANTYPES,
    ELIST: 'CMNTU',
    EXCEPTS: 'e',
    HOSTLEN: 64,
    INVEX: 'I',
    KEYLEN: limits.key_length,
    KICKLEN: limits.kick_length,
    // One number for the three lists together: limits.list_entries is their total.
    MAXLIST: `${listModes}:${limits.list_entries}`,
    MAXTARGETS: targets,
    MODES: limits.modes_per_command,
    MONITOR: limits.monitor_entries,
    NAMELEN: limits.realname_length,
    NETWORK: config.server.network,
    NICKLEN: limits.nick_length,
    PREFIX: `(${STATUS_MODES.map((s) => s.mode).join('')})${STATUS_MODES.map((s) => s.prefix).join('')}`,
    STATUSMSG,
    TARGMAX: `JOIN:${limits.channels_per_user},KICK:${targets},MONITOR:,NAMES:${targets},NOTICE:${targets},PART:,PRIVMSG:${targets},TAGMSG:${targets},WHOIS:${targets},WHOWAS:${targets}`,
    TOPICLEN: limits.topic_length,
    USERLEN: limits.user_length,
    WHOX: true,
  };
  if (config.server.utf8_only) tokens.UTF8ONLY = true;
  if (config.history.enabled) {
    tokens.CHATHISTORY = config.history.query_limit;
    tokens.MSGREFTYPES = 'msgid,timestamp';
  }
  return Object.entries(tokens).map(([key, value]) => formatIsupportToken(key, value));
}

function readMotd(path: string | null, log: Logger): string[] | null {
  if (path === null) return null;
  try {
    const text = readFileSync(path, 'utf8');
    const lines = text.replace(/\r/g, '').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } catch (err) {
    log.warn({ event: 'motd-missing', path, reason: (err as NodeJS.ErrnoException).code ?? String(err) }, 'MOTD file cannot be read; clients get 422');
    return null;
  }
}

/** `ERROR :Closing link: (who) [reason]`, the reason cut so the line fits in 512 bytes. */
function closingLink(who: string, reason: string): Buffer {
  const room = 510 - Buffer.byteLength(`ERROR :Closing link: (${who}) []`);
  return Buffer.from(`ERROR :Closing link: (${who}) [${truncateUtf8(reason, Math.max(0, room))}]\r\n`);
}

/** The closing ERROR line for a user's connection. */
function closingLinkFor(user: User, reason: string): Buffer {
  return closingLink(`${user.username || '*'}@${user.host}`, reason);
}

function transportOf(link: Link): Transport {
  if (link instanceof WebSocketLink) return 'websocket';
  return link.secure ? 'tls' : 'tcp';
}

/** IPv6 addresses starting with ':' would read as a trailing parameter: prefix them with 0. */
function displayHost(address: string): string {
  return address.startsWith(':') ? `0${address}` : address;
}
