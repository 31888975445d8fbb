/**
 * The bus between Obrol processes, over one Redis stream.
 *
 * Publishing: each event is stamped with this node's id, its run id (random
 * per RedisBus, so a restarted node counts as new) and a sequence number
 * counting up from 1, JSON-encoded, and appended with XADD (the stream
 * trimmed to about streamMaxLen entries). Everything published in one turn of
 * the event loop goes in one pipeline. While Redis cannot take them, events
 * wait in memory, up to maxQueued; past that the oldest are dropped, and the
 * hole they leave in the sequence shows as a gap at every receiver.
 *
 * Receiving: a dedicated connection reads the stream with XREAD BLOCK from
 * the last entry it saw, so a short disconnect loses nothing. A receiver
 * skips its own events, drops repeats (a pipeline sent again after a lost
 * answer) and reports a gap when an origin's sequence jumps or its run id
 * changes. A random "epoch" key marks the stream's life: when Redis comes back
 * without it (a restart that lost the data), whatever was in flight is gone,
 * so every known origin is reported as a gap and reading starts over at the
 * new stream's beginning.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Bus, BusHandler, GapHandler } from './bus.js';
import type { ClusterEvent } from './events.js';
import { closeClient, LuaScript, redisClient } from './redisclient.js';
import { DEFAULT_KEY_PREFIX, redisKeys, type RedisKeys } from './rediskeys.js';

export interface RedisBusOptions {
  url: string;
  nodeId: string;
  /** cluster.key_prefix. */
  keyPrefix?: string;
  /**
   * Entries the stream is trimmed to, roughly (XADD MAXLEN ~): how far behind
   * a reader may fall before it loses events. The default, 100,000 (some tens
   * of MB in Redis), is a few seconds of the fastest burst one node can send.
   */
  streamMaxLen?: number;
  /**
   * Events held in memory while Redis cannot take them; past this the oldest
   * are dropped. The default, 100,000, is some tens of MB, and more than a
   * node re-announcing thousands of users after a resync sends at once.
   */
  maxQueued?: number;
  /** How long one XREAD waits for entries before the reader checks the epoch again. */
  blockMs?: number;
  /** Problems that cost nothing but are worth logging: a lost connection, an unparsable entry, a throwing handler. */
  onError?: (err: Error) => void;
}

interface Queued {
  seq: number;
  json: string;
}

/** Envelope fields of a stream entry. */
const ORIGIN = 'o';
const RUN = 'r';
const SEQ = 's';
const EVENT = 'e';

/** Most XADDs in one pipeline, and most entries taken by one XREAD. */
const BATCH = 500;
/** Wait before trying Redis again after a failure (sooner when the connection comes back). */
const RETRY_MS = 200;
/** How much longer than its BLOCK time a read may take before the reader connects afresh. */
const READ_GRACE_MS = 2000;
/** How long close() waits for queued events to reach Redis. */
const CLOSE_FLUSH_MS = 1000;
/** Longest replies or lines wait for the log (settled, caughtUp) before going ahead anyway. */
const FENCE_MAX_MS = 500;

