/**
 * The admin HTTP listener's side in the server: the AdminApi (admin/api.ts)
 * carried out with the same events an operator's commands emit (KILL through
 * killUser, WALLOPS, a channel's close as KICKs, REHASH through
 * ObrolServer.rehash), so users everywhere on the network see the same lines;
 * and the listener itself, opened, moved and closed with the config.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AdminApi, ChannelView, Page, RehashView, StatusView, UserView } from '../admin/api.js';
import { AdminHttp, type MetricsSource } from '../admin/http.js';
import { killUser } from '../commands/oper.js';
import { emit, serverEmitter } from '../network/effects.js';
import type { AdminHttpConfig } from '../config/schema.js';
import { truncateUtf8 } from '../protocol/serialize.js';
import type { Channel } from '../state/channel.js';
import { EndpointGroup, type User } from '../state/user.js';
import { buildMetrics } from './metrics.js';
import type { ObrolServer } from './server.js';
import { Session } from './session.js';
import { TRANSPORTS, zeroes, type Transport } from './stats.js';

/** The admin API over a running server. */
export class ServerAdminApi implements AdminApi {
  constructor(private readonly server: ObrolServer) {}

  status(): StatusView {
    const { server } = this;
    const { registry, config } = server;
    return {
      name: server.info.name,
      network: config.server.network,
      version: server.info.version,
      started_at: new Date(server.startedAt).toISOString(),
      uptime_seconds: Math.round((server.clock.now() - server.startedAt) / 1000),
      users: registry.userCount,
      invisible: registry.invisibleCount,
      channels: registry.channels.size,
      opers: registry.operCount,
      connections: server.connectionsByTransport(),
      max_connections: server.maxConnections,
    };
  }

  users(after: string | null, limit: number): Page<UserView> {
    const now = this.server.clock.now();
    return pageOf(this.server.registry.users, (user) => user.folded, after, limit, (user) => userView(user, now));
  }

  channels(after: string | null, limit: number): Page<ChannelView> {
    return pageOf(this.server.registry.channels.values(), (channel) => channel.folded, after, limit, channelView);
  }

  kill(nick: string, reason: string, by: string): { nick: string } | null {
    const { server } = this;
    const target = server.registry.findUser(nick);
    if (!target) return null;
    const name = server.info.name;
    killUser(serverEmitter(server), target, reason, { server: name }, name, this.log(by), server.config.log.message_text);
    server.reap();
    return { nick: target.nick };
  }

  async rehash(by: string): Promise<RehashView> {
    const result = await this.server.rehash();
    this.log(by).info({ event: 'rehash', ok: result.ok }, 'rehash requested (admin API)');
    return { ok: result.ok, file: result.file, problems: result.problems };
  }

  wallops(text: string, by: string): { recipients: number } {
    const { server } = this;
    let recipients = 0;
    for (const user of server.registry.users) if (user.endpoint !== null && user.hasMode('w')) recipients++;
    const emitter = serverEmitter(server);
    emitter.emit({ type: 'wallops', origin: emitter.nodeId, by: { server: server.info.name }, text, ...emitter.stamp() });
    server.reap();
    this.log(by).info({ event: 'wallops', recipients }, 'WALLOPS sent (admin API)');
    return { recipients };
  }

  notice(text: string, by: string): { recipients: number } {
    const { server } = this;
    let recipients = 0;
    for (const user of server.registry.users) if (user.endpoint !== null) recipients++;
    emit(server, { type: 'network.notice', origin: server.bus.nodeId, text }, null);
    server.reap();
    this.log(by).info({ event: 'global-notice', recipients }, 'global notice sent (admin API)');
    return { recipients };
  }

  closeChannel(name: string, reasonText: string, by: string): { channel: string; kicked: number } | null {
    const { server } = this;
    const channel = server.registry.findChannel(name);
    if (!channel) return null;
    const reason = truncateUtf8(reasonText, server.config.limits.kick_length);
    const source = server.info.name;
    const members = [...channel.members.keys()];
    // Everyone leaves at once, so each member is told only of its own KICK:
    // once out, the others' are no news to it. n lines, not n²/2 as n
    // successive chanop KICKs would send.
    const emitter = serverEmitter(server);
    for (const member of members) {
      if (!channel.members.has(member)) continue;
      const event = { type: 'channel.kick', origin: emitter.nodeId, by: { server: source }, channel: channel.name, targetId: member.id, reason, onlyTarget: true } as const;
      emitter.emit({ ...event, ...emitter.stamp() });
    }
    server.reap();
    this.log(by).info({ event: 'channel-closed', channel: channel.name, kicked: members.length }, 'channel closed (admin API)');
    return { channel: channel.name, kicked: members.length };
  }

