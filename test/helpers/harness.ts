/**
 * A fake world for command unit tests: real state (Registry, WhowasHistory),
 * an InProcessBus, the real command table, and recording clients instead of
 * sockets. A test runs one line through a handler and asserts the exact lines
 * each client received:
 *
 *   const world = new World();
 *   const alice = world.connect('alice');
 *   expect(alice.run('JOIN #c')).toEqual([':alice!alice@127.0.0.1 JOIN :#c', ...]);
 *   expect(bob.take()).toEqual([...]);
 *
 * What it leaves out is the dispatcher (server/dispatcher.ts): parse errors,
 * 421, 451, 461 and 481 are checked over real sockets by the integration
 * tests. `run` refuses a line the dispatcher would have stopped, so a test
 * can never pass by accident on a handler that was not meant to be reached.
 */
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { pino, type Logger } from 'pino';
import { InProcessHub, type InProcessBus } from '../../src/bus/inprocess.js';
import type { ClusterEvent, Stamp } from '../../src/bus/events.js';
import { CommandContext, type OfferedCap, type RehashResult, type Replies, type ServerApi, type ServerInfo, type SessionState } from '../../src/commands/context.js';
import { COMMANDS } from '../../src/commands/index.js';
import { emit } from '../../src/network/effects.js';
import { OperGuard } from '../../src/commands/operguard.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { CAPABILITIES, findCapability, RENDER_CAPS } from '../../src/protocol/caps.js';
import { msgIdGenerator, Outgoing } from '../../src/protocol/outgoing.js';
import { parseLine } from '../../src/protocol/parse.js';
import type { Reply } from '../../src/protocol/replies.js';
import { Registry } from '../../src/state/registry.js';
import { User, type Endpoint } from '../../src/state/user.js';
import { WhowasHistory } from '../../src/state/whowas.js';

export const SERVER_NAME = 'obrol.local';
/** The fixed clock of a new world, in Unix seconds. */
export const START_TIME = 1_700_000_000;

const silent: Logger = pino({ level: 'silent' });

/** A command context whose clock is the world's, so timestamps in replies are exact. */
class TestContext extends CommandContext {
  constructor(
    server: ServerApi,
    session: SessionState,
    user: User,
    replies: Replies,
    private readonly clock: () => number,
  ) {
    super(server, session, user, replies);
  }

  override nowSeconds(): number {
    return this.clock();
  }

  override stamp(): Stamp {
    return { msgid: this.server.nextMsgId(), time: this.clock() * 1000 };
  }
}

/**
 * The caller's replies, rendered the way server/replybuffer.ts does: numerics
 * get the server name as source and the caller's nick at the time of the
 * reply as first parameter; everything is handed to the client when the
 * command is done.
 */
class RecordingReplies implements Replies {
  private readonly items: Outgoing[] = [];

  constructor(
    private readonly serverName: string,
    private readonly client: FakeClient,
  ) {}

  numeric(reply: Reply): void {
    this.items.push(new Outgoing({ tags: null, source: this.serverName, command: reply.code, params: [this.client.user.nick, ...reply.params] }));
  }

  message(out: Outgoing): void {
    this.items.push(out);
  }

  // Batches are recorded as their BATCH lines, as a client without the batch capability never sees them.
  private batches = 0;
  private readonly open: string[] = [];

  startBatch(type: string, params: string[], opener?: Outgoing): void {
    const id = `b${++this.batches}`;
    this.open.push(id);
    const line = [`+${id}`, type, ...params];
    this.items.push(opener === undefined ? new Outgoing({ tags: null, source: this.serverName, command: 'BATCH', params: line }) : new Outgoing({ tags: null, source: opener.message.source, command: 'BATCH', params: line }, opener.meta, opener.at));
  }

  endBatch(): void {
    const id = this.open.pop();
    if (id) this.items.push(new Outgoing({ tags: null, source: this.serverName, command: 'BATCH', params: [`-${id}`] }));
  }

  flush(): void {
    for (const out of this.items) this.client.send(out);
    this.items.length = 0;
  }
}

export interface ConnectOptions {
  username?: string;
  realname?: string;
  /** Shown to others; defaults to the ip. */
  host?: string;
  ip?: string;
  /** User modes set before registration, e.g. 'i'. */
  modes?: string;
  /** false: the nick is claimed but registration is not completed. */
  register?: boolean;
  /** Capabilities the session negotiated, e.g. ['multi-prefix']. */
  caps?: string[];
}

