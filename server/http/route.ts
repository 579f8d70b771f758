import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { ErrorCode } from '../../shared/errors.js';
import type { Role } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { chain } from './chain.js';
import { dispatch, type Dispatched } from './dispatch.js';
import { AppError, type Precondition } from '../errors.js';
import { parseIfMatch } from './if-match.js';
import { RawJson } from '../raw-json.js';
import type { ReadAhead } from '../cache/cache.js';
import { PUBLIC_BODY_LIMIT, SIGNED_IN_BODY_LIMIT, parseJsonBody } from './body.js';
import { InFlight } from './in-flight.js';
import { parseInput } from './validate.js';

/**
 * Routes are declared as data: method, path, who may call, the shared zod schemas of their input
 * and output, and one handler. From that one table the router is built, the OpenAPI document is
 * generated, and the authorization-matrix test checks that no route goes unlisted.
 */

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/**
 * - `public`: no session (login, health, the OpenAPI document);
 * - `session`: any signed-in user; with `roles`, only those (anyone else gets 403);
 * - `metrics`: an admin session or the METRICS_TOKEN bearer token.
 */
export type Access =
  | { kind: 'public'; loadsSession?: boolean; actorIfAny?: boolean }
  | { kind: 'session'; roles?: readonly Role[] }
  | { kind: 'metrics' };

export const PUBLIC: Access = { kind: 'public' };
/** No session needed, but one is loaded if present (login replaces it). */
export const PUBLIC_WITH_SESSION: Access = { kind: 'public', loadsSession: true };
/** No session needed; the handler's `actor` is the signed-in user's, or undefined without a session. */
export const PUBLIC_WITH_ACTOR: Access = { kind: 'public', actorIfAny: true };
export const SIGNED_IN: Access = { kind: 'session' };
export const rolesOnly = (...roles: Role[]): Access => ({ kind: 'session', roles });


/** A status other than the route's usual one (an idempotent PUT that created, say). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

export const created = (body: unknown) => new Reply(201, body);
export const noContent = () => new Reply(204);

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Present on every route but public ones. */
  actor: Actor;
  /** The versions `If-Match` accepts, on routes with `ifMatch`; undefined without the header. */
  ifMatch: Precondition;
  /** What the route's `readAhead` started, if it has one. */
  readAhead: ReadAhead | undefined;
  req: Request;
  res: Response;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteDef<P extends z.ZodType | undefined = any, Q extends z.ZodType | undefined = any, B extends z.ZodType | undefined = any> {
  method: Method;
  /** Express path under /api, e.g. `/users/:id`. */
  path: string;
  summary: string;
  /** A sentence or two for the OpenAPI document: who may call it, what it answers, what it changes. */
  description: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Success status and schema (null: no body) for the OpenAPI document. `degraded`: the route also
   * answers 503 with this same schema when a dependency is down (a health probe), and says when.
   */
  success: { status: number; schema: z.ZodType | null; description?: string; degraded?: string };
  /** Error codes this route can answer with, besides validation and authentication. */
  errors?: ErrorCode[];
  /** Accepts `If-Match: "<version>"` (API.md, preconditions); a stale version is a 412 `version_mismatch`. */
  ifMatch?: boolean;
  /** Content type of the success response when it is not JSON (`text/event-stream`, `text/calendar`). */
  produces?: string;
  /**
   * Starts the cache read the handler will make, from the validated path, before the access
   * guards run: the entry's GET then leaves with the session read, one round trip for both
   * (Cache.readAhead). Its reply reaches the handler as `readAhead`, after the guards passed.
   */
  readAhead?: (params: Out<P>) => ReadAhead | undefined;
  /** The success response sets the session cookie (`set`: a fresh session, as login does) or clears it (`cleared`: logout). */
  sessionCookie?: 'set' | 'cleared';
  handler(ctx: HandlerContext<Out<P>, Out<Q>, Out<B>>): Promise<unknown>;
}

/** Keeps each definition's schema types attached to its handler. */
export function defineRoute<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined>(
  def: RouteDef<P, Q, B>,
): RouteDef<P, Q, B> {
  return def;
}