  private log(by: string): Logger {
    return this.server.log.child({ admin_token: by });
  }
}

/** Items whose key sorts after `after`, in key order, `limit` of them; `next` is the last key when more follow. */
function pageOf<T, V>(all: Iterable<T>, key: (item: T) => string, after: string | null, limit: number, view: (item: T) => V): Page<V> {
  const rest: Array<[string, T]> = [];
  for (const item of all) {
    const k = key(item);
    if (after === null || k > after) rest.push([k, item]);
  }
  rest.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { items: page.map(([, item]) => view(item)), next: more ? (page.at(-1) as [string, T])[0] : null };
}

function userView(user: User, now: number): UserView {
  // A user with several sessions (multiclient) shows its first; an always-on user with none, none.
  const endpoint = user.endpoint instanceof EndpointGroup ? (user.endpoint.members[0] ?? null) : user.endpoint;
  const session = endpoint instanceof Session ? endpoint : null;
  return {
    nick: user.nick,
    username: user.username,
    host: user.host,
    ip: user.ip,
    realname: user.realname,
    account: user.account,
    oper: user.isOper,
    away: user.away,
    modes: user.modeString(),
    channels: user.channels.size,
    transport: session?.transport ?? null,
    secure: user.secure,
    connected_at: session ? new Date(Date.now() - (now - session.connectedAt)).toISOString() : null,
    idle_seconds: session ? Math.round((now - session.lastReadAt) / 1000) : null,
  };
}

function channelView(channel: Channel): ChannelView {
  const modes = `+${[...channel.flags].sort().join('')}${channel.key !== null ? 'k' : ''}${channel.limit !== null ? 'l' : ''}`;
  return {
    name: channel.name,
    members: channel.members.size,
    topic: channel.topic === '' ? null : channel.topic,
    modes,
    created_at: new Date(channel.createdAt * 1000).toISOString(),
  };
}

/** The admin HTTP listener as the config wants it: none, or one on admin_http.host:port. */
export class AdminListener {
  private current: AdminHttp | null = null;
  private metrics: MetricsSource | null = null;
  private readonly api: ServerAdminApi;

  constructor(private readonly server: ObrolServer) {
    this.api = new ServerAdminApi(server);
  }

  get address(): AddressInfo | null {
    return this.current?.address ?? null;
  }

  /**
   * Open what `wanted` needs (a listener on a new address), touching nothing
   * open; commit() swaps it in and closes the old one, abort() closes what was
   * opened. Tokens and switches are read per request, so they need no reopening.
   */
  async prepare(wanted: AdminHttpConfig | null): Promise<{ commit(): void; abort(): void }> {
    const current = this.current;
    const log = this.server.log;
    if (wanted === null) {
      return {
        commit: () => {
          if (!current) return;
          this.current = null;
          void current.close();
          log.info({ event: 'listener-closed', kind: 'admin_http' }, 'admin_http listener closed');
        },
        abort: () => {},
      };
    }
    if (current && current.host === wanted.host && current.port === wanted.port) return { commit: () => {}, abort: () => {} };
    const fresh = await AdminHttp.open({
      host: wanted.host,
      port: wanted.port,
      api: this.api,
      config: () => this.server.config.admin_http ?? wanted,
      metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: () => this.metricsSource().render() },
      log,
    });
    return {
      commit: () => {
        if (current) void current.close();
        this.current = fresh;
        // Made now, so the event-loop delay histogram covers the time before the first scrape.
        if (wanted.metrics) this.metricsSource();
        const address = fresh.address;
        log.info({ event: 'listening', kind: 'admin_http', host: address.address, port: address.port }, `listening (admin_http) on ${address.address}:${address.port}`);
        if (!isLoopback(wanted.host) && wanted.metrics && !wanted.metrics_auth) {
          log.warn({ event: 'metrics-open', host: wanted.host }, 'admin_http listens beyond loopback and /metrics needs no token (admin_http.metrics_auth: false)');
        }
      },
      abort: () => void fresh.close(),
    };
  }

  /** Made once, when a listener serving /metrics opens: without one the server pays nothing for prom-client. */
  private metricsSource(): MetricsSource {
    return (this.metrics ??= buildMetrics(this.server));
  }

  close(): Promise<void> {
    const current = this.current;
    this.current = null;
    return current ? current.close() : Promise.resolve();
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function countByTransport(sessions: Iterable<Session>): Record<Transport, number> {
  const counts = zeroes(TRANSPORTS);
  for (const session of sessions) counts[session.transport]++;
  return counts;
}
