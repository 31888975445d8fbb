/**
 * draft/multiline (https://ircv3.net/specs/extensions/multiline): a client
 * sends one message of several lines as a client batch,
 *
 *   BATCH +ref draft/multiline <target>
 *   @batch=ref PRIVMSG <target> :line      (draft/multiline-concat: no line break before it)
 *   BATCH -ref
 *
 * The lines are collected on the session, not dispatched one by one; at
 * BATCH - the message goes through the same checks as a PRIVMSG (speakTo)
 * and becomes one `message` event with every line. The dispatcher hands each
 * line to interceptBatched() first, and times out a batch left open.
 *
 * Every fault is `FAIL BATCH <code>` and ends the batch; its remaining lines
 * and its BATCH - are then dropped without a word, so a client gets one FAIL
 * per broken batch.
 */
import { CAP } from '../protocol/caps.js';
import { CONCAT_TAG, MULTILINE_BATCH } from '../protocol/multiline.js';
import type { IrcMessage } from '../protocol/message.js';
import type { Reply } from '../protocol/replies.js';
import { findService } from '../services/index.js';
import type { CommandContext } from './context.js';
import { clientOnlyTags, speakTo } from './messaging.js';
import type { CommandSpec } from './spec.js';

/** The most bytes of text in one multiline message, counting a byte per line break (CAP value max-bytes). */
export const MULTILINE_MAX_BYTES = 4096;
/** The most lines in one multiline message (CAP value max-lines): Ergo's as irctest runs it. */
export const MULTILINE_MAX_LINES = 32;
/** The CAP LS 302 value of draft/multiline. */
export const MULTILINE_CAP_VALUE = `max-bytes=${MULTILINE_MAX_BYTES},max-lines=${MULTILINE_MAX_LINES}`;
/** A batch still open this long after its last line (and with none waiting) is dropped with a FAIL. */
export const MULTILINE_TIMEOUT_MS = 30_000;


/** A batch reference tag as Ergo accepts them. */
const REFERENCE = /^[A-Za-z0-9-]{1,64}$/;

/** Commands that may come between the lines of an open batch without breaking it (keepalives). */
const HARMLESS = new Set(['PING', 'PONG']);

/** A client's open draft/multiline batch (SessionState.multiline). */
export interface MultilineBatch {
  ref: string;
  /** The target as given in BATCH +. */
  target: string;
  /** PRIVMSG or NOTICE, from the first line. */
  command: 'PRIVMSG' | 'NOTICE' | null;
  lines: Array<{ text: string; concat: boolean }>;
  /** Text bytes so far, a byte per line break included. */
  bytes: number;
  /** The client-only tags of BATCH +, the message's tags. */
  tags: Array<[string, string]> | null;
  /** The label of BATCH + (labeled-response): the answer at BATCH - carries it. */
  label: string | null;
  /** It broke (a FAIL was sent): its lines and end are dropped silently. */
  failed: boolean;
}

function fail(ctx: CommandContext, code: string, description: string, context: string[] = []): void {
  ctx.standardReply('FAIL', 'BATCH', code, description, context);
}

/** FAIL, and drop the batch (keeping its ref, so the rest of it is ignored). */
function breakBatch(ctx: CommandContext, batch: MultilineBatch, code: string, description: string, context: string[] = []): void {
  fail(ctx, code, description, context);
  batch.failed = true;
  batch.lines = [];
}

/**
 * Called by the dispatcher for every line before its handler: true if the
 * line belonged to (or broke) a multiline batch and must not be dispatched.
 */
