import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import type { Location, User } from '../../shared/index.js';
import { uniqueEmail } from '../support/factories.js';
import type { ServerProcess } from '../support/server-process.js';
import { DESKTOP, logIn, openWindow, PHONE, screenshot } from './support/browser.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';

/**
 * Planning around people, in the browser: a crew member asks for a day off from their phone, the
 * manager approves it in the planner, assigns them a shift that day anyway and sees the warning on
 * the chip (its reason on focus), and watches the labor bar's hours and cost change. Screenshots
 * at laptop and phone sizes land in test-artifacts/screenshots.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');
const week = addWeeks(mondayOf(new Date(), ZONE), 1);
const wednesday = new Date(Date.parse(`${week}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);

let server: ServerProcess;
let scenario: BrowserScenario | undefined;
let browser: Browser;
let location: Location;
let manager: User;
let sam: User;
const pageErrors: string[] = [];

beforeAll(async () => {
  scenario = await startBrowserScenario(uniqueEmail('admin'), PASSWORD);
  ({ server, browser } = scenario);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Dockside ${suffix}`, address: 'Oosterdok 2, Amsterdam', timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew', position: string) =>
    admin.call<User>('POST', '/users', { email: uniqueEmail(role), name, role, password: PASSWORD, memberships: [{ locationId: location.id, position }] });
  manager = await person(`Robin Manager ${suffix}`, 'manager', 'Floor manager');
  sam = await person(`Sam Crew ${suffix}`, 'crew', 'Bartender');
  await admin.call('PATCH', `/users/${sam.id}`, { hourlyRate: '20.00', maxWeeklyHours: 12 });
  const schedule = await admin.call<{ id: number }>('POST', '/schedules', { locationId: location.id, weekStart: week });
  await admin.call('POST', `/schedules/${schedule.id}/shifts`, {
    userId: sam.id,
    position: 'Bartender',
    startsAt: localInstant(week, 0, '10:00', ZONE).toISOString(),
    endsAt: localInstant(week, 0, '18:00', ZONE).toISOString(),
  });
}, 180_000);

afterAll(async () => {
  await scenario?.close();
}, 30_000);

async function open(device: typeof DESKTOP | typeof PHONE, email: string): Promise<{ context: BrowserContext; page: Page }> {
  const window = await openWindow(browser, server.url, device);
  window.page.on('pageerror', (err) => pageErrors.push(err.message));
  await window.page.goto('/login');
  await logIn(window.page, email, PASSWORD);
  return window;
}

const laborText = async (page: Page) => (await page.locator('.labor-bar').innerText()).replace(/\s+/g, ' ');

describe('time off, a warning and labor in the planner', () => {
  it('a crew member asks for a day off from their phone', async () => {
    const { context, page } = await open(PHONE, sam.email);
    await page.waitForURL(/\/my-shifts/);
    await page.goto('/availability');
    await page.getByRole('heading', { level: 1, name: 'Availability and time off' }).waitFor();
    await page.getByLabel('First day').fill(wednesday);
    await page.getByLabel('Note (optional)').fill('Dentist');
    await page.getByRole('button', { name: 'Ask for time off' }).click();
    await page.getByRole('list', { name: 'My time off' }).getByText('Waiting for a manager').waitFor();
    await screenshot(page, 'planning-01-phone-time-off-asked');
    await context.close();
  }, 90_000);

  it('the manager approves it, assigns a shift that day, sees the warning and the labor change', async () => {
    const { context, page } = await open(DESKTOP, manager.email);
    await page.waitForURL(/\/planner/);
    await page.goto(`/planner?location=${location.id}&week=${week}`);
    const requests = page.getByRole('region', { name: 'Time off requests' });
    await requests.getByText(sam.name, { exact: true }).waitFor();
    await page.locator('.labor-bar').waitFor();
    const before = await laborText(page);
    expect(before).toContain('8 h');
    expect(before).toMatch(/160[.,]00/);
    await screenshot(page, 'planning-02-desktop-request-waiting');

    await requests.getByRole('button', { name: `Approve ${sam.name}'s time off` }).click();
    await requests.waitFor({ state: 'detached' });
    await page.locator('.weekgrid td.is-off').getByText('Time off').waitFor();

    await page.getByRole('button', { name: new RegExp(`^Add a shift for ${sam.name} on Wednesday`) }).click();
    const dialog = page.getByRole('dialog', { name: 'Add shift' });
    await dialog.getByLabel('Starts').fill('12:00');
    await dialog.getByLabel('Ends').fill('18:00');
    await dialog.getByRole('button', { name: 'Add shift' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The chip says so: a mark, and the reason in its name and on focus.
    const chip = page.getByRole('button', { name: new RegExp(`^Edit ${sam.name}'s shift on Wednesday .*Warning: Approved time off`) });
    await chip.waitFor();
    await chip.focus();
    await chip.locator('.chip-tip').getByText(`Approved time off on ${wednesday}`).waitFor();
    // 14 h in the week, above Sam's 12: overtime, and the cost of the new 6 h.
    await page.locator('.labor-bar').getByText('14 h').waitFor();
    const after = await laborText(page);
    expect(after).toMatch(/280[.,]00/);
    expect(after).toMatch(/Overtime 2 h/);
    await screenshot(page, 'planning-03-desktop-warning-and-labor');
    await context.close();
  }, 120_000);

  it('the planner at phone width keeps the warning, the shading and the labor bar', async () => {
    const { context, page } = await open(PHONE, manager.email);
    await page.waitForURL(/\/planner/);
    await page.goto(`/planner?location=${location.id}&week=${week}`);
    await page.locator('.weekgrid .chip-warned').first().waitFor();
    await page.locator('.labor-bar').getByText('Overtime').waitFor();
    await screenshot(page, 'planning-04-phone-planner');
    await context.close();
  }, 90_000);

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
