/**
 * The admin API's routes: what each does, against the AdminApi the server
 * provides (server/adminapi.ts). Bodies are validated here; answers are plain
 * JSON objects. The OpenAPI description (openapi.ts) lists the same routes,
 * and a test keeps the two in step.
 */
import { z } from 'zod';
import { Router, type RouteSpec } from './router.js';

export interface Page<T> {
  items: T[];
  /** The sort key of the last item, to continue after it; null when this page is the last. */
  next: string | null;
}

export interface UserView {
  nick: string;
  username: string;
  host: string;
  ip: string;
  realname: string;
  account: string | null;
  oper: boolean;
  away: string | null;
  modes: string;
  channels: number;
  transport: string | null;
  secure: boolean;
  connected_at: string | null;
  idle_seconds: number | null;
}

export interface ChannelView {
  name: string;
  members: number;
  topic: string | null;
  modes: string;
  created_at: string;
}

export interface StatusView {
  name: string;
  network: string;
  version: string;
  started_at: string;
  uptime_seconds: number;
  users: number;
  invisible: number;
  channels: number;
  opers: number;
  connections: Record<string, number>;
  max_connections: number;
}

export interface RehashView {
  ok: boolean;
  file: string;
  problems: string[];
}

/** What the server does for the admin API; `by` is the token's name, for the log. */
export interface AdminApi {
  status(): StatusView;
  users(after: string | null, limit: number): Page<UserView>;
  channels(after: string | null, limit: number): Page<ChannelView>;
  /** KILL as an operator's, from the server; null when there is no such user. */
  kill(nick: string, reason: string, by: string): { nick: string } | null;
  rehash(by: string): Promise<RehashView>;
  wallops(text: string, by: string): { recipients: number };
  notice(text: string, by: string): { recipients: number };
  /** Kick every member with `reason`, which removes the channel; null when there is no such channel. */
  closeChannel(name: string, reason: string, by: string): { channel: string; kicked: number } | null;
}

/** An answer other than 200: a status, a stable code and a message (`{ "error": { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  /** The token's name. */
  by: string;
}

export type Handler = (api: AdminApi, req: ApiRequest) => unknown;

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** Text that goes into IRC lines: no CR, LF or NUL (they would end the line and inject a command). */
const lineText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !/[\r\n\0]/.test(text), 'must not contain CR, LF or NUL');

const killBody = z.strictObject({ reason: lineText(300).optional() });
const textBody = z.strictObject({ text: lineText(400).pipe(z.string().min(1)) });
const closeBody = z.strictObject({ reason: lineText(300).optional() });
const emptyBody = z.strictObject({});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
  throw new ApiError(400, 'bad_body', problems.join('; '));
}

/** The page a `cursor` and `limit` ask for: the cursor is the opaque form of the last key seen. */
export function pageQuery(query: URLSearchParams): { after: string | null; limit: number } {
  const limitText = query.get('limit');
  let limit = DEFAULT_PAGE;
  if (limitText !== null) {
    if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_PAGE) {
      throw new ApiError(400, 'bad_limit', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    }
    limit = Number(limitText);
  }
  const cursor = query.get('cursor');
  if (cursor === null || cursor === '') return { after: null, limit };
  return { after: decodeCursor(cursor), limit };
}

export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,700}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k:')) throw new ApiError(400, 'bad_cursor', 'cursor is not one this API gave out');
  return text.slice(2);
}

function paged<T>(page: Page<T>): { items: T[]; next_cursor: string | null } {
  return { items: page.items, next_cursor: page.next === null ? null : encodeCursor(page.next) };
}

export const ROUTES: readonly RouteSpec<Handler>[] = [
  { method: 'GET', path: '/api/v1/status', scope: 'read', handler: (api) => api.status() },
  {
    method: 'GET',
    path: '/api/v1/users',
    scope: 'read',
    handler: (api, req) => {
      const { after, limit } = pageQuery(req.query);
      return paged(api.users(after, limit));
    },
  },
  {
    method: 'GET',
    path: '/api/v1/channels',
    scope: 'read',
    handler: (api, req) => {
      const { after, limit } = pageQuery(req.query);
      return paged(api.channels(after, limit));
    },
  },
  {
    method: 'POST',
    path: '/api/v1/users/{nick}/kill',
    scope: 'write',
    handler: (api, req) => {
      const { reason } = parseBody(killBody, req.body);
      const nick = req.params.nick as string;
      const killed = api.kill(nick, reason || 'No reason given', req.by);
      if (killed === null) throw new ApiError(404, 'no_such_user', `no user ${nick}`);
      return { killed: killed.nick };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/rehash',
    scope: 'write',
    handler: async (api, req) => {
      parseBody(emptyBody, req.body);
      return api.rehash(req.by);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/wallops',
    scope: 'write',
    handler: (api, req) => api.wallops(parseBody(textBody, req.body).text, req.by),
  },
  {
    method: 'POST',
    path: '/api/v1/notice',
    scope: 'write',
    handler: (api, req) => api.notice(parseBody(textBody, req.body).text, req.by),
  },
  {
    method: 'POST',
    path: '/api/v1/channels/{name}/close',
    scope: 'write',
    handler: (api, req) => {
      const { reason } = parseBody(closeBody, req.body);
      const name = req.params.name as string;
      const closed = api.closeChannel(name, reason || 'Channel closed by the server administrators', req.by);
      if (closed === null) throw new ApiError(404, 'no_such_channel', `no channel ${name}`);
      return closed;
    },
  },
];

export const router = new Router<Handler>(ROUTES);
