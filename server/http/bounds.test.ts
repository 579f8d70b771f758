import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApiTestApp } from '../../test/support/api.js';
import { makeAccount, signIn, type Agent } from '../../test/support/accounts.js';
import type { TestApp } from '../../test/support/test-app.js';
import { MAX_ERRORS } from './validate.js';

/**
 * What any body can make the server do and say (docs/decisions/010): anonymous requests never get
 * a large body parsed, and no body gets more than a bounded list of problems back.
 */

let t: TestApp;
let admin: Agent;
beforeAll(async () => {
  t = await createApiTestApp('bounds');
  admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
});
afterAll(() => t.close());

/** About 1 MB of JSON: 90,000 keys no schema knows. */
function manyUnknownKeys(extra: Record<string, unknown> = {}): string {
  const body: Record<string, unknown> = { ...extra };
  for (let i = 0; i < 90_000; i++) body[`k${i}`] = 1;
  return JSON.stringify(body);
}

async function passwordChecks(): Promise<number> {
  const metric = await t.deps.metrics.registry.getSingleMetric('crewplots_password_checks_total')?.get();
  return (metric?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('an anonymous body of about 1 MB with 90,000 unknown keys', () => {
  const body = manyUnknownKeys({ email: 'someone@test.crewplots.example', password: 'a password' });

  it('to login is a small 413: nothing is parsed, checked or counted', async () => {
    expect(body.length).toBeGreaterThan(900_000);
    const before = await passwordChecks();
    const res = await request(t.app).post('/api/auth/login').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large' });
    expect(res.text.length).toBeLessThan(400);
    expect(await passwordChecks()).toBe(before);
  });

  it('to a route that needs a session is a small 401, and is not even parsed', async () => {
    const res = await request(t.app).post('/api/locations').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(401);
    expect(res.text.length).toBeLessThan(400);
    // Not valid JSON at all: still the 401, so the body was never read as JSON.
    const broken = await request(t.app).post('/api/locations').set('Content-Type', 'application/json').send(`${body.slice(0, -1)},`);
    expect(broken.status).toBe(401);
  });

  it('to an unknown route is a small 404, not parsed either', async () => {
    const res = await request(t.app).post('/api/no-such-thing').set('Content-Type', 'application/json').send(`${body.slice(0, -1)},`);
    expect(res.status).toBe(404);
    expect(res.text.length).toBeLessThan(400);
  });
});

describe('a signed-in body that is wrong in many ways', () => {
  it('with 90,000 unknown keys gets a 400 naming a few of them and counting the rest', async () => {
    const res = await admin.post('/api/locations').set('Content-Type', 'application/json').send(manyUnknownKeys({ name: 'Bar', timezone: 'Europe/Paris' }));
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(2_000);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].message).toMatch(/^Unrecognized keys: "k0", "k1", "k2", "k3", "k4" and 89995 more$/);
  });

  it('with 100 bad array items gets the first 20 problems and their count', async () => {
    const res = await admin
      .post('/api/users')
      .send({ email: 'many@test.crewplots.example', name: 'Many', role: 'crew', password: 'a long enough password', locationIds: Array(100).fill('x') });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(MAX_ERRORS);
    expect(res.body.detail).toMatch(/100 problems, the first 20 listed/);
    expect(res.body.errors[0]).toEqual({ path: 'locationIds.0', message: expect.any(String) });
    expect(res.text.length).toBeLessThan(4_000);
  });

  it('with a 100,000-character key gets its path and message cut short', async () => {
    const key = 'k'.repeat(100_000);
    const res = await admin.patch('/api/locations/1').send({ [key]: { nested: true } });
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(2_000);
  });

  it('that is right but for one field still names that field as before', async () => {
    const res = await admin.post('/api/locations').send({ name: 'Bar', timezone: 'Not/AZone', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('The request body is not valid.');
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path: '', message: 'Unrecognized key: "extra"' }]));
  });
});
