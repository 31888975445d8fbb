/**
 * A fuzzer for a live Obrol server, started in-process on a free port.
 *
 * It writes N generated lines (valid commands from the corpus, mutated lines,
 * random bytes; see test/helpers/fuzzlines.ts) over several connections,
 * registered and not, some with IRCv3 capabilities, plus an operator fed
 * well-formed commands only (never DIE, RESTART or QUIT). Connections the
 * server closes are re-opened in the same role. After every batch each
 * connection is synchronised with a PING round trip and the server's state
 * is checked (Registry.checkInvariants). Every line a client receives is
 * checked: CRLF, UTF-8, 512-byte body, 8191-byte tags, parsable, no 400.
 *
 * Reproducible: the lines come from fast-check with a printed seed (the
 * interleaving with the server's own timing may still differ a little).
 *
 * Short form in CI: test/hostile/fuzz.test.ts. Long form:
 *   npm run fuzz                      (300000 lines)
 *   FUZZ_LINES=1000000 FUZZ_SEED=42 FUZZ_CONNECTIONS=12 npm run fuzz
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { hashPassword } from '../src/config/password.js';
import { COMMANDS } from '../src/commands/index.js';
import { ObrolServer } from '../src/server/server.js';
import { Fleet, FUZZ_CAPS, fuzzLineArb, operLineArb, splitChunks, terminatorArb, type Role } from '../test/helpers/fuzzlines.js';
import { UNLIMITED_CLASS } from '../test/helpers/server.js';
import { prng } from './lib/prng.js';

export interface FuzzOptions {
  /** Lines to send in all. */
  lines: number;
  /** Fuzzed connections besides the operator and the control client (default 6). */
  connections?: number;
  /** fast-check seed (default: random, and printed). */
  seed?: number;
  /** Lines between two synchronisations (default 500). */
  batch?: number;
  /** Progress and report lines (default: silent). */
  log?: (line: string) => void;
  /** server.utf8_only (default true, as in production). */
  utf8Only?: boolean;
  /** More configuration, as dotted keys: { 'limits.targets': 1, 'server.casemapping': 'ascii' }. */
  overrides?: Record<string, unknown>;
}

export interface FuzzReport {
  seed: number;
  linesSent: number;
  bytesSent: number;
  linesReceived: number;
  /** The most frequent commands and numerics among them. */
  topReplies: Array<[string, number]>;
  syncs: number;
  reconnects: number;
  /** Times the operator had lost +o (by its own MODE -o) and opered up again. */
  reopers: number;
  /** Why the server closed connections (from its ERROR line). */
  disconnects: Record<string, number>;
  /** The same, per role of the connection. */
  disconnectsByRole: Record<string, number>;
  elapsedMs: number;
  linesPerSecond: number;
  /** Lines received that break the protocol's rules (first 50). */
  problems: string[];
  /** Registry.checkInvariants() output, with the batch it appeared after. */
  violations: string[];
  /** Error-level log records: a handler threw. */
  errorLogs: string[];
  /** unhandledRejection / uncaughtException during the run. */
  unhandled: string[];
  /** The control client still got its PONG at the end. */
  serverAlive: boolean;
  /** Server sessions vs. open client connections at the end. */
  sessionsAtEnd: number;
  clientsOpenAtEnd: number;
  /** Verbs of the command table the server never dispatched. */
  verbsNeverDispatched: string[];
  memory: string;
}

