/**
 * From a line to a handler: parse, look the verb up in the command table, run
 * the generic checks once (417, 421, 451, 461, 481), call the handler, flush
 * its replies, then try to complete registration.
 *
 * Lines of one session run strictly in order, under flood control: each
 * command costs units from a token bucket (its penalty in the command table,
 * 1000 = one unit) that holds the class's flood_burst and refills at
 * flood_rate per second, in the spirit of RFC 1459's fakelag. A command the
 * bucket cannot pay for waits (it is delayed, never dropped), and so does
 * every line after it; only when the waiting lines pass the class's recvq is
 * the client disconnected with "Excess Flood". Opers are exempt. Every line
 * costs something (at least MIN_COST), before registration too, and a
 * connection that sends more than limits.unregistered_lines lines without
 * registering is dropped. A handler that returns a promise pauses the session
 * the same way until it settles.
 *
 * Nothing here catches a handler's exception: it travels up to the server's
 * guard (ObrolServer.guard), which ends that connection alone and logs it.
 */
import { CommandContext } from '../commands/context.js';
import { COMMANDS } from '../commands/index.js';
import { findService } from '../services/index.js';
import { interceptBatched, MULTILINE_TIMEOUT_MS } from '../commands/multiline.js';
import type { LineProblem } from '../net/framer.js';
import { CAP } from '../protocol/caps.js';
import type { IrcMessage, Tags } from '../protocol/message.js';
import { parseLine, type ParseResult } from '../protocol/parse.js';
import {
  ERR_INPUTTOOLONG,
  ERR_NEEDMOREPARAMS,
  ERR_NOPRIVILEGES,
  ERR_NOTREGISTERED,
  ERR_UNKNOWNCOMMAND,
} from '../protocol/replies.js';
import { completeRegistration } from './registration.js';
import { ReplyBuffer } from './replybuffer.js';
import type { ObrolServer } from './server.js';
import type { QueuedLine, Session } from './session.js';

/** Parameters never written to the log: they carry secrets. */
// Commands whose parameters may hold a password or a code: never logged, even with log.message_text.
const SECRET_COMMANDS = new Set(['PASS', 'OPER', 'AUTHENTICATE', 'REGISTER', 'VERIFY', 'NS', 'NICKSERV', 'CS', 'CHANSERV']);

/** A message to NickServ or ChanServ (`/msg NickServ IDENTIFY ...`): its text is as secret as the commands above. */
function toService(msg: IrcMessage): boolean {
  return (msg.command === 'PRIVMSG' || msg.command === 'NOTICE') && msg.params[0] !== undefined && findService(msg.params[0]) !== undefined;
}

/** The least any line costs, in units: nothing is free, or one client could keep a core busy. */
export const MIN_COST = 0.5;

/**
 * Flood cost in units: the command's penalty (at least MIN_COST); unknown,
 * unparsable and oversized lines cost one. A line of a draft/multiline batch
 * costs MIN_COST: the batch is one message, but every line of it still pays.
 */
function costOf(parsed: ParseResult | null): number {
  if (parsed === null || !parsed.ok) return 1;
  const { command, tags } = parsed.message;
  if ((command === 'PRIVMSG' || command === 'NOTICE') && tags?.has('batch') === true) return MIN_COST;
  const spec = COMMANDS.get(command);
  return spec ? Math.max(MIN_COST, spec.penalty / 1000) : 1;
}

export function receiveLine(server: ObrolServer, session: Session, line: string, problem: LineProblem, validUtf8: boolean): void {
  if (session.closed || session.doomed !== null) return;
  const now = server.clock.now();
  session.lastReadAt = now;
  session.pingSentAt = 0;
  if (!session.user.registered && ++session.linesBeforeRegistration > server.config.limits.unregistered_lines) {
    server.endSession(session, 'Too many lines before registration');
    return;
  }
  const parsed = problem === 'too-long' ? null : parseLine(line);
  if (parsed !== null && !parsed.ok && parsed.code === 'EMPTY') return;
  const item: QueuedLine = { parsed, problem, validUtf8, cost: costOf(parsed), bytes: line.length + 2, arrival: ++server.arrivals };
  // The fast path: nothing waiting and the bucket can pay.
  if (!session.busy && session.backlog.length === 0 && session.floodTimer === null && spend(session, item.cost, now)) {
    run(server, session, item);
    return;
  }
  session.backlogBytes += item.bytes;
  if (session.backlogBytes > session.klass.recvq_bytes) {
    server.endSession(session, 'Excess Flood');
    return;
  }
  session.backlog.push(item);
  pump(server, session);
}

