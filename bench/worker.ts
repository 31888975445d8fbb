/**
 * A load-generator worker: a child process (forked by bench/lib/pool.ts) that
 * owns a share of the benchmark's clients. Raw TCP sockets, one shared read
 * buffer, a minimal line splitter, and no IRC parsing on the hot path: a
 * benchmark message is found by its verb and the first " :" of the line, and
 * its numbers are read in place. Writes are batched per socket and flushed
 * once per turn of the event loop.
 *
 * Message texts (the part after " :"):
 *   fanout   F<channel> <sender index> <seq> <send time us> <padding>
 *   privmsg  P<pair> <seq> <send time us> <padding>   initiator -> responder
 *            Q<pair> <seq> <send time us> <padding>   responder -> initiator (same seq and time)
 *   mixed    M<channel> <sender gid> <seq> <send time us> <padding>   to a channel
 *            D<sender gid> <seq> <send time us> <padding>             to a nick
 *            (one seq counter per sender over both kinds)
 * Times are microseconds of the system-wide monotonic clock (process.hrtime),
 * so every worker on the machine reads the same clock.
 */
import { connect, type Socket } from 'node:net';
import { Histogram, nowUs } from './lib/histogram.js';
import type {
  ChurnCommand,
  Command,
  ConnectCommand,
  ConnectReport,
  Counters,
  FanoutCommand,
  InitCommand,
  JoinCommand,
  JoinReport,
  MarkReport,
  MixedCommand,
  PrivmsgCommand,
  Request,
  Response,
} from './lib/ipc.js';
import { nickFor, sourceAddress } from './lib/layout.js';
import { prng } from './lib/prng.js';

type LineHandler = (c: Client, d: string, a: number, b: number) => void;

/** Guard for a line that never ends: a benchmark line is a few hundred bytes. */
const MAX_CARRY = 1 << 20;

class Client {
  sock: Socket | null = null;
  carry = '';
  out = '';
  queued = false;
  registered = false;
  closed = false;
  onLine: LineHandler = registerLine;
  /** The last ERROR line or other reason, for reports. */
  reason = '';
  startedUs = 0;
  /** When 001 arrived, us (0: not yet). */
  welcomedUs = 0;
  // registration / join bookkeeping
  done: ((ok: boolean, why?: string) => void) | null = null;
  /** The channels of the JOIN under way, and how many of their 366s are still to come. */
  joinChannels: string[] = [];
  joinPending = 0;
  // fanout receiver: last sequence number per sender index of its channel
  channel = -1;
  last: Int32Array | null = null;
  witnessFor: Array<Sender | undefined> | null = null;
  // privmsg
  peerNick = '';
  pair = -1;
  lastSeq = -1;
  initiator: Initiator | null = null;
  // churn
  churn: ChurnLoop | null = null;
  // mixed: the next sequence number this client sends; per (sender, channel or direct) the last one received
  mseq = 0;
  seen: Map<number, number> | null = null;
  /** Mixed churner: the small channel it is in (-1: none) and whether it wears its other nick. */
  churnerIn = -2;
  altNick = false;
  constructor(
    readonly gid: number,
    readonly nick: string,
  ) {}
}

interface Sender {
  client: Client;
  channel: number;
  index: number;
  target: string;
  sent: number;
  acked: number;
  queued: boolean;
}

interface Initiator {
  client: Client;
  pair: number;
  target: string;
  sent: number;
  returned: number;
}

interface ChurnLoop {
  id: number;
  client: Client | null;
  state: 'connecting' | 'join' | 'part' | 'quit';
  channel: string;
  timer: NodeJS.Timeout | null;
}

// ---------------------------------------------------------------- state

let init: InitCommand | null = null;
const clients = new Map<number, Client>();
const readBuffer = Buffer.allocUnsafe(256 * 1024);
/** Time of the read being processed, us: one clock read per chunk, not per line. */
let chunkUs = 0;

let measuring = false;
const latency = new Histogram();
const counters: Counters = freshCounters();
let lateSends = 0;

function freshCounters(): Counters {
  return { sent: 0, done: 0, received: 0, reordered: 0, gaps: 0, duplicates: 0, errors: {}, samples: [] };
}

function resetCounters(): void {
  Object.assign(counters, freshCounters());
  latency.reset();
  lateSends = 0;
}

function noteError(kind: string, detail: string): void {
  counters.errors[kind] = (counters.errors[kind] ?? 0) + 1;
  if (counters.samples.length < 10) counters.samples.push(`${kind}: ${detail}`);
}

// ---------------------------------------------------------------- sockets and lines

