/**
 * Messages between the runner and its generator workers (child_process.fork,
 * JSON over the IPC channel). The runner sends a request with an id; the
 * worker answers with the same id. Nothing here is on a per-message hot path:
 * the workers only report counters and histograms at phase boundaries.
 */
import type { HistogramData } from './histogram.js';

export interface InitCommand {
  type: 'init';
  worker: number;
  workers: number;
  host: string;
  port: number;
  /** A server of several nodes on several ports: client g connects to ports[g % ports.length] (else every client to port). */
  ports?: number[];
  /** Two characters that make this run's nicks unique, e.g. "b7". */
  nickPrefix: string;
  /** Second octet of this run's loopback source addresses (127.<octet>.x.y). */
  addressOctet: number;
  /** Clients per source address (connect, fanout, privmsg). */
  perAddress: number;
}

export interface ConnectCommand {
  type: 'connect';
  /** Global client ids this worker owns (nick and source address derive from them). */
  gids: number[];
  /** Registrations in flight at once, at most (this worker's share); ignored when rate is set. */
  window: number;
  /** Open loop: connections started per second by this worker, whatever the server's pace (unset: the window). */
  rate?: number;
  /** Open loop: this worker's first connection starts phase/rate seconds late, so the workers interleave. */
  phase?: number;
  timeoutMs: number;
}

export interface JoinCommand {
  type: 'join';
  /** [gid, channel name] */
  joins: Array<[number, string]>;
  window: number;
  timeoutMs: number;
}

export interface QuiesceCommand {
  type: 'quiesce';
  quietMs: number;
  maxMs: number;
}

export interface FanoutSender {
  gid: number;
  channel: number;
  /** Index of the sender within its channel, 0..S-1. */
  index: number;
  /** The member (same worker) whose receipt counts as delivery for the closed loop. */
  witness: number;
}

export interface FanoutCommand {
  type: 'fanout';
  mode: 'closed' | 'open';
  /** Closed loop: messages in flight per sender, at most. */
  window: number;
  /** Open loop: messages per second per sender. */
  ratePerSender: number;
  /** Bytes of message text (the header plus padding). */
  size: number;
  sendersPerChannel: number;
  /** [gid, channel index] of every member this worker owns (senders included). */
  members: Array<[number, number]>;
  senders: FanoutSender[];
  channelNames: string[];
}

/**
 * The mixed workload, this worker's share. Stable clients (gids
 * 0..stableTotal-1) joined their channels beforehand and stay for the whole
 * run: they send channel and direct messages and are the receivers whose loss
 * and order are checked. Churners only JOIN and PART small channels and change
 * nick; what they receive counts as deliveries but is not checked.
 */
export interface MixedCommand {
  type: 'mixed';
  /** Seed of this worker's choices (which member speaks, to whom, which channel a churner joins). */
  seed: number;
  size: number;
  /** [gid, channel indices] of this worker's stable clients. */
  stable: Array<[number, number[]]>;
  /** Gids of this worker's churners. */
  churners: number[];
  /** Stable clients in the whole run (direct messages go to any of them). */
  stableTotal: number;
  /** Channels 0..smallChannels-1 are the small ones (churners join those). */
  smallChannels: number;
  channelNames: string[];
  /** This worker's share of each rate, per second. */
  rates: { small: number; large: number; direct: number; joins: number; nicks: number };
  /** How long a churner stays in a channel before its PART, ms. */
  holdMs: number;
}

export interface PrivmsgCommand {
  type: 'privmsg';
  /** [initiator gid, responder gid, pair index]; both owned by this worker. */
  pairs: Array<[number, number, number]>;
  window: number;
  size: number;
}

export interface ChurnCommand {
  type: 'churn';
  concurrency: number;
  channels: number;
  timeoutMs: number;
}

export interface MarkCommand {
  type: 'mark';
  phase: 'start' | 'end';
}

export type Command =
  | InitCommand
  | ConnectCommand
  | JoinCommand
  | QuiesceCommand
  | FanoutCommand
  | PrivmsgCommand
  | MixedCommand
  | ChurnCommand
  | MarkCommand
  | { type: 'stop'; timeoutMs: number }
  | { type: 'counters' }
  | { type: 'close' };

export interface Request {
  id: number;
  cmd: Command;
}

export type Response = { id: number; ok: true; data: unknown } | { id: number; ok: false; error: string };

export interface ConnectReport {
  registered: number;
  failed: number;
  errors: Record<string, number>;
  samples: string[];
  /** Connect start to the end of the welcome burst (376 or 422), us. */
  latency: HistogramData;
  /** Connect start to 001, us. */
  latency001: HistogramData;
  /** Wall clock (Date.now()) of the last registration, 0 if none. */
  lastAt: number;
  /** Open loop: connections started more than 10 ms behind schedule (the generator lagging). */
  lateStarts: number;
  /** The clients whose connection failed before the end of their welcome burst (not those that timed out). */
  failedGids: number[];
}

export interface JoinReport {
  joined: number;
  failed: number;
  errors: Record<string, number>;
  samples: string[];
}

/** Counters since the phase started (fanout, privmsg, churn); measured ones between the two marks. */
export interface Counters {
  /** Messages sent (fanout: to channels; privmsg: by initiators and responders). */
  sent: number;
  /** Deliveries received (fanout), round trips completed (privmsg), cycles (churn). */
  done: number;
  /** Messages received by privmsg responders. */
  received: number;
  reordered: number;
  /** Sequence jumps forward (a message missing at the time). */
  gaps: number;
  duplicates: number;
  /** Connections the server closed unexpectedly, errors by kind. */
  errors: Record<string, number>;
  samples: string[];
  /** Per fanout channel: messages sent to it (for the expected deliveries). */
  sentPerChannel?: number[];
  /** Privmsg: messages still awaiting their echo. */
  outstanding?: number;
  /** Mixed: counts by kind (chanSent, chanDone, chanExtra, dmSent, dmDone, events, joins, parts, nicks, joinSkipped). */
  kinds?: Record<string, number>;
}

export interface MarkReport {
  /** Wall clock of the mark in this worker, ms (Date.now()). */
  at: number;
  /** This process's CPU since it started, us (process.cpuUsage, user + system). */
  cpuUs: number;
  counters: Counters;
  /** Latencies between the marks (at 'end'); mixed: channel deliveries. */
  latency?: HistogramData;
  /** Mixed: direct-message deliveries between the marks (at 'end'). */
  latencyDirect?: HistogramData;
  /** Open loop: sends that were behind schedule by more than 10 ms (the generator lagging). */
  lateSends?: number;
}
