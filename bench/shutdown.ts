/**
 * How long a shutdown takes with many clients: N registered clients in C
 * channels, then SIGTERM; the figures are the time until every client's
 * socket is closed and until the process exits. With --baseline DIR another
 * build (a checkout with dist/ built) is measured the same way in the same
 * run, alternating, for a side-by-side ratio.
 *
 *   npx tsx bench/shutdown.ts [--clients 10000] [--channels 10] [--rounds 1] [--baseline /tmp/old]
 *
 * Every client comes from one of 127.0.0.2-127.0.0.250 (so the kernel's
 * ephemeral ports of one address are not exhausted) and the server runs with
 * limits raised for it. Bounded: registration and shutdown time out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from './lib/servers.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    channels: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'string' },
  },
});
const CLIENTS = Number(values.clients);
const CHANNELS = Number(values.channels);
const ROUNDS = Number(values.rounds);
if (!(CLIENTS > 0 && CHANNELS > 0 && ROUNDS > 0)) {
  process.stderr.write('bench/shutdown: --clients, --channels and --rounds must be positive numbers\n');
  process.exit(2);
}
const REGISTER_TIMEOUT_MS = 600_000;
const SHUTDOWN_TIMEOUT_MS = 60_000;

interface Result {
  registerMs: number;
  closedMs: number;
  exitMs: number;
  exitCode: number | null;
}

async function measure(root: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-shutdown-'));
  const port = await freePort();
  const config = join(dir, 'obrol.yaml');
  writeFileSync(
    config,
    [
      'server: { motd_file: null }',
      `listen: { host: 127.0.0.1, port: ${port} }`,
      'websocket: null',
      'log: { level: warn, format: json }',
      `limits: { max_clients: ${CLIENTS + 100} }`,
      'classes:',
      '  - { name: all, hosts: ["*"], max_per_ip: 1000000, max_per_cidr: 1000000, connects_per_minute: 1000000, flood_rate: 0 }',
      '',
    ].join('\n'),
  );
  const server = spawn(process.execPath, [join(root, 'dist/cli/main.js'), '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((done) => server.once('exit', (code) => done(code)));
  try {
    await waitListening(port);
    const sockets: Socket[] = [];
    const t0 = Date.now();
    await registerAll(port, sockets);
    const registerMs = Date.now() - t0;
    let closed = 0;
    const allClosed = new Promise<void>((done) => {
      for (const socket of sockets) socket.once('close', () => ++closed === sockets.length && done());
    });
    const t1 = Date.now();
    server.kill('SIGTERM');
    await withTimeout(allClosed, SHUTDOWN_TIMEOUT_MS, `${sockets.length - closed} clients still open`);
    const closedMs = Date.now() - t1;
    const exitCode = await withTimeout(exited, SHUTDOWN_TIMEOUT_MS, 'the server did not exit');
    return { registerMs, closedMs, exitMs: Date.now() - t1, exitCode };
  } finally {
    kill(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

function registerAll(port: number, sockets: Socket[]): Promise<void> {
  return withTimeout(
    new Promise<void>((done, fail) => {
      let started = 0;
      let registered = 0;
      const more = () => {
        // A window of registrations in flight.
        while (started < CLIENTS && started - registered < 200) {
          const k = started++;
          const socket = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${2 + (k % 249)}` });
          let seen = '';
          let joined = false;
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => {
            if (joined) return;
            seen = (seen + chunk).slice(-4096);
            if (!seen.includes(' 366 ')) return;
            joined = true;
            if (++registered === CLIENTS) done();
            else more();
          });
          socket.once('error', (err) => fail(new Error(`client ${k}: ${err.message}`)));
          socket.write(`NICK u${k}\r\nUSER u 0 * :u\r\nJOIN #c${k % CHANNELS}\r\n`);
          sockets.push(socket);
        }
      };
      more();
    }),
    REGISTER_TIMEOUT_MS,
    'registration',
  );
}

async function waitListening(port: number): Promise<void> {
  for (let k = 0; k < 100; k++) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

const builds: Array<[string, string]> = [['this build', resolve('.')]];
if (values.baseline) builds.push(['baseline', resolve(values.baseline)]);
const results = new Map<string, Result[]>(builds.map(([label]) => [label, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const [label, root] of builds) {
    const result = await measure(root);
    results.get(label)?.push(result);
    process.stdout.write(`round ${round} ${label}: registered ${CLIENTS} in ${result.registerMs} ms; SIGTERM -> all closed in ${result.closedMs} ms, exit ${result.exitCode} after ${result.exitMs} ms\n`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
process.stdout.write(`\n${CLIENTS} clients in ${CHANNELS} channels, median of ${ROUNDS}:\n| build | all closed (ms) | exited (ms) |\n|---|---:|---:|\n`);
for (const [label] of builds) {
  const rs = results.get(label) ?? [];
  process.stdout.write(`| ${label} | ${median(rs.map((r) => r.closedMs))} | ${median(rs.map((r) => r.exitMs))} |\n`);
}
if (values.baseline) {
  const mine = median((results.get('this build') ?? []).map((r) => r.closedMs));
  const base = median((results.get('baseline') ?? []).map((r) => r.closedMs));
  process.stdout.write(`baseline / this build: ${(base / mine).toFixed(1)}x\n`);
}
