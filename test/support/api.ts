import { expect } from '@jest/globals';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { SavedShift } from '../../shared/schemas/planning.js';
import type { Shift } from '../../shared/schemas/schedules.js';
import type { Role } from '../../shared/schemas/users.js';
import { localInstant } from '../../shared/time.js';
import { hashPassword } from '../../server/auth/password.js';
import type { Database } from '../../server/db/client.js';
import { locationMembers, schedules, shifts, type LocationRow, type ScheduleRow, type ShiftRow } from '../../server/db/schema.js';
import { insertLocation, insertUser, uniqueEmail, uniqueMonday } from './factories.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * Scenarios for the HTTP suites: people with real argon2 hashes who sign in through
 * POST /api/auth/login (a supertest agent keeps their session cookie), and the locations,
 * schedules and shifts they work with. Rows are written straight to Postgres, and the cache
 * entries they could shadow are dropped, so a scenario never depends on what the cache saw before.
 */

export const PASSWORD = 'correct horse battery staple';

let passwordHash: Promise<string> | undefined;
/** One real hash per test file (jest gives each file its own module registry). */
export const hashedPassword = () => (passwordHash ??= hashPassword(PASSWORD));

export type Agent = ReturnType<typeof request.agent>;

export interface Person {
  id: number;
  email: string;
  name: string;
  role: Role;
  locationIds: number[];
  /** Signed in as this person (inactive people get an agent without a session). */
  agent: Agent;
}

/**
 * The app for one test file, with Redis keys (cache entries, sessions, rate-limit counters) under
 * a sub-prefix of the run's own: files running side by side never see each other's cache.
 */
export function createApiTestApp(tag: string, env: Record<string, string> = {}): Promise<TestApp> {
  const runPrefix = process.env.REDIS_PREFIX ?? 'crewplots-test:';
  return createTestApp({ REDIS_PREFIX: `${runPrefix}${tag}:`, ...env });
}

/** Signs in through the API; the agent carries the session cookie from then on. */
export async function signIn(app: Express, email: string, password = PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  const res = await agent.post('/api/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`sign-in as ${email} failed: ${res.status} ${res.text}`);
  return agent;
}

interface PersonOptions {
  name?: string;
  phone?: string | null;
  active?: boolean;
  /** Position at each location (default Bartender). */
  position?: string | null;
}

interface ScheduleOptions {
  weekStart?: string;
  status?: 'draft' | 'published';
}

interface ShiftOptions {
  userId?: number | null;
  position?: string;
  startsAt: string | Date;
  endsAt: string | Date;
  notes?: string | null;
}

export interface Scenario {
  app: Express;
  db: Database;
  /** A client with no session. */
  anonymous(): ReturnType<typeof request>;
  location(values?: Partial<Pick<LocationRow, 'name' | 'address' | 'timezone'>>): Promise<LocationRow>;
  person(role: Role, locations?: ReadonlyArray<{ id: number }>, options?: PersonOptions): Promise<Person>;
  admin(options?: PersonOptions): Promise<Person>;
  manager(locations: ReadonlyArray<{ id: number }>, options?: PersonOptions): Promise<Person>;
  crew(locations: ReadonlyArray<{ id: number }>, options?: PersonOptions): Promise<Person>;
  schedule(location: { id: number }, options?: ScheduleOptions): Promise<ScheduleRow>;
  shift(schedule: { id: number }, options: ShiftOptions): Promise<ShiftRow>;
  /** Drops cache entries a direct write made stale. */
  forget(...keys: Array<{ namespace: 'user' | 'location' | 'schedule'; id: number }>): Promise<void>;
}

export function scenario(t: TestApp): Scenario {
  const app = t.app;
  const db = t.deps.database.db;
  const forget: Scenario['forget'] = (...keys) => t.deps.cache.invalidate(keys);

  const person: Scenario['person'] = async (role, locations = [], options = {}) => {
    const name = options.name ?? `${role[0]!.toUpperCase()}${role.slice(1)} ${Math.random().toString(36).slice(2, 7)}`;
    const row = await insertUser(db, {
      role,
      name,
      email: uniqueEmail(role),
      passwordHash: await hashedPassword(),
      phone: options.phone ?? null,
      active: options.active ?? true,
    });
    if (locations.length > 0) {
      await db.insert(locationMembers).values(locations.map((l) => ({ userId: row.id, locationId: l.id, position: options.position === undefined ? 'Bartender' : options.position })));
    }
    await forget({ namespace: 'user', id: row.id });
    const agent = row.active ? await signIn(app, row.email) : request.agent(app);
    return { id: row.id, email: row.email, name, role, locationIds: locations.map((l) => l.id).sort((a, b) => a - b), agent };
  };

  return {
    app,
    db,
    anonymous: () => request(app),
    async location(values = {}) {
      const row = await insertLocation(db, values);
      await forget({ namespace: 'location', id: row.id });
      return row;
    },
    person,
    admin: (options) => person('admin', [], options),
    manager: (locations, options) => person('manager', locations, options),
    crew: (locations, options) => person('crew', locations, options),
    async schedule(location, options = {}) {
      const status = options.status ?? 'draft';
      const [row] = await db
        .insert(schedules)
        .values({ locationId: location.id, weekStart: options.weekStart ?? uniqueMonday(), status, publishedAt: status === 'published' ? new Date() : null })
        .returning();
      await forget({ namespace: 'schedule', id: row!.id });
      return row!;
    },
    async shift(schedule, options) {
      const [row] = await db
        .insert(shifts)
        .values({
          scheduleId: schedule.id,
          userId: options.userId ?? null,
          position: options.position ?? 'Bartender',
          startsAt: new Date(options.startsAt),
          endsAt: new Date(options.endsAt),
          notes: options.notes ?? null,
        })
        .returning();
      await forget({ namespace: 'schedule', id: schedule.id });
      return row!;
    },
    forget,
  };
}

/** The instant (ISO, UTC) at a local wall-clock time, `day` days after the Monday `weekStart`. */
export function localTime(weekStart: string, day: number, time: string, zone = 'Europe/Amsterdam'): string {
  return localInstant(weekStart, day, time, zone).toISOString();
}

export const hoursAfter = (iso: string, hours: number) => new Date(new Date(iso).getTime() + hours * 3_600_000).toISOString();

/** A problem+json body as API.md describes it. */
export const ProblemBody = z.strictObject({
  type: z.literal('about:blank'),
  title: z.string().min(1),
  status: z.number().int().min(400).max(599),
  detail: z.string().min(1),
  code: z.enum(ERROR_CODES),
  errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  conflicts: z.array(z.number().int().positive()).optional(),
  current: z.record(z.string(), z.unknown()).nullable().optional(),
  changedBy: z.strictObject({ id: z.number().int().positive(), name: z.string() }).nullable().optional(),
});

/** Asserts an error answer: status, media type, the problem shape and its code. */
export function expectProblem(res: Response, status: number, code: ErrorCode): z.infer<typeof ProblemBody> {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = ProblemBody.parse(res.body);
  expect(body.status).toBe(status);
  return body;
}

/** Ids in a path that are not positive 32-bit integers: each one is a 400 (API.md, Conventions). */
export const INVALID_IDS = ['abc', '0', '-1', '2147483648', '99999999999999999999', '1.5', '1e3', '0x10'] as const;

/** A well-formed id no row will ever have in a test run. */
export const MISSING_ID = 2_147_483_000;

/** The answer to a created or changed shift (a SavedShift), as the Shift it is, without its warnings. */
export function savedShift(body: unknown): Shift {
  const { warnings: _warnings, ...shift } = SavedShift.parse(body);
  return shift;
}
