/**
 * A local client connection: the bridge between a Connection (bytes and
 * lines) and a User (state). Implements the user's endpoint, so deliveries to
 * the user land in its send queue.
 *
 * Lines are handled one at a time, in order. A command that must wait (OPER
 * hashing a password) pauses the session: lines arriving meanwhile are queued
 * and handled, in order, when it is done.
 */
import type { Logger } from 'pino';
import type { SessionState } from '../commands/context.js';
import type { LineProblem } from '../net/framer.js';
import type { ParseResult } from '../protocol/parse.js';
import type { ConnectClass } from './admission.js';
import type { TimerHandle } from './clock.js';
import type { Transport } from './stats.js';
import type { Connection } from '../net/connection.js';
import { RENDER_CAPS } from '../protocol/caps.js';
import type { Outgoing } from '../protocol/outgoing.js';
import type { Endpoint, User } from '../state/user.js';

const NO_SUBS: ReadonlySet<string> = new Set();

/** A line waiting for its turn (a command still running, or flood control). */
export interface QueuedLine {
  /** null for a line too long to parse. */
  parsed: ParseResult | null;
  problem: LineProblem;
  validUtf8: boolean;
  /** Flood cost in units. */
  cost: number;
  /** Counted against the class's recvq. */
  bytes: number;
  /** When it arrived, as the server's count of lines received (ObrolServer.lineFence). */
  arrival: number;
}

export class Session implements Endpoint, SessionState {
  password: string | null = null;
  account: string | null = null;
  userGiven = false;
  capNegotiating = false;
  capVersion = 0;
  /** Negotiated capabilities: bits of CAP. */
  capMask = 0;
  /** The capabilities among them that change how lines are rendered (their tags). */
  renderKey = 0;
  private batchCounter = 0;
  private subs: Set<string> | null = null;
  private childLog: Logger | null = null;
  /** Milliseconds. */
  readonly connectedAt: number;
  lastReadAt: number;
  /** When we sent a keepalive PING still unanswered, or 0. */
  pingSentAt = 0;
  /** Set once the session is being torn down: no more lines are handled. */
  closed = false;
  /**
   * Why this session is to be disconnected once the current fan-out is done
   * (its send queue overflowed), or null. From then on it handles no lines.
   */
  doomed: string | null = null;
  /** The verb being handled, for the log when something fails. */
  command: string | null = null;
  /** Lines received before registration completed (limits.unregistered_lines). */
  linesBeforeRegistration = 0;
  /** A command is still running (it returned a promise). */
  busy = false;
  /** The peer went away while lines were pending: disconnect with this reason once they are done. */
  closeWhenIdle: string | null = null;
  readonly backlog: QueuedLine[] = [];
  backlogBytes = 0;
  /** The connection class (flood control, recvq, sendq, per-address limits). */
  klass: ConnectClass;
  /** The flood-control bucket: units held, and when it was last refilled (ms). */
  tokens: number;
  tokensAt: number;
  /** Set while waiting for the bucket to refill. */
  floodTimer: TimerHandle | null = null;
  /** The network block this connection was counted in (admission). */
  block = '';
  /** How the client is connected (the metrics' and the admin API's label). */
  transport: Transport = 'tcp';

  constructor(
    readonly id: string,
    readonly conn: Connection<Session>,
    /** Its own user until registration; then, if it attached to a user of its account (multiclient), that user. */
    public user: User,
    private readonly serverLog: Logger,
    now: number,
    klass: ConnectClass,
  ) {
    this.connectedAt = now;
    this.lastReadAt = now;
    this.klass = klass;
    this.tokens = klass.flood_burst;
    this.tokensAt = now;
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  get certfp(): string | null {
    return this.conn.certfp;
  }

  /** This connection's logger (its records carry `conn`), made on first use: most idle clients never log. */
  get log(): Logger {
    return (this.childLog ??= this.serverLog.child({ conn: this.id }));
  }

  /** draft/metadata-3 keys this client subscribed to (made on first write, like User's rarer collections). */
  get metadataSubs(): ReadonlySet<string> {
    return this.subs ?? NO_SUBS;
  }

  editableMetadataSubs(): Set<string> {
    return (this.subs ??= new Set());
  }

  hasCap(bit: number): boolean {
    return (this.capMask & bit) !== 0;
  }

  setCaps(mask: number): void {
    this.capMask = mask;
    this.renderKey = mask & RENDER_CAPS;
  }

  /** Nothing is rendered for a connection that is closing or over its send queue. */
  send(out: Outgoing): void {
    if (this.conn.isOpen) this.conn.write(out.bytes(this.renderKey));
  }

  /** Send with extra server tags for this client alone (label, batch). */
  sendWith(out: Outgoing, extraTags: string): void {
    this.sendRendered(out, this.renderKey, extraTags);
  }

  /** Send as rendered for `renderKey`, with extra server tags first (or none). */
  sendRendered(out: Outgoing, renderKey: number, extraTags: string): void {
    if (!this.conn.isOpen) return;
    this.conn.write(extraTags === '' ? out.bytes(renderKey) : out.bytesWith(renderKey, extraTags));
  }

  /** A reference tag for a new batch, unique on this connection. */
  nextBatchId(): string {
    return (++this.batchCounter).toString(36);
  }
}
