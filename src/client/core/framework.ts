/**
 * The default factory: a plain irc-framework Client. In Node it connects over
 * TCP or TLS; in a browser bundle (irc-framework's "browser" build) its
 * default transport is the WebSocket one. Pass `transport` in
 * SessionOptions.connectOptions to choose another.
 */
import IRC from 'irc-framework';
import type { ClientFactory, IrcClientLike } from './irc.js';

export const ircFrameworkFactory: ClientFactory = () => new IRC.Client() as IrcClientLike;
