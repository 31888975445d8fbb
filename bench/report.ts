/** RESULTS.md (and the console summary) from a benchmark result. */
import type { BenchResult, CaseRecord } from './run.js';
import { FIGURES, type FigureDef, type ScenarioName } from './scenarios.js';
import { spread, type Spread } from './lib/stats.js';
import { SERVER_LABELS } from './lib/servers.js';

const HEADLINE: Record<ScenarioName, string[]> = {
  connect: ['regsPerSec', 'regsPerCpuSec', 'regP99', 'rssPerClientKiB', 'rssEmptyMiB'],
  fanout: ['deliveriesPerSec', 'deliveriesPerCpuSec', 'p99'],
  privmsg: ['roundTripsPerSec', 'roundTripsPerCpuSec', 'p99'],
  churn: ['cyclesPerSec', 'cyclesPerCpuSec', 'rssGrowthPct'],
  mixed: ['deliveriesPerCpuSec', 'chanP99', 'dmP99', 'rssMiB'],
  crossnode: ['p50', 'p99'],
};

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(s: Spread, def: FigureDef, rounds: number): string {
  if (s.n === 0) return 'n/a';
  const value = fmt(s.median, def.digits);
  const range = s.n > 1 ? ` (${fmt(s.min, def.digits)}–${fmt(s.max, def.digits)})` : '';
  const partial = s.n < rounds ? ` [${s.n}/${rounds} rounds]` : '';
  return `${value}${range}${partial}`;
}

function ratio(a: Spread, b: Spread, def: FigureDef): string {
  if (def.better === 'zero' || def.better === 'info') return '';
  if (a.n === 0 || b.n === 0 || !Number.isFinite(a.median) || !Number.isFinite(b.median) || b.median === 0) return 'n/a';
  const r = a.median / b.median;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

function betterText(def: FigureDef): string {
  return def.better === 'higher' ? ' ↑' : def.better === 'lower' ? ' ↓' : def.better === 'zero' ? ' (must be 0)' : '';
}

/** Median and spread of one figure of one server over its successful rounds. */
function figureSpread(record: CaseRecord, server: string, key: string): Spread {
  return spread(record.runs.filter((r) => r.server === server && r.result).map((r) => r.result!.figures[key] ?? NaN));
}

function servers(result: BenchResult): string[] {
  return result.servers.map((s) => s.label);
}

/** The servers a case ran (its own list, in the result's order). */
function caseServers(result: BenchResult, record: CaseRecord): string[] {
  const ran = new Set(record.runs.map((r) => r.server));
  return servers(result).filter((n) => ran.has(n));
}

/** A case's ratio columns: its own (multi-process cases), else Obrol to each other server. */
function caseRatios(names: string[], record: CaseRecord): Array<[string, string]> {
  if (record.spec.ratios) {
    return record.spec.ratios.map(([a, b]) => [SERVER_LABELS[a], SERVER_LABELS[b]] as [string, string]).filter(([a, b]) => names.includes(a) && names.includes(b));
  }
  if (!names.includes('Obrol')) return [];
  return names.filter((n) => n !== 'Obrol').sort((a, b) => (a === 'InspIRCd' ? -1 : b === 'InspIRCd' ? 1 : 0)).map((n) => ['Obrol', n] as [string, string]);
}

function ratioColumns(result: BenchResult): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const record of result.cases) {
    for (const [a, b] of caseRatios(caseServers(result, record), record)) if (!out.some(([x, y]) => x === a && y === b)) out.push([a, b]);
  }
  return out;
}

