/**
 * From a line to a handler: parse, look the verb up in the command table, run
 * the generic checks once (417, 421, 451, 461, 481), call the handler, flush
 * its replies, then try to complete registration.
 *
 * Lines of one session run strictly in order. A handler that returns a
 * promise pauses the session until it settles; lines arriving meanwhile wait
 * in a bounded backlog.
 */
import { CommandContext } from '../commands/context.js';
import { COMMANDS } from '../commands/index.js';
import type { LineProblem } from '../net/framer.js';
import { CAP } from '../protocol/caps.js';
import type { IrcMessage, Tags } from '../protocol/message.js';
import { parseLine } from '../protocol/parse.js';
import {
  ERR_INPUTTOOLONG,
  ERR_NEEDMOREPARAMS,
  ERR_NOPRIVILEGES,
  ERR_NOTREGISTERED,
  ERR_UNKNOWNCOMMAND,
  ERR_UNKNOWNERROR,
} from '../protocol/replies.js';
import { completeRegistration } from './registration.js';
import { ReplyBuffer } from './replybuffer.js';
import type { ObrolServer } from './server.js';
import type { QueuedLine, Session } from './session.js';

/** Lines a paused session may hold before it is disconnected. */
const MAX_BACKLOG = 512;

/** Parameters never written to the log: they carry secrets. */
const SECRET_COMMANDS = new Set(['PASS', 'OPER', 'AUTHENTICATE']);

export function receiveLine(server: ObrolServer, session: Session, line: string, problem: LineProblem, validUtf8: boolean): void {
  if (session.closed) return;
  session.lastReadAt = Date.now();
  session.pingSentAt = 0;
  if (session.busy || session.backlog.length > 0) {
    if (session.backlog.length >= MAX_BACKLOG) {
      server.disconnect(session.user, 'Excess Flood');
      return;
    }
    session.backlog.push({ line, problem, validUtf8 });
    return;
  }
  run(server, session, line, problem, validUtf8);
}

function run(server: ObrolServer, session: Session, line: string, problem: LineProblem, validUtf8: boolean): void {
  const pending = dispatch(server, session, line, problem, validUtf8);
  if (pending === undefined) return;
  session.busy = true;
  void pending.then(() => {
    session.busy = false;
    while (!session.closed && !session.busy && session.backlog.length > 0) {
      const next = session.backlog.shift() as QueuedLine;
      run(server, session, next.line, next.problem, next.validUtf8);
    }
    if (!session.closed && !session.busy && session.closeWhenIdle !== null) server.disconnect(session.user, session.closeWhenIdle);
  });
}

/** Handle one line. Returns a promise only when the command has to wait for something. */
export function dispatch(
  server: ObrolServer,
  session: Session,
  line: string,
  problem: LineProblem,
  validUtf8 = true,
): Promise<void> | undefined {
  const user = session.user;
  if (problem === 'too-long') {
    const replies = new ReplyBuffer(server.info.name, session);
    replies.numeric(ERR_INPUTTOOLONG());
    replies.flush();
    return undefined;
  }
  const parsed = parseLine(line);
  if (!parsed.ok && parsed.code === 'EMPTY') return undefined;
  const msg = parsed.ok ? parsed.message : null;
  const replies = new ReplyBuffer(server.info.name, session, labelOf(session, parsed.ok ? parsed.message.tags : (parsed.tags ?? null)));
  if (msg === null) {
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

  const ctx = new CommandContext(server, session, user, replies);
  let result: void | Promise<void>;
  try {
    result = spec.handle(ctx, msg);
  } catch (err) {
    failed(session, replies, msg, err);
    return finish(server, session, replies);
  }
  if (result === undefined) return finish(server, session, replies);
  return result.then(
    () => finish(server, session, replies),
    (err: unknown) => {
      failed(session, replies, msg, err);
      return finish(server, session, replies);
    },
  );
}

function finish(server: ObrolServer, session: Session, replies: ReplyBuffer): Promise<void> | undefined {
  replies.flush();
  if (session.user.registered || session.closed) return undefined;
  return completeRegistration(server, session);
}

/** The label of a labeled-response request: only from clients that negotiated it, at most 64 bytes. */
function labelOf(session: Session, tags: Tags | null): string | null {
  if (tags === null || !session.hasCap(CAP.LABELED_RESPONSE)) return null;
  const label = tags.get('label');
  return label !== undefined && label !== '' && Buffer.byteLength(label) <= 64 ? label : null;
}

/** A bug in a handler: log it with the connection and verb, tell only this client. */
function failed(session: Session, replies: ReplyBuffer, msg: IrcMessage, err: unknown): void {
  session.log.error({ err, command: msg.command }, 'command failed');
  replies.numeric(ERR_UNKNOWNERROR(msg.command, 'Internal error while processing the command'));
}

function logCommand(server: ObrolServer, session: Session, msg: IrcMessage): void {
  if (!session.log.isLevelEnabled('debug')) return;
  if (server.config.log.message_text && !SECRET_COMMANDS.has(msg.command)) {
    session.log.debug({ command: msg.command, params: msg.params }, 'command');
  } else {
    session.log.debug({ command: msg.command }, 'command');
  }
}
