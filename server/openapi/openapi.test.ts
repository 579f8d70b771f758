import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Registry } from 'prom-client';
import request from 'supertest';
import { MAX_ID } from '../../shared/schemas/common.js';
import { createApp, createRoutes } from '../app.js';
import { InFlight } from '../http/in-flight.js';
import { createAccountsRepository } from '../accounts/accounts.repository.js';
import { newToken, tokenHash } from '../accounts/tokens.js';
import { withFreshDatabase } from '../../test/support/fresh-database.js';
import { buildOpenApiDocument } from './openapi.js';
import { MISSING_ID, PASSWORD, createApiTestApp, scenario } from '../../test/support/api.js';
import { sessionCookieOf } from '../../test/support/accounts.js';
import { uniqueEmail, uniqueMonday } from '../../test/support/factories.js';
import {
  METHODS,
  documentedPath as documented,
  operationsOf,
  responseChecker,
  type DocMethod,
  type OpenApiDocument as Document,
} from '../../test/support/openapi-check.js';
import { syntheticApp, syntheticRoutes } from '../../test/support/synthetic-routes.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let doc: Document;

beforeAll(async () => {
  t = await createApiTestApp('openapi');
  doc = (await request(t.app).get('/api/openapi.json').expect(200)).body as Document;
});
afterAll(() => t.close());

/** The routes the app serves under /api, read from what is mounted there (chain steps, the dispatcher's table). */
function servedRoutes(app: TestApp['app']): string[] {
  type Step = { steps?: Step[]; routes?: { method: string; path: string }[] };
  const found: string[] = [];
  const collect = (step: Step) => {
    for (const route of step.routes ?? []) found.push(`${route.method.toUpperCase()} ${documented(route.path)}`);
    for (const inner of step.steps ?? []) collect(inner);
  };
  const root = (app as unknown as { router: { stack: { rawPath?: unknown; handle: Step }[] } }).router.stack;
  const api = root.filter((layer) => layer.rawPath === '/api');
  expect(api).toHaveLength(1);
  collect(api[0]!.handle);
  return found.sort();
}

describe('GET /api/openapi.json', () => {
  it('needs no session and answers JSON', async () => {
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists exactly the routes of the route table, with full paths', () => {
    const table = createRoutes(t.deps)
      .routes.map((r) => `${r.method.toUpperCase()} ${documented(r.path)}`)
      .sort();
    expect(new Set(table).size).toBe(table.length);
    expect(operationsOf(doc)).toEqual(table);
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/') && !p.includes(':'))).toBe(true);
  });

  it('lists exactly the routes the app serves under /api', () => {
    expect(operationsOf(doc)).toEqual(servedRoutes(t.app));
  });

  it('every documented operation is answered by a route, and an undocumented method on its path is not', async () => {
    const app = request(t.app);
    for (const [path, item] of Object.entries(doc.paths)) {
      const url = path.replace(/\{[A-Za-z]+\}/g, '1');
      for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
        const res = await app[method](url);
        const unrouted = res.status === 404 && /^No route/.test(String(res.body?.detail));
        expect({ operation: `${method.toUpperCase()} ${path}`, routed: !unrouted }).toEqual({ operation: `${method.toUpperCase()} ${path}`, routed: Boolean(item[method]) });
        expect(res.status).toBeLessThan(500);
      }
    }
  });

  it('describes every path parameter, and only public routes go without a session', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]);
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const inPath = op.parameters.filter((p) => p.in === 'path');
        expect(inPath.map((p) => p.name).sort()).toEqual([...names].sort());
        expect(inPath.every((p) => p.required)).toBe(true);
        // A calendar feed's address and a one-time link are their own credentials (API.md): no session.
        const isPublic =
          ['/api/auth/login', '/api/auth/session', '/api/openapi.json', '/api/setup', '/api/calendar/{token}.ics'].includes(path) ||
          path.startsWith('/api/health') ||
          path.startsWith('/api/access-links/');
        expect({ path, method, open: op.security.length === 0 }).toEqual({ path, method, open: isPublic });
      }
    }
  });

  it('documents the answers API.md names, errors as problem+json', () => {
    const statuses = (path: string, method: (typeof METHODS)[number]) => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
    expect(statuses('/api/users', 'post')).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '415', '422']));
    expect(statuses('/api/users/{id}', 'get')).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(statuses('/api/locations/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '401', '403', '404', '409']));
    expect(statuses('/api/schedules', 'post')).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409', '422']));
    expect(statuses('/api/schedules/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '403', '404', '409']));
    expect(statuses('/api/schedules/{id}/shifts', 'post')).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409', '422']));
    expect(statuses('/api/schedules/{id}/shifts/{shiftId}/claim', 'post')).toEqual(expect.arrayContaining(['200', '403', '404', '409']));
    expect(statuses('/api/auth/login', 'post')).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    const conflict = doc.paths['/api/schedules/{id}/shifts']!.post!.responses['409']!;
    expect(conflict.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
  });

  it('documents the event stream as text/event-stream, naming its events', () => {
    const events = doc.paths['/api/events']!.get!;
    const ok = events.responses['200'] as { description: string; content: Record<string, unknown> };
    expect(Object.keys(ok.content)).toEqual(['text/event-stream']);
    for (const name of ['schedule', 'schedule.removed', 'me', 'notification', 'session.ended', 'reset']) expect(ok.description).toContain(`\`${name}\``);
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(['200', '401', '503']));
  });

  it('documents If-Match and the 412 on PATCH and DELETE of schedules and shifts, and nowhere else', () => {
    const withIfMatch = Object.entries(doc.paths)
      .flatMap(([path, item]) => METHODS.filter((m) => item[m]?.parameters.some((p) => p.in === 'header' && p.name === 'If-Match')).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(withIfMatch).toEqual([
      'DELETE /api/schedules/{id}',
      'DELETE /api/schedules/{id}/shifts/{shiftId}',
      'PATCH /api/schedules/{id}',
      'PATCH /api/schedules/{id}/shifts/{shiftId}',
    ]);
    for (const operation of withIfMatch) {
      const [method, path] = operation.split(' ') as [string, string];
      const responses = doc.paths[path]![method.toLowerCase() as 'patch']!.responses;
      expect(responses['412']).toEqual({
        description: expect.stringMatching(/version_mismatch/),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/VersionMismatchProblem' } } },
      });
    }
    const problem = doc.components.schemas.Problem as { properties: Record<string, unknown> };
    expect(Object.keys(problem.properties)).toEqual(expect.arrayContaining(['current', 'changedBy']));
    for (const name of ['Schedule', 'ScheduleSummary', 'Shift']) {
      expect((doc.components.schemas[name] as { required: string[] }).required).toContain('version');
    }
  });

  it('takes its schemas from the shared zod schemas that validate requests and responses', () => {
    for (const name of ['User', 'Location', 'Schedule', 'ScheduleSummary', 'Shift', 'UserShift', 'CreatedSchedule', 'Problem']) {
      expect(doc.components.schemas[name]).toBeDefined();
    }
    const body = doc.paths['/api/users']!.post!.requestBody!.content['application/json']!.schema;
    expect(body).toEqual({ $ref: '#/components/schemas/CreateUserBody' });
    const createUser = doc.components.schemas.CreateUserBody as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(createUser.additionalProperties).toBe(false);
    // Without a password the person is invited.
    expect(createUser.required.sort()).toEqual(['email', 'name', 'role']);
    expect(createUser.properties.password).toMatchObject({ minLength: 12, maxLength: 256 });
    const user = doc.components.schemas.User as { properties: Record<string, unknown> };
    expect(Object.keys(user.properties)).not.toContain('passwordHash');
    const limit = doc.paths['/api/schedules']!.get!.parameters.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
  });
});

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

function eachOperation(document: Document, visit: (path: string, method: DocMethod, op: NonNullable<Document['paths'][string][DocMethod]>) => void) {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) visit(path, method, op);
    }
  }
}