function open(c: Client, address: string): void {
  const cfg = init!;
  c.startedUs = nowUs();
  const sock = connect({
    host: cfg.host,
    port: cfg.ports && c.gid >= 0 ? cfg.ports[c.gid % cfg.ports.length]! : cfg.port,
    localAddress: address,
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (n: number, buf: Uint8Array) => {
        onData(c, (buf as Buffer).toString('latin1', 0, n));
        return true;
      },
    },
  });
  c.sock = sock;
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (!c.reason) c.reason = `socket ${err.code ?? err.message}`;
  });
  sock.on('close', () => onClose(c));
}

function onData(c: Client, s: string): void {
  chunkUs = nowUs();
  const d = c.carry.length === 0 ? s : c.carry + s;
  let pos = 0;
  let nl = d.indexOf('\n');
  while (nl >= 0) {
    const end = nl > pos && d.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end > pos) c.onLine(c, d, pos, end);
    pos = nl + 1;
    nl = d.indexOf('\n', pos);
  }
  c.carry = pos === 0 ? d : pos < d.length ? d.slice(pos) : '';
  if (c.carry.length > MAX_CARRY) {
    noteError('line too long', c.nick);
    c.sock?.destroy();
  }
}

function onClose(c: Client): void {
  const wasClosed = c.closed;
  c.closed = true;
  c.sock = null;
  if (c.churn) return churnClosed(c);
  if (c.done) {
    const done = c.done;
    c.done = null;
    done(false, c.reason || 'closed by the server');
    return;
  }
  if (!wasClosed) noteError('closed by the server', `${c.nick}: ${c.reason || 'no ERROR line'}`);
}

const flushQueue: Client[] = [];
let flushScheduled = false;

function send(c: Client, text: string): void {
  if (c.closed || c.sock === null) return;
  c.out += text;
  if (!c.queued) {
    c.queued = true;
    flushQueue.push(c);
    scheduleFlush();
  }
}

function scheduleFlush(): void {
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

/** Once per turn of the event loop: refill the closed-loop senders, then write every socket's batch. */
function flush(): void {
  flushScheduled = false;
  if (senderQueue.length > 0) refillSenders();
  for (let i = 0; i < flushQueue.length; i++) {
    const c = flushQueue[i]!;
    c.queued = false;
    if (c.out.length > 0 && c.sock !== null && !c.closed) c.sock.write(c.out);
    c.out = '';
  }
  flushQueue.length = 0;
}

/** Start of the verb: after the ":prefix " if there is one. */
function verbStart(d: string, a: number): number {
  if (d.charCodeAt(a) !== 58) return a;
  const sp = d.indexOf(' ', a);
  return sp < 0 ? a : sp + 1;
}

/** Index after the verb's parameter that starts at p (the next space), or b. */
function paramEnd(d: string, p: number, b: number): number {
  const sp = d.indexOf(' ', p);
  return sp < 0 || sp > b ? b : sp;
}

/** PING, ERROR and numerics every phase handles; returns true when handled. */
function commonLine(c: Client, d: string, a: number, b: number, v: number): boolean {
  if (d.startsWith('PING', v)) {
    send(c, `PONG${d.slice(v + 4, b)}\r\n`);
    return true;
  }
  if (d.startsWith('ERROR', v)) {
    c.reason = d.slice(a, Math.min(b, a + 200));
    return true;
  }
  return false;
}

// parse state for readInt
let intEnd = 0;
/** A non-negative decimal at p; sets intEnd to the index after it (-1 when there is none). */
function readInt(d: string, p: number): number {
  let n = 0;
  let x = d.charCodeAt(p);
  if (!(x >= 48 && x <= 57)) {
    intEnd = -1;
    return 0;
  }
  while (x >= 48 && x <= 57) {
    n = n * 10 + (x - 48);
    x = d.charCodeAt(++p);
  }
  intEnd = p;
  return n;
}

// ---------------------------------------------------------------- connect / register

function registerLine(c: Client, d: string, a: number, b: number): void {
  const v = verbStart(d, a);
  if (commonLine(c, d, a, b, v)) return;
  if (d.startsWith('001 ', v)) {
    // registered; the registration counts as done at the end of the welcome burst (376 or 422) that follows
    c.registered = true;
    c.welcomedUs = chunkUs;
  } else if (c.registered && (d.startsWith('376 ', v) || d.startsWith('422 ', v))) {
    c.onLine = idleLine;
    const done = c.done;
    c.done = null;
    done?.(true);
  } else if (d.startsWith('433 ', v) || d.startsWith('432 ', v) || d.startsWith('465 ', v)) {
    c.reason = d.slice(a, Math.min(b, a + 200));
    c.sock?.destroy();
  }
}

function idleLine(c: Client, d: string, a: number, b: number): void {
  commonLine(c, d, a, b, verbStart(d, a));
}

/** Outcomes of a batch of starts: counts, failures by kind (digits folded), and a few examples. */
interface Tally {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  samples: string[];
}

function tally(result: Tally, ok: boolean, why: string | undefined): void {
  if (ok) {
    result.ok++;
    return;
  }
  result.failed++;
  const kind = (why ?? 'failed').replace(/[0-9]+/g, 'N').slice(0, 80);
  result.errors[kind] = (result.errors[kind] ?? 0) + 1;
  if (result.samples.length < 10) result.samples.push(why ?? 'failed');
}

/** Starts still unfinished at the deadline count as failed, 'timed out'. */
function tallyTimedOut(result: Tally, missing: number): void {
  result.failed += missing;
  result.errors['timed out'] = (result.errors['timed out'] ?? 0) + missing;
}

async function runWindowed<T>(items: T[], window: number, timeoutMs: number, start: (item: T, done: (ok: boolean, why?: string) => void) => void): Promise<Tally> {
  const result: Tally = { ok: 0, failed: 0, errors: {}, samples: [] };
  if (items.length === 0) return result;
  return new Promise((resolve) => {
    let next = 0;
    let finished = 0;
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      tallyTimedOut(result, items.length - finished);
      resolve(result);
    }, timeoutMs);
    const launch = () => {
      while (next < items.length && next - finished < window) {
        const item = items[next++]!;
        let settled = false;
        start(item, (ok, why) => {
          if (settled || over) return;
          settled = true;
          finished++;
          tally(result, ok, why);
          if (finished === items.length) {
            clearTimeout(timer);
            resolve(result);
          } else launch();
        });
      }
    };
    launch();
  });
}

