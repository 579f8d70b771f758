import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import type { Location, User } from '../../shared/index.js';
import { uniqueEmail } from '../support/factories.js';
import type { ServerProcess } from '../support/server-process.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';
import { ApiSession } from './support/api.js';
import { DESKTOP, logIn, openWindow, PHONE, screenshot } from './support/browser.js';
import { audit, type Violation } from './support/axe.js';

/**
 * axe-core over every screen and dialog of the app, as an admin, a manager and a crew member, on
 * a laptop and on a phone: no serious or critical violation anywhere. The week on screen has what
 * the grid can show (an overnight shift with its "+1", an open shift, a draft, an empty week),
 * so every kind of chip and badge is checked in place.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');
const thisWeek = mondayOf(new Date(), ZONE);
const nextWeek = addWeeks(thisWeek, 1);
/** Published, with two of the crew member's shifts (one they asked to drop, pending; one free to swap or drop) and an open shift. */
const requestWeek = addWeeks(thisWeek, 3);

let server: ServerProcess;
let scenario: BrowserScenario | undefined;
let browser: Browser;
let location: Location;
const emails = { admin: uniqueEmail('admin'), manager: '', crew: '' };
let crew: User;

/** Opens a dialog with `opener`, audits it, and closes it with Escape. */
async function auditDialog(page: Page, opener: Locator, name: string | RegExp, where: string): Promise<Violation[]> {
  await opener.click();
  const dialog = page.getByRole('dialog', { name });
  await dialog.waitFor();
  const found = await audit(page, where);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  return found;
}

