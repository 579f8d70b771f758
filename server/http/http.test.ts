import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { makeAccount, signIn } from '../../test/support/accounts.js';
import helmet, { type HelmetOptions } from 'helmet';
import { expectErrorLog, logEntries, testLogger } from '../../test/support/logs.js';
import { accessLog } from './access-log.js';
import { chain } from './chain.js';
import { InFlight } from './in-flight.js';
import { AppError } from '../errors.js';
import { SIGNED_IN_BODY_LIMIT, parseJsonBody, requireJsonBody } from './body.js';
import { problemHandler } from './problem.js';
import { securityHeaders, withoutHttpsUpgrades } from './security-headers.js';

const problem = (status: number, code: string) => ({
  type: 'about:blank',
  title: expect.any(String),
  status,
  detail: expect.any(String),
  code,
});

describe('errors of the real app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('an unknown /api route is a problem+json 404', async () => {
    const res = await request(t.app).get('/api/no-such-thing').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(problem(404, 'not_found'));
  });

  it('malformed JSON is a 400 validation_failed', async () => {
    const res = await request(t.app).post('/api/auth/login').set('Content-Type', 'application/json').send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation_failed'));
  });

  it.each(['gzip', 'deflate', 'br'])('a body that claims %s encoding but is not is a 400, not a 500', async (encoding) => {
    const res = await request(t.app)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send('{"email":"a@b.c","password":"not compressed at all"}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation_failed'));
  });

  it('a signed-in body over 1 MB is a 413', async () => {
    const agent = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), timezone: 'Europe/Paris' });
    const res = await agent.post('/api/locations').set('Content-Type', 'application/json').send(big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual(problem(413, 'payload_too_large'));
    expect(res.body.detail).toMatch(/1 MB/);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'email=a%40b.c'],
    ['text/plain', '{"email":"a@b.c"}'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('a %s body is a 415', async (type, body) => {
    const res = await request(t.app).post('/api/no-such-thing').set('Content-Type', type).send(body);
    expect(res.status).toBe(415);
    expect(res.body).toEqual(problem(415, 'unsupported_media_type'));
  });

  it('every response carries a request id, and a sane incoming one is kept', async () => {
    const res = await request(t.app).get('/api/health/live').set('X-Request-Id', 'trace-abc.123');
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    const fresh = await request(t.app).get('/api/health/live').set('X-Request-Id', 'bad id with spaces');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs one access line per request, with nothing of the request but id, method and url', async () => {
    const res = await request(t.app).get('/api/users/1?probe=access-log').set('Cookie', 'crewplots.sid=s%3Asecret.sig');
    const id = res.headers['x-request-id'];
    const lines = logEntries().filter((e) => (e.req as { id?: string } | undefined)?.id === id);
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: 'request completed', req: { id, method: 'GET', url: '/api/users/1?probe=access-log' }, res: { statusCode: 401 } }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
    const health = await request(t.app).get('/api/health/live');
    expect(logEntries().some((e) => (e.req as { id?: string } | undefined)?.id === health.headers['x-request-id'])).toBe(false);
  });

  it('sends helmet headers and no X-Powered-By', async () => {
    const res = await request(t.app).get('/api/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('the problem handler', () => {
  const logger = testLogger();
  const app = express();
  app.use(requireJsonBody, parseJsonBody(SIGNED_IN_BODY_LIMIT));
  app.get('/app-error', () => {
    throw new AppError('shift_overlap', 'That overlaps another shift.', { conflicts: [4, 9] });
  });
  app.get('/limited', () => {
    throw new AppError('rate_limited', 'Slow down.', { retryAfter: 42.2 });
  });
  app.get('/bug', async () => {
    throw new Error('select * from users where secret = 1 at crewplots:sess:abc');
  });
  app.use(problemHandler(logger));

  it('renders an AppError with its code, status and conflicts', async () => {
    const res = await request(app).get('/app-error').expect(409);
    expect(res.body).toEqual({ ...problem(409, 'shift_overlap'), conflicts: [4, 9] });
  });

  it('sends Retry-After in whole seconds', async () => {
    const res = await request(app).get('/limited').expect(429);
    expect(res.headers['retry-after']).toBe('43');
  });

  it('turns anything else into a 500 that leaks no message, SQL, key or stack, and logs it', async () => {
    expectErrorLog(/unhandled error/);
    const res = await request(app).get('/bug').expect(500);
    expect(res.body).toEqual(problem(500, 'internal'));
    expect(res.text).not.toMatch(/select|crewplots:sess|at .*\.ts/);
  });
});

describe('security headers', () => {
  const headersOf = async (middleware: express.RequestHandler, https: boolean) => {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', true);
    app.use(middleware);
    app.get('/', (_req, res) => {
      res.end();
    });
    const { headers } = await request(app)
      .get('/')
      .set('X-Forwarded-Proto', https ? 'https' : 'http');
    delete headers.date;
    return headers;
  };

  it.each<[string, HelmetOptions]>([
    ['defaults', {}],
    ['with HSTS options of its own', { strictTransportSecurity: { maxAge: 600 } }],
    ['with CSP directives of its own', { contentSecurityPolicy: { directives: { imgSrc: ["'self'", 'data:'] } } }],
    ['without CSP', { contentSecurityPolicy: false }],
  ])('are exactly the headers helmet sets (%s): as given over https, less the https upgrades over http', async (_name, options) => {
    const ours = securityHeaders(options);
    const overHttps = await headersOf(ours, true);
    expect(overHttps).toEqual(await headersOf(helmet(options), true));
    const overHttp = await headersOf(ours, false);
    expect(overHttp).toEqual(await headersOf(helmet(withoutHttpsUpgrades(options)), false));
    expect(overHttp['strict-transport-security']).toBeUndefined();
    expect(overHttp['content-security-policy'] ?? '').not.toMatch(/upgrade-insecure-requests/);
  });

  it('an event stream gets only nosniff, CORP and (over https) HSTS, worded as helmet words them', async () => {
    const ours = securityHeaders({}, { isStream: (req) => req.path === '/' });
    const none = (_req: express.Request, _res: express.Response, next: express.NextFunction) => next();
    for (const https of [true, false]) {
      const helmets = await headersOf(helmet(https ? {} : withoutHttpsUpgrades({})), https);
      const only = ['x-content-type-options', 'cross-origin-resource-policy', ...(https ? ['strict-transport-security'] : [])];
      expect(await headersOf(ours, https)).toEqual({ ...(await headersOf(none, https)), ...Object.fromEntries(only.map((name) => [name, helmets[name]])) });
    }
    expect(await headersOf(securityHeaders({}, { isStream: () => false }), true)).toEqual(await headersOf(helmet({}), true));
  });

  it('refuses options whose headers would depend on the request', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: [(_req, _res) => "'nonce-x'"] } } })).toThrow(/per request/);
  });
});

