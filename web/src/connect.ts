/**
 * A chat session for this page: the client core's ChatSession over
 * irc-framework's browser build, whose default transport is the WebSocket
 * one, to the listener that served the page (same scheme, host and port),
 * with the text.ircv3.net subprotocol.
 */
import { ChatSession, ircFrameworkFactory } from '../../src/client/core/index.js';

export interface ConnectRequest {
  nick: string;
  channels: string[];
}

/** Where this page came from, as the WebSocket transport wants it. */
export function serverAddress(location: Location = window.location): { host: string; port: number; tls: boolean } {
  const tls = location.protocol === 'https:';
  const port = location.port === '' ? (tls ? 443 : 80) : Number(location.port);
  // location.hostname keeps the brackets of an IPv6 address, as a URL needs them.
  return { host: location.hostname, port, tls };
}

export function startSession(request: ConnectRequest): ChatSession {
  const { host, port, tls } = serverAddress();
  const session = new ChatSession({
    factory: ircFrameworkFactory,
    host,
    port,
    tls,
    connectOptions: { websocket_protocol: 'text.ircv3.net', path: '/' },
    nick: request.nick,
    username: request.nick.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10) || 'web',
    realname: 'Obrol web chat',
    channels: request.channels,
    // A first connection that fails goes back to the form with the reason;
    // a lost one is retried with backoff.
    retryFirstConnect: false,
  });
  session.connect();
  return session;
}
