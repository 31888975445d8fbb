/**
 * The OpenAPI 3.1 description of the admin HTTP API, served at
 * /api/v1/openapi.json and kept in docs/openapi.json (a test checks that the
 * two are the same and that every route is described). After a change here:
 *
 *   npx tsx -e "import('./src/admin/openapi.ts').then((m) => process.stdout.write(JSON.stringify(m.OPENAPI, null, 2) + '\n'))" > docs/openapi.json
 */
import { DEFAULT_PAGE, MAX_PAGE } from './api.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });

/** The answers every authenticated route may give besides its own. */
const AUTH_ERRORS = {
  '401': { ...error('No token, not the Bearer scheme, a malformed token or an unknown one (with WWW-Authenticate)'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
  '403': error('The token lacks the scope this route needs'),
  '405': error('The method is not allowed on this path (with Allow)'),
};
const BODY_ERRORS = {
  '400': error('Bad JSON, or a body that does not match the schema'),
  '413': error('The body is over 16 KiB'),
  '415': error('A body that is not application/json'),
};
const PAGE_PARAMS = [
  { name: 'cursor', in: 'query', required: false, description: 'next_cursor of the previous page; absent for the first', schema: { type: 'string' } },
  { name: 'limit', in: 'query', required: false, description: `items per page (default ${DEFAULT_PAGE})`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE } },
];

function page(item: string) {
  return {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: { items: { type: 'array', items: ref(item) }, next_cursor: { type: ['string', 'null'], description: 'null on the last page' } },
  };
}

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Obrol admin API',
    version: '1.0.0',
    description:
      'The admin HTTP listener of the Obrol IRC server (config section admin_http). Every route under /api/v1 but this description needs a bearer token from admin_http.tokens; GET routes need the read scope, POST routes the write scope. Errors are { "error": { "code", "message" } }. See docs/operations.md.',
  },
  servers: [{ url: 'http://127.0.0.1:9090' }],
  security: [{ bearer: [] }],
  paths: {
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Needs a token with the read scope only when admin_http.metrics_auth is on; 404 when admin_http.metrics is off.',
        security: [{}, { bearer: [] }],
        responses: { '200': { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': AUTH_ERRORS['401'], '404': error('Metrics are off') },
      },
    },
    '/api/v1/openapi.json': {
      get: { operationId: 'openapi', summary: 'This description', security: [{}], responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } },
    },
    '/api/v1/status': {
      get: { operationId: 'status', summary: 'Version, uptime, users, channels, connections by transport, opers', responses: { '200': { description: 'The status', content: json(ref('Status')) }, ...AUTH_ERRORS } },
    },
    '/api/v1/users': {
      get: {
        operationId: 'listUsers',
        summary: 'Registered users, by casefolded nick, a page at a time',
        description: 'The cursor is stable: a page continues after the last nick of the previous one, so users who come or go between pages never make the walk repeat or skip anyone else.',
        parameters: PAGE_PARAMS,
        responses: { '200': { description: 'A page of users', content: json(page('User')) }, '400': error('A bad cursor or limit'), ...AUTH_ERRORS },
      },
    },
    '/api/v1/channels': {
      get: {
        operationId: 'listChannels',
        summary: 'Channels, by casefolded name, a page at a time',
        parameters: PAGE_PARAMS,
        responses: { '200': { description: 'A page of channels', content: json(page('Channel')) }, '400': error('A bad cursor or limit'), ...AUTH_ERRORS },
      },
    },
    '/api/v1/users/{nick}/kill': {
      post: {
        operationId: 'killUser',
        summary: 'Disconnect a user, as an operator’s KILL does (from the server)',
        parameters: [{ name: 'nick', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: false, content: json(ref('KillBody')) },
        responses: { '200': { description: 'Killed', content: json({ type: 'object', required: ['killed'], properties: { killed: { type: 'string' } } }) }, '404': error('No such user'), ...BODY_ERRORS, ...AUTH_ERRORS },
      },
    },
    '/api/v1/rehash': {
      post: {
        operationId: 'rehash',
        summary: 'Reload the configuration, as REHASH does',
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false }) },
        responses: { '200': { description: 'The outcome (ok false: refused, the old configuration stays)', content: json(ref('Rehash')) }, ...BODY_ERRORS, ...AUTH_ERRORS },
      },
    },
    '/api/v1/wallops': {
      post: {
        operationId: 'wallops',
        summary: 'WALLOPS from the server to users with +w',
        requestBody: { required: true, content: json(ref('TextBody')) },
        responses: { '200': { description: 'Sent', content: json(ref('Sent')) }, ...BODY_ERRORS, ...AUTH_ERRORS },
      },
    },
    '/api/v1/notice': {
      post: {
        operationId: 'globalNotice',
        summary: 'A server NOTICE to every registered user',
        requestBody: { required: true, content: json(ref('TextBody')) },
        responses: { '200': { description: 'Sent', content: json(ref('Sent')) }, ...BODY_ERRORS, ...AUTH_ERRORS },
      },
    },
    '/api/v1/channels/{name}/close': {
      post: {
        operationId: 'closeChannel',
        summary: 'Kick every member with a reason, which removes the channel',
        parameters: [{ name: 'name', in: 'path', required: true, description: 'percent-encoded: %23chan for #chan', schema: { type: 'string' } }],
        requestBody: { required: false, content: json(ref('CloseBody')) },
        responses: {
          '200': { description: 'Closed', content: json({ type: 'object', required: ['channel', 'kicked'], properties: { channel: { type: 'string' }, kicked: { type: 'integer' } } }) },
          '404': error('No such channel'),
          ...BODY_ERRORS,
          ...AUTH_ERRORS,
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token made with `obrol admin-token NAME`; the config holds its SHA-256' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: {
                type: 'string',
                description: 'stable',
                examples: ['missing_token', 'bad_scheme', 'malformed_token', 'invalid_token', 'insufficient_scope', 'not_found', 'method_not_allowed', 'bad_path', 'bad_json', 'bad_body', 'bad_cursor', 'bad_limit', 'body_too_large', 'unsupported_media_type', 'no_such_user', 'no_such_channel', 'internal_error'],
              },
              message: { type: 'string' },
            },
          },
        },
      },
      Status: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          network: { type: 'string' },
          version: { type: 'string' },
          started_at: { type: 'string', format: 'date-time' },
          uptime_seconds: { type: 'number' },
          users: { type: 'integer' },
          invisible: { type: 'integer' },
          channels: { type: 'integer' },
          opers: { type: 'integer' },
          connections: { type: 'object', properties: { tcp: { type: 'integer' }, tls: { type: 'integer' }, websocket: { type: 'integer' } } },
          max_connections: { type: 'integer' },
        },
      },
      User: {
        type: 'object',
        properties: {
          nick: { type: 'string' },
          username: { type: 'string' },
          host: { type: 'string', description: 'the host others see (a cloak when cloaking is on)' },
          ip: { type: 'string' },
          realname: { type: 'string' },
          account: { type: ['string', 'null'] },
          oper: { type: 'boolean' },
          away: { type: ['string', 'null'] },
          modes: { type: 'string' },
          channels: { type: 'integer' },
          transport: { type: ['string', 'null'], enum: ['tcp', 'tls', 'websocket', null] },
          secure: { type: 'boolean' },
          connected_at: { type: ['string', 'null'], format: 'date-time' },
          idle_seconds: { type: ['number', 'null'] },
        },
      },
      Channel: {
        type: 'object',
        properties: { name: { type: 'string' }, members: { type: 'integer' }, topic: { type: ['string', 'null'] }, modes: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } },
      },
      Rehash: { type: 'object', properties: { ok: { type: 'boolean' }, file: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } } },
      Sent: { type: 'object', properties: { recipients: { type: 'integer' } } },
      KillBody: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 300 } } },
      CloseBody: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 300 } } },
      TextBody: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 400 } } },
    },
  },
} as const;
