/**
 * The configuration schema: every key, its type, its bounds and its default.
 * The defaults are what `npm start` runs with when there is no file at all;
 * conf/obrol.yaml documents each key.
 *
 * zod validates and fills defaults in one pass and names the path of a bad
 * key; unknown keys are errors, so a typo never silently does nothing.
 */
import { z } from 'zod';
import { CASEMAPPINGS } from '../protocol/casemap.js';
import { isIP } from 'node:net';
import { isPasswordHash } from './password.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const seconds = (min: number, max: number) => z.number().min(min).max(max);

/**
 * Free text that the server puts into protocol lines (WHOIS, ADMIN, LINKS, the
 * welcome burst): a CR, LF or NUL there would end the line early or let the
 * file inject a command, so it is refused before any other check.
 */
const lineText = () =>
  z.string().refine((text) => !/[\r\n\0]/.test(text), { message: 'must not contain CR, LF or NUL', abort: true });

const hostname = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be a host name: letters, digits, dots and dashes')
  .refine((name) => name.includes('.'), 'must contain a dot, so clients can tell it from a nick');

const passwordHash = z
  .string()
  .refine(isPasswordHash, 'must be a password hash made with `obrol hash-password`, never the password itself');

const userModes = z.string().regex(/^\+?[iwB]*$/, 'may only contain the user modes i, w and B, e.g. "+i"');

const serverSchema = z.strictObject({
  name: hostname.default('obrol.local'),
  network: lineText().regex(/^[^\s]{1,32}$/, 'must be 1 to 32 characters without spaces').default('Obrol'),
  description: lineText().max(120).default('Obrol IRC server'),
  motd_file: z.string().nullable().default('motd.txt'),
  password: passwordHash.nullable().default(null),
  casemapping: z.enum(CASEMAPPINGS).default('rfc1459'),
  default_user_modes: userModes.default(''),
  utf8_only: z.boolean().default(true),
  /** Name the Node.js version in VERSION and INFO (off: it helps an attacker more than a user). */
  show_versions: z.boolean().default(false),
});

const adminSchema = z.strictObject({
  location: lineText().max(200).default('Somewhere on the internet'),
  organisation: lineText().max(200).default('An Obrol network'),
  email: lineText().max(200).default('admin@obrol.local'),
});

const tlsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(6697),
  cert: z.string().min(1),
  key: z.string().min(1),
  sts_duration: z.number().int().min(0).max(10 * 365 * 24 * 3600).nullable().default(null),
  sts_preload: z.boolean().default(false),
});

const websocketSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(8097),
  tls: z.boolean().default(false),
  origins: z.array(z.string().min(1)).default([]),
  trusted_proxies: z.array(z.string().min(1)).default([]),
  /** Serve the browser chat page at / (else / answers 426, as a bare WebSocket endpoint). */
  web_client: z.boolean().default(true),
  /**
   * Host names (besides IP addresses and localhost) this listener is reached
   * by, under which the page's own origin may connect (see net/websocket.ts).
   */
  web_hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name: letters, digits, dots and dashes')).default([]),
});

/** A bearer token of the admin HTTP API: only its SHA-256 digest is stored (see admin/tokens.ts). */
const adminTokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 hex digest of the token (64 lower-case hex digits), as `obrol admin-token NAME` prints it, never the token itself'),
  /** read: GET routes (and /metrics when metrics_auth is on); write: the POST actions. */
  scopes: z.array(z.enum(['read', 'write'])).min(1).default(['read', 'write']),
});

/** The admin HTTP listener: Prometheus metrics and the JSON admin API (docs/operations.md). */
const adminHttpSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(9090),
  /** Serve GET /metrics. */
  metrics: z.boolean().default(true),
  /** /metrics asks for a token with the read scope (off by default: bind to loopback, or turn this on). */
  metrics_auth: z.boolean().default(false),
  tokens: z.array(adminTokenSchema).default([]),
});

const channelsSchema = z.strictObject({
  default_modes: z.string().regex(/^\+?[Cimnst]*$/, 'may only contain the channel modes C, i, m, n, s and t, e.g. "+nt"').default('+nt'),
});

const listenSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(6667),
  /**
   * How plain TCP sockets are driven: `native` (the epoll addon in native/,
   * built at install), `node` (Node's net sockets) or `auto` (native when
   * the addon is built, else node).
   */
  transport: z.enum(['auto', 'native', 'node']).default('auto'),
});