const ROLE_TEMPLATES: Role[] = [
  { name: 'tagger', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b'] },
  { name: 'plain', register: true, channels: ['#a', '#fuzz'], poolNick: true },
  { name: 'anon', register: false },
  {
    name: 'allcaps',
    register: true,
    caps: [...FUZZ_CAPS, 'draft/metadata-3', 'multi-prefix', 'userhost-in-names', 'extended-join', 'away-notify', 'account-tag', 'invite-notify', 'setname', 'chghost', 'cap-notify', 'extended-monitor', 'draft/read-marker', 'standard-replies'],
    channels: ['#b', '#fuzz'],
    poolNick: true,
  },
  { name: 'nego', register: false, caps: ['message-tags', 'labeled-response'] },
  { name: 'lurker', register: true, channels: ['#a', '#b', '#fuzz'], poolNick: true },
];

/** Nothing a random word can produce (they are at most 12 characters). */
const OPER = { name: 'fuzzoperator-x', password: 'fuzz-oper-password' };

/** Start a server as the tests do (no cloaking, no flood control, no OPER back-off), logging only errors. */
async function startFuzzServer(utf8Only: boolean, errorLogs: string[], extra: Record<string, unknown>): Promise<ObrolServer> {
  const overrides: Record<string, unknown> = {
    'listen.host': '127.0.0.1',
    'listen.port': 0,
    websocket: null,
    'cloak.enabled': false,
    'server.utf8_only': utf8Only,
    classes: [UNLIMITED_CLASS],
    // Every fuzzed client shares 127.0.0.1: a back-off per address would stall them all.
    'timeouts.oper_backoff': 0,
    'accounts.login_backoff': 0,
    // Nothing on disk. Account creation keeps its per-address limit: without it the fuzzed REGISTERs keep the password hasher busy for a minute.
    'store.backend': 'memory',
    ...extra,
    opers: [{ name: OPER.name, password: await hashPassword(OPER.password), hosts: ['*@127.0.0.1'] }],
  };
  const loadOptions = { path: null, env: {}, overrides };
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line && errorLogs.length < 50) errorLogs.push(line.slice(0, 2000));
        done();
      },
    }),
  );
  const server = new ObrolServer({ loaded: loadConfig(loadOptions), loadOptions, logger });
  await server.start();
  return server;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const log = options.log ?? (() => {});
  const batch = options.batch ?? 500;
  const fuzzed = options.connections ?? 6;
  const roles: Role[] = [];
  for (let k = 0; k < fuzzed; k++) roles.push(ROLE_TEMPLATES[k % ROLE_TEMPLATES.length] as Role);
  const operIndex = roles.push({ name: 'oper', register: true, caps: FUZZ_CAPS, channels: ['#a', '#b', '#fuzz'], oper: OPER }) - 1;
  const controlIndex = roles.push({ name: 'control', register: true }) - 1;

  const unhandled: string[] = [];
  const onUnhandled = (err: unknown) => {
    unhandled.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  const errorLogs: string[] = [];
  const server = await startFuzzServer(options.utf8Only ?? true, errorLogs, options.overrides ?? {});
  const fleet = new Fleet(server.address.port, roles);
  const violations: string[] = [];
  const random = prng(seed);
  // Each batch's lines come from their own seed, drawn from the run's: neighbouring seeds share no batches.
  const batchSeeds = prng(seed ^ 0x5bd1e995);
  let linesSent = 0;
  let syncs = 0;
  let serverAlive = true;
  let reopers = 0;
  const operSeen = { client: fleet.clients[operIndex], refused: 0 };
  // Which connection gets a line: uniform over the fuzzed ones and the operator.
  const targetArb = fc.noBias(fc.integer({ min: 0, max: fuzzed }));
  const started = Date.now();
  log(`fuzz: seed ${seed}, ${options.lines} lines over ${fuzzed} connections, an operator and a control client`);
  try {
    await fleet.open();
    for (let round = 0; linesSent < options.lines && serverAlive && violations.length === 0; round++) {
      const count = Math.min(batch, options.lines - linesSent);
      const batchSeed = Math.floor(batchSeeds() * 0x7fffffff);
      const lines = fc.sample(fc.tuple(targetArb, fuzzLineArb, terminatorArb), { seed: batchSeed, numRuns: count });
      const operLines = fc.sample(operLineArb, { seed: batchSeed ^ 0x2545f491, numRuns: Math.ceil(count / (fuzzed + 1)) + 1 });
      const perClient: Buffer[][] = roles.map(() => []);
      for (const [target, line, end] of lines) {
        const k = target;
        if (k === operIndex) {
          perClient[k]?.push(Buffer.from(`${operLines.pop() ?? 'PING x'}\r\n`));
        } else {
          perClient[k]?.push(line, Buffer.from(end));
        }
      }
      linesSent += count;
      // Write each connection's share in a few random chunks, interleaved across connections.
      const chunks = perClient.map((parts) => {
        const data = Buffer.concat(parts);
        const sizes = random() < 0.5 ? [] : Array.from({ length: 4 }, () => 1 + Math.floor(random() * (random() < 0.5 ? 64 : 8192)));
        return data.length === 0 ? [] : splitChunks(data, sizes);
      });
      for (let step = 0; chunks.some((c) => step < c.length); step++) {
        for (let k = 0; k < chunks.length; k++) {
          const chunk = chunks[k]?.[step];
          if (chunk !== undefined) fleet.clients[k]?.write(chunk);
        }
        if (step % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
      const answered = await fleet.syncAll();
      syncs++;
      if (!answered.includes(controlIndex)) serverAlive = false;
      for (const problem of server.registry.checkInvariants()) violations.push(`after batch ${round} (seed ${seed}): ${problem}`);
      const oper = fleet.clients[operIndex];
      if (oper?.closed) log(`the operator was disconnected: ${(oper.errorReason ?? '?').slice(0, 60)}`);
      // The operator may have taken its own +o away (MODE -o): 481 says so; oper up again.
      const refused = oper?.commands.get('481') ?? 0;
      if (oper && !oper.closed && oper === operSeen.client && refused > operSeen.refused) {
        const up = oper.waitFor((command) => command === '381' || command === '464' || command === '491', 'OPER', 5000);
        oper.send(`OPER ${OPER.name} ${OPER.password}`);
        await up;
        reopers++;
      }
      operSeen.client = oper;
      operSeen.refused = refused;
      await fleet.reconnectClosed();
      if (round % 100 === 99) log(`  ${linesSent} lines, ${fleet.linesReceived} received, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    // Settle: one round answers everything sent, a second one sees every close the first caused.
    await fleet.syncAll();
    const answered = await fleet.syncAll();
    serverAlive &&= answered.includes(controlIndex);
    for (const problem of server.registry.checkInvariants()) violations.push(`at the end (seed ${seed}): ${problem}`);
    const elapsedMs = Date.now() - started;
    const report: FuzzReport = {
      seed,
      linesSent,
      bytesSent: fleet.bytesSent,
      linesReceived: fleet.linesReceived,
      topReplies: fleet.receivedByCommand().slice(0, 20),
      syncs,
      reconnects: fleet.reconnects,
      reopers,
      disconnects: Object.fromEntries([...fleet.disconnects].sort((a, b) => b[1] - a[1])),
      disconnectsByRole: Object.fromEntries([...fleet.disconnectsByRole].sort((a, b) => b[1] - a[1])),
      elapsedMs,
      linesPerSecond: Math.round(linesSent / (elapsedMs / 1000)),
      problems: fleet.allProblems().slice(0, 50),
      violations: violations.slice(0, 50),
      errorLogs,
      unhandled,
      serverAlive,
      sessionsAtEnd: server.connectionCount,
      clientsOpenAtEnd: answered.length,
      verbsNeverDispatched: [...COMMANDS.keys()].filter((verb) => !server.commandCounts.has(verb)),
      memory: server.debugStats()[0] ?? '',
    };
    for (const line of formatReport(report)) log(line);
    return report;
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    fleet.close();
    await server.stop();
  }
}

export function formatReport(r: FuzzReport): string[] {
  const mb = (r.bytesSent / 1048576).toFixed(1);
  const list = (counts: Record<string, number>) => Object.entries(counts).map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none';
  return [
    `fuzz report (seed ${r.seed})`,
    `  sent ${r.linesSent} lines (${mb} MiB), received ${r.linesReceived} lines, ${r.syncs} syncs`,
    `  most received: ${r.topReplies.map(([command, n]) => `${command} ${n}`).join(', ')}`,
    `  elapsed ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.linesPerSecond} lines/s`,
    `  disconnects by reason (${r.reconnects} reconnects, ${r.reopers} re-OPERs): ${list(r.disconnects)}`,
    `  by role: ${list(r.disconnectsByRole)}`,
    `  malformed replies: ${r.problems.length}, invariant violations: ${r.violations.length}, handler errors: ${r.errorLogs.length}, unhandled: ${r.unhandled.length}`,
    `  server alive: ${r.serverAlive ? 'yes' : 'NO'}; sessions ${r.sessionsAtEnd} for ${r.clientsOpenAtEnd} open clients; ${r.memory}`,
    `  verbs never dispatched: ${r.verbsNeverDispatched.join(' ') || 'none'}`,
    ...r.problems.map((p) => `  problem: ${p}`),
    ...r.violations.map((v) => `  violation: ${v}`),
    ...r.errorLogs.map((e) => `  error log: ${e}`),
    ...r.unhandled.map((u) => `  unhandled: ${u}`),
  ];
}
