/**
 * What `obrol chat` connects to and as whom: the server address (HOST,
 * HOST:PORT, [v6]:PORT, or a ws:// / wss:// / irc:// / ircs:// URL), the
 * small YAML config file (default ~/.config/obrol/chat.yaml) validated with
 * zod, and the flags, merged in that order (flags win). Any problem is a
 * ChatOptionsError naming the key or flag; nothing connects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export class ChatOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatOptionsError';
  }
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 6667;
export const DEFAULT_TLS_PORT = 6697;

export const DEFAULT_CONFIG_PATH = join(homedir(), '.config', 'obrol', 'chat.yaml');

const nickPattern = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;
const channelPattern = /^[#&][^\s,\x07]+$/;

export const chatConfigSchema = z
  .object({
    server: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.boolean().optional(),
    insecure: z.boolean().optional(),
    nick: z.string().regex(nickPattern, 'not a valid nick').max(30).optional(),
    user: z.string().regex(/^[^\s@]+$/, 'no spaces or @').optional(),
    realname: z.string().optional(),
    password: z.string().optional(),
    account: z.string().min(1).optional(),
    account_password: z.string().optional(),
    channels: z.array(z.string().regex(channelPattern, 'a channel name starts with # or &')).optional(),
  })
  .strict();

export type ChatConfig = z.infer<typeof chatConfigSchema>;

export interface ServerAddress {
  host: string;
  port: number;
  tls: boolean;
  /** 'tcp' for IRC over TCP/TLS, 'websocket' for ws:// and wss://. */
  transport: 'tcp' | 'websocket';
  /** Path for WebSocket URLs ('/' by default). */
  path: string;
}

/** Parse HOST, HOST:PORT, [IPv6]:PORT or a URL (ws, wss, irc, ircs). */
export function parseServerAddress(text: string, tlsFlag = false): ServerAddress {
  const bad = (why: string) => new ChatOptionsError(`server "${text}": ${why}`);
  const urlMatch = /^([a-z]+):\/\//i.exec(text);
  if (urlMatch) {
    const scheme = (urlMatch[1] as string).toLowerCase();
    if (!['ws', 'wss', 'irc', 'ircs'].includes(scheme)) throw bad(`unsupported scheme ${scheme}:// (use ws://, wss://, irc:// or ircs://)`);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad('not a valid URL');
    }
    const tls = scheme === 'wss' || scheme === 'ircs' || tlsFlag;
    const websocket = scheme === 'ws' || scheme === 'wss';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw bad('no host');
    const port = url.port === '' ? (websocket ? (tls ? 443 : 80) : tls ? DEFAULT_TLS_PORT : DEFAULT_PORT) : Number(url.port);
    return { host, port, tls, transport: websocket ? 'websocket' : 'tcp', path: websocket ? `${url.pathname}${url.search}` || '/' : '/' };
  }
  let host = text;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, portText] = text.split(':') as [string, string];
  }
  if (host === '' || /[\s/]/.test(host)) throw bad('not a host name or address');
  let port = tlsFlag ? DEFAULT_TLS_PORT : DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`port "${portText}" is not a number from 1 to 65535`);
    port = Number(portText);
  }
  return { host, port, tls: tlsFlag, transport: 'tcp', path: '/' };
}