/**
 * Open loop: item k starts at (k + phase) / rate seconds after the call,
 * whether or not the earlier ones finished; resolves when all have finished
 * or timeoutMs after the call.
 */
async function runPaced<T>(items: T[], rate: number, phase: number, timeoutMs: number, start: (item: T, done: (ok: boolean, why?: string) => void) => void): Promise<Tally & { late: number }> {
  const result: Tally & { late: number } = { ok: 0, failed: 0, errors: {}, samples: [], late: 0 };
  if (items.length === 0) return result;
  return new Promise((resolve) => {
    const t0 = nowUs();
    let next = 0;
    let finished = 0;
    let over = false;
    const finish = () => {
      clearInterval(ticker);
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      over = true;
      tallyTimedOut(result, items.length - finished);
      finish();
    }, timeoutMs);
    const ticker = setInterval(() => {
      const now = nowUs();
      while (next < items.length) {
        const dueUs = t0 + ((next + phase) / rate) * 1e6;
        if (dueUs > now) break;
        if (now - dueUs > 10_000) result.late++;
        const item = items[next++]!;
        let settled = false;
        start(item, (ok, why) => {
          if (settled || over) return;
          settled = true;
          finished++;
          tally(result, ok, why);
          if (finished === items.length) finish();
        });
      }
    }, 1);
  });
}

async function doConnect(cmd: ConnectCommand): Promise<ConnectReport> {
  const cfg = init!;
  const hist = new Histogram();
  const hist001 = new Histogram();
  let lastAt = 0;
  const failedGids: number[] = [];
  const start = (gid: number, done: (ok: boolean, why?: string) => void) => {
    const c = new Client(gid, nickFor(cfg.nickPrefix, gid));
    clients.set(gid, c);
    c.done = (ok, why) => {
      if (ok) {
        hist.record(chunkUs - c.startedUs);
        hist001.record(c.welcomedUs - c.startedUs);
        lastAt = Date.now();
      } else failedGids.push(gid);
      done(ok, why);
    };
    open(c, sourceAddress(cfg.addressOctet, Math.floor(gid / cfg.perAddress)));
    send(c, `NICK ${c.nick}\r\nUSER ${c.nick} 0 * :bench\r\n`);
  };
  const r = cmd.rate ? await runPaced(cmd.gids, cmd.rate, cmd.phase ?? 0, cmd.timeoutMs, start) : { ...(await runWindowed(cmd.gids, cmd.window, cmd.timeoutMs, start)), late: 0 };
  return { registered: r.ok, failed: r.failed, errors: r.errors, samples: r.samples, latency: hist.toJSON(), latency001: hist001.toJSON(), lastAt, lateStarts: r.late, failedGids };
}

// ---------------------------------------------------------------- join

