/**
 * CAP: capability negotiation (LS, LIST, REQ, END).
 * https://ircv3.net/specs/extensions/capability-negotiation
 * While a client negotiates before registering, registration waits for CAP END.
 * CAP LS 302 gets values and continuation lines, and turns on cap-notify.
 */
import { CAP } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { ERR_INVALIDCAPCMD } from '../protocol/replies.js';
import type { CommandContext } from './context.js';
import { abortSasl } from './sasl.js';
import type { CommandSpec } from './spec.js';

/** Room for the capability list on one CAP line, leaving space for the prefix. */
const LINE_BUDGET = 400;

function capReply(ctx: CommandContext, subcommand: string, ...rest: string[]): void {
  ctx.send(ctx.fromServer('CAP', [ctx.user.registered ? ctx.user.nick : '*', subcommand, ...rest]));
}

/** One line, or for 302 clients as many as needed with '*' on all but the last. */
function sendList(ctx: CommandContext, subcommand: string, tokens: string[]): void {
  if (ctx.session.capVersion < 302) {
    capReply(ctx, subcommand, tokens.join(' '));
    return;
  }
  const lines: string[] = [];
  let current = '';
  for (const token of tokens) {
    if (current.length > 0 && current.length + 1 + token.length > LINE_BUDGET) {
      lines.push(current);
      current = token;
    } else {
      current = current.length > 0 ? `${current} ${token}` : token;
    }
  }
  lines.push(current);
  lines.forEach((line, index) => {
    if (index < lines.length - 1) capReply(ctx, subcommand, '*', line);
    else capReply(ctx, subcommand, line);
  });
}

function handleLs(ctx: CommandContext, version: string | undefined): void {
  const requested = version !== undefined && /^\d+$/.test(version) ? Number(version) : 0;
  const session = ctx.session;
  if (requested > session.capVersion) session.capVersion = requested;
  // 302 implies cap-notify, for the rest of the connection.
  if (session.capVersion >= 302) session.setCaps(session.capMask | CAP.CAP_NOTIFY);
  const withValues = requested >= 302;
  const offered = ctx.server.offeredCaps(session.secure);
  sendList(ctx, 'LS', offered.map((cap) => (withValues && cap.value !== undefined ? `${cap.name}=${cap.value}` : cap.name)));
}

function handleList(ctx: CommandContext): void {
  const enabled = ctx.server.offeredCaps(ctx.session.secure).filter((cap) => ctx.session.hasCap(cap.bit));
  sendList(ctx, 'LIST', enabled.map((cap) => cap.name));
}

/** All or nothing: every token must name a requestable capability on offer. */
function handleReq(ctx: CommandContext, list: string): void {
  const session = ctx.session;
  const offered = ctx.server.offeredCaps(session.secure);
  const tokens = list.split(' ').filter((token) => token.length > 0);
  let mask = session.capMask;
  for (const token of tokens) {
    const removing = token.startsWith('-');
    const cap = offered.find((c) => c.name === (removing ? token.slice(1) : token));
    // cap-notify stays on for 302 clients, whatever they ask.
    const refused = !cap || cap.advertiseOnly || (removing && cap.bit === CAP.CAP_NOTIFY && session.capVersion >= 302);
    if (refused) {
      capReply(ctx, 'NAK', list);
      return;
    }
    mask = removing ? mask & ~cap.bit : mask | cap.bit;
  }
  if (tokens.length === 0) {
    capReply(ctx, 'NAK', list);
    return;
  }
  // ACK first: lines sent after it (none here) already follow the new set.
  capReply(ctx, 'ACK', list);
  session.setCaps(mask);
}

export function handleCap(ctx: CommandContext, msg: IrcMessage): void {
  const subcommand = (msg.params[0] as string).toUpperCase();
  const negotiating = !ctx.user.registered;
  switch (subcommand) {
    case 'LS':
      if (negotiating) ctx.session.capNegotiating = true;
      handleLs(ctx, msg.params[1]);
      return;
    case 'LIST':
      handleList(ctx);
      return;
    case 'REQ':
      if (negotiating) ctx.session.capNegotiating = true;
      handleReq(ctx, msg.params[1] ?? '');
      return;
    case 'END':
      ctx.session.capNegotiating = false;
      // Registration does not wait for an unfinished SASL exchange: it is aborted (sasl-3.1).
      if (negotiating) abortSasl(ctx);
      return;
    default:
      ctx.reply(ERR_INVALIDCAPCMD(msg.params[0] as string));
  }
}

export const capCommands: CommandSpec[] = [{ verb: 'CAP', minParams: 1, beforeRegistration: true, penalty: 500, handle: handleCap }];