describe('what the document says of every operation', () => {
  it('has an operationId of letters and digits only, unique', () => {
    const ids: string[] = [];
    eachOperation(doc, (_path, _method, op) => ids.push(op.operationId));
    expect(ids.filter((id) => !/^[a-z]+[A-Za-z0-9]*$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/openapi.json']!.get!.operationId).toBe('getOpenapiJson');
  });

  it('has a description of its own, and a tag the document declares and describes', () => {
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    const descriptions: string[] = [];
    eachOperation(doc, (path, method, op) => {
      expect({ path, method, description: /^[A-Z`].{40,}\.$/s.test(op.description ?? '') }).toEqual({ path, method, description: true });
      expect(op.description).not.toBe(op.summary);
      descriptions.push(op.description!);
      for (const tag of op.tags) expect({ tag, description: (declared.get(tag) ?? '').length > 5 }).toEqual({ tag, description: true });
    });
    expect(new Set(descriptions).size).toBe(descriptions.length);
    const used = new Set<string>();
    eachOperation(doc, (_p, _m, op) => op.tags.forEach((tag) => used.add(tag)));
    expect([...declared.keys()].sort()).toEqual([...used].sort());
  });

  it('documents the 400, 415 and 503 problems that any /api request can get, and the 413 wherever a body is taken', () => {
    eachOperation(doc, (path, method, op) => {
      expect({ path, method, tooLarge: op.responses['413'] !== undefined }).toEqual({ path, method, tooLarge: op.requestBody !== undefined });
      for (const status of ['400', '415', '503', ...(op.requestBody ? ['413'] : [])]) {
        expect({ path, method, status, content: op.responses[status]?.content?.['application/problem+json'] }).toEqual({
          path,
          method,
          status,
          content: PROBLEM['application/problem+json'],
        });
      }
    });
  });

  it('documents Retry-After on every 429 and 503, required wherever every such answer is a problem', () => {
    eachOperation(doc, (path, method, op) => {
      for (const status of ['429', '503']) {
        const answer = op.responses[status];
        if (!answer) continue;
        const onlyProblems = Object.keys(answer.content ?? {}).every((type) => type === 'application/problem+json');
        expect({ path, method, status, header: answer.headers?.['Retry-After'] }).toEqual({
          path,
          method,
          status,
          header: { description: expect.any(String), required: onlyProblems, schema: { type: 'integer', minimum: 1 } },
        });
      }
    });
    expect(doc.paths['/api/auth/login']!.post!.responses['429']!.headers!['Retry-After']!.required).toBe(true);
  });

  it('documents the session cookie that login sets and logout clears', () => {
    const login = doc.paths['/api/auth/login']!.post!.responses['200']!.headers!['Set-Cookie']!;
    expect(login).toMatchObject({ required: true, schema: { type: 'string' } });
    expect(login.description).toMatch(/crewplots\.sid/);
    expect(doc.paths['/api/auth/logout']!.post!.responses['204']!.headers!['Set-Cookie']).toMatchObject({ required: true });
    // A session route may re-send it with a later expiry; a public one never sends it.
    expect(doc.paths['/api/schedules']!.get!.responses['200']!.headers!['Set-Cookie']).toMatchObject({ required: false });
    expect(doc.paths['/api/health']!.get!.responses['200']!.headers).toBeUndefined();
  });

  it('gives a 503 with a probe body only to the probes that can answer one', () => {
    const live = doc.paths['/api/health/live']!.get!.responses['503']!;
    expect(live.content).toEqual(PROBLEM);
    for (const [path, schema] of [
      ['/api/health/redis', 'HealthStatus'],
      ['/api/health', 'HealthReport'],
    ] as const) {
      expect(doc.paths[path]!.get!.responses['503']!.content).toEqual({
        'application/json': { schema: { $ref: `#/components/schemas/${schema}` } },
        ...PROBLEM,
      });
    }
  });

  it('types limit as an integer from 1 to 200 and ids as positive 32-bit integers', () => {
    let limits = 0;
    let ids = 0;
    eachOperation(doc, (path, method, op) => {
      for (const p of op.parameters) {
        if (p.name === 'limit') {
          limits += 1;
          expect({ path, method, schema: p.schema }).toEqual({ path, method, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 200, default: 50 }) });
        }
        // Ids by name (`id`, `shiftId`, `locationId`); other path parameters (a week's Monday, the
        // secret token of a calendar feed or a one-time link) are typed by their own schema.
        if (p.name === 'id' || p.name.endsWith('Id')) {
          ids += 1;
          expect({ path, method, name: p.name, schema: p.schema }).toEqual({
            path,
            method,
            name: p.name,
            schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: MAX_ID }),
          });
        }
      }
    });
    expect(limits).toBeGreaterThanOrEqual(4);
    expect(ids).toBeGreaterThanOrEqual(15);
  });

  it('says /api/metrics answers text/plain', () => {
    expect(doc.paths['/api/metrics']!.get!.responses['200']!.content).toEqual({
      'text/plain': { schema: { type: 'string', description: expect.any(String) } },
    });
  });
});

