/**
 * Start a real Obrol server in-process on 127.0.0.1, port 0, with a silent
 * logger (or one that records lines, to assert on what is logged).
 *
 * Test servers show real addresses (no cloaking), put every client in a
 * class without flood control or connection limits, and have no OPER or
 * login back-off, so that tests about other things can connect and send freely;
 * the tests of those features pass `cloak`, `classes` or `timeouts` themselves.
 *
 * They have no WebSocket listener (the embedded default opens one on the
 * fixed port 8097, which parallel tests would fight over) unless the test's
 * config or its config file has a `websocket` section; tests that want one
 * give it port 0.
 */
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Bus } from '../../src/bus/bus.js';
import type { Store } from '../../src/store/types.js';
import type { Clock } from '../../src/server/clock.js';
import { ObrolServer } from '../../src/server/server.js';

/** A class without flood control or connection limits: the default for test servers. */
export const UNLIMITED_CLASS = {
  name: 'test',
  hosts: ['*'],
  flood_rate: 0,
  connects_per_minute: 1_000_000,
  max_per_ip: 1_000_000,
  max_per_cidr: 1_000_000,
};

export interface TestServer {
  server: ObrolServer;
  port: number;
  /** Log records written so far (JSON objects), when started with captureLogs. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra configuration, as it would appear in the YAML file. */
  config?: ConfigInput;
  captureLogs?: boolean;
  /** Environment for OBROL_* overrides. */
  env?: Record<string, string>;
  configPath?: string;
  /** Time and timers for the server (a ManualClock to test timing without waiting). */
  clock?: Clock;
  /** The backplane to other nodes (several servers on one InProcessHub form one network). */
  bus?: Bus;
  /** Accounts and history to serve from (pass one MemoryStore to two servers in turn to act out a restart). */
  store?: Store;
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const overrides: Record<string, unknown> = {
    'listen.host': '127.0.0.1',
    'listen.port': 0,
    'cloak.enabled': false,
    classes: [UNLIMITED_CLASS],
    'timeouts.oper_backoff': 0,
    'accounts.login_backoff': 0,
    'accounts.registrations_per_hour': 0,
    // Nothing on disk unless a test asks for a data file.
    'store.backend': 'memory',
    // The suite runs on the default transport; OBROL_TEST_TRANSPORT=node runs it on Node's sockets.
    ...(process.env.OBROL_TEST_TRANSPORT ? { 'listen.transport': process.env.OBROL_TEST_TRANSPORT } : {}),
  };
  const base = options.config ?? {};
  for (const [section, values] of Object.entries(base)) {
    if (values && typeof values === 'object' && !Array.isArray(values)) {
      for (const [key, value] of Object.entries(values)) overrides[`${section}.${key}`] = value;
    } else {
      overrides[section] = values;
    }
  }
  // Under the file, so that a file with a websocket section (now or after a REHASH) still opens it.
  const defaults = { websocket: null };
  const loadOptions = { path: options.configPath ?? null, env: options.env ?? {}, defaults, overrides };
  const loaded = loadConfig(loadOptions);
  const logs: Array<Record<string, unknown>> = [];
  const logger: Logger = options.captureLogs
    ? pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
            done();
          },
        }),
      )
    : pino({ level: 'silent' });
  const server = new ObrolServer({ loaded, loadOptions, logger, ...(options.clock ? { clock: options.clock } : {}), ...(options.bus ? { bus: options.bus } : {}), ...(options.store ? { store: options.store } : {}) });
  await server.start();
  return { server, port: server.address.port, logs, stop: () => server.close() };
}
