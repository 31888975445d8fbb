/**
 * The benchmark cases: each scenario's default sizes (the issue's), the
 * smoke sizes (--quick), and command-line overrides. `all` runs every case.
 */
import type { ServerKind } from './lib/servers.js';
import type { ChurnParams, ConnectParams, CrossnodeParams, FanoutParams, MixedParams, PrivmsgParams, ScenarioName, ScenarioParams } from './scenarios.js';

export interface CaseSpec {
  /** Short id, e.g. "fanout-1x1000-closed". */
  id: string;
  title: string;
  run: ScenarioParams;
  /** The servers this case compares (default: --servers, or those installed of obrol, ngircd, inspircd). */
  servers?: ServerKind[];
  /** Ratio columns, [numerator, denominator] server kinds (default: Obrol to each other server). */
  ratios?: Array<[ServerKind, ServerKind]>;
  /** Set: this case runs unpinned for every server, and this is why (for the report). */
  unpinned?: string;
}

/** What `npm run bench -- <group>` runs: a scenario, every single-process one, or the multi-process cases. */
export type CaseGroup = ScenarioName | 'all' | 'cluster' | 'history' | 'transport';
export const CASE_GROUPS: CaseGroup[] = ['connect', 'fanout', 'privmsg', 'churn', 'mixed', 'crossnode', 'all', 'cluster', 'history', 'transport'];

export const CLUSTER_UNPINNED =
  'not pinned, for every server of these cases: Obrol with 2 workers needs both cores, so no server is confined to CPU 0 and the generator is not confined to CPU 1; server and generator compete for the same 2 cores (the per-server-CPU-s figures are unaffected by that sharing, the wall-clock ones are not)';

/** Command-line values; undefined: the case's default. */
export interface Overrides {
  clients?: number;
  perAddress?: number;
  hold?: number;
  timeout?: number;
  channels?: number;
  members?: number;
  senders?: number;
  mode?: 'closed' | 'open' | 'both';
  window?: number;
  rate?: number;
  duration?: number;
  warmup?: number;
  size?: number;
  pairs?: number;
  concurrency?: number;
  churnChannels?: number;
  settle?: number;
  seed?: number;
}

const def = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);

/** A connect case: --rate applies to the open-loop ones (rate > 0), --window to the windowed ones. */
function connectCase(id: string, title: string, base: ConnectParams, o: Overrides): CaseSpec {
  const params: ConnectParams = {
    clients: def(o.clients, base.clients),
    window: def(o.window, base.window),
    rate: base.rate > 0 ? def(o.rate, base.rate) : 0,
    hold: def(o.hold, base.hold),
    perAddress: def(o.perAddress, base.perAddress),
    timeout: def(o.timeout, base.timeout),
  };
  return { id, title, run: { scenario: 'connect', params } };
}

function fanoutCase(base: FanoutParams, o: Overrides): CaseSpec {
  const params: FanoutParams = {
    channels: def(o.channels, base.channels),
    members: def(o.members, base.members),
    senders: def(o.senders, base.senders),
    mode: base.mode,
    window: def(o.window, base.window),
    rate: def(o.rate, base.rate),
    duration: def(o.duration, base.duration),
    warmup: def(o.warmup, base.warmup),
    size: def(o.size, base.size),
  };
  const shape = `${params.channels}x${params.members}`;
  const how = params.mode === 'closed' ? `closed loop, window ${params.window}` : `open loop, ${params.rate} msg/s = ${Math.round(params.rate * (params.members - 1))} deliveries/s`;
  return {
    id: `fanout-${shape}-${params.mode}`,
    title: `fanout: ${params.channels} channel${params.channels === 1 ? '' : 's'} x ${params.members} members, ${params.senders} sender${params.senders === 1 ? '' : 's'} per channel, ${how}`,
    run: { scenario: 'fanout', params },
  };
}

/**
 * The multi-process cases: Obrol with 2 workers over Redis against Obrol in
 * one process and InspIRCd (fanout closed loop, privmsg), then delivery
 * latency from one node to another against the same on one process.
 */
