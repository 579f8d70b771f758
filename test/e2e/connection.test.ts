import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page, Route } from 'playwright-core';
import { mondayOf } from '../../shared/time.js';
import type { Location, User } from '../../shared/index.js';
import { uniqueEmail } from '../support/factories.js';
import type { ServerProcess } from '../support/server-process.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';
import { DESKTOP, logIn, openWindow, screenshot } from './support/browser.js';

/**
 * The app when the connection is not what it should be: a logged-out visit writes nothing to the
 * console, a save while offline fails at once with a banner saying why and goes through once the
 * connection is back, and a 503 is retried by the app itself after the server's Retry-After.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');
const week = mondayOf(new Date(), ZONE);
const adminEmail = uniqueEmail('admin');

let server: ServerProcess;
let scenario: BrowserScenario | undefined;
let browser: Browser;
let location: Location;
let manager: User;
let crew: User;

beforeAll(async () => {
  scenario = await startBrowserScenario(adminEmail, PASSWORD);
  ({ server, browser } = scenario);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Dock Bar ${suffix}`, timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew') =>
    admin.call<User>('POST', '/users', { email: uniqueEmail(role), name, role, password: PASSWORD, memberships: [{ locationId: location.id, position: 'Bartender' }] });
  manager = await person(`Milo Manager ${suffix}`, 'manager');
  crew = await person(`Noor Crew ${suffix}`, 'crew');
  await admin.call('POST', '/schedules', { locationId: location.id, weekStart: week });
}, 180_000);

afterAll(async () => {
  await scenario?.close();
}, 30_000);

/** The manager's planner on this week's draft, signed in. */
async function openPlanner(): Promise<Page> {
  const { page } = await openWindow(browser, server.url, DESKTOP);
  await page.goto(`/planner?location=${location.id}&week=${week}`);
  await logIn(page, manager.email, PASSWORD);
  await page.getByRole('heading', { level: 1, name: 'Planner' }).waitFor();
  await page.getByRole('button', { name: new RegExp(`^Add a shift for ${crew.name} on Monday`) }).waitFor();
  return page;
}

/** Opens the add-shift dialog for the crew member on `day` and fills in the times. */
async function fillShift(page: Page, day: string, starts: string, ends: string) {
  await page.getByRole('button', { name: new RegExp(`^Add a shift for ${crew.name} on ${day}`) }).click();
  const dialog = page.getByRole('dialog', { name: 'Add shift' });
  await dialog.getByLabel('Starts').fill(starts);
  await dialog.getByLabel('Ends').fill(ends);
  return dialog;
}

describe('a logged-out visit', () => {
  it('reaches the login page with nothing in the console', async () => {
    const { context, page } = await openWindow(browser, server.url, DESKTOP);
    const console: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') console.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (err) => console.push(`pageerror: ${err.message}`));
    await page.goto('/planner');
    await page.waitForURL(/\/login\?next=%2Fplanner/);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.waitForLoadState('networkidle');
    await context.close();
    expect(console).toEqual([]);
  }, 90_000);
});

describe('offline', () => {
  it('a save fails at once with the reason in a banner, and goes through once the connection is back', async () => {
    const page = await openPlanner();
    const dialog = await fillShift(page, 'Tuesday', '10:00', '14:00');
    await page.context().setOffline(true);
    // The page behind the modal dialog is inert: the dialog carries the banner too.
    const banner = dialog.getByRole('alert').filter({ hasText: 'You are offline' });
    await banner.waitFor();

    const save = dialog.getByRole('button', { name: 'Add shift' });
    await save.click();
    await dialog.getByRole('alert').filter({ hasText: 'Cannot reach Crew Plots. Check your connection and try again.' }).waitFor();
    // The button is back to what it says, not stuck on "Saving…".
    await expect(save.textContent()).resolves.toBe('Add shift');
    await screenshot(page, 'offline-save-failed', { keepNotices: true });

    // Trying again while still offline changes nothing, and the banner stays.
    await banner.getByRole('button', { name: 'Try again' }).click();
    await banner.waitFor();

    await page.context().setOffline(false);
    // Back online, the screen reloads what it shows, which clears the banner by itself.
    await dialog.locator('.connection-banner').waitFor({ state: 'detached' });
    await save.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: new RegExp(`^Edit ${crew.name}'s shift on Tuesday .*: 10:00 – 14:00 as Bartender$`) }).waitFor();
    await page.context().close();
  }, 90_000);

  it('a list asked for offline says it cannot load, with the banner above, and loads once back', async () => {
    const page = await openPlanner();
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('button', { name: `Edit ${crew.name}` }).waitFor();
    await page.context().setOffline(true);
    await page.getByRole('alert').filter({ hasText: 'You are offline' }).waitFor();
    await page.getByLabel('Search').fill(crew.name);
    const failed = page.getByRole('alert').filter({ hasText: 'Could not load people. Cannot reach Crew Plots.' });
    await failed.waitFor();
    await screenshot(page, 'offline-list-failed');
    await page.context().setOffline(false);
    await page.locator('.connection-banner').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Edit ${crew.name}` }).waitFor();
    await expect(failed.count()).resolves.toBe(0);
    await page.context().close();
  }, 90_000);
});

describe('a 503 with Retry-After', () => {
  /** Answers the first matching request with a 503 and Retry-After: 1, lets the rest through, and notes when each came. */
  function busyOnce(seen: number[]) {
    return (route: Route) => {
      seen.push(Date.now());
      if (seen.length > 1) return route.continue();
      return route.fulfill({
        status: 503,
        headers: { 'Retry-After': '1' },
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Busy for a moment.', code: 'service_unavailable' }),
      });
    };
  }

  it('a save is sent again by the app after the second the server asked for', async () => {
    const page = await openPlanner();
    const seen: number[] = [];
    await page.route(/\/api\/schedules\/\d+\/shifts$/, busyOnce(seen));
    const dialog = await fillShift(page, 'Wednesday', '09:00', '13:00');
    await dialog.getByRole('button', { name: 'Add shift' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: new RegExp(`^Edit ${crew.name}'s shift on Wednesday .*: 09:00 – 13:00 as Bartender$`) }).waitFor();
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
    await page.context().close();
  }, 90_000);

  it('a screen’s load is asked again by itself, and the screen shows', async () => {
    const { context, page } = await openWindow(browser, server.url, DESKTOP);
    await page.goto('/login');
    await logIn(page, manager.email, PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Planner' }).waitFor();
    const seen: number[] = [];
    await page.route(/\/api\/users\?/, busyOnce(seen));
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('button', { name: `Edit ${crew.name}` }).waitFor();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await context.close();
  }, 90_000);
});