function joinLine(c: Client, d: string, a: number, b: number): void {
  const v = verbStart(d, a);
  if (commonLine(c, d, a, b, v)) return;
  // 366 <nick> <channel> :End of NAMES, one per channel; 4xx naming one of them: refused
  if (d.startsWith('366 ', v)) {
    if (--c.joinPending > 0) return;
    const done = c.done;
    c.done = null;
    c.onLine = idleLine;
    done?.(true);
  } else if (d.charCodeAt(v) === 52 && d.charCodeAt(v + 3) === 32 && c.joinChannels.some((ch) => d.indexOf(ch, v) > 0 && d.indexOf(ch, v) < b)) {
    const done = c.done;
    c.done = null;
    c.onLine = idleLine;
    done?.(false, `JOIN refused: ${d.slice(v, Math.min(b, v + 120))}`);
  }
}

async function doJoin(cmd: JoinCommand): Promise<JoinReport> {
  const r = await runWindowed(cmd.joins, cmd.window, cmd.timeoutMs, ([gid, channel], done) => {
    const c = clients.get(gid);
    if (!c || c.closed) return done(false, `client ${gid} is not connected`);
    // a comma-separated list: one JOIN, done at the last 366
    c.joinChannels = channel.split(',');
    c.joinPending = c.joinChannels.length;
    c.done = done;
    c.onLine = joinLine;
    send(c, `JOIN ${channel}\r\n`);
  });
  return { joined: r.ok, failed: r.failed, errors: r.errors, samples: r.samples };
}

// ---------------------------------------------------------------- quiesce

/** Resolves once no client has read anything for quietMs (at most maxMs). */
async function doQuiesce(quietMs: number, maxMs: number): Promise<{ waitedMs: number }> {
  const started = Date.now();
  chunkUs = nowUs();
  while (nowUs() - chunkUs < quietMs * 1000 && Date.now() - started < maxMs) await new Promise((r) => setTimeout(r, 50));
  return { waitedMs: Date.now() - started };
}

// ---------------------------------------------------------------- fanout

let running = false;
let mode: 'closed' | 'open' = 'closed';
let window = 1;
let padding = '';
let senders: Sender[] = [];
const senderQueue: Sender[] = [];
let channelCount = 0;
let sentPerChannel: number[] = [];
let openTimer: NodeJS.Timeout | null = null;

function fanoutLine(c: Client, d: string, a: number, b: number): void {
  const v = verbStart(d, a);
  if (!d.startsWith('PRIVMSG ', v)) {
    commonLine(c, d, a, b, v);
    return;
  }
  let t = d.indexOf(' :', v + 8);
  if (t < 0 || t >= b) return;
  t += 2;
  if (d.charCodeAt(t) !== 70) return; // 'F'
  const channel = readInt(d, t + 1);
  if (intEnd < 0) return;
  const index = readInt(d, intEnd + 1);
  if (intEnd < 0) return;
  const seq = readInt(d, intEnd + 1);
  if (intEnd < 0) return;
  const ts = readInt(d, intEnd + 1);
  if (intEnd < 0) return;
  counters.done++;
  if (measuring) latency.record(chunkUs - ts);
  const last = c.last;
  if (channel !== c.channel || last === null || index >= last.length) {
    noteError('message from another channel', d.slice(a, Math.min(b, a + 120)));
    return;
  }
  const prev = last[index]!;
  if (seq === prev + 1) last[index] = seq;
  else if (seq > prev + 1) {
    counters.gaps++;
    last[index] = seq;
  } else if (seq === prev) counters.duplicates++;
  else counters.reordered++;
  const w = c.witnessFor;
  if (w !== null) {
    const s = w[index];
    if (s !== undefined) {
      s.acked++;
      if (running && mode === 'closed' && !s.queued) {
        s.queued = true;
        senderQueue.push(s);
        scheduleFlush();
      }
    }
  }
}

function messageFor(s: Sender, ts: number): string {
  return `PRIVMSG ${s.target} :F${s.channel} ${s.index} ${s.sent} ${ts} ${padding}\r\n`;
}

function refillSenders(): void {
  const ts = nowUs();
  for (let i = 0; i < senderQueue.length; i++) {
    const s = senderQueue[i]!;
    s.queued = false;
    if (!running) continue;
    let text = '';
    while (s.sent - s.acked < window) {
      text += messageFor(s, ts);
      s.sent++;
      counters.sent++;
      sentPerChannel[s.channel]!++;
    }
    if (text) send(s.client, text);
  }
  senderQueue.length = 0;
}

function paddingFor(size: number, header: number): string {
  return 'x'.repeat(Math.max(1, size - header));
}