function clusterCases(o: Overrides, quick: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  const servers: ServerKind[] = ['obrol', 'obrol-2w', 'inspircd'];
  const ratios: Array<[ServerKind, ServerKind]> = [
    ['obrol-2w', 'obrol'],
    ['obrol-2w', 'inspircd'],
  ];
  const fanout: FanoutParams = quick
    ? { channels: 2, members: 20, senders: 3, mode: 'closed', window: 5, rate: 100, duration: 2, warmup: 0.5, size: 64 }
    : { channels: 1, members: 1000, senders: 20, mode: 'closed', window: 10, rate: 20, duration: 10, warmup: 2, size: 64 };
  const f = fanoutCase({ ...fanout, mode: o.mode === 'open' ? 'open' : 'closed' }, o);
  out.push({ ...f, id: `mp-${f.id}`, title: `multi-process ${f.title}`, servers, ratios, unpinned: CLUSTER_UNPINNED });
  const p = privmsgCase(quick ? { pairs: 20, window: 1, duration: 2, warmup: 0.5, size: 64 } : { pairs: 1000, window: 1, duration: 10, warmup: 2, size: 64 }, o);
  out.push({ ...p, id: `mp-${p.id}`, title: `multi-process ${p.title}`, servers, ratios, unpinned: CLUSTER_UNPINNED });
  out.push({ ...crossnodeCase(o, quick), servers: ['obrol', 'obrol-2n'], ratios: [['obrol-2n', 'obrol']], unpinned: CLUSTER_UNPINNED });
  return out;
}

/**
 * What stored history costs: Obrol as it ships (history in a SQLite file,
 * written once per event-loop turn) against the same server keeping nothing,
 * on the fan-out and direct-message cases.
 */
function historyCases(o: Overrides, quick: boolean): CaseSpec[] {
  const servers: ServerKind[] = ['obrol', 'obrol-nohist'];
  const ratios: Array<[ServerKind, ServerKind]> = [['obrol', 'obrol-nohist']];
  const shapes: FanoutParams[] = quick
    ? [{ channels: 2, members: 20, senders: 3, mode: 'closed', window: 5, rate: 100, duration: 2, warmup: 0.5, size: 64 }]
    : [
        { channels: 1, members: 1000, senders: 20, mode: 'closed', window: 10, rate: 20, duration: 10, warmup: 2, size: 64 },
        { channels: 100, members: 50, senders: 5, mode: 'closed', window: 10, rate: 400, duration: 10, warmup: 2, size: 64 },
      ];
  const out: CaseSpec[] = shapes.map((shape) => {
    const f = fanoutCase(shape, o);
    return { ...f, id: `hist-${f.id}`, title: `history on vs off: ${f.title}`, servers, ratios };
  });
  const p = privmsgCase(quick ? PRIVMSG_QUICK : { ...PRIVMSG_FULL, duration: 10 }, o);
  out.push({ ...p, id: `hist-${p.id}`, title: `history on vs off: ${p.title}`, servers, ratios });
  return out;
}

function crossnodeCase(o: Overrides, quick: boolean): CaseSpec {
  const base: CrossnodeParams = quick ? { pairs: 4, rate: 100, duration: 2, warmup: 0.5, size: 64 } : { pairs: 20, rate: 200, duration: 10, warmup: 2, size: 64 };
  const params: CrossnodeParams = {
    pairs: def(o.pairs, base.pairs),
    rate: def(o.rate, base.rate),
    duration: def(o.duration, base.duration),
    warmup: def(o.warmup, base.warmup),
    size: def(o.size, base.size),
  };
  return {
    id: `crossnode-${params.pairs}x${params.rate}`,
    title: `crossnode: delivery latency, ${params.pairs} senders on node A to ${params.pairs} receivers on node B (two processes over Redis) vs the same on one process, ${params.rate} msg/s in all`,
    run: { scenario: 'crossnode', params },
  };
}

function privmsgCase(base: PrivmsgParams, o: Overrides): CaseSpec {
  const params: PrivmsgParams = {
    pairs: def(o.pairs, base.pairs),
    window: def(o.window, base.window),
    duration: def(o.duration, base.duration),
    warmup: def(o.warmup, base.warmup),
    size: def(o.size, base.size),
  };
  return { id: `privmsg-${params.pairs}`, title: `privmsg: ${params.pairs} pairs exchanging direct messages, ${params.window} in flight per pair`, run: { scenario: 'privmsg', params } };
}

