import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import express, { type RequestHandler } from 'express';
import { dispatch, matchSegments, compilePath, pathParts } from './dispatch.js';

// The app's own route shapes: literals, parameters, a parameter with a literal suffix, and paths
// that share a prefix (declaration order decides, as in Express).
const PATHS = [
  '/auth/me',
  '/users',
  '/users/:id',
  '/users/:id/shifts',
  '/schedules/:id/shifts/:shiftId',
  '/schedules/:id/shifts/:shiftId/claim',
  '/locations/:id/weeks/:weekStart',
  '/calendar/:token.ics',
  '/notifications/read',
  '/notifications/:id',
];
const METHODS = ['get', 'post', 'delete'] as const;

const answer =
  (method: string, path: string): RequestHandler =>
  (req, res) => {
    res.json({ route: `${method} ${path}`, params: { ...req.params } });
  };

/** Serves `handler` under /api, as the app mounts the table, with the same 404 and error answers. */
async function serve(mount: (app: express.Express) => void) {
  const app = express();
  mount(app);
  app.use((_req, res) => void res.status(404).json({ route: null }));
  app.use(((err, _req, res, _next) => void res.status(400).json({ error: (err as Error).name })) as express.ErrorRequestHandler);
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('dispatch', () => {
  it('matches every request as Express 5 routes it: route, parameters, case, trailing slash, decoding', async () => {
    const ours = await serve((app) =>
      app.use('/api', dispatch(PATHS.flatMap((path) => METHODS.map((method) => ({ method, path, handle: answer(method, path) }))))),
    );
    const theirs = await serve((app) => {
      const router = express.Router();
      for (const path of PATHS) for (const method of METHODS) router[method](path, answer(method, path));
      app.use('/api', router);
    });
    const requests = [
      '/api/auth/me',
      '/api/AUTH/Me',
      '/api/users',
      '/api/users/',
      '/api/users/42',
      '/api/users/42/',
      '/api/users/42//',
      '/api/users/42?x=1&y=2',
      '/api/users/Ab%20c',
      '/api/users/%E0%A4%A',
      '/api/users/42/shifts',
      '/api/users/42/other',
      '/api/schedules/3/shifts/9',
      '/api/schedules/3/shifts/9/claim',
      '/api/schedules/3/shifts//claim',
      '/api/locations/2/weeks/2030-03-04',
      '/api/calendar/abc.ics',
      '/api/calendar/abc.ICS',
      '/api/calendar/.ics',
      '/api/calendar/abc',
      '/api/notifications/read',
      '/api/notifications/7',
      '/api/nothing',
      '/api',
      '/api/',
      '/other/users/1',
    ];
    try {
      for (const path of requests) {
        // A method no route has: Express decodes the parameters of a path before it looks at the
        // method, so a bad escape there is its 400; here it is the 404 of any unknown route.
        const methods = path.includes('%E0') ? ['GET', 'POST', 'DELETE', 'HEAD'] : ['GET', 'POST', 'DELETE', 'HEAD', 'PUT'];
        for (const method of methods) {
          const [a, b] = await Promise.all([fetch(`${ours.url}${path}`, { method }), fetch(`${theirs.url}${path}`, { method })]);
          const [bodyA, bodyB] = await Promise.all([a.text(), b.text()]);
          expect({ method, path, status: a.status, body: bodyA }).toEqual({ method, path, status: b.status, body: bodyB });
        }
      }
    } finally {
      await Promise.all([ours.close(), theirs.close()]);
    }
  });

  it('answers OPTIONS with the methods of the path, and leaves an unknown path alone', async () => {
    const next = jest.fn();
    const handle = dispatch([
      { method: 'get', path: '/users/:id', handle: () => {} },
      { method: 'patch', path: '/users/:id', handle: () => {} },
    ]);
    const headers: Record<string, string> = {};
    const res: { setHeader: (k: string, v: string) => void; status: jest.Mock; end: jest.Mock } = { setHeader: (k, v) => void (headers[k] = v), status: jest.fn(() => res), end: jest.fn() };
    handle({ method: 'OPTIONS', url: '/users/5' } as never, res as never, next);
    expect(res.status).toHaveBeenCalledWith(204);
    expect(headers.Allow).toBe('GET, PATCH, HEAD');
    handle({ method: 'OPTIONS', url: '/nothing/5' } as never, res as never, next);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('refuses a table it cannot index', () => {
    expect(() => compilePath('users/:id')).toThrow(/start with \//);
    expect(() => compilePath('/:id')).toThrow(/literal segment/);
    expect(matchSegments(compilePath('/calendar/:token.ics'), pathParts('/calendar/feed.ics?x'))).toEqual({ token: 'feed' });
  });
});