export function interceptBatched(ctx: CommandContext, msg: IrcMessage): boolean {
  if (msg.command === 'BATCH') return false;
  const session = ctx.session;
  const open = session.multiline;
  const ref = msg.tags?.get('batch');
  if (ref === undefined) {
    // Untagged messages go on as usual; anything else breaks the batch (the spec allows only its lines).
    if (open === null || open.failed || msg.command === 'PRIVMSG' || msg.command === 'NOTICE' || HARMLESS.has(msg.command)) return false;
    fail(ctx, 'MULTILINE_INVALID', `${msg.command} is not allowed inside a multiline batch`);
    session.multiline = null;
    return true;
  }
  if (open === null) {
    fail(ctx, 'MULTILINE_INVALID', `No batch ${ref} is open`);
    return true;
  }
  if (open.failed) {
    if (ref !== open.ref) fail(ctx, 'MULTILINE_INVALID', `No batch ${ref} is open`);
    return true;
  }
  if (ref !== open.ref) {
    breakBatch(ctx, open, 'MULTILINE_INVALID', `Line tagged batch=${ref} inside batch ${open.ref}`);
    return true;
  }
  if (msg.command !== 'PRIVMSG' && msg.command !== 'NOTICE') {
    breakBatch(ctx, open, 'MULTILINE_INVALID', `A multiline batch holds PRIVMSG or NOTICE lines, not ${msg.command}`);
    return true;
  }
  if (open.command !== null && open.command !== msg.command) {
    breakBatch(ctx, open, 'MULTILINE_INVALID', 'A multiline batch holds lines of one command');
    return true;
  }
  const target = msg.params[0] ?? '';
  if (ctx.registry.fold(target) !== ctx.registry.fold(open.target)) {
    breakBatch(ctx, open, 'MULTILINE_INVALID_TARGET', 'Every line of a multiline batch must go to its target', [open.target, target]);
    return true;
  }
  const text = msg.params[1];
  if (text === undefined) {
    breakBatch(ctx, open, 'MULTILINE_INVALID', 'A line of a multiline batch needs text (it may be empty)');
    return true;
  }
  const concat = msg.tags?.has(CONCAT_TAG) ?? false;
  if (concat && text === '') {
    breakBatch(ctx, open, 'MULTILINE_INVALID', 'A blank line cannot carry draft/multiline-concat');
    return true;
  }
  open.command = msg.command;
  open.bytes += Buffer.byteLength(text) + (open.lines.length > 0 && !concat ? 1 : 0);
  open.lines.push({ text, concat });
  if (open.bytes > MULTILINE_MAX_BYTES) {
    breakBatch(ctx, open, 'MULTILINE_MAX_BYTES', `Multiline batch max-bytes exceeded (${MULTILINE_MAX_BYTES})`, [String(MULTILINE_MAX_BYTES)]);
  } else if (open.lines.length > MULTILINE_MAX_LINES) {
    breakBatch(ctx, open, 'MULTILINE_MAX_LINES', `Multiline batch max-lines exceeded (${MULTILINE_MAX_LINES})`, [String(MULTILINE_MAX_LINES)]);
  }
  return true;
}

/** BATCH {+,-}ref [type target]: open or close a client batch; draft/multiline is the only type. */
export function handleBatch(ctx: CommandContext, msg: IrcMessage): void {
  const session = ctx.session;
  const param = msg.params[0] as string;
  const sign = param[0];
  const ref = param.slice(1);
  const open = session.multiline;
  if ((sign !== '+' && sign !== '-') || !REFERENCE.test(ref)) {
    fail(ctx, 'INVALID_REFTAG', 'A batch reference is + or - then letters, digits and dashes', [param]);
    session.multiline = null;
    return;
  }

  if (sign === '+') {
    // A refused start still names a batch: its lines and end are then dropped without a FAIL each.
    const refuse = (code: string, description: string, context: string[] = []) => {
      fail(ctx, code, description, context);
      session.multiline = { ref, target: '', command: null, lines: [], bytes: 0, tags: null, label: null, failed: true };
    };
    if (open !== null && !open.failed) {
      refuse('MULTILINE_INVALID', `Batch ${open.ref} is still open`);
      return;
    }
    session.multiline = null;
    const type = msg.params[1];
    if (type !== MULTILINE_BATCH) {
      refuse('INVALID_PARAMS', `Clients may open ${MULTILINE_BATCH} batches only`, [type ?? '*']);
      return;
    }
    if (!session.hasCap(CAP.MULTILINE)) {
      refuse('MULTILINE_INVALID', `Negotiate ${MULTILINE_BATCH} before sending one`);
      return;
    }
    const target = msg.params[2];
    if (target === undefined || target === '') {
      refuse('MULTILINE_INVALID', 'A multiline batch needs a target');
      return;
    }
    session.multiline = { ref, target, command: null, lines: [], bytes: 0, tags: clientOnlyTags(msg.tags), label: ctx.replies.label, failed: false };
    // BATCH + gets no answer: its label goes on the message at BATCH -.
    ctx.replies.label = null;
    return;
  }

  if (open === null || open.ref !== ref) {
    // An end with no matching start. A batch still open is corrupt and goes too; a broken one stays, to swallow its own end.
    fail(ctx, 'MULTILINE_INVALID', `No batch ${ref} is open`);
    if (open !== null && !open.failed) session.multiline = null;
    return;
  }
  session.multiline = null;
  if (open.failed) return;
  if (open.label !== null) ctx.replies.label = open.label;
  if (open.command === null || open.lines.every((line) => line.text === '')) {
    fail(ctx, 'MULTILINE_INVALID', 'A multiline message needs a line that is not blank');
    return;
  }
  if (findService(open.target) !== undefined) {
    fail(ctx, 'MULTILINE_INVALID', `${open.target} takes one line at a time`);
    return;
  }
  const command = open.command;
  const error = (reply: Reply) => {
    if (command !== 'NOTICE') ctx.reply(reply);
  };
  ctx.user.lastSpokeAt = ctx.nowSeconds();
  speakTo(ctx, { command, target: open.target, text: (open.lines[0] as { text: string }).text, tags: open.tags, lines: open.lines }, error);
}

export const multilineCommands: CommandSpec[] = [{ verb: 'BATCH', minParams: 1, penalty: 1000, handle: handleBatch }];