describe('HSTS and upgrade-insecure-requests in the real app', () => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));
  const appWith = async (env: Record<string, string>) => {
    const made = await createTestApp(env);
    apps.push(made);
    return made.app;
  };
  const https = (res: request.Response) => ({
    hsts: res.headers['strict-transport-security'],
    upgrades: /upgrade-insecure-requests/.test(String(res.headers['content-security-policy'])),
  });

  it('are not sent over plain http, even in production with COOKIE_SECURE=false', async () => {
    const app = await appWith({ NODE_ENV: 'production', SESSION_SECRET: 'a-production-secret-of-32-characters!', COOKIE_SECURE: 'false' });
    expect(https(await request(app).get('/api/health/live'))).toEqual({ hsts: undefined, upgrades: false });
    expect(https(await request(app).get('/api/no-such-thing'))).toEqual({ hsts: undefined, upgrades: false });
  });

  it('are sent when the request came over https, as a proxy trusted by TRUST_PROXY says', async () => {
    const app = await appWith({ TRUST_PROXY: 'loopback' });
    const secure = https(await request(app).get('/api/health/live').set('X-Forwarded-Proto', 'https'));
    expect(secure).toEqual({ hsts: expect.stringMatching(/^max-age=\d+/), upgrades: true });
    expect(https(await request(app).get('/api/health/live').set('X-Forwarded-Proto', 'http'))).toEqual({ hsts: undefined, upgrades: false });
  });

  it('an X-Forwarded-Proto from a client no TRUST_PROXY vouches for changes nothing', async () => {
    const app = await appWith({});
    expect(https(await request(app).get('/api/health/live').set('X-Forwarded-Proto', 'https'))).toEqual({ hsts: undefined, upgrades: false });
  });
});

