/**
 * The chat client core: everything a chat UI needs that is not drawing.
 * UI-independent and browser-safe (no `node:` modules, no Buffer): the
 * terminal client (src/client/terminal) and the browser page both build on it.
 *
 * Public API
 * - ChatSession(options): one connection's life. Options: `factory` (makes the
 *   irc-framework Client; `ircFrameworkFactory` is the plain one), host, port,
 *   tls, insecure, connectOptions (extra irc-framework connect options, e.g.
 *   `{ transport, path }` for WebSocket), nick, username, realname, password
 *   (PASS), account ({account, password} for SASL PLAIN), channels (joined
 *   and rejoined after reconnects), reconnect, retryFirstConnect, backoff,
 *   timers, historyBatch, model.
 *   Methods: connect(), input(text) (a typed line: message or /command),
 *   execute(action), requestOlder(buffer?) (CHATHISTORY BEFORE when scrolled
 *   past the top), quit(reason) → Promise, dropConnection() (tests).
 *   Fields: model, client (the irc-framework Client), caps, echoMessage,
 *   hasHistory, connected, channels, closed (Promise: ended for good),
 *   endError ('' or why it ended).
 * - ChatModel: buffers (index 0 is the server's), active / activeIndex,
 *   setActive(i | buffer), cycle(±1), find(name), ensure(name), remove(buffer),
 *   nick, away, state ('idle'|'connecting'|'registered'|'reconnecting'|'closed'),
 *   networkName, prefixModes/prefixSymbols, prefixOf(member), version;
 *   subscribe(fn) → unsubscribe (after every change), onLine(fn(buffer, line))
 *   → unsubscribe (every new line, live or history).
 * - ChatBuffer: name, kind ('server'|'channel'|'query'), lines (ChatLine[],
 *   at most MAX_LINES), topic, topicSetBy, members (Map; memberList(prefixModes)
 *   sorted by rank), unread, highlight, joined, historyExhausted, historyLoading.
 * - ChatLine: id, time (ms, from server-time), kind ('message'|'action'|
 *   'notice'|'join'|'part'|'quit'|'kick'|'nick'|'topic'|'mode'|'away'|'info'|
 *   'error'), nick, text, self, highlight, msgid?, history?.
 * - parseInput(text, ctx) → Action; COMMANDS; helpLines(command?).
 * - complete(text, cursor, sources, previousState?) → {text, cursor, state}.
 * - InputHistory: push(line), up(current), down().
 * - nickColour(nick) / nickColourIndex(nick) / NICK_PALETTE: stable colours.
 * - backoffDelay(attempt, {baseMs, maxMs, random}).
 * - casefold, isChannelName, isoSeconds, clockTime, mentions.
 * - formatPlainLine(buffer, line): the line-mode text of a line.
 * - IrcClientLike / IrcEvent / ClientFactory: the typed face of irc-framework.
 */
export { ChatSession, EXTRA_CAPS, type SessionOptions, type Timers } from './session.js';
export { ChatModel, ChatBuffer, MAX_LINES, type ChatLine, type LineKind, type Member, type NewLine, type BufferKind, type ConnectionState, type ModelOptions } from './model.js';
export { parseInput, helpLines, COMMANDS, type Action, type CommandSpec, type ParseContext } from './commands.js';
export { complete, type CompletionSources, type CompletionState, type CompletionResult } from './complete.js';
export { InputHistory } from './history.js';
export { nickColour, nickColourIndex, nickHash, NICK_PALETTE, type NickColour } from './colour.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { casefold, isChannelName, isoSeconds, clockTime, mentions, DEFAULT_CHANTYPES } from './text.js';
export { formatPlainLine } from './format.js';
export { ircFrameworkFactory } from './framework.js';
export type { IrcClientLike, IrcEvent, IrcMessageLike, ClientFactory, RawMiddleware } from './irc.js';
