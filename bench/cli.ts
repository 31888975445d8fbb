/**
 * `npm run bench -- <scenario> [options]`: the benchmark runner.
 *
 *   npm run bench -- all                          every case, Obrol, ngIRCd and InspIRCd, 3 rounds -> bench/RESULTS.md
 *   npm run bench -- fanout --servers obrol       one scenario, one server
 *   npm run bench -- fanout --channels 10 --members 200 --senders 4 --mode open --rate 500
 *   npm run bench -- privmsg --target 127.0.0.1:6667 --pid 1234   drive a server that is already running
 *   npm run bench -- all --quick --servers obrol  the smoke sizes
 *   npm run bench -- cluster                      multi-process: Obrol with 2 workers over Redis vs 1 process vs InspIRCd, and cross-node latency
 *   npm run bench -- history                      what stored history costs: Obrol as shipped vs Obrol keeping nothing
 *   npm run bench -- transport                    Obrol's native socket transport vs Node's net (listen.transport: node)
 *
 * See bench/README.md (Benchmarks).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildCases, CASE_GROUPS, type CaseGroup, type Overrides } from './cases.js';
import { renderConsole, renderMarkdown } from './report.js';
import { runBench } from './run.js';
import { ALL_SERVER_KINDS, availability, isObrolLabel, killAllServersNow, SERVER_KINDS, stopAllServers, type ServerKind } from './lib/servers.js';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

const argv = await yargs(hideBin(process.argv))
  .scriptName('npm run bench --')
  .usage(
    '$0 <scenario> [options]\n\nScenarios: connect, fanout, privmsg, churn, mixed, all (default: those five).\n' +
      'Multi-process: cluster (fanout and privmsg against obrol, obrol-2w and inspircd, then crossnode), crossnode (delivery latency node A -> node B vs one process).\n' +
      'History: history (fanout and privmsg, Obrol with history in SQLite vs obrol-nohist).\n' +
      'Transport: transport (connect at a fixed rate, privmsg, open-loop fanout; Obrol as configured vs obrol-node, listen.transport: node).',
  )
  .command('$0 [scenario]', 'run the benchmark', (y) =>
    y.positional('scenario', { type: 'string', choices: CASE_GROUPS, default: 'all', describe: 'what to measure' }),
  )
  .options({
    servers: { type: 'string', describe: 'comma-separated: obrol,obrol-nohist,obrol-node,ngircd,inspircd,obrol-2w,obrol-2n (default: those installed of the cases\' servers)' },
    target: { type: 'string', describe: 'host:port of a server that is already running (instead of starting servers)' },
    pid: { type: 'number', describe: "with --target: the server's PID, for CPU and RSS" },
    label: { type: 'string', default: 'target', describe: 'with --target: its name in the results' },
    rounds: { type: 'number', describe: 'rounds per case (servers alternate within a round); default 3, --quick 1' },
    quick: { type: 'boolean', default: false, describe: 'smoke sizes (seconds, not minutes)' },
    out: { type: 'string', describe: `write the results as Markdown here (default for "all" without --quick or --target: ${'bench/RESULTS.md'}; --out=- for none)` },
    append: { type: 'string', describe: 'append the results as one section, headed with --section, to this Markdown file (e.g. bench/RESULTS.md)' },
    section: { type: 'string', describe: 'with --append: the section heading' },
    json: { type: 'string', describe: 'also write the raw results as JSON here' },
    workers: { type: 'number', describe: 'generator worker processes (default: one per generator core, more if the open-files limit needs it)' },
    pin: { type: 'boolean', default: true, describe: 'pin the server to CPU 0 and the generator to the others with taskset (--no-pin: do not)' },
    'fail-fast': { type: 'boolean', default: false, describe: 'stop at the first failed run' },
    // scenario parameters
    clients: { type: 'number', describe: 'connect: clients' },
    'per-address': { type: 'number', describe: 'connect: clients per loopback source address' },
    hold: { type: 'number', describe: 'connect: seconds the clients idle before RSS is read' },
    timeout: { type: 'number', describe: 'connect: seconds allowed for the registrations' },
    channels: { type: 'number', describe: 'fanout: channels' },
    members: { type: 'number', describe: 'fanout: members per channel' },
    senders: { type: 'number', describe: 'fanout: senders per channel' },
    mode: { type: 'string', choices: ['closed', 'open', 'both'], describe: 'fanout: closed loop (window), open loop (rate) or both (default)' },
    window: { type: 'number', describe: 'fanout: messages in flight per sender (closed loop); privmsg: per pair; connect (windowed cases): registrations in flight' },
    rate: { type: 'number', describe: 'fanout open loop: messages/s, all senders together; connect-rate: connections/s (with --clients: only that case)' },
    duration: { type: 'number', describe: 'seconds measured (fanout, privmsg, churn)' },
    warmup: { type: 'number', describe: 'seconds before the measurement (fanout, privmsg, churn)' },
    size: { type: 'number', describe: 'bytes of message text (fanout, privmsg)' },
    pairs: { type: 'number', describe: 'privmsg: pairs of clients' },
    concurrency: { type: 'number', describe: 'churn: loops at once' },
    'churn-channels': { type: 'number', describe: 'churn: channels the loops share' },
    settle: { type: 'number', describe: 'churn: idle seconds before each RSS reading' },
    seed: { type: 'number', describe: 'mixed: the seed of the layout and of every choice (default 1)' },
  })
  .strict()
  .help()
  .parseAsync();

const scenario = argv.scenario as CaseGroup;
const overrides: Overrides = {
  clients: argv.clients,
  perAddress: argv['per-address'],
  hold: argv.hold,
  timeout: argv.timeout,
  channels: argv.channels,
  members: argv.members,
  senders: argv.senders,
  mode: argv.mode as Overrides['mode'],
  window: argv.window,
  rate: argv.rate,
  duration: argv.duration,
  warmup: argv.warmup,
  size: argv.size,
  pairs: argv.pairs,
  concurrency: argv.concurrency,
  churnChannels: argv['churn-channels'],
  settle: argv.settle,
  seed: argv.seed,
};
const cases = buildCases(scenario, overrides, argv.quick);

let target: { host: string; port: number; pid: number | null; label: string } | undefined;
if (argv.target) {
  const m = /^(.*):(\d+)$/.exec(argv.target);
  if (!m) throw new Error('--target must be host:port');
  target = { host: m[1]!, port: Number(m[2]), pid: argv.pid ?? null, label: argv.label };
}

let servers: ServerKind[] = [];
if (!target) {
  // default: every server the cases name (the multi-process cases name theirs), in a fixed order
  const named = new Set(cases.flatMap((c) => c.servers ?? SERVER_KINDS));
  const asked = argv.servers ? (argv.servers.split(',').map((s) => s.trim().toLowerCase()) as ServerKind[]) : ALL_SERVER_KINDS.filter((k) => named.has(k));
  for (const s of asked) if (!ALL_SERVER_KINDS.includes(s)) throw new Error(`unknown server "${s}" (${ALL_SERVER_KINDS.join(', ')})`);
  for (const s of asked) {
    const a = availability(s);
    if (a.ok) servers.push(s);
    else process.stderr.write(`skipping ${s}: ${a.why}\n`);
  }
  if (servers.length === 0) {
    process.stderr.write('no server to measure\n');
    process.exit(2);
  }
}

const rounds = argv.rounds ?? (argv.quick ? 1 : 3);
const out = argv.out ?? (scenario === 'all' && !argv.quick && !target ? RESULTS : '-');
const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const commandLine = `npm run bench -- ${hideBin(process.argv).map(shellWord).join(' ')}`.trim();

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted: stopping the servers\n');
  void stopAllServers().finally(() => process.exit(130));
});
process.on('exit', killAllServersNow);

const t0 = Date.now();
const log = (line: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
log(`${cases.length} case${cases.length === 1 ? '' : 's'} x ${rounds} round${rounds === 1 ? '' : 's'} x ${target ? target.label : servers.join(', ')}`);
const result = await runBench({ cases, servers, target, rounds, pin: argv.pin, workers: argv.workers, commandLine, log, failFast: argv['fail-fast'] });

process.stdout.write(`${renderConsole(result)}\n`);
if (out !== '-') {
  writeFileSync(out, renderMarkdown(result));
  log(`wrote ${out}`);
}
if (argv.append) {
  const section = argv.section ?? `Multi-process results (${result.startedAt.slice(0, 10)})`;
  appendFileSync(argv.append, `\n${renderMarkdown(result, section)}`);
  log(`appended the section "${section}" to ${argv.append}`);
}
if (argv.json) writeFileSync(argv.json, JSON.stringify(result, null, 1));

// A reference server that fails a run is a finding, reported in the table;
// only failures of the server under test (Obrol, or --target) fail the command.
const isUnderTest = (server: string) => (target ? server === target.label : isObrolLabel(server));
const underTest = target ? target.label : 'Obrol';
const failed = (r: (typeof result.cases)[number]['runs'][number]) =>
  r.error !== null || (r.result !== null && ((r.result.figures.lost ?? 0) > 0 || (r.result.figures.reordered ?? 0) > 0));
const runs = result.cases.flatMap((c) => c.runs);
const othersFailed = runs.filter((r) => !isUnderTest(r.server) && failed(r)).length;
const ownFailed = runs.filter((r) => isUnderTest(r.server) && failed(r)).length;
if (othersFailed > 0) process.stderr.write(`${othersFailed} run(s) of the reference servers failed or lost/reordered messages (see the table)\n`);
if (ownFailed > 0) {
  process.stderr.write(`${ownFailed} run(s) of ${underTest} failed or lost/reordered messages\n`);
  process.exitCode = 1;
}