function doFanout(cmd: FanoutCommand): { members: number; senders: number } {
  resetCounters();
  mode = cmd.mode;
  window = Math.max(1, cmd.window);
  // F<c> <s> <seq> <ts> takes about 30 bytes
  padding = paddingFor(cmd.size, 30);
  channelCount = cmd.channelNames.length;
  sentPerChannel = new Array<number>(channelCount).fill(0);
  for (const [gid, channel] of cmd.members) {
    const c = clients.get(gid);
    if (!c || c.closed) throw new Error(`fanout member ${gid} is not connected`);
    c.channel = channel;
    c.last = new Int32Array(cmd.sendersPerChannel).fill(-1);
    c.witnessFor = null;
    c.onLine = fanoutLine;
  }
  senders = cmd.senders.map((spec) => {
    const c = clients.get(spec.gid);
    const w = clients.get(spec.witness);
    if (!c || !w) throw new Error(`fanout sender ${spec.gid} or its witness ${spec.witness} is not here`);
    const s: Sender = { client: c, channel: spec.channel, index: spec.index, target: cmd.channelNames[spec.channel]!, sent: 0, acked: 0, queued: false };
    w.witnessFor ??= [];
    w.witnessFor[spec.index] = s;
    return s;
  });
  running = true;
  if (mode === 'closed') {
    for (const s of senders) {
      s.queued = true;
      senderQueue.push(s);
    }
    scheduleFlush();
  } else {
    const started = nowUs();
    const perUs = cmd.ratePerSender / 1e6;
    // Stagger the senders over one interval so they do not all fire in the same tick.
    const offsets = senders.map((_, i) => (i / Math.max(1, senders.length)) / Math.max(perUs, 1e-9));
    openTimer = setInterval(() => {
      if (!running) return;
      const now = nowUs();
      for (let i = 0; i < senders.length; i++) {
        const s = senders[i]!;
        const elapsed = now - started - offsets[i]!;
        if (elapsed < 0) continue;
        const due = Math.floor(elapsed * perUs) + 1 - s.sent;
        if (due <= 0) continue;
        if (due > 1 && (due - 1) / perUs > 10_000) lateSends += due - 1;
        let text = '';
        for (let k = 0; k < due; k++) {
          text += messageFor(s, now);
          s.sent++;
          counters.sent++;
          sentPerChannel[s.channel]!++;
        }
        send(s.client, text);
      }
    }, 1);
  }
  return { members: cmd.members.length, senders: senders.length };
}

// ---------------------------------------------------------------- privmsg

let initiators: Initiator[] = [];

function privmsgLine(c: Client, d: string, a: number, b: number): void {
  const v = verbStart(d, a);
  if (!d.startsWith('PRIVMSG ', v)) {
    commonLine(c, d, a, b, v);
    return;
  }
  let t = d.indexOf(' :', v + 8);
  if (t < 0 || t >= b) return;
  t += 2;
  const kind = d.charCodeAt(t);
  const pair = readInt(d, t + 1);
  if (intEnd < 0) return;
  const seqAt = intEnd + 1;
  const seq = readInt(d, seqAt);
  if (intEnd < 0) return;
  const ts = readInt(d, intEnd + 1);
  if (intEnd < 0 || pair !== c.pair) return;
  if (seq === c.lastSeq + 1) c.lastSeq = seq;
  else if (seq > c.lastSeq + 1) {
    counters.gaps++;
    c.lastSeq = seq;
  } else if (seq === c.lastSeq) counters.duplicates++;
  else counters.reordered++;
  if (kind === 80) {
    // 'P' at the responder: echo it back with the same seq and time
    counters.received++;
    counters.sent++;
    send(c, `PRIVMSG ${c.peerNick} :Q${d.slice(t + 1, b)}\r\n`);
  } else if (kind === 81 && c.initiator !== null) {
    // 'Q' at the initiator: a round trip
    const it = c.initiator;
    it.returned++;
    counters.done++;
    if (measuring) latency.record(chunkUs - ts);
    if (running) sendPrivmsg(it, 1);
  }
}

function sendPrivmsg(it: Initiator, n: number): void {
  const ts = nowUs();
  let text = '';
  for (let k = 0; k < n; k++) {
    text += `PRIVMSG ${it.target} :P${it.pair} ${it.sent} ${ts} ${padding}\r\n`;
    it.sent++;
    counters.sent++;
  }
  send(it.client, text);
}

function doPrivmsg(cmd: PrivmsgCommand): { pairs: number } {
  resetCounters();
  window = Math.max(1, cmd.window);
  // P<pair> <seq> <ts> takes about 25 bytes
  padding = paddingFor(cmd.size, 25);
  initiators = [];
  for (const [ga, gb, pair] of cmd.pairs) {
    const a = clients.get(ga);
    const b = clients.get(gb);
    if (!a || !b || a.closed || b.closed) throw new Error(`privmsg pair ${pair} is not connected`);
    a.pair = pair;
    b.pair = pair;
    a.lastSeq = -1;
    b.lastSeq = -1;
    a.peerNick = b.nick;
    b.peerNick = a.nick;
    a.onLine = privmsgLine;
    b.onLine = privmsgLine;
    const it: Initiator = { client: a, pair, target: b.nick, sent: 0, returned: 0 };
    a.initiator = it;
    initiators.push(it);
  }
  running = true;
  for (const it of initiators) sendPrivmsg(it, window);
  return { pairs: initiators.length };
}