/** Run waiting lines while the session is free and its bucket can pay; otherwise wait for the refill. */
export function pump(server: ObrolServer, session: Session): void {
  while (!session.closed && session.doomed === null && !session.busy && session.floodTimer === null && session.backlog.length > 0) {
    const next = session.backlog[0] as QueuedLine;
    if (!spend(session, next.cost, server.clock.now())) {
      waitForRefill(server, session, next.cost);
      return;
    }
    session.backlog.shift();
    session.backlogBytes -= next.bytes;
    run(server, session, next);
  }
  // The peer stopped sending while lines were waiting: they are answered, then it goes.
  if (!session.closed && !session.busy && session.backlog.length === 0 && session.closeWhenIdle !== null) {
    server.endSession(session, session.closeWhenIdle);
  }
}

function run(server: ObrolServer, session: Session, item: QueuedLine): void {
  // On a network of nodes, the line first waits until this node has seen everything that happened before it.
  const fence = server.lineFence(item.arrival);
  const pending = fence === null ? dispatch(server, session, item.parsed, item.problem, item.validUtf8) : fence.then(() => dispatchIfOpen(server, session, item));
  if (pending === undefined) return;
  session.busy = true;
  // A command that completes later resumes the session under the server's guard, like a line.
  void pending.then(
    () => server.guard(session, () => {
      session.busy = false;
      session.command = null;
      pump(server, session);
    }),
    (err: unknown) => server.guard(session, () => {
      throw err;
    }),
  );
}

/** Dispatch a line that waited, unless its session ended meanwhile; under the server's guard, like a line. */
function dispatchIfOpen(server: ObrolServer, session: Session, item: QueuedLine): Promise<void> | undefined {
  if (session.closed || session.doomed !== null) return undefined;
  let pending: Promise<void> | undefined;
  server.guard(session, () => {
    pending = dispatch(server, session, item.parsed, item.problem, item.validUtf8);
  });
  return pending;
}

/** Take `cost` units from the session's bucket if it holds them (refilling it first). */
function spend(session: Session, cost: number, now: number): boolean {
  const klass = session.klass;
  if (cost === 0 || klass.flood_rate === 0 || session.user.isOper) return true;
  session.tokens = Math.min(klass.flood_burst, session.tokens + ((now - session.tokensAt) / 1000) * klass.flood_rate);
  session.tokensAt = now;
  const need = Math.min(cost, klass.flood_burst);
  if (session.tokens < need) return false;
  session.tokens -= need;
  return true;
}

function waitForRefill(server: ObrolServer, session: Session, cost: number): void {
  const klass = session.klass;
  const missing = Math.min(cost, klass.flood_burst) - session.tokens;
  const delay = Math.max(1, Math.ceil((missing / klass.flood_rate) * 1000));
  session.floodTimer = server.clock.setTimeout(
    () => server.guard(session, () => {
      session.floodTimer = null;
      pump(server, session);
    }),
    delay,
  );
}

/**
 * Handle one line. Returns a promise only when the command has to wait for
 * something. A handler's exception (thrown or rejected) is not caught here.
 */