/** Read and validate the config file. A missing default file is no config; a missing named one is an error. */
export function loadChatConfig(path: string | undefined): { config: ChatConfig; path: string | null } {
  const file = path ? resolve(path) : DEFAULT_CONFIG_PATH;
  if (!path && !existsSync(file)) return { config: {}, path: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ChatOptionsError(`${file}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ChatOptionsError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (raw === null || raw === undefined) return { config: {}, path: file };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ChatOptionsError(`${file}: the top level must be a mapping (nick:, server:, channels:, ...)`);
  const result = chatConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
      if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
      return `${key || '(top level)'}: ${issue.message}`;
    });
    throw new ChatOptionsError(`${file}: ${problems.join('; ')}`);
  }
  return { config: result.data, path: file };
}

/** The flags `obrol chat` takes. */
export interface ChatArgs {
  server?: string;
  nick?: string;
  user?: string;
  realname?: string;
  password?: string;
  account?: string;
  'account-password'?: string;
  join?: string;
  tls?: boolean;
  insecure?: boolean;
  config?: string;
  line?: boolean;
}

export interface ChatOptions {
  address: ServerAddress;
  nick: string;
  /** The nick was chosen for the user (from $USER or "guest"). */
  defaultNick: boolean;
  user: string;
  realname: string;
  password?: string;
  account?: { account: string; password: string };
  channels: string[];
  insecure: boolean;
  configPath: string | null;
}

/** A usable nick from a login name: "guest" when nothing fits. */
export function nickFromUser(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9[\]\\`_^{|}-]/g, '').replace(/^[0-9-]+/, '').slice(0, 16);
  return cleaned === '' ? 'guest' : cleaned;
}

/** Merge config file and flags; throws ChatOptionsError on anything unusable. */
export function resolveChatOptions(args: ChatArgs, env: Record<string, string | undefined> = process.env): ChatOptions {
  const { config, path } = loadChatConfig(args.config);
  const tlsWanted = args.tls ?? config.tls ?? false;
  let address: ServerAddress;
  if (args.server !== undefined) {
    address = parseServerAddress(args.server, tlsWanted);
  } else if (config.server !== undefined) {
    address = parseServerAddress(config.server, tlsWanted);
    if (config.port !== undefined && !/^[a-z]+:\/\//i.test(config.server) && !/:\d+$/.test(config.server)) address.port = config.port;
  } else {
    address = { host: DEFAULT_HOST, port: config.port ?? (tlsWanted ? DEFAULT_TLS_PORT : DEFAULT_PORT), tls: tlsWanted, transport: 'tcp', path: '/' };
  }
  const nickGiven = args.nick ?? config.nick;
  if (args.nick !== undefined && !nickPattern.test(args.nick)) throw new ChatOptionsError(`--nick "${args.nick}": not a valid nick (letters, digits and []\\\`_^{|}-, not starting with a digit or -)`);
  const nick = nickGiven ?? nickFromUser(env.USER ?? env.LOGNAME ?? env.USERNAME);
  const user = args.user ?? config.user ?? nick.toLowerCase().replace(/[^a-z0-9_-]/g, '') ?? 'guest';
  if (/[\s@]/.test(user)) throw new ChatOptionsError(`--user "${user}": no spaces or @`);
  const channelsText = args.join !== undefined ? args.join.split(',').map((c) => c.trim()).filter((c) => c !== '') : (config.channels ?? []);
  for (const c of channelsText) if (!channelPattern.test(c)) throw new ChatOptionsError(`--join: "${c}" is not a channel name (start it with #)`);
  const accountName = args.account ?? config.account;
  const accountPassword = args['account-password'] ?? config.account_password ?? env.OBROL_CHAT_ACCOUNT_PASSWORD;
  if (accountName !== undefined && accountPassword === undefined) throw new ChatOptionsError('--account needs a password: --account-password, account_password in the config file, or $OBROL_CHAT_ACCOUNT_PASSWORD');
  const password = args.password ?? config.password ?? env.OBROL_CHAT_PASSWORD;
  return {
    address,
    nick,
    defaultNick: nickGiven === undefined,
    user: user === '' ? 'guest' : user,
    realname: args.realname ?? config.realname ?? nick,
    ...(password !== undefined ? { password } : {}),
    ...(accountName !== undefined ? { account: { account: accountName, password: accountPassword ?? '' } } : {}),
    channels: channelsText,
    insecure: args.insecure ?? config.insecure ?? false,
    configPath: path,
  };
}