// ---------------------------------------------------------------- mixed

let kinds: Record<string, number> = {};
const latencyDirect = new Histogram();
const mixedTimers = new Set<NodeJS.Timeout>();

const bump = (k: string) => (kinds[k] = (kinds[k] ?? 0) + 1);

/** Order per (sender, channel or direct): a sequence number at or below the last one seen is a reorder or a duplicate. */
function mixedOrder(c: Client, key: number, seq: number): void {
  const seen = (c.seen ??= new Map());
  const last = seen.get(key);
  if (last === undefined || seq > last) seen.set(key, seq);
  else if (seq === last) counters.duplicates++;
  else counters.reordered++;
}

function mixedLine(c: Client, d: string, a: number, b: number): void {
  const v = verbStart(d, a);
  if (d.startsWith('PRIVMSG ', v)) {
    let t = d.indexOf(' :', v + 8);
    if (t < 0 || t >= b) return;
    t += 2;
    const kind = d.charCodeAt(t);
    if (kind === 77) {
      // 'M': a channel message
      const channel = readInt(d, t + 1);
      if (intEnd < 0) return;
      const sender = readInt(d, intEnd + 1);
      if (intEnd < 0) return;
      const seq = readInt(d, intEnd + 1);
      if (intEnd < 0) return;
      const ts = readInt(d, intEnd + 1);
      if (intEnd < 0) return;
      if (c.churnerIn !== -2) {
        // a churner: counted, not checked (it is not in the channel for the whole run)
        bump('chanExtra');
        return;
      }
      bump('chanDone');
      if (measuring) latency.record(chunkUs - ts);
      mixedOrder(c, sender * 65536 + channel + 1, seq);
    } else if (kind === 68) {
      // 'D': a direct message
      const sender = readInt(d, t + 1);
      if (intEnd < 0) return;
      const seq = readInt(d, intEnd + 1);
      if (intEnd < 0) return;
      const ts = readInt(d, intEnd + 1);
      if (intEnd < 0) return;
      bump('dmDone');
      if (measuring) latencyDirect.record(chunkUs - ts);
      mixedOrder(c, sender * 65536, seq);
    }
    return;
  }
  if (d.startsWith('JOIN ', v) || d.startsWith('PART ', v) || d.startsWith('NICK ', v)) {
    bump('events');
    return;
  }
  commonLine(c, d, a, b, v);
}