export function dispatch(
  server: ObrolServer,
  session: Session,
  parsed: ParseResult | null,
  problem: LineProblem,
  validUtf8 = true,
): Promise<void> | undefined {
  const user = session.user;
  if (problem === 'too-long' || parsed === null) {
    const replies = new ReplyBuffer(server.info.name, session);
    replies.numeric(ERR_INPUTTOOLONG());
    replies.flush();
    return undefined;
  }
  if (!parsed.ok && parsed.code === 'EMPTY') return undefined;
  const msg = parsed.ok ? parsed.message : null;
  const replies = new ReplyBuffer(server.info.name, session, labelOf(session, parsed.ok ? parsed.message.tags : (parsed.tags ?? null)));
  if (msg === null) {
    server.stats.unknownCommands++;
    replies.numeric(ERR_UNKNOWNCOMMAND(parsed.ok ? '' : (parsed.command ?? '')));
    replies.flush();
    return undefined;
  }
  // UTF8ONLY (https://ircv3.net/specs/extensions/utf8-only): refuse, never relay, non-UTF-8 text.
  if (!validUtf8 && server.config.server.utf8_only) {
    const ctx = new CommandContext(server, session, user, replies);
    ctx.standardReply('FAIL', msg.command, 'INVALID_UTF8', 'Message rejected, your IRC software MUST use UTF-8 encoding on this network');
    replies.flush();
    return undefined;
  }
  const spec = COMMANDS.get(msg.command);
  if (!spec) {
    server.stats.unknownCommands++;
    replies.numeric(user.registered ? ERR_UNKNOWNCOMMAND(msg.command) : ERR_NOTREGISTERED());
    replies.flush();
    return undefined;
  }
  if (!user.registered && !spec.beforeRegistration) {
    replies.numeric(ERR_NOTREGISTERED());
    replies.flush();
    return undefined;
  }
  if (msg.params.length < spec.minParams) {
    replies.numeric(ERR_NEEDMOREPARAMS(msg.command));
    replies.flush();
    return undefined;
  }
  if (spec.operOnly && !user.isOper) {
    replies.numeric(ERR_NOPRIVILEGES());
    replies.flush();
    return undefined;
  }
  logCommand(server, session, msg);
  server.commandCounts.set(msg.command, (server.commandCounts.get(msg.command) ?? 0) + 1);

  session.command = msg.command;
  const ctx = new CommandContext(server, session, user, replies);
  // A line of a client batch (draft/multiline) is collected, not handled on its own.
  if ((session.multiline !== null || msg.tags !== null) && interceptBatched(ctx, msg)) return finish(server, session, replies);
  const result = spec.handle(ctx, msg);
  if (result === undefined) return finish(server, session, replies);
  return result.then(() => finish(server, session, replies));
}

function finish(server: ObrolServer, session: Session, replies: ReplyBuffer): Promise<void> | undefined {
  replies.flush();
  watchMultiline(server, session);
  // The verb stays named while registration completes: a fault there is logged under it.
  const pending = session.user.registered || session.closed ? undefined : completeRegistration(server, session);
  if (pending === undefined) session.command = null;
  return pending;
}

/**
 * A draft/multiline batch may not stay open for ever: once the client has
 * sent nothing for MULTILINE_TIMEOUT_MS (and no line of it waits here), it
 * is dropped with a FAIL.
 */
function watchMultiline(server: ObrolServer, session: Session): void {
  if (session.multiline === null) {
    if (session.multilineTimer !== null) server.clock.clearTimeout(session.multilineTimer);
    session.multilineTimer = null;
    return;
  }
  if (session.multilineTimer !== null) server.clock.clearTimeout(session.multilineTimer);
  session.multilineTimer = server.clock.setTimeout(
    () => server.guard(session, () => {
      session.multilineTimer = null;
      const batch = session.multiline;
      if (batch === null || session.closed) return;
      if (session.busy || session.backlog.length > 0) {
        watchMultiline(server, session);
        return;
      }
      session.multiline = null;
      if (batch.failed) return;
      const replies = new ReplyBuffer(server.info.name, session);
      new CommandContext(server, session, session.user, replies).standardReply('FAIL', 'BATCH', 'MULTILINE_INVALID', `Batch ${batch.ref} was not closed within ${MULTILINE_TIMEOUT_MS / 1000} seconds`);
      replies.flush();
    }),
    MULTILINE_TIMEOUT_MS,
  );
}

/** The label of a labeled-response request: only from clients that negotiated it, at most 64 bytes. */
function labelOf(session: Session, tags: Tags | null): string | null {
  if (tags === null || !session.hasCap(CAP.LABELED_RESPONSE)) return null;
  const label = tags.get('label');
  return label !== undefined && label !== '' && Buffer.byteLength(label) <= 64 ? label : null;
}

function logCommand(server: ObrolServer, session: Session, msg: IrcMessage): void {
  // Asked of the server's logger: asking the session's would make its child logger for every client.
  if (!server.log.isLevelEnabled('debug')) return;
  if (server.config.log.message_text && !SECRET_COMMANDS.has(msg.command) && !toService(msg)) {
    session.log.debug({ command: msg.command, params: msg.params }, 'command');
  } else {
    session.log.debug({ command: msg.command }, 'command');
  }
}
