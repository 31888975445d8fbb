/**
 * A ChatSession for Node: TCP or TLS through irc-framework's net transport,
 * or WebSocket through its websocket transport, which expects a browser-style
 * global WebSocket; the `ws` package provides one (with --insecure passed on).
 */
import { createRequire } from 'node:module';
import { WebSocket as WsWebSocket } from 'ws';
import { ChatSession, ircFrameworkFactory, type SessionOptions } from '../core/index.js';
import type { ChatOptions } from './options.js';

const require = createRequire(import.meta.url);

/** Install a global WebSocket for irc-framework's transport, unless one is there (Node 22+). */
function ensureGlobalWebSocket(insecure: boolean): void {
  const globals = globalThis as { WebSocket?: unknown };
  if (globals.WebSocket !== undefined && !insecure) return;
  class NodeWebSocket extends WsWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { rejectUnauthorized: !insecure });
    }
  }
  globals.WebSocket = NodeWebSocket;
}

export function createSession(options: ChatOptions, extra: Partial<SessionOptions> = {}): ChatSession {
  const { address } = options;
  let connectOptions: Record<string, unknown> = {};
  if (address.transport === 'websocket') {
    ensureGlobalWebSocket(options.insecure);
    connectOptions = {
      transport: require('irc-framework/src/transports/websocket') as unknown,
      path: address.path,
      websocket_protocol: 'text.ircv3.net',
    };
  }
  return new ChatSession({
    factory: ircFrameworkFactory,
    host: address.host,
    port: address.port,
    tls: address.tls,
    insecure: options.insecure,
    connectOptions,
    nick: options.nick,
    username: options.user,
    realname: options.realname,
    ...(options.password !== undefined ? { password: options.password } : {}),
    account: options.account ?? null,
    channels: options.channels,
    ...extra,
  });
}