beforeAll(async () => {
  scenario = await startBrowserScenario(emails.admin, PASSWORD);
  ({ server, browser } = scenario);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Canal Café ${suffix}`, address: 'Herengracht 1, Amsterdam', timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew', position: string) =>
    admin.call<User>('POST', '/users', { email: uniqueEmail(role), name, role, password: PASSWORD, memberships: [{ locationId: location.id, position }] });
  emails.manager = (await person(`Mina Manager ${suffix}`, 'manager', 'Floor manager')).email;
  crew = await person(`Cato Crew ${suffix}`, 'crew', 'Bartender');
  emails.crew = crew.email;

  // This week published, with an overnight shift and an open one; next week a draft.
  for (const [week, publish] of [
    [thisWeek, true],
    [nextWeek, false],
  ] as const) {
    const schedule = await admin.call<{ id: number }>('POST', '/schedules', { locationId: location.id, weekStart: week });
    for (const [userId, day, start, endDay, end] of [
      [crew.id, 3, '22:00', 4, '06:00'],
      [crew.id, 5, '12:00', 5, '18:00'],
      [null, 4, '17:00', 4, '23:30'],
    ] as const) {
      await admin.call('POST', `/schedules/${schedule.id}/shifts`, {
        userId,
        position: 'Bartender',
        startsAt: localInstant(week, day, start, ZONE).toISOString(),
        endsAt: localInstant(week, endDay, end, ZONE).toISOString(),
      });
    }
    if (publish) await admin.call('PATCH', `/schedules/${schedule.id}`, { status: 'published' });
  }
  const requests = await admin.call<{ id: number }>('POST', '/schedules', { locationId: location.id, weekStart: requestWeek });
  const [dropped] = await Promise.all(
    [1, 2].map((day) =>
      admin.call<{ id: number }>('POST', `/schedules/${requests.id}/shifts`, {
        userId: crew.id,
        position: 'Bartender',
        startsAt: localInstant(requestWeek, day, '17:00', ZONE).toISOString(),
        endsAt: localInstant(requestWeek, day, '23:00', ZONE).toISOString(),
      }),
    ),
  );
  // An open shift a crew member can take, weeks ahead: this week's has started by Friday evening.
  await admin.call('POST', `/schedules/${requests.id}/shifts`, {
    userId: null,
    position: 'Bartender',
    startsAt: localInstant(requestWeek, 4, '17:00', ZONE).toISOString(),
    endsAt: localInstant(requestWeek, 4, '23:30', ZONE).toISOString(),
  });
  await admin.call('PATCH', `/schedules/${requests.id}`, { status: 'published' });
  const asCrew = new ApiSession(server.url);
  await asCrew.login(crew.email, PASSWORD);
  await asCrew.call('POST', '/shift-requests', { shiftId: dropped!.id, kind: 'drop', note: 'Exam week' });

  // What the planner shades and marks: approved time off on the day of a shift (a warning on its
  // chip), hours the crew member cannot work, a rate and a limit for the labor bar.
  await admin.call('POST', '/time-off', { userId: crew.id, startsOn: addDays(thisWeek, 5), endsOn: addDays(thisWeek, 5), note: 'Family visit' });
  await admin.call('PUT', `/users/${crew.id}/availability`, { unavailable: [{ weekday: 7, from: '00:00', to: '12:00' }] });
  await admin.call('PATCH', `/users/${crew.id}`, { hourlyRate: '16.50', maxWeeklyHours: 10 });
}, 180_000);

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

afterAll(async () => {
  await scenario?.close();
}, 30_000);

/** Goes to a screen and waits for its heading and for whatever it loads. */
async function visit(page: Page, address: string, heading: string): Promise<void> {
  await page.goto(address);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' });
}

async function auditPlanner(page: Page, who: string): Promise<Violation[]> {
  const planner = (week: string) => `/planner?location=${location.id}&week=${week}`;
  const found: Violation[] = [];
  await visit(page, planner(thisWeek), 'Planner');
  await page.locator('.weekgrid .chip').first().waitFor();
  // The warnings, the shading and the labor bar are in place before the audit.
  await page.locator('.weekgrid .chip-warned').first().waitFor();
  await page.locator('.labor-bar').waitFor();
  found.push(...(await audit(page, `${who}: planner, published week`)));
  await page.locator('.weekgrid .chip-warned').first().focus();
  found.push(...(await audit(page, `${who}: planner, a warning's reason shown on focus`)));
  found.push(...(await auditDialog(page, page.locator('.weekgrid .cell-add').first(), 'Add shift', `${who}: add shift dialog`)));
  await page.locator('.weekgrid .chip').first().click();
  const edit = page.getByRole('dialog', { name: 'Edit shift' });
  await edit.getByRole('button', { name: 'Delete shift' }).click();
  await edit.getByText('Delete this shift?').waitFor();
  found.push(...(await audit(page, `${who}: edit shift dialog, confirming delete`)));
  await page.keyboard.press('Escape');
  await edit.waitFor({ state: 'detached' });

  await visit(page, planner(nextWeek), 'Planner');
  await page.getByText('Draft', { exact: true }).waitFor();
  found.push(...(await audit(page, `${who}: planner, draft week`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: 'Publish', exact: true }), 'Publish this week?', `${who}: publish confirmation`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: 'Delete week' }), 'Delete this week?', `${who}: delete week dialog`)));

  await visit(page, planner(addWeeks(nextWeek, 1)), 'Planner');
  await page.getByRole('button', { name: 'Create week' }).waitFor();
  // The earlier weeks to copy from, in their picker.
  await page.getByLabel('Or copy an earlier week').waitFor();
  found.push(...(await audit(page, `${who}: planner, no schedule yet`)));

  await visit(page, planner(requestWeek), 'Planner');
  await page.getByRole('button', { name: /^Approve: / }).waitFor();
  found.push(...(await audit(page, `${who}: planner, a shift request to decide`)));
  return found;
}

async function auditPeople(page: Page, who: string, name: string): Promise<Violation[]> {
  const found: Violation[] = [];
  await visit(page, '/people', 'People');
  await page.getByLabel('Search').fill(name);
  await page.getByRole('button', { name: `Edit ${name}` }).waitFor();
  found.push(...(await audit(page, `${who}: people`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: 'Add person' }), 'Add a person', `${who}: add person dialog`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: `Edit ${name}` }), `Edit ${name}`, `${who}: edit person dialog`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: `Deactivate ${name}` }), `Deactivate ${name}?`, `${who}: deactivate dialog`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: `Copy reset link for ${name}` }), `Password reset link for ${name}`, `${who}: access link dialog`)));
  return found;
}