/** The issue's registration case: 10000 clients connecting at 500/s, open loop. */
function connectRateCase(o: Overrides, quick: boolean): CaseSpec {
  const base: ConnectParams = quick
    ? { clients: 300, window: 0, rate: 300, hold: 1, perAddress: 100, timeout: 30 }
    : { clients: 10_000, window: 0, rate: 500, hold: 5, perAddress: 2500, timeout: 40 };
  const c = connectCase('', '', base, o);
  const p = c.run.params as ConnectParams;
  return { ...c, id: `connect-rate-${p.clients >= 1000 ? `${p.clients / 1000}k` : p.clients}`, title: `connect: ${p.clients} clients connecting at ${p.rate}/s (open loop) register and idle` };
}

/**
 * Seconds measured in the fanout, privmsg and mixed cases of `all` (and
 * `transport`): 8, not 10, so that the whole default run, three servers and
 * three rounds, stays near 35 minutes on the 2-core machine here.
 */
const WINDOW_S = 8;
const PRIVMSG_FULL: PrivmsgParams = { pairs: 1000, window: 4, duration: WINDOW_S, warmup: 2, size: 64 };
const PRIVMSG_QUICK: PrivmsgParams = { pairs: 20, window: 1, duration: 2, warmup: 0.5, size: 64 };
/** The issue's open-loop fan-out: 100 channels x 50 members at 1500 messages/s = 73500 deliveries/s. */
const FANOUT_OPEN_100X50: FanoutParams = { channels: 100, members: 50, senders: 5, mode: 'open', window: 10, rate: 1500, duration: WINDOW_S, warmup: 2, size: 64 };
const FANOUT_QUICK: Omit<FanoutParams, 'mode'> = { channels: 2, members: 20, senders: 3, window: 5, rate: 100, duration: 2, warmup: 0.5, size: 64 };

function mixedCase(o: Overrides, quick: boolean): CaseSpec {
  const base: MixedParams = quick
    ? { clients: 200, churners: 20, smallChannels: 20, smallMembers: [3, 6], largeChannels: 1, largeMembers: [50, 80], channelRate: 100, largeShare: 0.1, directRate: 100, joinRate: 10, holdS: 0.5, nickRate: 2, duration: 2, warmup: 0.5, size: 64, seed: 1 }
    : { clients: 2000, churners: 200, smallChannels: 300, smallMembers: [3, 10], largeChannels: 3, largeMembers: [300, 500], channelRate: 1000, largeShare: 0.05, directRate: 1000, joinRate: 50, holdS: 2, nickRate: 2, duration: WINDOW_S, warmup: 3, size: 64, seed: 1 };
  const params: MixedParams = { ...base, duration: def(o.duration, base.duration), warmup: def(o.warmup, base.warmup), size: def(o.size, base.size), seed: def(o.seed, base.seed) };
  return {
    id: `mixed-${params.clients >= 1000 ? `${params.clients / 1000}k` : params.clients}`,
    title: `mixed: ${params.clients} clients in ${params.smallChannels} small and ${params.largeChannels} large channels, ${params.channelRate} channel + ${params.directRate} direct messages/s, ${params.joinRate} JOIN+PART/s, ${params.nickRate} NICK/s`,
    run: { scenario: 'mixed', params },
  };
}

/**
 * Obrol's socket transports: the default (native epoll where it is available)
 * against Node's own net module (`listen.transport: node`), on registration,
 * direct messages and open-loop fan-out.
 */
function transportCases(o: Overrides, quick: boolean): CaseSpec[] {
  const servers: ServerKind[] = ['obrol', 'obrol-node'];
  const ratios: Array<[ServerKind, ServerKind]> = [['obrol', 'obrol-node']];
  const f = fanoutCase(quick ? { ...FANOUT_QUICK, mode: 'open' } : FANOUT_OPEN_100X50, o);
  return [connectRateCase(o, quick), privmsgCase(quick ? PRIVMSG_QUICK : PRIVMSG_FULL, o), f].map((c) => ({
    ...c,
    id: `tr-${c.id}`,
    title: `transport native vs node: ${c.title}`,
    servers,
    ratios,
  }));
}