export interface AccessMiddleware {
  /** Loads the session (one Redis read) and sets `res.locals.actor`; 401 without one. */
  requireSession: RequestHandler[];
  /** Loads a session if the request has one; no 401 without. */
  optionalSession: RequestHandler;
  /** Sets `res.locals.actor` when the request has a valid session; goes on without one otherwise. */
  actorIfAny: RequestHandler;
  /** Session or metrics bearer token. */
  requireMetricsAccess: RequestHandler[];
  /** Whether the request carries a validly signed session cookie (the session itself is not read). */
  signedIn(req: Request): boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A handler's answer, written as Express's `res.send` would write it for a JSON body, without
 * what it does that never applies here: no ETag (app.ts turns them off), so no 304 either, and
 * the type is known. A string goes out in one write with the headers; Node drops the body of an
 * answer to HEAD.
 */
function send(res: Response, status: number, result: unknown): void {
  if (status === 204 || result === undefined) {
    res.status(status === 200 ? 204 : status).end();
    return;
  }
  const json = result instanceof RawJson ? result.json : JSON.stringify(result);
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', typeof json === 'string' ? Buffer.byteLength(json) : json.length);
  res.end(json);
}

function roleGate(roles: readonly Role[]): RequestHandler {
  return (_req, res, next) => {
    const actor = res.locals.actor as Actor;
    if (!roles.includes(actor.role)) throw new AppError('forbidden', 'Your role may not do this.');
    next();
  };
}

/** Whether a route's answers depend on who asks: then no cache may keep them (API.md). */
const dependsOnCaller = (access: Access) => access.kind !== 'public' || access.loadsSession === true;

/**
 * Each route runs: its label (metrics, Cache-Control), its access guards, then its body parser.
 * The body is parsed only for a route that takes one and only once its access check has let the
 * request in, so a request without a session never costs a parse (docs/decisions/010). The table
 * is one middleware (dispatch.ts); a request no route takes goes on to the next.
 */
export function buildRouter(routes: readonly RouteDef[], access: AccessMiddleware, inFlight = new InFlight()): RequestHandler {
  const table: Dispatched[] = routes.map((route) => {
    const guards: RequestHandler[] = [];
    if (route.access.kind === 'session') {
      guards.push(...access.requireSession);
      if (route.access.roles) guards.push(roleGate(route.access.roles));
    } else if (route.access.kind === 'public' && route.access.loadsSession) {
      guards.push(access.optionalSession);
    } else if (route.access.kind === 'public' && route.access.actorIfAny) {
      guards.push(access.actorIfAny);
    } else if (route.access.kind === 'metrics') {
      guards.push(...access.requireMetricsAccess);
    }
    const body = route.body ? [parseJsonBody(route.access.kind === 'public' ? PUBLIC_BODY_LIMIT : SIGNED_IN_BODY_LIMIT)] : [];
    const noStore = dependsOnCaller(route.access);
    const label: RequestHandler = (_req, res, next) => {
      res.locals.route = route.path;
      // Set first, so the route's errors (a 401 from the session check included) carry it too.
      if (noStore) res.setHeader('Cache-Control', 'no-store');
      next();
    };
    // Only for a request with a signed session cookie: one without is refused before any read.
    // The path is validated here for the read ahead; a path that fails is refused by `run`, after
    // the guards, as any other.
    const ahead: RequestHandler[] = !(route.readAhead && route.params)
      ? []
      : [
          (req, res, next) => {
            if (!access.signedIn(req)) return next();
            const parsed = route.params!.safeParse(req.params);
            if (parsed.success) {
              res.locals.params = parsed.data;
              res.locals.readAhead = route.readAhead!(parsed.data);
            }
            next();
          },
        ];
    const run: RequestHandler = async (req, res) => {
      const ctx: HandlerContext<unknown, unknown, unknown> = {
        params: route.params ? (res.locals.params ?? parseInput(route.params, req.params, 'path')) : undefined,
        query: route.query ? parseInput(route.query, req.query ?? {}, 'query') : undefined,
        body: route.body ? parseInput(route.body, req.body ?? {}, 'request body') : undefined,
        actor: res.locals.actor as Actor,
        ifMatch: route.ifMatch ? parseIfMatch(req.get('if-match')) : undefined,
        readAhead: res.locals.readAhead as ReadAhead | undefined,
        req,
        res,
      };
      const result = await inFlight.run(() => route.handler(ctx as never));
      if (res.headersSent) return;
      if (result instanceof Reply) {
        send(res, result.status, result.body);
      } else {
        send(res, route.success.status, result);
      }
    };
    return { method: route.method, path: route.path, handle: chain([label, ...ahead, ...guards, ...body, run]) };
  });
  return dispatch(table);
}
