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
  /** Registrations in flight at once, at most (this worker's share). */
  window: number;
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
  /** Connect start to 001, us. */
  latency: HistogramData;
  /** Wall clock (Date.now()) of the last registration, 0 if none. */
  lastAt: number;
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
}

export interface MarkReport {
  /** Wall clock of the mark in this worker, ms (Date.now()). */
  at: number;
  /** This process's CPU since it started, us (process.cpuUsage, user + system). */
  cpuUs: number;
  counters: Counters;
  /** Latencies between the marks (at 'end'). */
  latency?: HistogramData;
  /** Open loop: sends that were behind schedule by more than 10 ms (the generator lagging). */
  lateSends?: number;
}