describe('access log', () => {
  it('logs a 5xx other than 503 at error level, a 503 at info', async () => {
    const app = express();
    app.use(accessLog(testLogger()));
    app.get('/boom', (_req, res) => {
      res.status(500).end();
    });
    app.get('/busy', (_req, res) => {
      res.status(503).end();
    });
    expectErrorLog(/request errored/);
    const boom = await request(app).get('/boom');
    const busy = await request(app).get('/busy');
    const line = (id: string) => logEntries().find((e) => (e.req as { id?: string } | undefined)?.id === id);
    expect(line(boom.headers['x-request-id']!)).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 500 } });
    expect(line(busy.headers['x-request-id']!)).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: 503 } });
  });
});

describe('chain', () => {
  const run = (handlers: express.RequestHandler[]) => {
    const app = express();
    app.get('/', chain(handlers), (_req, res) => {
      res.json({ reached: true, seen: res.locals.seen });
    });
    app.use(((err, _req, res, _next) => {
      res.status(599).json({ error: String((err as Error).message ?? err) });
    }) as express.ErrorRequestHandler);
    return request(app).get('/');
  };
  const mark = (name: string): express.RequestHandler => (_req, res, next) => {
    res.locals.seen = [...((res.locals.seen as string[] | undefined) ?? []), name];
    next();
  };

  it('runs the steps in order, then what follows', async () => {
    const res = await run([mark('a'), mark('b'), mark('c')]);
    expect(res.body).toEqual({ reached: true, seen: ['a', 'b', 'c'] });
  });

  it.each<[string, express.RequestHandler, string]>([
    ['passes an error to next', (_req, _res, next) => next(new Error('passed')), 'passed'],
    [
      'throws',
      () => {
        throw new Error('thrown');
      },
      'thrown',
    ],
    [
      'returns a rejected promise',
      async () => {
        throw new Error('rejected');
      },
      'rejected',
    ],
    ['rejects with nothing', () => Promise.reject(undefined), 'Rejected promise'],
  ])('stops at a step that %s, and the error handler gets it', async (_what, failing, message) => {
    const res = await run([mark('a'), failing, mark('never')]);
    expect(res.status).toBe(599);
    expect(res.body).toEqual({ error: message });
  });

  it('reads a falsy next() argument as Express does: carry on', async () => {
    const res = await run([mark('a'), (_req, _res, next) => next(false as unknown as Error), mark('b')]);
    expect(res.body).toEqual({ reached: true, seen: ['a', 'b'] });
  });
});

describe('InFlight', () => {
  it('drain() waits for running handlers and refuses new ones with a 503', async () => {
    const inFlight = new InFlight();
    let finish!: () => void;
    const running = inFlight.run(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    expect(inFlight.size).toBe(1);

    let drained = false;
    const draining = inFlight.drain().then(() => (drained = true));
    await expect(inFlight.run(async () => 'late')).rejects.toMatchObject({ code: 'service_unavailable' });
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);

    finish();
    expect(await running).toBe('done');
    await draining;
    expect(drained).toBe(true);
    expect(inFlight.size).toBe(0);
  });
});