/** Many requests in a row, some hashing passwords: on two busy cores, far more than the usual 30 s. */
const TOUR_TIMEOUT_MS = 180_000;

describe('real answers, held to the document', () => {
  const check = () => responseChecker(doc);

  it('every operation answers its documented success, and its errors as documented', async () => {
    const c = check();
    const s = scenario(t);
    const home = await s.location();
    const [admin, manager, crew, taker] = [await s.admin(), await s.manager([home]), await s.crew([home]), await s.crew([home])];
    const published = await s.schedule(home, { status: 'published' });
    const draft = await s.schedule(home);
    const at = (week: string, day: number, hour: number) => new Date(Date.parse(`${week}T00:00:00Z`) + (day * 24 + hour) * 3_600_000).toISOString();
    const open = await s.shift(published, { startsAt: at(published.weekStart, 1, 9), endsAt: at(published.weekStart, 1, 13) });
    const assigned = await s.shift(draft, { userId: crew.id, startsAt: at(draft.weekStart, 2, 9), endsAt: at(draft.weekStart, 2, 13) });
    const anon = request(t.app);

    c('get', '/api/health/live', await anon.get('/api/health/live'));
    c('get', '/api/health/redis', await anon.get('/api/health/redis'));
    c('get', '/api/health', await anon.get('/api/health'));
    c('get', '/api/openapi.json', await anon.get('/api/openapi.json'));
    // An event stream never ends by itself: its first chunk, then hang up.
    const firstChunk = (res: NodeJS.ReadableStream, done: (err: Error | null, body: unknown) => void) =>
      res.once('data', (chunk: Buffer) => {
        (res as unknown as { text: string }).text = String(chunk);
        done(null, String(chunk));
        (res as unknown as { destroy(): void }).destroy();
      });
    c('get', '/api/events', await crew.agent.get('/api/events').parse(firstChunk as never));
    c('get', '/api/events', await anon.get('/api/events'));

    const login = c('post', '/api/auth/login', await request(t.app).post('/api/auth/login').send({ email: crew.email, password: PASSWORD }));
    expect(login.status).toBe(200);
    c('post', '/api/auth/login', await anon.post('/api/auth/login').send({ email: crew.email, password: 'not the password' }));
    c('get', '/api/auth/me', await crew.agent.get('/api/auth/me'));
    c('get', '/api/auth/me', await anon.get('/api/auth/me'));
    c('get', '/api/auth/session', await crew.agent.get('/api/auth/session'));
    c('get', '/api/auth/session', await anon.get('/api/auth/session'));
    c('post', '/api/auth/password', await crew.agent.post('/api/auth/password').send({ currentPassword: 'wrong', newPassword: 'another long password' }));
    const leaving = await s.crew([home]);
    c('post', '/api/auth/password', await leaving.agent.post('/api/auth/password').send({ currentPassword: PASSWORD, newPassword: 'another long password' }));
    c('post', '/api/auth/logout-others', await leaving.agent.post('/api/auth/logout-others'));
    c('post', '/api/auth/logout', await leaving.agent.post('/api/auth/logout'));

    c('get', '/api/users', await manager.agent.get('/api/users').query({ limit: '2' }));
    c('get', '/api/users', await crew.agent.get('/api/users'));
    c('get', '/api/users', await admin.agent.get('/api/users').query({ limit: '201' }));
    c('get', '/api/users/{id}', await manager.agent.get(`/api/users/${crew.id}`));
    c('get', '/api/users/{id}', await manager.agent.get(`/api/users/${MISSING_ID}`));
    c('get', '/api/users/{id}', await manager.agent.get(`/api/users/${MAX_ID + 1}`));
    const hire = { name: 'New Hire', role: 'crew', password: 'a long enough password', locationIds: [home.id] };
    const hired = c('post', '/api/users', await manager.agent.post('/api/users').send({ ...hire, email: uniqueEmail('hire') }));
    c('post', '/api/users', await manager.agent.post('/api/users').send({ ...hire, email: crew.email }));
    c('patch', '/api/users/{id}', await manager.agent.patch(`/api/users/${hired.body.id}`).send({ phone: '+31 20 555 0101' }));
    c('patch', '/api/users/{id}', await crew.agent.patch(`/api/users/${crew.id}`).send({ role: 'admin' }));
    c('delete', '/api/users/{id}', await manager.agent.delete(`/api/users/${hired.body.id}`));
    c('delete', '/api/users/{id}', await admin.agent.delete(`/api/users/${hired.body.id}`));
    c('get', '/api/users/{id}/shifts', await crew.agent.get(`/api/users/${crew.id}/shifts`).query({ from: '2020-01-01' }));

    const invited = c('post', '/api/users', await manager.agent.post('/api/users').send({ ...hire, password: undefined, email: uniqueEmail('invited') }));
    const inviteToken = new URL(invited.body.inviteUrl as string).searchParams.get('token')!;
    c('post', '/api/users/{id}/access-link', await manager.agent.post(`/api/users/${crew.id}/access-link`));
    c('post', '/api/users/{id}/access-link', await crew.agent.post(`/api/users/${manager.id}/access-link`));
    c('get', '/api/access-links/{token}', await anon.get(`/api/access-links/${inviteToken}`));
    c('get', '/api/access-links/{token}', await anon.get('/api/access-links/not-a-token'));
    c('post', '/api/access-links/{token}', await request(t.app).post(`/api/access-links/${inviteToken}`).send({ password: 'a long enough password' }));
    c('post', '/api/access-links/{token}', await anon.post(`/api/access-links/${inviteToken}`).send({ password: 'a long enough password' }));
    c('get', '/api/setup', await anon.get('/api/setup'));
    c('post', '/api/setup', await anon.post('/api/setup').send({ token: 'x', name: 'Late Owner', email: uniqueEmail('owner'), password: 'a long enough password' }));
    await withFreshDatabase(async ({ db }, url) => {
      const fresh = await createApiTestApp('openapi-setup', { DATABASE_URL: url });
      try {
        const token = newToken();
        await createAccountsRepository(db).addSetupToken(tokenHash(token)!);
        const setup = { token, name: 'First Owner', email: uniqueEmail('owner'), password: 'a long enough password' };
        c('post', '/api/setup', await request(fresh.app).post('/api/setup').send({ ...setup, token: 'wrong' }));
        c('post', '/api/setup', await request(fresh.app).post('/api/setup').send(setup));
      } finally {
        await fresh.close();
      }
    });

    c('get', '/api/locations', await crew.agent.get('/api/locations'));
    c('get', '/api/locations', await crew.agent.get('/api/locations').query({ limit: '0' }));
    c('get', '/api/locations/{id}', await crew.agent.get(`/api/locations/${home.id}`));
    const venue = c('post', '/api/locations', await admin.agent.post('/api/locations').send({ name: 'Contract Bar', timezone: 'Europe/Lisbon' }));
    c('post', '/api/locations', await manager.agent.post('/api/locations').send({ name: 'Contract Bar', timezone: 'Europe/Lisbon' }));
    c('patch', '/api/locations/{id}', await manager.agent.patch(`/api/locations/${home.id}`).send({ address: 'Damrak 1' }));
    c('patch', '/api/locations/{id}', await admin.agent.patch(`/api/locations/${home.id}`).send({ timezone: 'Asia/Tokyo' }));
    c('delete', '/api/locations/{id}', await admin.agent.delete(`/api/locations/${home.id}`));
    c('delete', '/api/locations/{id}', await admin.agent.delete(`/api/locations/${venue.body.id}`));

    c('get', '/api/schedules', await crew.agent.get('/api/schedules').query({ locationId: String(home.id) }));
    const week = uniqueMonday();
    const made = c('post', '/api/schedules', await manager.agent.post('/api/schedules').send({ locationId: home.id, weekStart: week }));
    c('post', '/api/schedules', await manager.agent.post('/api/schedules').send({ locationId: home.id, weekStart: week }));
    c('get', '/api/schedules/{id}', await crew.agent.get(`/api/schedules/${published.id}`));
    c('get', '/api/locations/{id}/weeks/{weekStart}', await crew.agent.get(`/api/locations/${home.id}/weeks/${published.weekStart}`));
    c('get', '/api/locations/{id}/weeks/{weekStart}', await manager.agent.get(`/api/locations/${home.id}/weeks/${draft.weekStart}`));
    c('get', '/api/locations/{id}/weeks/{weekStart}', await manager.agent.get(`/api/locations/${home.id}/weeks/2031-03-04`));
    c('get', '/api/locations/{id}/weeks/{weekStart}', await manager.agent.get(`/api/locations/${MISSING_ID}/weeks/${draft.weekStart}`));
    c('get', '/api/schedules/{id}', await crew.agent.get(`/api/schedules/${draft.id}`));
    c('patch', '/api/schedules/{id}', await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }));
    c('patch', '/api/schedules/{id}', await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'draft' }));
    c('delete', '/api/schedules/{id}', await manager.agent.delete(`/api/schedules/${published.id}`));
    const shift = { userId: crew.id, position: 'Runner', startsAt: at(draft.weekStart, 2, 10), endsAt: at(draft.weekStart, 2, 12) };
    c('post', '/api/schedules/{id}/shifts', await manager.agent.post(`/api/schedules/${draft.id}/shifts`).send(shift));
    const added = c('post', '/api/schedules/{id}/shifts', await manager.agent.post(`/api/schedules/${draft.id}/shifts`).send({ ...shift, userId: null }));
    c('post', '/api/schedules/{id}/shifts', await manager.agent.post(`/api/schedules/${draft.id}/shifts`).send({ ...shift, endsAt: shift.startsAt }));
    c('patch', '/api/schedules/{id}/shifts/{shiftId}', await manager.agent.patch(`/api/schedules/${draft.id}/shifts/${assigned.id}`).send({ position: 'Host' }));
    c('delete', '/api/schedules/{id}/shifts/{shiftId}', await manager.agent.delete(`/api/schedules/${draft.id}/shifts/${added.body.id}`));
    c('post', '/api/schedules/{id}/shifts/{shiftId}/claim', await taker.agent.post(`/api/schedules/${published.id}/shifts/${open.id}/claim`));
    c('post', '/api/schedules/{id}/shifts/{shiftId}/claim', await crew.agent.post(`/api/schedules/${published.id}/shifts/${open.id}/claim`));
    c('delete', '/api/schedules/{id}', await manager.agent.delete(`/api/schedules/${made.body.id}`));
    c('get', '/api/schedules/{id}/changes', await manager.agent.get(`/api/schedules/${published.id}/changes`));
    c('get', '/api/schedules/{id}/changes', await crew.agent.get(`/api/schedules/${published.id}/changes`));
    c('put', '/api/schedules/{id}/presence', await manager.agent.put(`/api/schedules/${published.id}/presence`));
    c('put', '/api/schedules/{id}/presence', await admin.agent.put(`/api/schedules/${published.id}/presence`));
    c('put', '/api/schedules/{id}/presence', await crew.agent.put(`/api/schedules/${published.id}/presence`));
    c('put', '/api/schedules/{id}/presence', await manager.agent.put(`/api/schedules/${MISSING_ID}/presence`));
    c('delete', '/api/schedules/{id}/presence', await manager.agent.delete(`/api/schedules/${published.id}/presence`));
    c('delete', '/api/schedules/{id}/presence', await crew.agent.delete(`/api/schedules/${published.id}/presence`));

    const mine = await s.shift(published, { userId: crew.id, startsAt: at(published.weekStart, 3, 9), endsAt: at(published.weekStart, 3, 13) });
    const asked = c('post', '/api/shift-requests', await crew.agent.post('/api/shift-requests').send({ shiftId: mine.id, kind: 'swap', toUserId: taker.id }));
    c('post', '/api/shift-requests', await crew.agent.post('/api/shift-requests').send({ shiftId: mine.id, kind: 'drop' }));
    const stillOpen = await s.shift(published, { startsAt: at(published.weekStart, 4, 9), endsAt: at(published.weekStart, 4, 13) });
    c('post', '/api/shift-requests', await crew.agent.post('/api/shift-requests').send({ shiftId: stillOpen.id, kind: 'drop' }));
    c('get', '/api/shift-requests', await manager.agent.get('/api/shift-requests').query({ locationId: String(home.id), status: 'pending' }));
    c('get', '/api/shift-requests/{id}', await taker.agent.get(`/api/shift-requests/${asked.body.id}`));
    c('patch', '/api/shift-requests/{id}', await manager.agent.patch(`/api/shift-requests/${asked.body.id}`).send({ action: 'approve' }));
    c('patch', '/api/shift-requests/{id}', await taker.agent.patch(`/api/shift-requests/${asked.body.id}`).send({ action: 'accept' }));
    c('patch', '/api/shift-requests/{id}', await manager.agent.patch(`/api/shift-requests/${asked.body.id}`).send({ action: 'approve' }));
    c('get', '/api/notifications', await taker.agent.get('/api/notifications').query({ limit: '1' }));
    c('post', '/api/notifications/read', await taker.agent.post('/api/notifications/read').send({}));

    c('get', '/api/users/{id}/availability', await crew.agent.get(`/api/users/${crew.id}/availability`));
    const unavailable = [{ weekday: 3, from: '18:00', to: '24:00' }];
    c('put', '/api/users/{id}/availability', await crew.agent.put(`/api/users/${crew.id}/availability`).send({ unavailable }));
    c('put', '/api/users/{id}/availability', await crew.agent.put(`/api/users/${crew.id}/availability`).send({ unavailable: [{ weekday: 8, from: '18:00', to: '17:00' }] }));
    const timeOffAsked = c('post', '/api/time-off', await crew.agent.post('/api/time-off').send({ startsOn: draft.weekStart, endsOn: draft.weekStart }));
    c('post', '/api/time-off', await crew.agent.post('/api/time-off').send({ startsOn: draft.weekStart, endsOn: '2020-01-01' }));
    c('get', '/api/time-off', await manager.agent.get('/api/time-off').query({ status: 'pending' }));
    c('patch', '/api/time-off/{id}', await crew.agent.patch(`/api/time-off/${timeOffAsked.body.id}`).send({ status: 'approved' }));
    c('patch', '/api/time-off/{id}', await manager.agent.patch(`/api/time-off/${timeOffAsked.body.id}`).send({ status: 'approved' }));
    c('delete', '/api/time-off/{id}', await crew.agent.delete(`/api/time-off/${timeOffAsked.body.id}`));
    c('delete', '/api/time-off/{id}', await manager.agent.delete(`/api/time-off/${timeOffAsked.body.id}`));
    c('get', '/api/schedules/{id}/warnings', await manager.agent.get(`/api/schedules/${draft.id}/warnings`));
    c('get', '/api/schedules/{id}/warnings', await crew.agent.get(`/api/schedules/${published.id}/warnings`));
    c('get', '/api/schedules/{id}/labor', await manager.agent.get(`/api/schedules/${draft.id}/labor`));
    c('get', '/api/schedules/{id}/labor', await crew.agent.get(`/api/schedules/${published.id}/labor`));
    const feed = c('post', '/api/users/{id}/calendar-feed', await crew.agent.post(`/api/users/${crew.id}/calendar-feed`));
    c('post', '/api/users/{id}/calendar-feed', await manager.agent.post(`/api/users/${crew.id}/calendar-feed`));
    c('get', '/api/calendar/{token}.ics', await anon.get(feed.body.url));
    c('get', '/api/calendar/{token}.ics', await anon.get('/api/calendar/not-a-token.ics'));

    c('get', '/api/metrics', await admin.agent.get('/api/metrics'));
    c('get', '/api/metrics', await crew.agent.get('/api/metrics'));
    c('get', '/api/metrics', await anon.get('/api/metrics'));

    const statuses = (operation: string) => c.checked.filter((x) => x.operation === operation).map((x) => x.status);
    // Each operation was seen to succeed, with the status the document gives its success.
    for (const operation of operationsOf(doc)) {
      const [method, path] = operation.split(' ') as [string, string];
      const success = Object.keys(doc.paths[path]![method.toLowerCase() as DocMethod]!.responses).find((status) => status.startsWith('2'));
      expect({ operation, seen: statuses(operation).includes(Number(success)) }).toEqual({ operation, seen: true });
    }
    // And the errors this tour set out to provoke.
    expect(statuses('GET /api/users/{id}')).toEqual([200, 404, 400]);
    expect(statuses('POST /api/users')).toEqual([201, 409, 201]);
    expect(statuses('POST /api/users/{id}/access-link')).toEqual([201, 404]);
    expect(statuses('GET /api/access-links/{token}')).toEqual([200, 404]);
    expect(statuses('POST /api/access-links/{token}')).toEqual([200, 410]);
    expect(statuses('POST /api/setup')).toEqual([409, 403, 201]);
    expect(statuses('GET /api/locations')).toEqual([200, 400]);
    expect(statuses('POST /api/schedules/{id}/shifts')).toEqual([409, 201, 400]);
    expect(statuses('POST /api/schedules/{id}/shifts/{shiftId}/claim')).toEqual([200, 409]);
    expect(statuses('GET /api/metrics')).toEqual([200, 403, 401]);
    expect(statuses('POST /api/shift-requests')).toEqual([201, 409, 422]);
    expect(statuses('PATCH /api/shift-requests/{id}')).toEqual([409, 200, 200]);
    expect(statuses('PUT /api/schedules/{id}/presence')).toEqual([200, 200, 403, 404]);
    expect(statuses('DELETE /api/schedules/{id}/presence')).toEqual([204, 403]);
  }, TOUR_TIMEOUT_MS);

  it('a body that is not JSON is refused as documented on every operation, GET included; one too large or malformed wherever a body is taken', async () => {
    const c = check();
    const admin = (await scenario(t).admin()).agent;
    const oversized = JSON.stringify({ filler: 'x'.repeat(1024 * 1024) });
    for (const operation of operationsOf(doc)) {
      const [upper, path] = operation.split(' ') as [string, string];
      const method = upper.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
      const url = path.replace(/\{[A-Za-z]+\}/g, '1');
      const notJson = c(method, path, await request(t.app)[method](url).set('Content-Type', 'text/plain').send('hello'));
      expect({ operation, status: notJson.status }).toEqual({ operation, status: 415 });
      if (!doc.paths[path]![method]!.requestBody) continue;
      // Signed in, so the access check lets the body through to be parsed (docs/decisions/010).
      const tooLarge = c(method, path, await admin[method](url).set('Content-Type', 'application/json').send(oversized));
      const malformed = c(method, path, await admin[method](url).set('Content-Type', 'application/json').send('{"a":'));
      expect({ operation, statuses: [tooLarge.status, malformed.status] }).toEqual({ operation, statuses: [413, 400] });
    }
  }, TOUR_TIMEOUT_MS);

  it('a server that is shutting down refuses every operation with a documented 503 and Retry-After', async () => {
    const c = check();
    const signedIn = await request(t.app).post('/api/auth/login').send({ email: (await scenario(t).admin()).email, password: PASSWORD }).expect(200);
    const cookie = sessionCookieOf(signedIn.headers['set-cookie'])!;
    const inFlight = new InFlight();
    // Its own metrics registry: the test app's already holds the HTTP metrics an app registers.
    const draining = createApp({ ...t.deps, metrics: { ...t.deps.metrics, registry: new Registry() } }, { inFlight });
    await inFlight.drain();
    // Input is parsed before a handler is refused, so each body must be a valid one.
    const starts = '2031-03-04T09:00:00Z';
    const bodies: Record<string, object> = {
      'POST /api/auth/login': { email: 'someone@test.crewplots.example', password: 'whatever' },
      'POST /api/auth/password': { currentPassword: 'whatever', newPassword: 'a long enough password' },
      'POST /api/users': { email: 'someone@test.crewplots.example', name: 'Someone', role: 'crew', password: 'a long enough password' },
      'PATCH /api/users/{id}': { phone: '+31 20 555 0101' },
      'POST /api/locations': { name: 'Somewhere', timezone: 'Europe/Lisbon' },
      'PATCH /api/locations/{id}': { address: 'Damrak 1' },
      'POST /api/schedules': { locationId: 1, weekStart: '2031-03-03' },
      'PATCH /api/schedules/{id}': { status: 'published' },
      'POST /api/schedules/{id}/shifts': { position: 'Runner', startsAt: starts, endsAt: '2031-03-04T12:00:00Z' },
      'PATCH /api/schedules/{id}/shifts/{shiftId}': { position: 'Host' },
      'POST /api/shift-requests': { shiftId: 1, kind: 'drop' },
      'PATCH /api/shift-requests/{id}': { action: 'cancel' },
      'POST /api/notifications/read': {},
    };
    let refused = 0;
    for (const operation of operationsOf(doc)) {
      const [upper, path] = operation.split(' ') as [string, string];
      const method = upper.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
      if (doc.paths[path]![method]!.requestBody && !bodies[operation]) continue;
      let req = request(draining)[method](path.replace('{weekStart}', '2031-03-03').replace(/\{[A-Za-z]+\}/g, '1')).set('Cookie', cookie);
      if (bodies[operation]) req = req.send(bodies[operation]);
      const res = c(method, path, await req);
      expect({ operation, status: res.status, retryAfter: res.headers['retry-after'] }).toEqual({ operation, status: 503, retryAfter: '1' });
      refused += 1;
    }
    expect(refused).toBeGreaterThanOrEqual(26);
  }, TOUR_TIMEOUT_MS);

  it('refused logins are a documented 429 with Retry-After', async () => {
    const c = check();
    const target = await scenario(t).crew([]);
    let res = await request(t.app).post('/api/auth/login').send({ email: target.email, password: 'not the password' });
    for (let attempt = 0; attempt < 10 && res.status !== 429; attempt++) {
      c('post', '/api/auth/login', res);
      res = await request(t.app).post('/api/auth/login').send({ email: target.email, password: 'not the password' });
    }
    c('post', '/api/auth/login', res);
    expect(res.status).toBe(429);
  }, TOUR_TIMEOUT_MS);
});