const limitsSchema = z.strictObject({
  nick_length: int(1, 64).default(32),
  user_length: int(1, 64).default(16),
  channel_length: int(2, 200).default(64),
  topic_length: int(1, 400).default(390),
  kick_length: int(1, 400).default(390),
  away_length: int(1, 400).default(390),
  realname_length: int(1, 400).default(150),
  key_length: int(1, 100).default(23),
  channels_per_user: int(1, 10000).default(50),
  targets: int(1, 100).default(4),
  /** Entries of a channel's b, e and I lists together (MAXLIST=beI:N). */
  list_entries: int(1, 10000).default(100),
  /** Longest ban, exception or invite-exception mask, in bytes. */
  mask_length: int(16, 500).default(128),
  modes_per_command: int(1, 100).default(6),
  whowas_entries: int(0, 1_000_000).default(1000),
  /** WHOWAS entries shown by one WHOWAS, over all its nicks. */
  whowas_results: int(1, 10_000).default(20),
  monitor_entries: int(0, 10000).default(100),
  read_markers: int(1, 100_000).default(1000),
  metadata_keys: int(0, 1000).default(50),
  metadata_subscriptions: int(0, 1000).default(100),
  metadata_value_bytes: int(1, 400).default(300),
  /** Longest metadata key (and subscribed key), in bytes. */
  metadata_key_length: int(1, 400).default(64),
  /** Bytes of stored state one user may own (see state/budget.ts). */
  user_state_bytes: int(4096, 64 * 1024 * 1024).default(64 * 1024),
  /** Bytes of stored state all users together may own before nothing new is stored. */
  server_state_bytes: z.number().int().min(4096).max(2 ** 40).default(256 * 1024 * 1024),
  max_clients: int(1, 1_000_000).default(10_000),
  /** Bytes of IRCv3 tag data a client may send (the specification allows 4094; with '@' and the space, 4096). */
  client_tag_bytes: int(16, 4096).default(4096),
  who_results: int(1, 1_000_000).default(1000),
  /** Users one WHO with a mask (not a channel) looks at before it stops; opers are exempt. */
  who_scan: int(1, 10_000_000).default(5000),
  list_results: int(1, 1_000_000).default(5000),
  /** 353 lines in one NAMES, over all its channels. */
  names_results: int(1, 1_000_000).default(1000),
  /**
   * Recipients a user's broadcast changes (AWAY with away-notify, SETNAME, NICK,
   * METADATA on oneself) may reach in a burst, refilled at broadcast_rate per
   * second; 0: no limit.
   */
  broadcast_burst: int(1, 100_000_000).default(5000),
  broadcast_rate: z.number().min(0).max(100_000_000).default(200),
  /** Connections from one IPv4 /N or IPv6 /N block are counted together for max_per_cidr. */
  cidr_ipv4_prefix: int(8, 32).default(24),
  cidr_ipv6_prefix: int(16, 128).default(64),
  /** Lines a connection may send before it has registered; past this it is dropped. */
  unregistered_lines: int(5, 1000).default(40),
});

const classSchema = z.strictObject({
  name: z.string().regex(/^[^\s]{1,32}$/, 'must be 1 to 32 characters without spaces'),
  /** Addresses or CIDR blocks this class is for; "*" for everyone. */
  hosts: z.array(z.string().min(1)).min(1).default(['*']),
  max_per_ip: int(1, 1_000_000).default(10),
  max_per_cidr: int(1, 1_000_000).default(50),
  /** New connections one address may open per minute before it is throttled. */
  connects_per_minute: int(1, 1_000_000).default(20),
  throttle_seconds: int(0, 86_400).default(60),
  /** Flood control: a burst of this many command units, refilled at flood_rate per second; 0: none. */
  flood_burst: z.number().min(1).max(100_000).default(20),
  flood_rate: z.number().min(0).max(100_000).default(2),
  recvq_bytes: int(1024, 16 * 1024 * 1024).default(8192),
  sendq_bytes: int(4096, 256 * 1024 * 1024).default(1024 * 1024),
});

const cloakSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Keys the HMAC; null: a random key per start (cloaks change on restart). */
  secret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
  /** Cloaks share their last parts within an IPv4 /N or IPv6 /N (bans on a block). */
  ipv4_prefix: int(8, 32).default(24),
  ipv6_prefix: int(16, 128).default(64),
  suffix: z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'letters, digits and dashes only').default('ip'),
});