function caseTable(result: BenchResult, record: CaseRecord): string[] {
  const names = caseServers(result, record);
  const ratios = caseRatios(names, record);
  const defs = FIGURES[record.spec.run.scenario];
  const lines: string[] = [];
  lines.push(`| figure | ${names.join(' | ')}${ratios.map(([a, b]) => ` | ${a}/${b}`).join('')} |`);
  lines.push(`|---|${names.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}${ratios.length ? '|' : ''}`);
  for (const def of defs) {
    const spreads = names.map((n) => figureSpread(record, n, def.key));
    if (spreads.every((s) => s.n === 0)) continue;
    const cells = spreads.map((s) => cell(s, def, result.rounds));
    const rs = ratios.map(([a, b]) => ratio(spreads[names.indexOf(a)]!, spreads[names.indexOf(b)]!, def));
    lines.push(`| ${def.label}${betterText(def)} | ${cells.join(' | ')}${rs.map((r) => ` | ${r}`).join('')} |`);
  }
  // generator CPU
  const gen = names.map((n) => {
    const runs = record.runs.filter((r) => r.server === n && r.result?.generator);
    if (runs.length === 0) return 'n/a';
    const total = spread(runs.map((r) => r.result!.generator!.totalPct));
    const worst = Math.max(...runs.map((r) => Math.max(...r.result!.generator!.workersPct)));
    const sat = runs.filter((r) => r.result!.generator!.saturated).length;
    const workers = runs[0]!.result!.generator!.workersPct.length;
    return `${fmt(total.median, 0)}%${total.n > 1 ? ` (${fmt(total.min, 0)}–${fmt(total.max, 0)})` : ''}, ${workers} worker${workers === 1 ? '' : 's'}, busiest ${fmt(worst, 0)}%${sat ? ` — **saturated in ${sat}/${runs.length}**` : ''}`;
  });
  lines.push(`| generator CPU (% of a core) | ${gen.join(' | ')}${ratios.map(() => ' | ').join('')} |`);
  return lines;
}

/**
 * RESULTS.md; with `section`, the same as one section to append to it: a
 * "## <section>" heading, every other heading one level down.
 */
