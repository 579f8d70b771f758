import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { Location, Schedule, User } from '../../shared/index.js';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import { uniqueEmail } from '../support/factories.js';
import { ApiSession } from './support/api.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';
import { DESKTOP, PHONE, logIn, openWindow, screenshot } from './support/browser.js';

/**
 * Crew A offers a shift to crew B from their phone, B accepts, the manager approves in the planner,
 * and both see the change and a notification, each in a window of their own, without reloading:
 * what changes on screen arrived over the event stream. Then the manager publishes a week that
 * changed since it was last published, with the changes listed in the confirmation.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');
const week = addWeeks(mondayOf(new Date(), ZONE), 1);
const laterWeek = addWeeks(week, 1);
const at = (w: string, day: number, time: string) => localInstant(w, day, time, ZONE).toISOString();

let scenario: BrowserScenario;
let location: Location;
let manager: User;
let alex: User;
let bo: User;
let schedule: Schedule;
let later: Schedule;
let tuesdayShift: number;
const pageErrors: string[] = [];

async function windowAs(user: User, device: typeof DESKTOP | typeof PHONE, landing: RegExp): Promise<Page> {
  const { page } = await openWindow(scenario.browser, scenario.server.url, device);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto('/login');
  await logIn(page, user.email, PASSWORD);
  await page.waitForURL(landing);
  return page;
}

const bell = (page: Page) => page.getByRole('link', { name: /^Notifications, / });

/** Marks the loaded page, so "without reloading" is checked rather than assumed: a full load drops the mark. */
const mark = (page: Page) => page.evaluate(() => Object.assign(globalThis, { stillThisPage: true }));
const stillThisPage = (page: Page) => page.evaluate(() => (globalThis as { stillThisPage?: boolean }).stillThisPage === true);

