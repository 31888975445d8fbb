/**
 * The admin API's routing: a fixed table of method and path patterns
 * (`/api/v1/users/{nick}/kill`), matched one segment at a time. Segments are
 * split before they are percent-decoded, so `%23chan` is the channel `#chan`
 * and an encoded `/` stays inside its segment. Knows nothing of HTTP sockets.
 */

export type Method = 'GET' | 'POST';
export type Scope = 'read' | 'write';

export interface RouteSpec<H> {
  method: Method;
  /** Literal segments and `{name}` parameters, e.g. `/api/v1/channels/{name}/close`. */
  path: string;
  /** The token scope it needs, or null for none (the OpenAPI description). */
  scope: Scope | null;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'ok'; route: RouteSpec<H>; params: Record<string, string> }
  | { kind: 'not_found' }
  | { kind: 'method_not_allowed'; allow: Method[] }
  | { kind: 'bad_path' };

interface Compiled<H> {
  route: RouteSpec<H>;
  /** A literal segment, or null for a parameter (named in `names`). */
  segments: Array<string | null>;
  names: string[];
}

export class Router<H> {
  private readonly compiled: Compiled<H>[];

  constructor(readonly routes: readonly RouteSpec<H>[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const segments = route.path
        .split('/')
        .slice(1)
        .map((segment) => {
          const param = /^\{([a-z_]+)\}$/.exec(segment);
          if (!param) return segment;
          names.push(param[1] as string);
          return null;
        });
      return { route, segments, names };
    });
  }

  /** The route for `method` on `pathname` (still percent-encoded, without the query). */
  match(method: string, pathname: string): RouteMatch<H> {
    if (!pathname.startsWith('/')) return { kind: 'bad_path' };
    const raw = pathname.split('/').slice(1);
    let decoded: string[];
    try {
      decoded = raw.map((segment) => decodeURIComponent(segment));
    } catch {
      return { kind: 'bad_path' };
    }
    const allow: Method[] = [];
    for (const { route, segments, names } of this.compiled) {
      if (segments.length !== decoded.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      let p = 0;
      for (let k = 0; k < segments.length && ok; k++) {
        const literal = segments[k];
        const value = decoded[k] as string;
        if (literal === null) {
          if (value === '') ok = false;
          else params[names[p++] as string] = value;
        } else if (raw[k] !== literal) {
          ok = false;
        }
      }
      if (!ok) continue;
      if (route.method === method) return { kind: 'ok', route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  }
}