export function renderMarkdown(result: BenchResult, section?: string): string {
  const text = renderDocument(result);
  if (section === undefined) return text;
  const lines = text.split('\n');
  lines[0] = `## ${section}`;
  return lines.map((l, i) => (i > 0 && /^#+ /.test(l) ? `#${l}` : l)).join('\n');
}

function renderDocument(result: BenchResult): string {
  const m = result.machine;
  const names = servers(result);
  const out: string[] = [];
  out.push('# Benchmark results');
  out.push('');
  out.push(`Generated by the benchmark runner (\`bench/cli.ts\`) on ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC; the run took ${(result.seconds / 60).toFixed(1)} minutes. Regenerate with:`);
  out.push('');
  out.push('```sh');
  out.push(result.commandLine);
  out.push('```');
  out.push('');
  out.push(`Each cell is the **median** over ${result.rounds} round${result.rounds === 1 ? '' : 's'} with the spread (min–max) in parentheses. The servers ran alternately (${names.join(', ')}, then again), each run on a freshly started server. ↑: higher is better, ↓: lower is better. A ratio column A/B is A's median divided by B's (for ↓ figures a ratio below 1 favours A).`);
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push('| CPU | cores | memory | kernel | Node.js | open files (hard limit) |');
  out.push('|---|---:|---:|---|---|---:|');
  out.push(`| ${m.cpuModel} | ${m.cores} | ${m.memGiB} GiB | ${m.kernel} | ${m.node} | ${m.hardNofile} |`);
  out.push('');
  const pinnings = [...new Set(result.cases.map((c) => (c.pinning ?? result.pinning).reason))];
  out.push(pinnings.length === 1 ? `Pinning: ${pinnings[0]}.` : `Pinning: per case (see each case); by default ${result.pinning.reason}.`);
  out.push('');
  out.push('## Servers');
  out.push('');
  out.push('| server | version | 004 / VERSION reply | open files | started with |');
  out.push('|---|---|---|---:|---|');
  for (const s of result.servers) {
    const probe = s.probe ? `${s.probe.myinfo}${s.probe.version ? ` / ${s.probe.version}` : ''}` : 'n/a';
    out.push(`| ${s.label} | ${s.binaryVersion || 'n/a'} | ${probe.replace(/\|/g, '\\|')} | ${Number.isFinite(s.nofile) ? s.nofile : 'n/a'} | \`${s.command.replace(/\|/g, '\\|') || 'n/a'}\` |`);
  }
  out.push('');

  // headline
  const ratios = ratioColumns(result);
  if (ratios.length > 0) {
    out.push('## Headline');
    out.push('');
    out.push(`| case | figure | ${names.join(' | ')}${ratios.map(([a, b]) => ` | ${a}/${b}`).join('')} |`);
    out.push(`|---|---|${names.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}|`);
    for (const record of result.cases) {
      const defs = FIGURES[record.spec.run.scenario];
      for (const key of HEADLINE[record.spec.run.scenario]) {
        const def = defs.find((d) => d.key === key)!;
        const spreads = names.map((n) => figureSpread(record, n, key));
        if (spreads.every((s) => s.n === 0)) continue;
        out.push(
          `| ${record.spec.id} | ${def.label}${betterText(def)} | ${spreads.map((s) => (s.n ? fmt(s.median, def.digits) : 'n/a')).join(' | ')}${ratios
            .map(([a, b]) => ` | ${ratio(spreads[names.indexOf(a)]!, spreads[names.indexOf(b)]!, def)}`)
            .join('')} |`,
        );
      }
    }
    out.push('');
  }

  for (const record of result.cases) {
    out.push(`## ${record.spec.title}`);
    out.push('');
    const notes = new Set<string>();
    for (const r of record.runs) for (const n of r.result?.notes ?? []) notes.add(`${r.server}: ${n}`);
    // notes that are the same for every server are shown once
    const byText = new Map<string, string[]>();
    for (const n of notes) {
      const i = n.indexOf(': ');
      const server = n.slice(0, i);
      const text = n.slice(i + 2);
      byText.set(text, [...(byText.get(text) ?? []), server]);
    }
    const here = caseServers(result, record);
    if (pinnings.length > 1 && record.pinning && record.pinning.reason !== result.pinning.reason) out.push(`- pinning: ${record.pinning.reason}`);
    for (const [text, who] of byText) out.push(`- ${who.length === here.length ? '' : `${who.join(', ')}: `}${text}`);
    for (const r of record.runs) {
      if (r.error) out.push(`- **${r.server} round ${r.round} failed**: ${r.error.slice(0, 400)}`);
      const errs = r.result ? Object.entries(r.result.errors) : [];
      if (errs.length > 0) out.push(`- ${r.server} round ${r.round} errors: ${errs.map(([k, v]) => `${k} x${v}`).join(', ')}${r.result!.samples.length ? ` (e.g. ${r.result!.samples[0]!.slice(0, 160)})` : ''}`);
    }
    const loads = record.runs.map((r) => r.load1).filter((l): l is number => l !== undefined);
    if (loads.length > 0) out.push(`- 1-minute load average at the start of the runs: ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)}`);
    out.push(`- run time per server and round: ${here.map((n) => `${n} ${fmt(spread(record.runs.filter((r) => r.server === n).map((r) => r.seconds)).median, 0)} s`).join(', ')}`);
    out.push('');
    out.push(...caseTable(result, record));
    out.push('');
  }

  out.push('## How it is measured');
  out.push('');
  out.push(
    [
      '- Server CPU: utime + stime of the server process from `/proc/<pid>/stat`, read at the start and end of the measured window; RSS: `VmRSS` from `/proc/<pid>/status`. "Per server-CPU-s" figures divide the work done in the window by that CPU time, so they compare servers even where the generator was the limit.',
      '- Obrol over Redis (multi-process cases): "Obrol 2w" is `obrol --workers 2 --redis <url>` (a primary that accepts every connection and hands it to the next worker, round robin, and 2 worker processes, each a node); "Obrol 2 nodes" is two single-node `obrol --redis <url>` processes on two ports. Each run starts its own `redis-server` (loopback, a free port, `--save \'\' --appendonly no`). Their server CPU and RSS are the **sum over every process**: the primary, the workers (or both nodes) and the redis-server. Clients of Obrol 2w connect to the one shared port, so the members of a channel and the two ends of a privmsg pair are spread over both workers and most traffic crosses from one node to the other through Redis.',
      '- crossnode: P channels of two members, the sender connected to node A and the receiver to node B of "Obrol 2 nodes" (on plain Obrol both to the one process: the same-node baseline); the senders send at a fixed total rate (open loop) from one generator process, so the send time in the text and the receive time come from the same clock. Latency is receive time minus send time; loss and order are checked as in fanout.',
      '- The generator: worker processes (`bench/worker.ts`, forked by `bench/lib/pool.ts`) with raw sockets, one shared read buffer, a minimal line splitter and no IRC parsing on the hot path; each worker reports its CPU (`process.cpuUsage`) over the window. A worker above 90% of a core (or all of them above 90% of the generator\'s cores) is flagged as saturated: then the throughput figures are bounded by the generator, not the server.',
      '- connect: clients register with NICK and USER, either with a bounded number of registrations in flight (connect-10k, connect-20k: 1000) or open loop (connect-rate-*: a new connection every 1/rate s whatever the server\'s pace). A registration ends at the end of the welcome burst, 376 or 422 (after 001-005, LUSERS and MOTD); its latency is from the start of the TCP connect to then, and "connect to 001" is the same up to 001. Registrations/s is clients registered divided by the time from the first connect to the last registration. "Server RSS at start" is read after the server started and answered one probe client, before any benchmark client; RSS per idle client is (RSS with every client connected and idle for the hold time - RSS at start) / clients. Idle clients answer PING.',
      '- fanout: every member of every channel is a client; the first S members of each channel send PRIVMSG to it with a sequence number and the send time (system-wide monotonic clock, microseconds) in the text. Closed loop: each sender keeps at most W messages in flight, where a message counts as delivered when one designated member of the channel (the "witness", in the same worker process as the sender, so no IPC is involved) has received it. Open loop: the senders send at a fixed total rate regardless of deliveries. Latency is receive time minus send time at every member. Lost = messages sent x (members - 1) - deliveries received after a drain; reordered counts, per sender and receiver, sequence numbers that arrive after a higher one (or twice).',
      '- privmsg: pairs of clients; one sends PRIVMSG to the other, which sends it straight back; a round trip ends when the echo arrives (W in flight per pair). Lost = round trips never completed after a drain.',
      '- mixed: a network\'s day in miniature, laid out from a seed: stable clients in small channels (3-10 members) and a few large ones (300-500), a few channels each, and churners in none. At fixed total rates (open loop) stable members send channel messages (most to the small channels) and direct messages to random stable clients; churners JOIN a random small channel, PART it a few seconds later, and now and then change nick. Deliveries are every line received: channel and direct messages and the JOIN, PART and NICK lines. Loss and order are checked on the stable clients only, who are in their channels for the whole run: every stable member but the sender must get every message of its channel, every direct message must arrive, and per sender and channel (or direct) the sequence numbers must rise. Latency is receive time minus send time, channel and direct apart.',
      '- Setting up clients (fanout, privmsg, mixed; not measured) keeps 1000 registrations in flight, 100 for ngIRCd, whose listen backlog of 10 resets connections beyond that; a connection the server reset is tried again, twice at most.',
      '- "Obrol node transport" (the `transport` cases) is Obrol with `listen.transport: node` (`OBROL_LISTEN__TRANSPORT=node`): Node\'s own sockets instead of the native transport that `auto` picks where it can; otherwise the same server and config.',
      '- churn: loops that connect (from rotating loopback source addresses), register, JOIN a shared channel, PART it, QUIT and wait for the close, then start again. RSS is read after a warm-up churn and again after the measured churn, each time after the server has been idle for the settle time.',
    ].join('\n'),
  );
  out.push('');
  return out.join('\n');
}

/** A compact console table per case: medians only. */
export function renderConsole(result: BenchResult): string {
  const lines: string[] = [];
  for (const record of result.cases) {
    const names = caseServers(result, record);
    lines.push(`\n${record.spec.title}`);
    const defs = FIGURES[record.spec.run.scenario];
    for (const def of defs) {
      const spreads = names.map((n) => figureSpread(record, n, def.key));
      if (spreads.every((s) => s.n === 0)) continue;
      lines.push(`  ${def.label.padEnd(40)} ${spreads.map((s, i) => `${names[i]} ${cell(s, def, result.rounds)}`.padEnd(40)).join(' ')}`);
    }
    for (const r of record.runs) if (r.error) lines.push(`  ${r.server} round ${r.round} FAILED: ${r.error.slice(0, 300)}`);
  }
  return lines.join('\n');
}
