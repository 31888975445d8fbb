/**
 * What the user types, as actions. A line not starting with `/` (or starting
 * with `//`) is a message to the active buffer; `/cmd args` is looked up in
 * COMMANDS. Parsing is pure: the session carries the actions out.
 */
import { DEFAULT_CHANTYPES, isChannelName } from './text.js';

export type Action =
  | { type: 'say'; target: string; text: string }
  | { type: 'me'; target: string; text: string }
  | { type: 'notice'; target: string; text: string }
  | { type: 'join'; channels: string[]; keys: string[] }
  | { type: 'part'; channel: string; reason: string }
  | { type: 'query'; nick: string; text: string }
  | { type: 'nick'; nick: string }
  | { type: 'topic'; channel: string; text: string | null }
  | { type: 'names'; channel: string }
  | { type: 'whois'; nick: string }
  | { type: 'away'; message: string }
  | { type: 'quit'; reason: string }
  | { type: 'list'; args: string }
  | { type: 'raw'; line: string }
  | { type: 'help'; command: string }
  | { type: 'window'; index: number }
  | { type: 'close'; name: string }
  | { type: 'error'; message: string }
  | { type: 'none' };

export interface CommandSpec {
  name: string;
  usage: string;
  help: string;
}

/** Every command, in /help order. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: 'join', usage: '/join #channel[,#other] [key]', help: 'join channels' },
  { name: 'part', usage: '/part [#channel] [reason]', help: 'leave a channel (default: this one)' },
  { name: 'msg', usage: '/msg target text', help: 'send a message without opening a window' },
  { name: 'query', usage: '/query nick [text]', help: 'open a private window with nick' },
  { name: 'me', usage: '/me text', help: 'an action in this window' },
  { name: 'notice', usage: '/notice target text', help: 'send a notice' },
  { name: 'nick', usage: '/nick newnick', help: 'change your nick' },
  { name: 'topic', usage: '/topic [#channel] [text]', help: 'show or set the topic' },
  { name: 'names', usage: '/names [#channel]', help: 'list who is in a channel' },
  { name: 'whois', usage: '/whois nick', help: 'who is nick' },
  { name: 'away', usage: '/away [message]', help: 'mark yourself away (no message: back)' },
  { name: 'list', usage: '/list [mask]', help: 'list channels' },
  { name: 'raw', usage: '/raw LINE', help: 'send a raw IRC line' },
  { name: 'window', usage: '/window N', help: 'switch to window N (as numbered in the list)' },
  { name: 'close', usage: '/close [name]', help: 'close a window (parting a channel)' },
  { name: 'quit', usage: '/quit [reason]', help: 'disconnect and exit' },
  { name: 'help', usage: '/help [command]', help: 'this list, or one command' },
];

const ALIASES: Record<string, string> = { j: 'join', leave: 'part', m: 'msg', q: 'query', w: 'window', win: 'window', quote: 'raw', exit: 'quit', wc: 'close' };

export interface ParseContext {
  /** The active buffer's name ('' for the server buffer). */
  target: string;
  /** Its kind. */
  kind: 'server' | 'channel' | 'query';
  chantypes?: string;
}

function splitFirst(text: string): [string, string] {
  const trimmed = text.replace(/^\s+/, '');
  const space = trimmed.search(/\s/);
  return space < 0 ? [trimmed, ''] : [trimmed.slice(0, space), trimmed.slice(space + 1).replace(/^\s+/, '')];
}

