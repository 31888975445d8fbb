/**
 * The benchmark cases: each scenario's default sizes (the issue's), the
 * smoke sizes (--quick), and command-line overrides. `all` runs every case.
 */
import type { ChurnParams, ConnectParams, FanoutParams, PrivmsgParams, ScenarioName, ScenarioParams } from './scenarios.js';

export interface CaseSpec {
  /** Short id, e.g. "fanout-1x1000-closed". */
  id: string;
  title: string;
  run: ScenarioParams;
}

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
}

const def = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);

function connectCase(id: string, title: string, base: ConnectParams, o: Overrides): CaseSpec {
  const params: ConnectParams = {
    clients: def(o.clients, base.clients),
    window: def(o.window, base.window),
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

export function buildCases(scenario: ScenarioName | 'all', o: Overrides, quick: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  const want = (s: ScenarioName) => scenario === 'all' || scenario === s;

  if (want('connect')) {
    if (quick) out.push(connectCase('connect', 'connect: 300 clients register and idle', { clients: 300, window: 100, hold: 1, perAddress: 100, timeout: 60 }, o));
    else if (o.clients !== undefined) out.push(connectCase(`connect-${o.clients}`, `connect: ${o.clients} clients register and idle`, { clients: o.clients, window: 1000, hold: 5, perAddress: 2500, timeout: 300 }, o));
    else {
      out.push(connectCase('connect-10k', 'connect: 10000 clients from one source address register and idle', { clients: 10_000, window: 1000, hold: 5, perAddress: 10_000, timeout: 300 }, o));
      out.push(connectCase('connect-20k', 'connect: 20000 clients from 8 source addresses register and idle', { clients: 20_000, window: 1000, hold: 5, perAddress: 2500, timeout: 300 }, o));
    }
  }

  if (want('fanout')) {
    const modes: Array<'closed' | 'open'> = o.mode === 'both' || o.mode === undefined ? ['closed', 'open'] : [o.mode];
    const shapes: Array<Omit<FanoutParams, 'mode'>> = quick
      ? [{ channels: 2, members: 20, senders: 3, window: 5, rate: 100, duration: 2, warmup: 0.5, size: 64 }]
      : o.channels !== undefined || o.members !== undefined || o.senders !== undefined
        ? [{ channels: def(o.channels, 1), members: def(o.members, 1000), senders: def(o.senders, 20), window: 10, rate: 20, duration: 10, warmup: 2, size: 64 }]
        : [
            // the two shapes; the open-loop rate gives about 20000 deliveries/s in both
            { channels: 1, members: 1000, senders: 20, window: 10, rate: 20, duration: 10, warmup: 2, size: 64 },
            { channels: 100, members: 50, senders: 5, window: 10, rate: 400, duration: 10, warmup: 2, size: 64 },
          ];
    for (const mode of modes) for (const shape of shapes) out.push(fanoutCase({ ...shape, mode }, o));
  }

  if (want('privmsg')) {
    const base: PrivmsgParams = quick ? { pairs: 20, window: 1, duration: 2, warmup: 0.5, size: 64 } : { pairs: 1000, window: 1, duration: 10, warmup: 2, size: 64 };
    const params: PrivmsgParams = {
      pairs: def(o.pairs, base.pairs),
      window: def(o.window, base.window),
      duration: def(o.duration, base.duration),
      warmup: def(o.warmup, base.warmup),
      size: def(o.size, base.size),
    };
    out.push({ id: `privmsg-${params.pairs}`, title: `privmsg: ${params.pairs} pairs exchanging direct messages, ${params.window} in flight per pair`, run: { scenario: 'privmsg', params } });
  }

  if (want('churn')) {
    const base: ChurnParams = quick ? { concurrency: 10, channels: 3, duration: 2, warmup: 1, settle: 0.5 } : { concurrency: 100, channels: 10, duration: 60, warmup: 5, settle: 2 };
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