async function auditAccount(page: Page, who: string): Promise<Violation[]> {
  await visit(page, '/account', 'Your account');
  return audit(page, `${who}: account`);
}

async function auditLocations(page: Page, who: string): Promise<Violation[]> {
  const found: Violation[] = [];
  await visit(page, '/locations', 'Locations');
  await page.getByRole('button', { name: `Edit ${location.name}` }).waitFor();
  found.push(...(await audit(page, `${who}: locations`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: 'Add location' }), 'Add a location', `${who}: add location dialog`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: `Edit ${location.name}` }), `Edit ${location.name}`, `${who}: edit location dialog`)));
  found.push(...(await auditDialog(page, page.getByRole('button', { name: `Delete ${location.name}` }), `Delete ${location.name}?`, `${who}: delete location dialog`)));
  return found;
}

async function auditMyShifts(page: Page, who: string): Promise<Violation[]> {
  await visit(page, '/my-shifts', 'My shifts');
  const found = await audit(page, `${who}: my shifts`);
  // "Add to my calendar": the dialog before and after it made the link.
  await page.getByRole('button', { name: 'Add to my calendar' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add your shifts to your calendar' });
  await dialog.waitFor();
  found.push(...(await audit(page, `${who}: add to calendar dialog`)));
  await dialog.getByRole('button', { name: 'Make my calendar link' }).click();
  await dialog.getByLabel('Your calendar link').waitFor();
  found.push(...(await audit(page, `${who}: add to calendar dialog, link made`)));
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  return found;
}

/** The crew member's own shifts with a request under way, and the swap-or-drop dialog. */
async function auditShiftRequests(page: Page, who: string): Promise<Violation[]> {
  await visit(page, '/my-shifts', 'My shifts');
  await page.getByText('Drop asked: waiting for a manager').waitFor();
  const found = await audit(page, `${who}: my shifts, a request under way`);
  const opener = page.getByRole('button', { name: /^Swap or drop / }).last();
  found.push(...(await auditDialog(page, opener, 'Swap or drop this shift', `${who}: swap or drop dialog`)));
  return found;
}

async function auditNotifications(page: Page, who: string): Promise<Violation[]> {
  await visit(page, '/notifications', 'Notifications');
  return audit(page, `${who}: notifications`);
}

async function auditAvailability(page: Page, who: string): Promise<Violation[]> {
  await visit(page, '/availability', 'Availability and time off');
  await page.getByRole('button', { name: 'Save availability' }).waitFor();
  return audit(page, `${who}: availability and time off`);
}

async function auditSchedules(page: Page, who: string): Promise<Violation[]> {
  await visit(page, `/schedules?location=${location.id}&week=${requestWeek}`, 'Schedules');
  await page.getByRole('button', { name: /^Take this shift/ }).first().waitFor();
  return audit(page, `${who}: schedules`);
}

const devices = [
  ['a laptop', DESKTOP],
  ['a phone', PHONE],
] as const;

describe.each(devices)('on %s', (deviceName, device) => {
  const tag = deviceName === 'a phone' ? 'phone' : 'desktop';

  it('the login page, a refused login and an unknown address have no serious violation', async () => {
    const { context, page } = await openWindow(browser, server.url, device);
    const found = [];
    await page.goto('/login');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    found.push(...(await audit(page, `${tag} login`)));
    await logIn(page, emails.crew, 'not-the-password');
    await page.getByRole('alert').waitFor();
    found.push(...(await audit(page, `${tag} login refused`)));
    await logIn(page, emails.crew, PASSWORD);
    await page.waitForURL(/\/my-shifts/);
    await page.goto('/no-such-screen');
    await page.getByRole('heading', { level: 1 }).waitFor();
    found.push(...(await audit(page, `${tag} unknown address`)));
    await context.close();
    expect(found).toEqual([]);
  }, 120_000);

  it('the welcome page of an invite, a used-up link and a server already set up have no serious violation', async () => {
    // The setup form itself (a server without users) is checked in first-run.test.ts.
    const invited = await scenario!.admin.call<{ inviteUrl: string }>('POST', '/users', {
      email: uniqueEmail('invited'),
      name: `Ivo Invited ${suffix}`,
      role: 'crew',
      memberships: [{ locationId: location.id, position: 'Host' }],
    });
    const { context, page } = await openWindow(browser, server.url, device);
    const found = [];
    await visit(page, new URL(invited.inviteUrl).pathname + new URL(invited.inviteUrl).search, `Welcome, Ivo Invited ${suffix}`);
    found.push(...(await audit(page, `${tag} welcome`)));
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByText('Must be at least 12 characters.').waitFor();
    found.push(...(await audit(page, `${tag} welcome, refused password`)));
    await visit(page, `/welcome?token=${'x'.repeat(43)}`, 'This link does not work');
    found.push(...(await audit(page, `${tag} welcome, dead link`)));
    await visit(page, '/setup?token=anything', 'Already set up');
    found.push(...(await audit(page, `${tag} setup, done`)));
    await context.close();
    expect(found).toEqual([]);
  }, 120_000);

  it('an admin’s screens and dialogs have no serious violation', async () => {
    const { context, page } = await openWindow(browser, server.url, device);
    await page.goto('/login');
    await logIn(page, emails.admin, PASSWORD);
    await page.waitForURL(/\/planner/);
    const found = [
      ...(await auditPlanner(page, `${tag} admin`)),
      ...(await auditPeople(page, `${tag} admin`, crew.name)),
      ...(await auditLocations(page, `${tag} admin`)),
      ...(await auditNotifications(page, `${tag} admin`)),
      ...(await auditAccount(page, `${tag} admin`)),
    ];
    await visit(page, `/planner?location=${location.id}&week=${thisWeek}`, 'Planner');
    await page.locator('.weekgrid .chip').first().waitFor();
    await screenshot(page, `a11y-${tag}-admin-planner`);
    await context.close();
    expect(found).toEqual([]);
  }, 120_000);

  it('a manager’s screens and dialogs have no serious violation', async () => {
    const { context, page } = await openWindow(browser, server.url, device);
    await page.goto('/login');
    await logIn(page, emails.manager, PASSWORD);
    await page.waitForURL(/\/planner/);
    const found = [
      ...(await auditPlanner(page, `${tag} manager`)),
      ...(await auditMyShifts(page, `${tag} manager`)),
      ...(await auditAvailability(page, `${tag} manager`)),
      ...(await auditPeople(page, `${tag} manager`, crew.name)),
      ...(await auditNotifications(page, `${tag} manager`)),
      ...(await auditAccount(page, `${tag} manager`)),
    ];
    await context.close();
    expect(found).toEqual([]);
  }, 120_000);

  it('a crew member’s screens have no serious violation', async () => {
    const { context, page } = await openWindow(browser, server.url, device);
    await page.goto('/login');
    await logIn(page, emails.crew, PASSWORD);
    await page.waitForURL(/\/my-shifts/);
    const found = [
      ...(await auditMyShifts(page, `${tag} crew`)),
      ...(await auditShiftRequests(page, `${tag} crew`)),
      ...(await auditNotifications(page, `${tag} crew`)),
      ...(await auditSchedules(page, `${tag} crew`)),
      ...(await auditAvailability(page, `${tag} crew`)),
      ...(await auditAccount(page, `${tag} crew`)),
    ];
    await visit(page, '/notifications', 'Notifications');
    await screenshot(page, `a11y-${tag}-crew-notifications`);
    await screenshot(page, `a11y-${tag}-crew-schedules`);
    await context.close();
    expect(found).toEqual([]);
  }, 120_000);
});
