import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { expectErrorLog, testLogger } from '../../test/support/logs.js';
import { AppError } from './errors.js';
import { parseJsonBody, requireJsonBody } from './body.js';
import { problemHandler } from './problem.js';

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
    const res = await request(t.app).post('/api/no-such-thing').set('Content-Type', 'application/json').send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation_failed'));
  });

  it('a body over 1 MB is a 413', async () => {
    const big = JSON.stringify({ notes: 'x'.repeat(1024 * 1024 + 10) });
    const res = await request(t.app).post('/api/no-such-thing').set('Content-Type', 'application/json').send(big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual(problem(413, 'payload_too_large'));
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

  it('sends helmet headers and no X-Powered-By', async () => {
    const res = await request(t.app).get('/api/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('the problem handler', () => {
  const logger = testLogger();
  const app = express();
  app.use(requireJsonBody, parseJsonBody);
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
