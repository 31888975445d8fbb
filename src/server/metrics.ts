/**
 * The Prometheus metrics (prom-client), built once per server when the admin
 * HTTP listener serves /metrics. Nothing here runs on the hot paths: the
 * server counts in plain fields (server/stats.ts, commandCounts) and each
 * metric's collect() reads them when /metrics is scraped. Labels come from
 * fixed lists only (transports, the command table, reason enums), never from
 * a nick, a channel, an address or free text.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { COMMANDS } from '../commands/index.js';
import type { MetricsSource } from '../admin/http.js';
import type { Registry as UserRegistry } from '../state/registry.js';
import { DISCONNECT_REASONS, MESSAGE_COMMANDS, REFUSAL_REASONS, TRANSPORTS, type Stats, type Transport } from './stats.js';

/** prom-client is loaded when the metrics are built: a server with no /metrics listener never loads it. */
const require = createRequire(import.meta.url);
let promClient: typeof import('prom-client') | null = null;
function prom(): typeof import('prom-client') {
  return (promClient ??= require('prom-client') as typeof import('prom-client'));
}

/** What the metrics read from the server, at scrape time. */
export interface MetricsServer {
  readonly stats: Stats;
  readonly commandCounts: ReadonlyMap<string, number>;
  readonly registry: UserRegistry;
  readonly info: { readonly version: string };
  /** Connections open now, by transport. */
  connectionsByTransport(): Record<Transport, number>;
}

export function buildMetrics(server: MetricsServer): MetricsSource {
  const { collectDefaultMetrics, Gauge, Registry } = prom();
  const registry = new Registry();
  // process_* (CPU, RSS, open fds), nodejs_* (heap, event-loop lag, GC, handles).
  collectDefaultMetrics({ register: registry });
  // Names the exact Node.js release, which server.show_versions keeps out of
  // VERSION and INFO too: it tells an attacker more than it tells an operator.
  registry.removeSingleMetric('nodejs_version_info');
  const stats = server.stats;
  const verbs = [...COMMANDS.keys()].sort();

  new Gauge({
    name: 'obrol_info',
    help: 'Always 1; the version label says which Obrol this is',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.set({ version: server.info.version }, 1);
    },
  });
  new Gauge({
    name: 'obrol_connections',
    help: 'Client connections open now (registered or not), by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      const now = server.connectionsByTransport();
      for (const transport of TRANSPORTS) this.set({ transport }, now[transport]);
    },
  });
  counter(registry, 'obrol_connections_accepted_total', 'Client connections accepted (admitted), by transport', ['transport'], (set) => {
    for (const transport of TRANSPORTS) set({ transport }, stats.accepted[transport]);
  });
  counter(registry, 'obrol_registrations_total', 'Clients that completed registration (001)', [], (set) => set({}, stats.registrations));
  counter(registry, 'obrol_commands_total', 'Commands handled, by verb (verbs of the command table; anything else is "unknown")', ['verb'], (set) => {
    for (const verb of verbs) set({ verb }, server.commandCounts.get(verb) ?? 0);
    set({ verb: 'unknown' }, stats.unknownCommands);
  });
  counter(registry, 'obrol_messages_received_total', 'PRIVMSG, NOTICE and TAGMSG commands received from clients', ['command'], (set) => {
    for (const command of MESSAGE_COMMANDS) set({ command }, server.commandCounts.get(command) ?? 0);
  });
  counter(registry, 'obrol_message_deliveries_total', 'PRIVMSG, NOTICE and TAGMSG copies queued for recipients (echo-message copies not counted)', [], (set) =>
    set({}, stats.messageDeliveries),
  );
  counter(registry, 'obrol_received_bytes_total', 'Bytes read from clients (all transports)', [], (set) => set({}, stats.bytesIn));
  counter(registry, 'obrol_sent_bytes_total', 'Bytes written to clients (all transports)', [], (set) => set({}, stats.bytesOut));
  counter(registry, 'obrol_disconnects_total', 'Client connections ended, by reason', ['reason'], (set) => {
    for (const reason of DISCONNECT_REASONS) set({ reason }, stats.disconnects[reason]);
  });
  counter(registry, 'obrol_refused_connections_total', 'Connections refused at accept, by reason', ['reason'], (set) => {
    for (const reason of REFUSAL_REASONS) set({ reason }, stats.refusals[reason]);
  });
  gauge(registry, 'obrol_users', 'Registered users', () => server.registry.userCount);
  gauge(registry, 'obrol_channels', 'Channels', () => server.registry.channels.size);
  gauge(registry, 'obrol_opers', 'Users with +o', () => server.registry.operCount);

  // Event-loop utilisation: the share of time the loop was busy. A counter of
  // busy seconds (rate() it) serves any number of scrapers; the gauge is the
  // share since the previous scrape.
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  const first = previous;
  gauge(registry, 'obrol_event_loop_utilization', 'Share of time the event loop was busy since the previous scrape (0 to 1)', () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, previous);
    previous = now;
    return delta.utilization;
  });
  counter(registry, 'obrol_event_loop_busy_seconds_total', 'Seconds the event loop was busy since the metrics started (rate() gives the utilisation)', [], (set) =>
    set({}, performance.eventLoopUtilization(performance.eventLoopUtilization(), first).active / 1000),
  );
  // HOOK(history): obrol_history_writes_total goes here once a history store
  // exists and counts its writes on Stats (see server/stats.ts).

  return { contentType: registry.contentType, render: () => registry.metrics() };
}

type Labels = Record<string, string>;

/** A counter whose value is read from the server at scrape time. */
function counter(registry: Registry, name: string, help: string, labelNames: string[], read: (set: (labels: Labels, value: number) => void) => void): void {
  new (prom().Counter)({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      read((labels, value) => this.inc(labels, value));
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new (prom().Gauge)({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