const timeoutsSchema = z.strictObject({
  registration: seconds(1, 3600).default(60),
  /** How long a TLS handshake or WebSocket upgrade may take before the socket is closed. */
  handshake: seconds(1, 600).default(10),
  ping_interval: seconds(1, 3600).default(120),
  ping_timeout: seconds(1, 3600).default(60),
  /** How long a shutdown waits for clients to take their ERROR line. */
  shutdown_grace: seconds(0, 600).default(5),
  /** Back-off after a failed OPER, per address and per oper name: the first wait, doubled per failure; 0: none. */
  oper_backoff: seconds(0, 60).default(1),
  oper_backoff_max: seconds(1, 3600).default(30),
});

const HOSTS_NEEDED = 'must list the user@host masks this oper may be used from, e.g. ["*@127.0.0.1"]';

const operSchema = z.strictObject({
  name: z.string().regex(/^[^\s]{1,64}$/, 'must be 1 to 64 characters without spaces'),
  password: passwordHash,
  // No default: a forgotten list must not mean "from anywhere".
  hosts: z
    .array(z.string().min(1), { error: (issue) => (issue.input === undefined ? HOSTS_NEEDED : undefined) })
    .min(1, HOSTS_NEEDED),
});

const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  message_text: z.boolean().default(false),
});

/**
 * Several Obrol processes forming one network over Redis. With `redis: null`
 * (the default) the node runs alone and nothing else is read from here.
 */
const WORKERS = 'must be a whole number from 1 to 256, or "auto" (one per CPU)';

const clusterSchema = z.strictObject({
  redis: z
    .string()
    .refine(isRedisUrl, 'must be a redis:// or rediss:// URL, e.g. "redis://127.0.0.1:6379"')
    .nullable()
    .default(null),
  /** Seconds without a heartbeat after which a node counts as gone and its users quit. */
  node_timeout: seconds(1, 300).default(5),
  workers: z.union([z.number().int(WORKERS).min(1, WORKERS).max(256, WORKERS), z.literal('auto')], { error: WORKERS }).default(1),
  /** Prefix of every Redis key, so several networks (or test runs) can share one Redis. */
  key_prefix: z.string().regex(/^[^\s]{1,64}$/, 'must be 1 to 64 characters without spaces').default('obrol:'),
});

/** Where accounts, channel registrations and history are kept (src/store/). */
const storeSchema = z.strictObject({
  /** sqlite: one file that survives restarts; memory: nothing is kept (tests, throwaway servers). */
  backend: z.enum(['sqlite', 'memory']).default('sqlite'),
  /** The SQLite file; a relative path is taken from the config file's folder, or the working folder without one. */
  path: z.string().min(1).default('data/obrol.db'),
});

const accountsSchema = z.strictObject({
  /** Accounts, SASL, NickServ and ChanServ; off: nobody can log in, nicks are first come first served. */
  enabled: z.boolean().default(true),
  /** REGISTER and NickServ REGISTER create accounts; off: only operators' tools do. */
  registration: z.boolean().default(true),
  /** REGISTER before the connection has registered (draft/account-registration before-connect). */
  register_before_connect: z.boolean().default(true),
  /** REGISTER must give an e-mail address. */
  email_required: z.boolean().default(false),
  /**
   * New accounts must be verified with the code sent to their address;
   * the code is handed to verify_command (the hook that sends it). Off by default.
   */
  email_verification: z.boolean().default(false),
  /** Run with the account, address and code as arguments to send a verification code; null: log the code. */
  verify_command: z.string().min(1).nullable().default(null),
  password_min_length: int(1, 256).default(5),
  /** Accounts one address may create per hour (REGISTER, NickServ REGISTER); 0: no limit. */
  registrations_per_hour: int(0, 1_000_000).default(5),
  /** A registered nick used by someone not logged in: rename them to a guest nick, refuse the nick, or let it be. */
  nick_enforcement: z.enum(['rename', 'refuse', 'none']).default('rename'),
  /** Seconds a user has to log in before a registered nick is taken from them (rename). */
  enforce_grace: seconds(0, 3600).default(30),
  guest_prefix: z.string().regex(/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,15}$/, 'must be a valid start of a nick, e.g. "Guest"').default('Guest'),
  /** Several connections logged into one account share one nick and presence. */
  multiclient: z.boolean().default(true),
  /** Whether accounts may stay present with no connection (opt-in: each account chooses with NickServ SET ALWAYS-ON). */
  always_on: z.enum(['disabled', 'opt-in', 'opt-out']).default('opt-in'),
  /** Back-off after a failed login, per address and per account: the first wait, doubled per failure; 0: none. */
  login_backoff: seconds(0, 60).default(1),
  login_backoff_max: seconds(1, 3600).default(60),
});

