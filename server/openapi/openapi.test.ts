import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { createRoutes } from '../app.js';
import { createApiTestApp } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Operation {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security: unknown[];
}
interface Document {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

let t: TestApp;
let doc: Document;

beforeAll(async () => {
  t = await createApiTestApp('openapi');
  doc = (await request(t.app).get('/api/openapi.json').expect(200)).body as Document;
});
afterAll(() => t.close());

/** `/users/:id` as the OpenAPI document writes it: `/api/users/{id}`. */
const documented = (path: string) => `/api${path.replace(/:([A-Za-z]+)/g, '{$1}')}`;

function operationsOf(document: Document): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** The routes Express itself has under /api, read from its router stack. */
function expressRoutes(app: TestApp['app']): string[] {
  type Layer = { rawPath?: unknown; route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const found: string[] = [];
  const collect = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') found.push(`${method.toUpperCase()} ${documented(layer.route.path)}`);
      } else if (layer.handle?.stack) {
        collect(layer.handle.stack);
      }
    }
  };
  const root = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const api = root.find((layer) => layer.rawPath === '/api');
  expect(api).toBeDefined();
  collect(api!.handle!.stack!);
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

  it('lists exactly the routes Express serves under /api', () => {
    expect(operationsOf(doc)).toEqual(expressRoutes(t.app));
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
        const isPublic = path === '/api/auth/login' || path === '/api/auth/session' || path === '/api/openapi.json' || path.startsWith('/api/health');
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
    expect(createUser.required.sort()).toEqual(['email', 'name', 'password', 'role']);
    expect(createUser.properties.password).toMatchObject({ minLength: 12, maxLength: 256 });
    const user = doc.components.schemas.User as { properties: Record<string, unknown> };
    expect(Object.keys(user.properties)).not.toContain('passwordHash');
    const limit = doc.paths['/api/schedules']!.get!.parameters.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
  });
});