/** A connected user whose endpoint records every line it is sent. */
export class FakeClient implements Endpoint {
  readonly user: User;
  readonly session: SessionState;
  /** Every line received, without CRLF, in order. */
  readonly received: string[] = [];
  private cursor = 0;
  /** Negotiated capabilities (bits of CAP). */
  capMask = 0;
  readonly metadataSubs = new Set<string>();

  constructor(
    readonly world: World,
    id: string,
    ip: string,
    host: string,
  ) {
    this.user = new User(`${world.bus.nodeId}/${id}`, ip, host, world.bus.nodeId, this);
    const client = this;
    this.session = {
      id,
      log: silent,
      remoteAddress: ip,
      account: null,
      secure: false,
      certfp: null,
      password: null,
      userGiven: false,
      capNegotiating: false,
      capVersion: 0,
      get capMask() {
        return client.capMask;
      },
      hasCap: (bit: number) => (client.capMask & bit) !== 0,
      setCaps: (mask: number) => {
        client.capMask = mask;
      },
      metadataSubs: this.metadataSubs,
      editableMetadataSubs: () => this.metadataSubs,
    };
  }

  get nick(): string {
    return this.user.nick;
  }

  /** The endpoint: what a session would write to the socket. */
  send(out: Outgoing): void {
    const text = out.bytes(this.capMask & RENDER_CAPS).toString('utf8');
    if (!text.endsWith('\r\n') || text.slice(0, -2).includes('\n') || text.slice(0, -2).includes('\r')) {
      throw new Error(`malformed line sent to ${this.user.nick}: ${JSON.stringify(text)}`);
    }
    this.received.push(text.slice(0, -2));
  }

  /** Lines received since the last take() or run(). */
  take(): string[] {
    const lines = this.received.slice(this.cursor);
    this.cursor = this.received.length;
    return lines;
  }

  /** Run one line as this client; returns the lines this client received while it ran. */
  run(line: string): string[] {
    this.take();
    this.world.execute(this, line);
    return this.take();
  }

  /** As run(), for a handler that returns a promise (OPER). */
  async runAsync(line: string): Promise<string[]> {
    this.take();
    await this.world.execute(this, line, true);
    return this.take();
  }
}

export interface WorldOptions {
  /** Configuration as it would appear in the YAML file, e.g. { limits: { targets: 2 } }. */
  config?: ConfigInput;
  motd?: string[] | null;
}

/** The server as handlers see it (ServerApi), with everything it did recorded. */
export class World implements ServerApi {
  readonly config: Config;
  readonly info: ServerInfo;
  readonly registry: Registry;
  readonly whowas: WhowasHistory;
  readonly bus: InProcessBus;
  /** A node alone: the registry decides who holds a name. */
  readonly directory = null;
  readonly log: Logger = silent;
  /** Accounts, registrations and history, in memory. */
  readonly store: Store = new MemoryStore();
  /** Replace it to inject a clock and timers. */
  operGuard = new OperGuard();
  /** The world's clock in Unix seconds; move it forward to test idle times and LIST filters. */
  now = START_TIME;
  maxConnections = 0;
  readonly clients: FakeClient[] = [];
  /** Events this node published, as another node on the bus receives them (see busEvents()). */
  private readonly published: ClusterEvent[] = [];
  readonly disconnects: Array<{ nick: string; quitReason: string; errorReason: string | undefined }> = [];
  readonly shutdowns: Array<{ kind: 'shutdown' | 'restart'; reason: string }> = [];
  private motdLines: string[] | null;
  private nextId = 0;

  constructor(options: WorldOptions = {}) {
    this.config = loadConfig({ overrides: flatten(options.config ?? {}) }).config;
    this.info = { name: this.config.server.name, version: 'obrol-test', createdAt: new Date(START_TIME * 1000) };
    this.registry = new Registry(this.config.server.casemapping);
    this.whowas = new WhowasHistory(this.config.limits.whowas_entries);
    const hub = new InProcessHub();
    this.bus = hub.connect('node-a');
    hub.connect('observer').subscribe((event) => this.published.push(event));
    this.motdLines = options.motd === undefined ? ['Welcome to the test world.'] : options.motd;
  }

  get connectionCount(): number {
    return this.clients.length;
  }

  unknownConnections(): number {
    return this.clients.filter((client) => !client.user.registered).length;
  }