const historySchema = z.strictObject({
  /** Store channel messages (and events) for CHATHISTORY. */
  enabled: z.boolean().default(true),
  /** Store direct messages too (each side can read their conversation back). */
  direct_messages: z.boolean().default(true),
  /** Seconds a message is kept; 0: no age limit. */
  max_age: seconds(0, 100 * 365 * 86_400).default(30 * 86_400),
  /** Messages kept per channel or conversation; 0: no count limit. */
  max_per_target: int(0, 100_000_000).default(10_000),
  /** The most messages one CHATHISTORY request returns (ISUPPORT CHATHISTORY). */
  query_limit: int(1, 10_000).default(1000),
  /** Messages replayed to a client that joins a channel (0: none; clients with CHATHISTORY ask themselves). */
  replay_on_join: int(0, 1000).default(0),
});

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    admin: adminSchema.prefault({}),
    listen: listenSchema.prefault({}),
    tls: tlsSchema.nullable().default(null),
    // On by default (the chat page on 127.0.0.1:8097); `websocket: null` turns it off.
    websocket: websocketSchema.nullable().prefault({}),
    admin_http: adminHttpSchema.nullable().default(null),
    channels: channelsSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    /** Connection classes: the first whose hosts match a client's address applies. */
    classes: z.array(classSchema).min(1).default(() => [classSchema.parse({ name: 'default' })]),
    cloak: cloakSchema.prefault({}),
    timeouts: timeoutsSchema.prefault({}),
    opers: z.array(operSchema).default([]),
    log: logSchema.prefault({}),
    cluster: clusterSchema.prefault({}),
    store: storeSchema.prefault({}),
    accounts: accountsSchema.prefault({}),
    history: historySchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.websocket?.tls && !config.tls) {
      ctx.addIssue({ code: 'custom', path: ['websocket', 'tls'], message: 'needs the tls section (its cert and key are used)' });
    }
    config.classes.forEach((klass, index) => {
      klass.hosts.forEach((host, h) => {
        if (host !== '*' && !isAddressOrCidr(host)) ctx.addIssue({ code: 'custom', path: ['classes', index, 'hosts', h], message: `"${host}" is not "*", an IP address or a CIDR block` });
      });
    });
    for (const [index, entry] of (config.websocket?.trusted_proxies ?? []).entries()) {
      if (!isAddressOrCidr(entry)) ctx.addIssue({ code: 'custom', path: ['websocket', 'trusted_proxies', index], message: `"${entry}" is not an IP address or CIDR block` });
    }
    const tokenNames = new Set<string>();
    const digests = new Set<string>();
    (config.admin_http?.tokens ?? []).forEach((token, index) => {
      if (tokenNames.has(token.name)) ctx.addIssue({ code: 'custom', path: ['admin_http', 'tokens', index, 'name'], message: `duplicate token name "${token.name}"` });
      if (digests.has(token.sha256)) ctx.addIssue({ code: 'custom', path: ['admin_http', 'tokens', index, 'sha256'], message: 'the same token is listed twice' });
      tokenNames.add(token.name);
      digests.add(token.sha256);
    });
    const seen = new Set<string>();
    config.opers.forEach((oper, index) => {
      if (seen.has(oper.name)) ctx.addIssue({ code: 'custom', path: ['opers', index, 'name'], message: `duplicate oper name "${oper.name}"` });
      seen.add(oper.name);
    });
  });

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix] = entry.split('/') as [string, string | undefined];
  const family = isIP(address);
  if (family === 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
}

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;
export type OperBlock = Config['opers'][number];
export type AdminHttpConfig = NonNullable<Config['admin_http']>;
export type AdminToken = AdminHttpConfig['tokens'][number];
export type ClusterConfig = Config['cluster'];
export type StoreConfig = Config['store'];
export type AccountsConfig = Config['accounts'];
export type HistoryConfig = Config['history'];
