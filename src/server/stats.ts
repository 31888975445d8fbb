/**
 * What the server counts for its metrics: plain integer fields on one object,
 * bumped where things happen (a `+=` on the hot paths, never a call into a
 * metrics library) and read only when /metrics is scraped (server/metrics.ts).
 * Every label a metric may take is a fixed list here, so no client can add
 * series: no nick, channel, address or free-text reason ever becomes a label.
 */
import type { WireCounters } from '../net/connection.js';

export const TRANSPORTS = ['tcp', 'tls', 'websocket'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Why a connection ended, as a metric label (the text a user sees varies; this does not). */
export const DISCONNECT_REASONS = [
  'quit',
  'kill',
  'ping_timeout',
  'registration_timeout',
  'sendq_exceeded',
  'excess_flood',
  'unregistered_lines',
  'bad_password',
  'connection_closed',
  'connection_error',
  'internal_error',
  'shutdown',
  'other',
] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/** Why a connection was refused at accept (server/admission.ts and the descriptor check). */
/** Refused at accept by admission, or dropped during the TLS handshake or WebSocket upgrade (net/handshake.ts). */
export const REFUSAL_REASONS = ['throttled', 'server_full', 'per_ip', 'per_cidr', 'descriptors', 'handshake_timeout', 'tls_failed', 'origin'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The commands whose deliveries are counted as messages. */
export const MESSAGE_COMMANDS = ['PRIVMSG', 'NOTICE', 'TAGMSG'] as const;

export class Stats implements WireCounters {
  /** Connections accepted (admitted as sessions), by transport. */
  readonly accepted: Record<Transport, number> = zeroes(TRANSPORTS);
  registrations = 0;
  /** Lines whose verb is not in the command table, or is no verb at all (those in it are ObrolServer.commandCounts). */
  unknownCommands = 0;
  /** PRIVMSG, NOTICE and TAGMSG copies queued for recipients (echoes not included). */
  messageDeliveries = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly disconnects: Record<DisconnectReason, number> = zeroes(DISCONNECT_REASONS);
  readonly refusals: Record<RefusalReason, number> = zeroes(REFUSAL_REASONS);
  /**
   * HOOK(history): there is no history store yet. When `store/` gains one,
   * count its writes here (a `historyWrites` field, bumped by the store) and
   * expose it in server/metrics.ts as obrol_history_writes_total.
   */
}

/** A count of 0 for each of `keys`. */
export function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/**
 * The label for a disconnect, from the reason the server gives it. The reasons
 * come from a handful of places in the server (a QUIT is always "Quit: ..." or
 * "Client Quit", a KILL "Killed (...)"), so a user's QUIT text cannot pose as
 * another reason: its prefix is the server's.
 */
export function disconnectReason(quitReason: string): DisconnectReason {
  if (quitReason.startsWith('Quit: ') || quitReason === 'Client Quit') return 'quit';
  if (quitReason.startsWith('Killed (')) return 'kill';
  if (quitReason.startsWith('Ping timeout')) return 'ping_timeout';
  switch (quitReason) {
    case 'Registration timed out':
      return 'registration_timeout';
    case 'SendQ exceeded':
      return 'sendq_exceeded';
    case 'Excess Flood':
      return 'excess_flood';
    case 'Too many lines before registration':
      return 'unregistered_lines';
    case 'Bad password':
      return 'bad_password';
    case 'Connection closed':
      return 'connection_closed';
    case 'Internal error':
      return 'internal_error';
    case 'Connection reset by peer':
    case 'Broken pipe':
    case 'Connection timed out':
      return 'connection_error';
  }
  if (quitReason.startsWith('Read error: ') || quitReason.startsWith('WebSocket error: ')) return 'connection_error';
  return 'other';
}