  /**
   * A client with `nick`, registered unless told otherwise. A null nick is a
   * connection that has sent nothing yet (nick `*`, no USER, not registered).
   */
  connect(nick: string | null, options: ConnectOptions = {}): FakeClient {
    const ip = options.ip ?? '127.0.0.1';
    const client = new FakeClient(this, (++this.nextId).toString(36), ip, options.host ?? ip);
    this.clients.push(client);
    this.maxConnections = Math.max(this.maxConnections, this.clients.length);
    if (nick === null) return client;
    if (!this.registry.claimNick(client.user, nick)) throw new Error(`nick ${nick} is taken`);
    client.user.setUsername(options.username ?? nick);
    client.user.realname = options.realname ?? `${nick} real`;
    client.session.userGiven = true;
    for (const name of options.caps ?? []) {
      const cap = findCapability(name);
      if (!cap) throw new Error(`harness: no capability ${name}`);
      client.capMask |= cap.bit;
    }
    for (const mode of options.modes ?? '') client.user.setMode(mode, true);
    if (options.register !== false) this.registry.register(client.user, this.now);
    return client;
  }

  /** Parse `line`, look its verb up in the command table and run the handler as `client`. */
  execute(client: FakeClient, line: string, allowAsync = false): void | Promise<void> {
    const parsed = parseLine(line);
    if (!parsed.ok) throw new Error(`harness: ${JSON.stringify(line)} does not parse (${parsed.code}); that is the dispatcher's case`);
    const msg = parsed.message;
    const spec = COMMANDS.get(msg.command);
    if (!spec) throw new Error(`harness: no command ${msg.command} in the table`);
    if (msg.params.length < spec.minParams) throw new Error(`harness: ${msg.command} needs ${spec.minParams} params; 461 is the dispatcher's case`);
    if (!client.user.registered && !spec.beforeRegistration) throw new Error(`harness: ${msg.command} before registration; 451 is the dispatcher's case`);
    if (spec.operOnly && !client.user.isOper) throw new Error(`harness: ${msg.command} is for opers; 481 is the dispatcher's case`);
    const replies = new RecordingReplies(this.info.name, client);
    const ctx = new TestContext(this, client.session, client.user, replies, () => this.now);
    const result = spec.handle(ctx, msg);
    if (result === undefined) {
      replies.flush();
      return;
    }
    if (!allowAsync) throw new Error(`harness: ${msg.command} returned a promise; use runAsync`);
    return result.then(() => replies.flush());
  }

  /** Events published on the bus so far (delivery to other nodes is a microtask later). */
  async busEvents(): Promise<ClusterEvent[]> {
    await new Promise((resolve) => setImmediate(resolve));
    return this.published.splice(0);
  }

  motd(): readonly string[] | null {
    return this.motdLines;
  }

  isupportLines(): readonly string[][] {
    return [[`CASEMAPPING=${this.config.server.casemapping}`, `NETWORK=${this.config.server.network}`]];
  }

  /** What ObrolServer.disconnect does to state and peers: one QUIT per peer, WHOWAS, removal. */
  disconnect(user: User, quitReason: string, errorReason?: string): void {
    this.disconnects.push({ nick: user.nick, quitReason, errorReason });
    // The real QUIT: peers, MONITOR, WHOWAS and the bus (network/users.ts).
    if (user.registered) emit(this, { type: 'user.quit', origin: this.bus.nodeId, userId: user.id, reason: quitReason, msgid: this.nextMsgId(), time: this.now * 1000 }, null);
    user.endpoint?.send(new Outgoing({ tags: null, source: null, command: 'ERROR', params: [`Closing link: (${user.username}@${user.host}) [${errorReason ?? quitReason}]`] }));
    this.registry.remove(user);
    user.endpoint = null;
    const index = this.clients.findIndex((c) => c.user === user);
    if (index >= 0) this.clients.splice(index, 1);
  }

  rehash(): Promise<RehashResult> {
    return Promise.resolve({ ok: true, file: '(defaults)', problems: [] });
  }

  readonly nextMsgId = msgIdGenerator('test');
  readonly commandCounts = new Map<string, number>();
  readonly stats = { messageDeliveries: 0 };

  debugStats(): string[] {
    return [`users ${this.registry.userCount}, channels ${this.registry.channels.size}`];
  }

  offeredCaps(): readonly OfferedCap[] {
    return CAPABILITIES.filter((cap) => !cap.advertiseOnly);
  }

  shutdown(reason: string): void {
    this.shutdowns.push({ kind: 'shutdown', reason });
  }

  restart(reason: string): Promise<void> {
    this.shutdowns.push({ kind: 'restart', reason });
    return Promise.resolve();
  }
}

/** { limits: { targets: 2 } } -> { 'limits.targets': 2 }, as the config loader's overrides take them. */
function flatten(config: ConfigInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [section, values] of Object.entries(config)) {
    if (values && typeof values === 'object' && !Array.isArray(values)) {
      for (const [key, value] of Object.entries(values)) out[`${section}.${key}`] = value;
    } else {
      out[section] = values;
    }
  }
  return out;
}