/** Help text for one command or all of them, as lines. */
export function helpLines(command = ''): string[] {
  const name = command.replace(/^\//, '').toLowerCase();
  if (name !== '') {
    const spec = COMMANDS.find((c) => c.name === (ALIASES[name] ?? name));
    if (!spec) return [`unknown command /${name}; /help lists them`];
    return [`${spec.usage}  ${spec.help}`];
  }
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return ['Commands:', ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`), 'Text without a leading / is a message to the current window (// sends a leading /).'];
}

/** The action for one input line. */
export function parseInput(input: string, ctx: ParseContext): Action {
  const text = input.replace(/[\r\n]+$/, '');
  const chantypes = ctx.chantypes ?? DEFAULT_CHANTYPES;
  const here = ctx.kind === 'server' ? '' : ctx.target;
  const needWindow = (what: string): Action => ({ type: 'error', message: `${what}: this is the server window; /join a channel or /query someone first` });
  if (!text.startsWith('/') || text.startsWith('//')) {
    const body = text.startsWith('//') ? text.slice(1) : text;
    if (body.trim() === '') return { type: 'none' };
    if (here === '') return needWindow('cannot send a message here');
    return { type: 'say', target: here, text: body };
  }
  const [word, rest] = splitFirst(text.slice(1));
  const lower = word.toLowerCase();
  const name = ALIASES[lower] ?? lower;
  const usage = (): Action => ({ type: 'error', message: `usage: ${COMMANDS.find((c) => c.name === name)?.usage ?? name}` });
  switch (name) {
    case 'join': {
      const [list, keys] = splitFirst(rest);
      if (list === '') return usage();
      const channels = list.split(',').filter((c) => c !== '').map((c) => (isChannelName(c, chantypes) ? c : `#${c}`));
      return { type: 'join', channels, keys: keys === '' ? [] : keys.split(',') };
    }
    case 'part': {
      const [first, after] = splitFirst(rest);
      if (first !== '' && isChannelName(first, chantypes)) return { type: 'part', channel: first, reason: after };
      if (ctx.kind !== 'channel') return { type: 'error', message: 'part: not in a channel window; /part #channel' };
      return { type: 'part', channel: ctx.target, reason: rest };
    }
    case 'msg':
    case 'notice': {
      const [target, body] = splitFirst(rest);
      if (target === '' || body === '') return usage();
      return name === 'msg' ? { type: 'say', target, text: body } : { type: 'notice', target, text: body };
    }
    case 'query': {
      const [nick, body] = splitFirst(rest);
      if (nick === '' || isChannelName(nick, chantypes)) return usage();
      return { type: 'query', nick, text: body };
    }
    case 'me':
      if (rest.trim() === '') return usage();
      if (here === '') return needWindow('/me');
      return { type: 'me', target: here, text: rest };
    case 'nick': {
      const [nick] = splitFirst(rest);
      return nick === '' ? usage() : { type: 'nick', nick };
    }
    case 'topic': {
      const [first, after] = splitFirst(rest);
      if (first !== '' && isChannelName(first, chantypes)) return { type: 'topic', channel: first, text: after === '' ? null : after };
      if (ctx.kind !== 'channel') return { type: 'error', message: 'topic: not in a channel window; /topic #channel [text]' };
      return { type: 'topic', channel: ctx.target, text: rest === '' ? null : rest };
    }
    case 'names': {
      const [first] = splitFirst(rest);
      if (first !== '') return { type: 'names', channel: first };
      if (ctx.kind !== 'channel') return { type: 'error', message: 'names: not in a channel window; /names #channel' };
      return { type: 'names', channel: ctx.target };
    }
    case 'whois': {
      const [nick] = splitFirst(rest);
      if (nick !== '') return { type: 'whois', nick };
      if (ctx.kind === 'query') return { type: 'whois', nick: ctx.target };
      return usage();
    }
    case 'away':
      return { type: 'away', message: rest };
    case 'quit':
      return { type: 'quit', reason: rest };
    case 'list':
      return { type: 'list', args: rest };
    case 'raw':
      return rest.trim() === '' ? usage() : { type: 'raw', line: rest };
    case 'help':
      return { type: 'help', command: rest.trim() };
    case 'window': {
      const n = Number(rest.trim());
      if (!Number.isInteger(n) || n < 1) return usage();
      return { type: 'window', index: n };
    }
    case 'close': {
      const [first] = splitFirst(rest);
      if (first !== '') return { type: 'close', name: first };
      if (ctx.kind === 'server') return { type: 'error', message: 'close: the server window stays open; /quit to leave' };
      return { type: 'close', name: ctx.target };
    }
    default:
      return { type: 'error', message: `unknown command /${word}; /help lists the commands` };
  }
}