function doMixed(cmd: MixedCommand): { stable: number; churners: number } {
  resetCounters();
  kinds = {};
  latencyDirect.reset();
  const cfg = init!;
  const rand = prng(cmd.seed);
  padding = paddingFor(cmd.size, 30);
  sentPerChannel = new Array<number>(cmd.channelNames.length).fill(0);
  const get = (gid: number) => {
    const c = clients.get(gid);
    if (!c || c.closed) throw new Error(`mixed: client ${gid} is not connected`);
    return c;
  };
  // who may speak where: every membership of a stable client, small and large channels apart
  const small: Array<[Client, number]> = [];
  const large: Array<[Client, number]> = [];
  const stable: Client[] = [];
  for (const [gid, channels] of cmd.stable) {
    const c = get(gid);
    c.onLine = mixedLine;
    c.seen = null;
    c.churnerIn = -2;
    stable.push(c);
    for (const ch of channels) (ch < cmd.smallChannels ? small : large).push([c, ch]);
  }
  const churners = cmd.churners.map((gid) => {
    const c = get(gid);
    c.onLine = mixedLine;
    c.churnerIn = -1;
    return c;
  });
  let nextChurner = 0;
  const channelMessage = (slots: Array<[Client, number]>, ts: number) => {
    if (slots.length === 0) return;
    const [c, ch] = slots[Math.floor(rand() * slots.length)]!;
    send(c, `PRIVMSG ${cmd.channelNames[ch]} :M${ch} ${c.gid} ${c.mseq++} ${ts} ${padding}\r\n`);
    sentPerChannel[ch]!++;
    counters.sent++;
    bump('chanSent');
  };
  const streams: Array<{ rate: number; count: number; fire: (ts: number) => void }> = [
    { rate: cmd.rates.small, count: 0, fire: (ts) => channelMessage(small, ts) },
    { rate: cmd.rates.large, count: 0, fire: (ts) => channelMessage(large, ts) },
    {
      rate: cmd.rates.direct,
      count: 0,
      fire: (ts) => {
        if (stable.length === 0 || cmd.stableTotal < 2) return;
        const c = stable[Math.floor(rand() * stable.length)]!;
        let to = Math.floor(rand() * (cmd.stableTotal - 1));
        if (to >= c.gid) to++; // anyone but itself
        send(c, `PRIVMSG ${nickFor(cfg.nickPrefix, to)} :D${c.gid} ${c.mseq++} ${ts} ${padding}\r\n`);
        counters.sent++;
        bump('dmSent');
      },
    },
    {
      rate: cmd.rates.joins,
      count: 0,
      fire: () => {
        // the next churner not in a channel joins a random small one, and parts holdMs later
        for (let k = 0; k < churners.length; k++) {
          const c = churners[nextChurner++ % churners.length]!;
          if (c.churnerIn !== -1) continue;
          const ch = Math.floor(rand() * cmd.smallChannels);
          c.churnerIn = ch;
          send(c, `JOIN ${cmd.channelNames[ch]}\r\n`);
          bump('joins');
          const timer = setTimeout(() => {
            mixedTimers.delete(timer);
            send(c, `PART ${cmd.channelNames[ch]}\r\n`);
            c.churnerIn = -1;
            bump('parts');
          }, cmd.holdMs);
          mixedTimers.add(timer);
          return;
        }
        bump('joinSkipped');
      },
    },
    {
      rate: cmd.rates.nicks,
      count: 0,
      fire: () => {
        if (churners.length === 0) return;
        const c = churners[Math.floor(rand() * churners.length)]!;
        c.altNick = !c.altNick;
        send(c, `NICK ${c.altNick ? `${c.nick}_` : c.nick}\r\n`);
        bump('nicks');
      },
    },
  ];
  running = true;
  const started = nowUs();
  openTimer = setInterval(() => {
    if (!running) return;
    const now = nowUs();
    const elapsedS = (now - started) / 1e6;
    for (const s of streams) {
      const due = Math.floor(elapsedS * s.rate) - s.count;
      if (due > 1 && (due - 1) / s.rate > 0.01) lateSends += due - 1;
      for (let k = 0; k < due; k++) {
        s.fire(now);
        s.count++;
      }
    }
  }, 1);
  return { stable: stable.length, churners: churners.length };
}

// ---------------------------------------------------------------- churn

let churnLoops: ChurnLoop[] = [];
let churnCycle = 0;
let churnCmd: ChurnCommand | null = null;
let churnIdle: (() => void) | null = null;

function churnStart(loop: ChurnLoop): void {
  const cfg = init!;
  // a restart timer of a loop from an earlier churn phase
  if (!churnLoops.includes(loop)) return;
  if (!running) {
    loop.client = null;
    if (churnIdle && churnLoops.every((l) => l.client === null)) churnIdle();
    return;
  }
  const k = churnCycle++;
  // Nicks: c + the run's prefix character + worker + cycle in base 36 (at most 9 characters).
  const c = new Client(-1, `c${cfg.nickPrefix[1]}${cfg.worker.toString(36)}${k.toString(36)}`);
  c.churn = loop;
  c.onLine = churnLine;
  loop.client = c;
  loop.state = 'connecting';
  loop.channel = `#churn${k % churnCmd!.channels}`;
  loop.timer = setTimeout(() => {
    noteError('cycle timed out', `${c.nick} in state ${loop.state}`);
    c.reason = 'timed out';
    c.sock?.destroy();
  }, churnCmd!.timeoutMs);
  // spread over many source addresses: 250 per /24
  open(c, sourceAddress(cfg.addressOctet, (k * cfg.workers + cfg.worker) % 2000));
  send(c, `NICK ${c.nick}\r\nUSER ${c.nick} 0 * :bench\r\n`);
}

function ownLine(c: Client, d: string, a: number, verb: string, v: number): boolean {
  // ":<nick>!" then the verb
  return d.charCodeAt(a) === 58 && d.startsWith(c.nick, a + 1) && d.charCodeAt(a + 1 + c.nick.length) === 33 && d.startsWith(verb, v);
}

function churnLine(c: Client, d: string, a: number, b: number): void {
  const loop = c.churn!;
  const v = verbStart(d, a);
  if (commonLine(c, d, a, b, v)) return;
  switch (loop.state) {
    case 'connecting':
      if (d.startsWith('001 ', v)) {
        loop.state = 'join';
        send(c, `JOIN ${loop.channel}\r\n`);
      } else if (d.startsWith('433 ', v) || d.startsWith('432 ', v)) {
        c.reason = d.slice(a, Math.min(b, a + 200));
        c.sock?.destroy();
      }
      break;
    case 'join':
      if (ownLine(c, d, a, 'JOIN ', v)) {
        loop.state = 'part';
        send(c, `PART ${loop.channel}\r\n`);
      }
      break;
    case 'part':
      if (ownLine(c, d, a, 'PART ', v)) {
        loop.state = 'quit';
        send(c, 'QUIT :bench\r\n');
      }
      break;
    case 'quit':
      break;
  }
}

