/**
 * CAP: capability negotiation (LS, LIST, REQ, END).
 * https://ircv3.net/specs/extensions/capability-negotiation
 * While a client negotiates before registering, registration waits for CAP END.
 */
import { CAPABILITIES, findCapability } from '../protocol/caps.js';
import type { IrcMessage } from '../protocol/message.js';
import { ERR_INVALIDCAPCMD } from '../protocol/replies.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './spec.js';

/** Room for the capability list on one CAP LS line, leaving space for the prefix. */
const LS_LINE_BUDGET = 400;

function capReply(ctx: CommandContext, subcommand: string, ...rest: string[]): void {
  ctx.send(ctx.fromServer('CAP', [ctx.user.registered ? ctx.user.nick : '*', subcommand, ...rest]));
}

function handleLs(ctx: CommandContext, version: string | undefined): void {
  const requested = version !== undefined && /^\d+$/.test(version) ? Number(version) : 0;
  if (requested > ctx.session.capVersion) ctx.session.capVersion = requested;
  const withValues = ctx.session.capVersion >= 302;
  const tokens = CAPABILITIES.map((cap) => (withValues && cap.value ? `${cap.name}=${cap.value}` : cap.name));
  // 302 clients accept continuation lines marked with '*'; older ones get one line.
  const lines: string[] = [];
  let current = '';
  for (const token of tokens) {
    if (withValues && current.length > 0 && current.length + 1 + token.length > LS_LINE_BUDGET) {
      lines.push(current);
      current = token;
    } else {
      current = current.length > 0 ? `${current} ${token}` : token;
    }
  }
  lines.push(current);
  lines.forEach((line, index) => {
    if (index < lines.length - 1) capReply(ctx, 'LS', '*', line);
    else capReply(ctx, 'LS', line);
  });
}

function handleReq(ctx: CommandContext, list: string): void {
  const requests = list.split(' ').filter((token) => token.length > 0);
  const known = requests.every((token) => findCapability(token.startsWith('-') ? token.slice(1) : token) !== undefined);
  if (!known || requests.length === 0) {
    capReply(ctx, 'NAK', list);
    return;
  }
  for (const token of requests) {
    if (token.startsWith('-')) ctx.session.caps.delete(token.slice(1));
    else ctx.session.caps.add(token);
  }
  capReply(ctx, 'ACK', list);
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
      capReply(ctx, 'LIST', [...ctx.session.caps].join(' '));
      return;
    case 'REQ':
      if (negotiating) ctx.session.capNegotiating = true;
      handleReq(ctx, msg.params[1] ?? '');
      return;
    case 'END':
      ctx.session.capNegotiating = false;
      return;
    default:
      ctx.reply(ERR_INVALIDCAPCMD(msg.params[0] as string));
  }
}

export const capCommands: CommandSpec[] = [{ verb: 'CAP', minParams: 1, beforeRegistration: true, penalty: 0, handle: handleCap }];
