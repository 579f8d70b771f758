import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Route } from 'playwright-core';
import type { Location, User } from '../../shared/index.js';
import { localInstant, mondayOf } from '../../shared/time.js';
import { uniqueEmail } from '../support/factories.js';
import type { ServerProcess } from '../support/server-process.js';
import { DESKTOP, logIn, openWindow } from './support/browser.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';

/**
 * The planner's cold load is one round of requests, not a waterfall (issue 16, item 8; decision
 * 030). The proof holds every /api answer back until the page has sent all it can without one:
 * what the page asks for while nothing has been answered yet is exactly what does not depend on an
 * answer. A planner that waited for the session before loading locations, or for the locations
 * before loading the week, would send only the session probe here. Timing plays no part: the
 * answers are released either when the whole round is in or, for a regression, after a wait.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
/** How long a page that sends less than the whole round is given before the test looks at what it sent. */
const ROUND_WAIT_MS = 8_000;
const suffix = randomBytes(3).toString('hex');

let scenario: BrowserScenario | undefined;
let server: ServerProcess;
let browser: Browser;
let location: Location;
let manager: User;
const week = mondayOf(new Date(), ZONE);

beforeAll(async () => {
  scenario = await startBrowserScenario(uniqueEmail('admin'), PASSWORD);
  ({ server, browser } = scenario);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Pier Bar ${suffix}`, timezone: ZONE });
  manager = await admin.call<User>('POST', '/users', { email: uniqueEmail('manager'), name: `Morgan ${suffix}`, role: 'manager', password: PASSWORD, locationIds: [location.id] });
  const crew = await admin.call<User>('POST', '/users', { email: uniqueEmail('crew'), name: `Robin ${suffix}`, role: 'crew', password: PASSWORD, locationIds: [location.id] });
  const schedule = await admin.call<{ id: number }>('POST', '/schedules', { locationId: location.id, weekStart: week });
  const start = localInstant(week, 2, '18:00', ZONE);
  await admin.call('POST', `/schedules/${schedule.id}/shifts`, {
    userId: crew.id,
    position: 'Bartender',
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 5 * 3600_000).toISOString(),
  });
}, 180_000);
afterAll(async () => {
  await scenario?.close();
});

const apiPath = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe('a cold load of the planner', () => {
  it('sends the session probe, the planner code and every read of the week at once, each once', async () => {
    const { context, page } = await openWindow(browser, server.url, DESKTOP);
    try {
      // The first visit: log in and open the planner, which remembers the role and the location.
      await page.goto('/login?next=/planner');
      await logIn(page, manager.email, PASSWORD);
      await page.locator('table.weekgrid').waitFor();
      await page.close();

      // The next morning's visit, in a new tab of the same browser.
      const next = await context.newPage();
      const unanswered: string[] = [];
      const all: string[] = [];
      const assets: string[] = [];
      const held: Route[] = [];
      let released = false;
      await next.route('**/api/**', async (route) => {
        const path = apiPath(route.request().url());
        all.push(`${route.request().method()} ${path}`);
        if (released) return route.continue();
        unanswered.push(path);
        held.push(route);
      });
      next.on('request', (req) => {
        if (!released && new URL(req.url()).pathname.startsWith('/assets/')) assets.push(new URL(req.url()).pathname);
      });

      const round = [
        '/api/auth/session',
        '/api/locations?limit=200',
        `/api/locations/${location.id}/weeks/${week}`,
        `/api/users?locationId=${location.id}&active=true&limit=200`,
      ];
      const loading = next.goto('/planner');
      const deadline = Date.now() + ROUND_WAIT_MS;
      while (!round.every((p) => unanswered.includes(p)) && Date.now() < deadline) await next.waitForTimeout(50);
      const sentBeforeAnyAnswer = [...unanswered].sort();
      const codeBeforeAnyAnswer = assets.some((a) => /\/assets\/PlannerPage-[\w-]+\.js$/.test(a));
      released = true;
      await Promise.all(held.map((r) => r.continue()));
      await loading;
      await next.locator('table.weekgrid').waitFor();
      await next.getByRole('button', { name: /Robin .*'s shift on Wednesday/ }).waitFor();

      expect(sentBeforeAnyAnswer).toEqual([...round].sort());
      expect(codeBeforeAnyAnswer).toBe(true);
      // Each read went out once: the screens took the early answers instead of asking again, and
      // the week came whole (no schedule list, no second request for the schedule by id). What the
      // grid shows beside the week (its warnings and labor, time off, requests) follows it.
      const reads = all.filter((r) => r.startsWith('GET ') && !r.startsWith('GET /api/events'));
      expect(reads.filter((r, i) => reads.indexOf(r) !== i)).toEqual([]);
      expect(reads.filter((r) => /^GET \/api\/schedules(\?|\/\d+$)/.test(r))).toEqual([]);
      expect(round.every((p) => reads.includes(`GET ${p}`))).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('signed out, sends nothing but the session probe ahead, so nothing is refused', async () => {
    const { context, page } = await openWindow(browser, server.url, DESKTOP);
    try {
      const sent: string[] = [];
      page.on('request', (req) => {
        if (req.url().includes('/api/')) sent.push(apiPath(req.url()));
      });
      const refused: number[] = [];
      page.on('response', (res) => {
        if (res.url().includes('/api/') && res.status() >= 400) refused.push(res.status());
      });
      await page.goto('/planner');
      await page.getByLabel('Email').waitFor();
      // Then only the login page's own public question: does this server have accounts yet.
      expect(sent.filter((p) => p !== '/api/setup')).toEqual(['/api/auth/session']);
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