describe('If-Match, non-JSON successes, gone and version_mismatch, on a synthetic route table', () => {
  const synthetic = buildOpenApiDocument(syntheticRoutes) as unknown as Document;
  const patch = () => synthetic.paths['/api/schedules/{id}']!.patch!;

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(synthetic as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
  });

  it('ifMatch: an optional If-Match header of quoted versions (or `*`), a 412 version_mismatch with current and changedBy, a 400 for a malformed one', () => {
    const header = patch().parameters.find((p) => p.in === 'header');
    expect(header).toMatchObject({ name: 'If-Match', required: false, schema: { type: 'string', pattern: expect.any(String) }, example: '"3"' });
    const pattern = new RegExp(header!.schema.pattern as string);
    // What server/http/if-match.ts accepts (decision 017): strong quoted versions, a list of them, or `*`.
    expect(['"3"', '"2147483647"', '"3", "4"', '*'].every((v) => pattern.test(v))).toBe(true);
    expect(['3', '"0"', 'W/"3"', '""', '*, "3"', '"3", 4'].some((v) => pattern.test(v))).toBe(false);
    expect(patch().responses['412']!.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/VersionMismatchProblem' } } });
    expect(patch().responses['412']!.description).toMatch(/version_mismatch/);
    expect(synthetic.components.schemas.VersionMismatchProblem).toMatchObject({ allOf: [{ $ref: '#/components/schemas/Problem' }, { required: ['current', 'changedBy'] }] });
    expect(patch().responses['400']!.content).toEqual(PROBLEM);
    // Routes without ifMatch have neither.
    expect(synthetic.paths['/api/access-links/{token}']!.get!.parameters.some((p) => p.in === 'header')).toBe(false);
    expect(synthetic.paths['/api/access-links/{token}']!.get!.responses['412']).toBeUndefined();
    // The app's own PATCH and DELETE of schedules and shifts take If-Match now (decision 017).
    expect(doc.components.schemas.VersionMismatchProblem).toEqual(synthetic.components.schemas.VersionMismatchProblem);
  });

  it('produces: the success is that type, a string, and not JSON', () => {
    const ok = synthetic.paths['/api/events']!.get!.responses['200']!;
    expect(ok.content).toEqual({ 'text/event-stream': { schema: { type: 'string' } } });
  });

  it('gone and version_mismatch, when a route lists them, are a 410 and a 412', () => {
    const link = synthetic.paths['/api/access-links/{token}']!.get!.responses;
    expect(link['410']).toMatchObject({ description: expect.stringMatching(/`gone`/), content: PROBLEM });
    expect(Object.keys(link).sort()).toEqual(['200', '400', '404', '410', '415', '503']);
  });

  it("the table's real answers match its document", async () => {
    const c = responseChecker(synthetic);
    const app = syntheticApp();
    const rename = (ifMatch?: string) => {
      const req = request(app).patch('/api/schedules/1').send({ name: 'Renamed' });
      return ifMatch === undefined ? req : req.set('If-Match', ifMatch);
    };
    const stale = c('patch', '/api/schedules/{id}', await rename('"1"'));
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'version_mismatch', current: { id: 1, version: 2 }, changedBy: null });
    expect(c('patch', '/api/schedules/{id}', await rename('"2"')).status).toBe(200);
    expect(c('patch', '/api/schedules/{id}', await rename()).status).toBe(200);
    expect(c('patch', '/api/schedules/{id}', await rename('2')).status).toBe(400);
    expect(c('patch', '/api/schedules/{id}', await request(app).patch('/api/schedules/7').send({ name: 'x' })).status).toBe(404);
    const events = c('get', '/api/events', await request(app).get('/api/events'));
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(c('get', '/api/access-links/{token}', await request(app).get('/api/access-links/fresh')).status).toBe(200);
    expect(c('get', '/api/access-links/{token}', await request(app).get('/api/access-links/used')).status).toBe(410);
    expect(c('get', '/api/access-links/{token}', await request(app).get('/api/access-links/other')).status).toBe(404);
    expect(c('get', '/api/access-links/{token}', await request(app).get('/api/access-links/NOT-A-TOKEN')).status).toBe(400);
  });

  it('a response the document does not describe fails the check', async () => {
    const c = responseChecker(synthetic);
    const app = syntheticApp();
    // A 412 on a route without ifMatch is not documented.
    const undocumented = await request(app).get('/api/access-links/used');
    undocumented.status = 412;
    expect(() => c('get', '/api/access-links/{token}', undocumented)).toThrow();
    // A body that breaks the schema.
    const wrong = await request(app).get('/api/access-links/fresh');
    wrong.text = JSON.stringify({ kind: 'other' });
    expect(() => c('get', '/api/access-links/{token}', wrong)).toThrow();
  });
});
