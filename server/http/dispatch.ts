import type { RequestHandler } from 'express';

/**
 * The route table matched as a lookup instead of Express's list of layers. Express's router tests
 * a request against each route before the one it wants (a regular expression, then its own
 * dispatch and `next` per layer), and every request pays for that walk. Here a request's method
 * and first path segment pick the few routes that could match, tried in declaration order as
 * Express would.
 *
 * The paths are Express's for what the table uses: literal segments, and `:name` parameters, with
 * a literal suffix allowed (`:token.ics`). Matching follows Express's defaults: literals ignore
 * case, one trailing slash is allowed, a parameter is a non-empty segment, percent-decoded (a
 * URIError for a bad escape, which the problem handler answers with a 400). HEAD runs a GET route;
 * OPTIONS answers 204 with the path's methods in `Allow`. One difference: a bad escape in a path
 * that only routes of other methods take is the 404 of an unknown route (Express decodes first).
 */
type Segment = { literal: string } | { param: string; suffix: string };

export interface Dispatched {
  method: string;
  path: string;
  handle: RequestHandler;
}

interface Compiled {
  method: string;
  segments: Segment[];
  handle: RequestHandler;
}

const PARAM = /^:(\w+)(.*)$/;

export function compilePath(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path ${path} must start with /`);
  const segments = path
    .slice(1)
    .split('/')
    .map((part): Segment => {
      const param = PARAM.exec(part);
      return param ? { param: param[1]!, suffix: param[2]!.toLowerCase() } : { literal: part.toLowerCase() };
    });
  if (!('literal' in segments[0]!)) throw new Error(`route path ${path} must start with a literal segment`);
  return segments;
}

/** The parameters of `parts` (a request path split at '/') under `segments`, or undefined if it does not match. */
export function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (part !== segment.literal && part.toLowerCase() !== segment.literal) return undefined;
      continue;
    }
    const end = part.length - segment.suffix.length;
    if (end <= 0 || (segment.suffix && part.slice(end).toLowerCase() !== segment.suffix)) return undefined;
    const raw = segment.suffix ? part.slice(0, end) : part;
    (params ??= {})[segment.param] = raw.includes('%') ? decodeURIComponent(raw) : raw;
  }
  return params ?? {};
}

/** A request path ('/users/5/', query excluded) as the segments matched against: no leading slash, one trailing slash dropped. */
export function pathParts(url: string): string[] {
  const query = url.indexOf('?');
  let path = query < 0 ? url : url.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path.slice(1).split('/');
}

/** One middleware for the whole table; a request no route takes goes on with `next()`. */
export function dispatch(table: readonly Dispatched[]): RequestHandler & { readonly routes: readonly { method: string; path: string }[] } {
  // method → first segment → routes, in declaration order.
  const byMethod = new Map<string, Map<string, Compiled[]>>();
  const all: Compiled[] = [];
  for (const { method, path, handle } of table) {
    const compiled: Compiled = { method: method.toUpperCase(), segments: compilePath(path), handle };
    all.push(compiled);
    const first = (compiled.segments[0] as { literal: string }).literal;
    const byFirst = byMethod.get(compiled.method) ?? new Map<string, Compiled[]>();
    byMethod.set(compiled.method, byFirst);
    byFirst.set(first, [...(byFirst.get(first) ?? []), compiled]);
  }

  const find = (method: string, parts: string[]) => {
    const candidates = byMethod.get(method)?.get(parts[0]!) ?? byMethod.get(method)?.get(parts[0]!.toLowerCase());
    if (!candidates) return undefined;
    for (const route of candidates) {
      const params = matchSegments(route.segments, parts);
      if (params) return { route, params };
    }
    return undefined;
  };

  const handle: RequestHandler = (req, res, next) => {
    const parts = pathParts(req.url);
    const method = req.method === 'HEAD' && !byMethod.has('HEAD') ? 'GET' : req.method;
    const found = find(method, parts);
    if (found) {
      req.params = found.params;
      return found.route.handle(req, res, next);
    }
    if (req.method === 'OPTIONS') {
      const allowed = [...new Set(all.filter((route) => matchSegments(route.segments, parts)).map((route) => route.method))];
      if (allowed.length > 0) {
        if (allowed.includes('GET')) allowed.push('HEAD');
        res.setHeader('Allow', allowed.join(', '));
        res.status(204).end();
        return;
      }
    }
    next();
  };
  // The table it serves, for whoever must list it (the OpenAPI test).
  return Object.assign(handle, { routes: table.map(({ method, path }) => ({ method, path })) });
}