// The id of the stream's last entry ('0-0' for none), without its fields (an entry can be a large burst).
const LAST_ID = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return '0-0' end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return info[i + 1] end
end
return '0-0'`);

/** Stream ids `ms-seq` in order. */
function idAtLeast(id: string, target: string): boolean {
  const [ms = '0', seq = '0'] = id.split('-');
  const [tms = '0', tseq = '0'] = target.split('-');
  return Number(ms) > Number(tms) || (Number(ms) === Number(tms) && Number(seq) >= Number(tseq));
}

/** A promise that settles when `done` is called, or after FENCE_MAX_MS at most. */
function bounded(register: (done: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FENCE_MAX_MS);
    register(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export class RedisBus implements Bus {
  readonly nodeId: string;
  /** Random per instance: receivers tell a restarted node (whose sequence starts over) from a gap. */
  readonly runId = randomUUID();
  /** Resolves once this node reads the stream: what others publish from then on reaches it. */
  readonly ready: Promise<void>;

  private readonly keys: RedisKeys;
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly streamMaxLen: number;
  private readonly maxQueued: number;
  private readonly blockMs: number;
  private readonly handlers = new Set<BusHandler>();
  private readonly gapHandlers = new Set<GapHandler>();

  private seq = 0;
  private queue: Queued[] = [];
  /**
   * The next flush: at the end of this turn, or after a delay (a retry). Kept
   * by kind, because clearImmediate() given a Timeout (or clearTimeout() an
   * Immediate) corrupts Node's queues: a stray clearImmediate() on a retry
   * timer once left a node whose setImmediate callbacks never ran again.
   */
  private flushTimer: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | null = null;
  private flushing: Promise<void> | null = null;
  /** Events were dropped since the queue was last empty. */
  private dropping = false;
  /** Publishing has stopped (close() was called); reading stops once closed is set too. */
  private closing = false;
  private closed = false;

  /** The highest sequence number Redis has taken, and who waits for a higher one (settled). */
  private ackedSeq = 0;
  private ackWaiters: Array<{ seq: number; done: () => void }> = [];
  /** Lines waiting for the next LAST_ID query (caughtUp), and who waits for the reader to pass an id. */
  private nextFence: Promise<void> | null = null;
  private readWaiters: Array<{ id: string; done: () => void }> = [];

  /** The stream's epoch as this reader knows it (null until it first read the key). */
  private epoch: string | null = null;
  private lastId = '0-0';
  /** Per origin: the run and last sequence number seen. */
  private readonly seen = new Map<string, { run: string; seq: number }>();
  private wakeReader: (() => void) | null = null;
  private readonly readLoop: Promise<void>;

  constructor(private readonly options: RedisBusOptions) {
    this.nodeId = options.nodeId;
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.streamMaxLen = options.streamMaxLen ?? 100_000;
    this.maxQueued = options.maxQueued ?? 100_000;
    this.blockMs = options.blockMs ?? 1000;
    const name = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}${options.nodeId}`;
    const onError = options.onError;
    this.writer = redisClient(options.url, { name: `${name}:bus-write`, commandTimeoutMs: 2000, ...(onError ? { onError } : {}) });
    // A read unanswered well past its BLOCK time means a hung server or a dead socket.
    this.reader = redisClient(options.url, { name: `${name}:bus-read`, commandTimeoutMs: this.blockMs + READ_GRACE_MS, ...(onError ? { onError } : {}) });
    this.writer.on('ready', () => this.scheduleFlush());
    this.reader.on('ready', () => this.wakeReader?.());
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.readLoop = this.read(markReady);
  }

  publish(event: ClusterEvent): void {
    if (this.closing) return;
    const seq = ++this.seq;
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (err) {
      // Its number is never sent, so receivers see the loss as a gap.
      this.report(err);
      return;
    }
    this.queue.push({ seq, json });
    if (this.queue.length > this.maxQueued) this.dropOldest(this.queue.length - this.maxQueued);
    this.scheduleFlush();
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onGap(handler: GapHandler): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  settled(): Promise<void> | null {
    const target = this.seq;
    // Nothing unsent, or Redis away (replies do not wait for a log that cannot be written).
    if (this.ackedSeq >= target || this.closing || this.writer.status !== 'ready') return null;
    // Send now rather than at the end of the turn: replies are waiting.
    if (this.flushTimer) {
      this.clearFlushTimer();
      this.startFlush();
    }
    return bounded((done) => this.ackWaiters.push({ seq: target, done }));
  }

  caughtUp(): Promise<void> | null {
    if (this.closing || this.epoch === null || this.writer.status !== 'ready' || this.reader.status !== 'ready') return null;
    // Lines arriving in one turn share one query, asked after all of them arrived.
    this.nextFence ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.nextFence = null;
      return bounded((done) => {
        LAST_ID.run(this.writer, [this.keys.stream], []).then(
          (last) => {
            if (idAtLeast(this.lastId, String(last))) done();
            else this.readWaiters.push({ id: String(last), done });
          },
          (err: unknown) => {
            this.report(err);
            done();
          },
        );
      });
    });
    return this.nextFence;
  }

  /** Sends what is queued (if Redis takes it within a second), then stops reading. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.clearFlushTimer();
    const lastFlush = (async () => {
      await this.flushing;
      if (this.queue.length > 0 && this.writer.status === 'ready') await this.flush();
    })();
    await Promise.race([lastFlush, new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref())]);
    this.closed = true;
    this.handlers.clear();
    this.gapHandlers.clear();
    this.wakeReader?.();
    // Ends the blocked XREAD, which ends the read loop.
    this.reader.disconnect();
    await Promise.all([closeClient(this.writer), this.readLoop]);
  }

  // --- publishing -------------------------------------------------------------

  /** Past maxQueued the oldest events go; reported once until the queue next empties. */
  private dropOldest(count: number): void {
    this.queue.splice(0, count);
    if (!this.dropping) {
      this.dropping = true;
      this.report(new Error(`more than ${this.maxQueued} events wait for Redis: dropping the oldest (the other nodes will see a gap and resync this one)`));
    }
  }

  private scheduleFlush(delayMs = 0): void {
    if (this.flushTimer || this.flushing || this.closing || this.queue.length === 0) return;
    // setImmediate: everything published in this turn of the event loop goes in one pipeline.
    this.flushTimer = delayMs === 0 ? { immediate: setImmediate(() => this.startFlush()) } : { timeout: setTimeout(() => this.startFlush(), delayMs) };
  }

  private clearFlushTimer(): void {
    const timer = this.flushTimer;
    if (timer !== null) {
      if ('immediate' in timer) clearImmediate(timer.immediate);
      else clearTimeout(timer.timeout);
    }
    this.flushTimer = null;
  }

  private startFlush(): void {
    this.flushTimer = null;
    void this.flush();
  }

  /** Send the queue in order, one pipeline at a time; on failure put the unsent back in front and try again soon. */
  private flush(): Promise<void> {
    const run = async () => {
      let failed = false;
      while (this.queue.length > 0 && !failed) {
        const batch = this.queue.splice(0, BATCH);
        const pipeline = this.writer.pipeline();
        for (const { seq, json } of batch) {
          pipeline.xadd(this.keys.stream, 'MAXLEN', '~', this.streamMaxLen, '*', ORIGIN, this.nodeId, RUN, this.runId, SEQ, seq, EVENT, json);
        }
        /** How many of the batch Redis took, when some failed. */
        let taken = 0;
        try {
          const results = (await pipeline.exec()) ?? [];
          const firstError = results.findIndex(([err]) => err);
          if (firstError >= 0) {
            this.report(results[firstError]?.[0]);
            taken = firstError;
            failed = true;
          } else if (results.length < batch.length) {
            taken = results.length;
            failed = true;
          }
        } catch (err) {
          this.report(err);
          failed = true;
        }
        const lastTaken = failed ? batch[taken - 1] : batch[batch.length - 1];
        if (lastTaken !== undefined) this.acked(lastTaken.seq);
        if (failed) {
          // Anything of the batch may have reached Redis before the failure:
          // sent again, it is dropped as a repeat by its sequence number.
          this.queue = batch.slice(taken).concat(this.queue);
          if (this.queue.length > this.maxQueued) this.dropOldest(this.queue.length - this.maxQueued);
        }
      }
      this.flushing = null;
      if (this.queue.length === 0) this.dropping = false;
      if (failed) this.scheduleFlush(RETRY_MS);
    };
    this.flushing = run();
    return this.flushing;
  }

  /** Redis has taken everything up to `seq`: replies waiting for it may go. */
  private acked(seq: number): void {
    if (seq > this.ackedSeq) this.ackedSeq = seq;
    if (this.ackWaiters.length === 0) return;
    const still: typeof this.ackWaiters = [];
    for (const waiter of this.ackWaiters) {
      if (waiter.seq <= this.ackedSeq) waiter.done();
      else still.push(waiter);
    }
    this.ackWaiters = still;
  }

  // --- receiving --------------------------------------------------------------

  private async read(markReady: () => void): Promise<void> {
    while (!this.closed) {
      try {
        if (this.epoch === null) {
          await this.startReading();
          markReady();
        }
        const results = await this.reader
          .pipeline()
          .get(this.keys.epoch)
          .xread('COUNT', BATCH, 'BLOCK', this.blockMs, 'STREAMS', this.keys.stream, this.lastId)
          .exec();
        if (this.closed) return;
        const [[epochError, epoch], [readError, streams]] = (results ?? []) as [[Error | null, string | null], [Error | null, StreamReply | null]];
        if (epochError || readError) throw epochError ?? readError;
        if (epoch !== this.epoch) {
          await this.streamLost();
          continue;
        }
        for (const [, entries] of streams ?? []) for (const [id, fields] of entries) this.receive(id, fields);
      } catch (err) {
        if (this.closed) return;
        this.report(err);
        // A socket that stopped answering may be half-open: only a new connection tells.
        if (err instanceof Error && err.message === 'Command timed out') this.reader.disconnect(true);
        await this.pauseReader();
      }
    }
  }

  /** Begin after the stream's last entry: only events published from now on. */
  private async startReading(): Promise<void> {
    const results = await this.reader
      .pipeline()
      .set(this.keys.epoch, randomUUID(), 'NX')
      .get(this.keys.epoch)
      .xrevrange(this.keys.stream, '+', '-', 'COUNT', 1)
      .exec();
    const [, [epochError, epoch], [rangeError, last]] = (results ?? []) as [unknown, [Error | null, string | null], [Error | null, Array<[string, string[]]>]];
    if (epochError || rangeError || epoch === null) throw epochError ?? rangeError ?? new Error('the bus epoch key vanished as it was made');
    this.epoch = epoch;
    this.lastId = last[0]?.[0] ?? '0-0';
  }

  /** The stream this reader knew is gone (Redis lost its data): report every origin and read the new one from its start. */
  private async streamLost(): Promise<void> {
    await this.reader.set(this.keys.epoch, randomUUID(), 'NX');
    this.epoch = await this.reader.get(this.keys.epoch);
    this.lastId = '0-0';
    const origins = [...this.seen.keys()];
    this.seen.clear();
    for (const origin of origins) this.gap(origin);
  }

  private receive(id: string, fields: string[]): void {
    this.lastId = id;
    try {
      this.deliver(id, fields);
    } finally {
      if (this.readWaiters.length > 0) this.passed(id);
    }
  }

  /** The reader has handled entry `id`: lines waiting for it may go. */
  private passed(id: string): void {
    const still: typeof this.readWaiters = [];
    for (const waiter of this.readWaiters) {
      if (idAtLeast(id, waiter.id)) waiter.done();
      else still.push(waiter);
    }
    this.readWaiters = still;
  }

  private deliver(id: string, fields: string[]): void {
    const envelope: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) envelope[fields[i] as string] = fields[i + 1] as string;
    const { [ORIGIN]: origin, [RUN]: run, [SEQ]: seqText, [EVENT]: json } = envelope;
    if (origin === undefined || run === undefined || seqText === undefined || json === undefined) {
      this.report(new Error(`bus entry ${id} lacks its origin, run, sequence or event: skipped`));
      return;
    }
    if (origin === this.nodeId) return;
    const seq = Number(seqText);
    const previous = this.seen.get(origin);
    if (previous && previous.run === run && seq <= previous.seq) return; // a repeat
    this.seen.set(origin, { run, seq });
    // First sight of an origin sets its baseline; after that, a new run or a jump is a loss.
    if (previous && (previous.run !== run || seq !== previous.seq + 1)) this.gap(origin);
    let event: ClusterEvent;
    try {
      event = JSON.parse(json) as ClusterEvent;
    } catch (err) {
      this.report(err);
      this.gap(origin);
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.report(err);
      }
    }
  }

  private gap(origin: string): void {
    for (const handler of this.gapHandlers) {
      try {
        handler(origin);
      } catch (err) {
        this.report(err);
      }
    }
  }

  /** Wait a moment after a failed read, or until the reader's connection is back. */
  private pauseReader(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, RETRY_MS);
      const self = this;
      function wake() {
        clearTimeout(timer);
        self.wakeReader = null;
        resolve();
      }
      this.wakeReader = wake;
    });
  }

  private report(err: unknown): void {
    if (this.options.onError) this.options.onError(err instanceof Error ? err : new Error(String(err)));
  }
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]>;