function churnClosed(c: Client): void {
  const loop = c.churn!;
  if (loop.timer) clearTimeout(loop.timer);
  loop.timer = null;
  if (loop.state === 'quit') {
    counters.done++;
    if (measuring) latency.record(nowUs() - c.startedUs);
    churnStart(loop);
  } else {
    noteError(`closed while in ${loop.state}`, `${c.nick}: ${c.reason || 'no ERROR line'}`);
    // a short pause so a refusing server is not hammered
    loop.client = null;
    setTimeout(() => churnStart(loop), 50);
  }
}

function doChurn(cmd: ChurnCommand): { loops: number } {
  resetCounters();
  churnCmd = cmd;
  running = true;
  churnLoops = [];
  for (let i = 0; i < cmd.concurrency; i++) {
    const loop: ChurnLoop = { id: i, client: null, state: 'connecting', channel: '', timer: null };
    churnLoops.push(loop);
    churnStart(loop);
  }
  return { loops: churnLoops.length };
}

// ---------------------------------------------------------------- marks, stop, close

function doMark(phase: 'start' | 'end'): MarkReport {
  const cpu = process.cpuUsage();
  const report: MarkReport = { at: Date.now(), cpuUs: cpu.user + cpu.system, counters: snapshot() };
  if (phase === 'start') {
    latency.reset();
    latencyDirect.reset();
    lateSends = 0;
    measuring = true;
  } else {
    measuring = false;
    report.latency = latency.toJSON();
    if (latencyDirect.count > 0) report.latencyDirect = latencyDirect.toJSON();
    report.lateSends = lateSends;
  }
  return report;
}

function snapshot(): Counters {
  const out: Counters = { ...counters, errors: { ...counters.errors }, samples: [...counters.samples] };
  if (sentPerChannel.length > 0) out.sentPerChannel = [...sentPerChannel];
  if (Object.keys(kinds).length > 0) out.kinds = { ...kinds };
  if (initiators.length > 0) out.outstanding = initiators.reduce((n, it) => n + it.sent - it.returned, 0);
  return out;
}

async function doStop(timeoutMs: number): Promise<Counters> {
  running = false;
  if (openTimer) clearInterval(openTimer);
  openTimer = null;
  for (const t of mixedTimers) clearTimeout(t);
  mixedTimers.clear();
  if (churnLoops.length > 0) {
    // let the cycles under way finish (bounded)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      churnIdle = () => {
        clearTimeout(timer);
        resolve();
      };
      if (churnLoops.every((l) => l.client === null)) churnIdle();
    });
    churnIdle = null;
    for (const loop of churnLoops) {
      if (loop.timer) clearTimeout(loop.timer);
      loop.client?.sock?.destroy();
    }
  }
  return snapshot();
}

function doClose(): { closed: number } {
  let n = 0;
  for (const c of clients.values()) {
    if (c.sock && !c.closed) {
      c.closed = true;
      c.sock.destroy();
      n++;
    }
  }
  clients.clear();
  senders = [];
  initiators = [];
  churnLoops = [];
  sentPerChannel = [];
  return { closed: n };
}

// ---------------------------------------------------------------- IPC

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.type) {
    case 'init':
      init = cmd;
      return { pid: process.pid };
    case 'connect':
      return doConnect(cmd);
    case 'join':
      return doJoin(cmd);
    case 'quiesce':
      return doQuiesce(cmd.quietMs, cmd.maxMs);
    case 'fanout':
      return doFanout(cmd);
    case 'privmsg':
      return doPrivmsg(cmd);
    case 'mixed':
      return doMixed(cmd);
    case 'churn':
      return doChurn(cmd);
    case 'mark':
      return doMark(cmd.phase);
    case 'stop':
      return doStop(cmd.timeoutMs);
    case 'counters':
      return snapshot();
    case 'close':
      return doClose();
  }
}

if (!process.send) {
  process.stderr.write('bench/worker.ts is a child process of the benchmark runner (npm run bench)\n');
  process.exit(2);
}
process.on('message', (msg: Request) => {
  handle(msg.cmd).then(
    (data) => process.send!({ id: msg.id, ok: true, data } satisfies Response),
    (err: Error) => process.send!({ id: msg.id, ok: false, error: err.stack ?? String(err) } satisfies Response),
  );
});
process.on('disconnect', () => process.exit(0));