export function buildCases(scenario: CaseGroup, o: Overrides, quick: boolean): CaseSpec[] {
  if (scenario === 'cluster') return clusterCases(o, quick);
  if (scenario === 'history') return historyCases(o, quick);
  if (scenario === 'transport') return transportCases(o, quick);
  if (scenario === 'crossnode') return [{ ...crossnodeCase(o, quick), servers: ['obrol', 'obrol-2n'], ratios: [['obrol-2n', 'obrol']], unpinned: CLUSTER_UNPINNED }];
  const out: CaseSpec[] = [];
  const want = (s: ScenarioName) => scenario === 'all' || scenario === s;

  if (want('connect')) {
    if (quick) {
      out.push(connectCase('connect', 'connect: 300 clients register and idle', { clients: 300, window: 100, rate: 0, hold: 1, perAddress: 100, timeout: 60 }, o));
      out.push(connectRateCase(o, quick));
    } else if (o.clients !== undefined && o.rate !== undefined) out.push(connectRateCase(o, quick));
    else if (o.clients !== undefined) out.push(connectCase(`connect-${o.clients}`, `connect: ${o.clients} clients register and idle`, { clients: o.clients, window: 1000, rate: 0, hold: 5, perAddress: 2500, timeout: 300 }, o));
    else {
      out.push(connectRateCase(o, quick));
      // Not on ngIRCd: its listen backlog of 10 turns 1000 connects in flight into two minutes of SYN retransmissions a run,
      // which connect-20k shows already; its registrations of 10000 clients are in connect-rate-10k.
      out.push({
        ...connectCase('connect-10k', 'connect: 10000 clients from one source address register and idle (not ngIRCd)', { clients: 10_000, window: 1000, rate: 0, hold: 5, perAddress: 10_000, timeout: 300 }, o),
        servers: ['obrol', 'inspircd'],
      });
      out.push(connectCase('connect-20k', 'connect: 20000 clients from 8 source addresses register and idle', { clients: 20_000, window: 1000, rate: 0, hold: 5, perAddress: 2500, timeout: 300 }, o));
    }
  }

  if (want('fanout')) {
    const modes: Array<'closed' | 'open'> = o.mode === 'both' || o.mode === undefined ? ['closed', 'open'] : [o.mode];
    const shapes: Array<Omit<FanoutParams, 'mode'>> = quick
      ? [FANOUT_QUICK]
      : o.channels !== undefined || o.members !== undefined || o.senders !== undefined
        ? [{ channels: def(o.channels, 1), members: def(o.members, 1000), senders: def(o.senders, 20), window: 10, rate: 20, duration: WINDOW_S, warmup: 2, size: 64 }]
        : [
            // the issue's two shapes; open loop: 1x1000 at 20 msg/s (19980 deliveries/s), 100x50 at 1500 msg/s (73500 deliveries/s)
            { channels: 1, members: 1000, senders: 20, window: 10, rate: 20, duration: WINDOW_S, warmup: 2, size: 64 },
            { ...FANOUT_OPEN_100X50 },
          ];
    for (const mode of modes) for (const shape of shapes) out.push(fanoutCase({ ...shape, mode }, o));
  }

  if (want('privmsg')) {
    out.push(privmsgCase(quick ? PRIVMSG_QUICK : PRIVMSG_FULL, o));
  }

  if (want('mixed')) out.push(mixedCase(o, quick));

  if (want('churn')) {
    const base: ChurnParams = quick ? { concurrency: 10, channels: 3, duration: 2, warmup: 1, settle: 0.5 } : { concurrency: 100, channels: 10, duration: 15, warmup: 3, settle: 2 };
    const params: ChurnParams = {
      concurrency: def(o.concurrency, base.concurrency),
      channels: def(o.churnChannels, base.channels),
      duration: def(o.duration, base.duration),
      warmup: def(o.warmup, base.warmup),
      settle: def(o.settle, base.settle),
    };
    out.push({
      id: `churn-${params.duration}s`,
      title: `churn: ${params.concurrency} loops of connect, register, JOIN, PART, QUIT for ${params.duration} s`,
      run: { scenario: 'churn', params },
    });
  }
  return out;
}