beforeAll(async () => {
  scenario = await startBrowserScenario(uniqueEmail('admin'), PASSWORD);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Dock Bar ${suffix}`, timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew') =>
    admin.call<User>('POST', '/users', { email: uniqueEmail(role), name, role, password: PASSWORD, memberships: [{ locationId: location.id, position: 'Bartender' }] });
  manager = await person(`Mina Manager ${suffix}`, 'manager');
  alex = await person(`Alex Swapper ${suffix}`, 'crew');
  bo = await person(`Bo Taker ${suffix}`, 'crew');

  // Next week, published: Alex on Tuesday evening, Bo on Wednesday.
  const made = await admin.call<Schedule>('POST', '/schedules', { locationId: location.id, weekStart: week });
  const shift = await admin.call<{ id: number }>('POST', `/schedules/${made.id}/shifts`, { userId: alex.id, position: 'Bartender', startsAt: at(week, 1, '17:00'), endsAt: at(week, 1, '23:00') });
  tuesdayShift = shift.id;
  await admin.call('POST', `/schedules/${made.id}/shifts`, { userId: bo.id, position: 'Bartender', startsAt: at(week, 2, '17:00'), endsAt: at(week, 2, '23:00') });
  schedule = await admin.call<Schedule>('PATCH', `/schedules/${made.id}`, { status: 'published' });

  // The week after: published once, taken back to draft, then changed (a shift moved, one added).
  const second = await admin.call<Schedule>('POST', '/schedules', { locationId: location.id, weekStart: laterWeek });
  const moved = await admin.call<{ id: number }>('POST', `/schedules/${second.id}/shifts`, { userId: alex.id, position: 'Bartender', startsAt: at(laterWeek, 3, '17:00'), endsAt: at(laterWeek, 3, '23:00') });
  await admin.call('PATCH', `/schedules/${second.id}`, { status: 'published' });
  await admin.call('PATCH', `/schedules/${second.id}`, { status: 'draft' });
  await admin.call('PATCH', `/schedules/${second.id}/shifts/${moved.id}`, { startsAt: at(laterWeek, 3, '18:00') });
  await admin.call('POST', `/schedules/${second.id}/shifts`, { userId: bo.id, position: 'Door', startsAt: at(laterWeek, 4, '20:00'), endsAt: at(laterWeek, 4, '23:30') });
  later = await admin.call<Schedule>('GET', `/schedules/${second.id}`);
}, 180_000);

afterAll(async () => {
  await scenario?.close();
}, 30_000);

describe('a swap from the phone, approved in the planner', () => {
  it('A offers, B accepts, the manager approves; both see the shift move and are told, without reloading', async () => {
    const [a, b, m] = [await windowAs(alex, PHONE, /\/my-shifts/), await windowAs(bo, PHONE, /\/my-shifts/), await windowAs(manager, DESKTOP, /\/planner/)];
    await m.goto(`/planner?location=${location.id}&week=${week}`);
    await m.locator('.weekgrid .chip').first().waitFor();
    for (const page of [a, b, m]) await mark(page);
    // Bo was told when the week was published.
    await b.getByRole('link', { name: 'Notifications, 1 unread' }).waitFor();

    // A: Swap or drop → swap with Bo.
    await a.getByRole('button', { name: /^Swap or drop Bartender on Tuesday/ }).click();
    const dialog = a.getByRole('dialog', { name: 'Swap or drop this shift' });
    await dialog.getByLabel('Colleague', { exact: true }).selectOption({ label: bo.name });
    await dialog.getByLabel('Note (optional)').fill('Family dinner, can you take it?');
    await screenshot(a, 'swap-1-alex-offers', { keepNotices: true });
    await dialog.getByRole('button', { name: 'Offer swap' }).click();
    await dialog.waitFor({ state: 'detached' });
    await a.getByText(`Swap offered to ${bo.name}: waiting for ${bo.name}`).waitFor();

    // B hears of it live: the bell counts it and the request is there to answer.
    await b.getByRole('link', { name: 'Notifications, 2 unread' }).waitFor();
    const asked = b.getByRole('region', { name: 'Asked of you' });
    await asked.getByText('Family dinner, can you take it?').waitFor();
    await screenshot(b, 'swap-2-bo-is-asked');
    await asked.getByRole('button', { name: new RegExp(`^Accept the swap from ${alex.name}`) }).click();
    await asked.waitFor({ state: 'detached' });

    // The manager's planner shows it, waiting for a decision; approving moves the shift.
    const panel = m.getByRole('region', { name: /^Shift requests/ });
    await panel.getByText(`Swap accepted by ${bo.name}: waiting for a manager`).waitFor();
    await screenshot(m, 'swap-3-manager-decides');
    await panel.getByRole('button', { name: /^Approve: / }).click();
    await panel.waitFor({ state: 'detached' });
    await m.getByRole('button', { name: new RegExp(`^Edit ${bo.name}'s shift on Tuesday`) }).waitFor();

    // A no longer has the Tuesday shift; B has it. Both were told.
    await a.getByRole('button', { name: /^Swap or drop Bartender on Tuesday/ }).waitFor({ state: 'detached' });
    await b.getByRole('button', { name: /^Swap or drop Bartender on Tuesday/ }).waitFor();
    for (const [page, title, name] of [
      [a, `${manager.name} approved a shift request`, 'alex'],
      [b, 'A shift is now yours', 'bo'],
    ] as const) {
      await bell(page).click();
      await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
      await page.getByText(title).waitFor();
      await screenshot(page, `swap-4-${name}-notifications`);
      // Each links to what it is about: My shifts.
      await page.getByRole('link', { name: new RegExp(title) }).click();
      await page.waitForURL(/\/my-shifts$/);
    }
    expect(await Promise.all([a, b, m].map(stillThisPage))).toEqual([true, true, true]);
    const now = await scenario.admin.call<Schedule>('GET', `/schedules/${schedule.id}`);
    expect(now.shifts.find((s) => s.id === tuesdayShift)).toMatchObject({ userId: bo.id });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('the manager publishes a changed week with the changes listed, and only the people concerned are told', async () => {
    const m = await windowAs(manager, DESKTOP, /\/planner/);
    await m.goto(`/planner?location=${location.id}&week=${laterWeek}`);
    await m.getByText('Draft', { exact: true }).waitFor();
    await m.getByRole('button', { name: 'Publish', exact: true }).click();
    const confirm = m.getByRole('dialog', { name: 'Publish this week?' });
    await confirm.getByText('2 changes since the last publish. 2 people are told.').waitFor();
    await confirm.getByRole('heading', { name: 'Added' }).waitFor();
    await confirm.getByRole('heading', { name: 'Changed' }).waitFor();
    await confirm.getByText(/Door, Bo Taker/).waitFor();
    await confirm.getByText(/\(start; was /).waitFor();
    await screenshot(m, 'publish-1-diff');
    await confirm.getByRole('button', { name: 'Publish week' }).click();
    await confirm.waitFor({ state: 'detached' });
    await m.getByText('Published', { exact: true }).waitFor();
    await screenshot(m, 'publish-2-published', { keepNotices: true });

    const b = await windowAs(bo, PHONE, /\/my-shifts/);
    await bell(b).click();
    await b.getByText('published again').first().waitFor();
    const since = await scenario.admin.call<unknown>('GET', `/schedules/${later.id}/changes`);
    expect(since).toMatchObject({ added: [], removed: [], changed: [] });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
