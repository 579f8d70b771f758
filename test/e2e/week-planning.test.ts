import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import type { Browser, Page } from 'playwright-core';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import type { Location, User } from '../../shared/index.js';
import { uniqueEmail } from '../support/factories.js';
import type { ServerProcess } from '../support/server-process.js';
import { DESKTOP, logIn as logInAs, openWindow, PHONE, screenshot } from './support/browser.js';
import { startBrowserScenario, type BrowserScenario } from './support/app-server.js';

/** Waits for the tab's title: it is set once the screen has rendered, a moment after the address changes. */
const titled = (page: Page, title: string) =>
  page.waitForFunction((expected) => (globalThis as unknown as { document: { title: string } }).document.title === expected, title);

/**
 * The browser app against the real server, in Debian's Chromium: a manager plans and publishes a
 * week, a crew member checks it on a phone and takes an open shift, an admin's deactivation
 * reaches that phone on its next step, and copying the week reports what stayed behind. The steps
 * run in order and share one server; screenshots of the key screens land in test-artifacts/screenshots.
 * Along the way: the grid at laptop and phone widths, page titles, failed loads, and a crew member
 * whose two locations are fourteen hours apart.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');

let server: ServerProcess;
let scenario: BrowserScenario | undefined;
let browser: Browser;
let location: Location;
let manager: User;
let alex: User;
let kai: User;
const adminEmail = uniqueEmail('admin');
const pageErrors: string[] = [];

/** The Monday after this one at the location: far enough ahead that every shift is upcoming. */
const week = addWeeks(mondayOf(new Date(), ZONE), 1);

const logIn = (page: Page, email: string) => logInAs(page, email, PASSWORD);

function watchErrors(page: Page): void {
  page.on('pageerror', (err) => pageErrors.push(err.message));
}

beforeAll(async () => {
  scenario = await startBrowserScenario(adminEmail, PASSWORD);
  ({ server, browser } = scenario);
  const { admin } = scenario;
  location = await admin.call<Location>('POST', '/locations', { name: `Harbour Bar ${suffix}`, address: 'Prins Hendrikkade 1, Amsterdam', timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew', position: string) =>
    admin.call<User>('POST', '/users', {
      email: uniqueEmail(role),
      name,
      role,
      password: PASSWORD,
      memberships: [{ locationId: location.id, position }],
    });
  manager = await person(`Morgan Manager ${suffix}`, 'manager', 'Floor manager');
  alex = await person(`Alex Rivera ${suffix}`, 'crew', 'Bartender');
  await person(`Sam Okafor ${suffix}`, 'crew', 'Barback');

  // Kai works in London and on Kiritimati (UTC+14): a Wednesday morning there begins before a
  // Tuesday evening in London, so the order of starts is not the order of days.
  const place = (name: string, timezone: string) => admin.call<Location>('POST', '/locations', { name: `${name} ${suffix}`, timezone });
  const london = await place('Riverside Kitchen', 'Europe/London');
  const atoll = await place('Atoll Bar', 'Pacific/Kiritimati');
  kai = await admin.call<User>('POST', '/users', {
    email: uniqueEmail('crew'),
    name: `Kai Makoa ${suffix}`,
    role: 'crew',
    password: PASSWORD,
    memberships: [
      { locationId: london.id, position: 'Host' },
      { locationId: atoll.id, position: 'Host' },
    ],
  });
  for (const [at, day, start, end] of [
    [london, 1, '20:00', '23:00'],
    [atoll, 2, '06:00', '10:00'],
  ] as const) {
    const schedule = await admin.call<{ id: number }>('POST', '/schedules', { locationId: at.id, weekStart: week });
    await admin.call('POST', `/schedules/${schedule.id}/shifts`, {
      userId: kai.id,
      position: 'Host',
      startsAt: localInstant(week, day, start, at.timezone).toISOString(),
      endsAt: localInstant(week, day, end, at.timezone).toISOString(),
    });
    await admin.call('PATCH', `/schedules/${schedule.id}`, { status: 'published' });
  }

}, 180_000);

afterAll(async () => {
  await scenario?.close();
}, 30_000);

let managerPage: Page;

describe('a manager plans the week', () => {
  let page: Page;

  beforeAll(async () => {
    ({ page } = await openWindow(browser, server.url, DESKTOP));
    managerPage = page;
    watchErrors(page);
  });

  it('is asked to log in, then lands where they were going', async () => {
    await page.goto('/planner');
    await page.waitForURL(/\/login\?next=%2Fplanner/);
    await titled(page, 'Log in · Crew Plots Pro');
    await screenshot(page, '01-login');
    await logIn(page, manager.email);
    await page.waitForURL(/\/planner/);
    await page.getByRole('heading', { level: 1, name: 'Planner' }).waitFor();
    await titled(page, 'Planner · Crew Plots Pro');
  });

  it('creates next week as a draft', async () => {
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.waitForURL(new RegExp(`week=${week}`));
    await page.getByRole('button', { name: 'Create week' }).click();
    await page.getByText('Draft', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Add a shift for ${alex.name} on Monday`, exact: false }).waitFor();
  });

  it('adds an overnight shift, shown as ending the next day', async () => {
    await page.getByRole('button', { name: new RegExp(`^Add a shift for ${alex.name} on Tuesday`) }).click();
    const dialog = page.getByRole('dialog', { name: 'Add shift' });
    await expect(dialog.getByLabel('Position').inputValue()).resolves.toBe('Bartender');
    await dialog.getByLabel('Starts').fill('22:00');
    await dialog.getByLabel('Ends').fill('06:00');
    await dialog.getByText('8 h, ends the next day').waitFor();
    await dialog.getByRole('button', { name: 'Add shift' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: new RegExp(`^Edit ${alex.name}'s shift on Tuesday .*: 22:00 – 06:00 ends the next day, as Bartender$`) }).waitFor();
  });

  it('adds an open shift in its own row', async () => {
    await page.getByRole('button', { name: /^Add an open shift on Friday/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Add shift' });
    await expect(dialog.getByLabel('Who').inputValue()).resolves.toBe('');
    await dialog.getByLabel('Position').fill('Barback');
    await dialog.getByLabel('Starts').fill('17:00');
    await dialog.getByLabel('Ends').fill('23:30');
    await dialog.getByRole('button', { name: 'Add shift' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: /^Edit open shift on Friday .*: 17:00 – 23:30 as Barback$/ }).waitFor();
  });

  it('asks before deleting a shift, and saving waits for the answer', async () => {
    await page.getByRole('button', { name: new RegExp(`^Edit ${alex.name}'s shift`) }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit shift' });
    const save = dialog.getByRole('button', { name: 'Save changes' });
    await dialog.getByRole('button', { name: 'Delete shift' }).click();
    await dialog.getByText('Delete this shift?').waitFor();
    await expect(save.isDisabled()).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await expect(save.isDisabled()).resolves.toBe(false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('is refused an overlapping shift, with the shift in the way named', async () => {
    await page.getByRole('button', { name: new RegExp(`^Add a shift for ${alex.name} on Wednesday`) }).click();
    const dialog = page.getByRole('dialog', { name: 'Add shift' });
    await dialog.getByLabel('Starts').fill('02:00');
    await dialog.getByLabel('Ends').fill('05:00');
    await dialog.getByRole('button', { name: 'Add shift' }).click();
    const alert = dialog.getByRole('alert');
    await alert.getByText('This shift overlaps another shift for the same person').waitFor();
    await expect(alert.textContent()).resolves.toMatch(new RegExp(`${alex.name}: Bartender, Tuesday .*22:00 – 06:00`));
    await screenshot(page, '02-overlap-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('publishes the week, with hours per person', async () => {
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    // The confirmation lists the week's shifts (a first publish: all of them are new to the crew).
    const confirm = page.getByRole('dialog', { name: 'Publish this week?' });
    await confirm.getByText(/^First publish of this week/).waitFor();
    await confirm.getByRole('button', { name: 'Publish week' }).click();
    await page.getByText('Published', { exact: true }).waitFor();
    const alexRow = page.getByRole('row', { name: new RegExp(alex.name) });
    await expect(alexRow.getByRole('cell').last().textContent()).resolves.toBe('8 h');
    await screenshot(page, '03-week-published');
  });

  it('can change its mind twice, and the notices saying so leave the totals in view', async () => {
    for (const [action, badge] of [
      ['Unpublish', 'Draft'],
      ['Publish', 'Published'],
      ['Unpublish', 'Draft'],
      ['Publish', 'Published'],
    ]) {
      await page.getByRole('button', { name: action, exact: true }).click();
      if (action === 'Publish') await page.getByRole('dialog', { name: 'Publish this week?' }).getByRole('button', { name: 'Publish week' }).click();
      await page.getByText(badge!, { exact: true }).waitFor();
    }
    await page.locator('body').evaluate((body) => body.ownerDocument.defaultView.scrollTo(0, body.scrollHeight));
    const totals = (await page.locator('.weekgrid tfoot tr').boundingBox())!;
    const notices = await page.locator('.notice').evaluateAll((all) => all.map((n) => n.getBoundingClientRect().toJSON()));
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.filter((n) => n.top < totals.y + totals.height && n.bottom > totals.y && n.left < totals.x + totals.width && n.right > totals.x)).toEqual([]);
  });

  it('keeps every shift inside its day, at laptop widths and on a phone', async () => {
    // Each width's chips whose content is wider than the chip, or that stick out of their day.
    const spills: Record<number, string[]> = {};
    for (const width of [1366, 1280, 1024, 375]) {
      await page.setViewportSize({ width, height: DESKTOP.viewport.height });
      spills[width] = await page.locator('.weekgrid .chip').evaluateAll((chips) =>
        chips
          .filter((chip) => chip.scrollWidth > chip.clientWidth || chip.getBoundingClientRect().right > chip.closest('td').getBoundingClientRect().right)
          .map((chip) => chip.textContent),
      );
      if (width === 375) await screenshot(page, '03-week-published-phone');
    }
    await page.setViewportSize(DESKTOP.viewport);
    expect(spills).toEqual({ 1366: [], 1280: [], 1024: [], 375: [] });
  });

  it('shows its "+" buttons at a contrast of at least 3:1', async () => {
    const ratios = await page.locator('.weekgrid .cell-add').evaluateAll((buttons) => {
      const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
      const channel = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      const luminance = ([r, g, b]: number[]) => 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
      return buttons.map((button) => {
        const css = (element: unknown) => button.ownerDocument.defaultView.getComputedStyle(element);
        let behind = button.parentElement;
        while (behind && rgb(css(behind).backgroundColor)[3] === 0) behind = behind.parentElement;
        const back = rgb(behind ? css(behind).backgroundColor : 'rgb(255, 255, 255)');
        // What the eye sees: the glyph's colour laid over the cell at the button's opacity.
        const opacity = Number(css(button).opacity);
        const fore = rgb(css(button).color).map((c, i) => c * opacity + back[i]! * (1 - opacity));
        const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
        return (light! + 0.05) / (dark! + 0.05);
      });
    });
    expect(ratios.length).toBeGreaterThan(0);
    expect(Math.min(...ratios)).toBeGreaterThanOrEqual(3);
  });
});

describe('a crew member on a phone', () => {
  let page: Page;

  beforeAll(async () => {
    ({ page } = await openWindow(browser, server.url, PHONE));
    watchErrors(page);
  });

  it('logs in and sees their shift in the location’s time', async () => {
    await page.goto('/');
    await page.waitForURL(/\/login/);
    await logIn(page, alex.email);
    await page.waitForURL(/\/my-shifts/);
    const shift = page.getByRole('article').filter({ hasText: 'Bartender' });
    await shift.getByText('22:00 – 06:00').waitFor();
    await shift.getByText('next day').waitFor();
    await titled(page, 'My shifts · Crew Plots Pro');
    await screenshot(page, '04-phone-my-shifts');
  });

  it('adds their shifts to the phone’s calendar: a link a calendar app subscribes to, holding the shift', async () => {
    await page.getByRole('button', { name: 'Add to my calendar' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add your shifts to your calendar' });
    await dialog.getByRole('button', { name: 'Make my calendar link' }).click();
    const link = dialog.getByLabel('Your calendar link');
    await link.waitFor();
    const https = await link.inputValue();
    expect(https).toMatch(new RegExp(`^${server.url}/api/calendar/\\d+\\.[\\w-]{43}\\.ics$`));
    await expect(dialog.getByRole('link', { name: 'Open in calendar app' }).getAttribute('href')).resolves.toBe(https.replace(/^http:/, 'webcal:'));
    await dialog.getByText('in Google Calendar, choose Other calendars, then From URL').waitFor();
    await screenshot(page, '04b-phone-add-to-calendar');
    // What a calendar app fetches, without a session: the overnight shift, in UTC.
    const feed = await fetch(https);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const events = new ICAL.Component(ICAL.parse(await feed.text())).getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    expect(events.map((e) => [e.summary, e.startDate.toJSDate().toISOString()])).toEqual([
      [`Bartender · ${location.name}`, localInstant(week, 1, '22:00', ZONE).toISOString()],
    ]);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('takes the open shift from the published schedule', async () => {
    await page.getByRole('link', { name: 'Schedules' }).click();
    const take = page.getByRole('button', { name: /^Take this shift: Barback, Friday/ });
    await take.waitFor();
    await screenshot(page, '05-phone-open-shift');
    await take.click();
    await page.getByText(/The Barback shift on Friday .* is yours/).waitFor();
    await take.waitFor({ state: 'detached' });
    await page.getByRole('article').filter({ hasText: 'Barback' }).getByText('You', { exact: true }).waitFor();
    await screenshot(page, '06-phone-shift-taken', { keepNotices: true });
  });

  describe('when an admin deactivates them', () => {
    let adminPage: Page;

    it('the admin opens People, which says so when the locations fail to load', async () => {
      ({ page: adminPage } = await openWindow(browser, server.url, DESKTOP));
      watchErrors(adminPage);
      const locations = /\/api\/locations(\?|$)/;
      await adminPage.route(locations, (route) =>
        route.fulfill({ status: 500, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal' }) }),
      );
      await adminPage.goto('/people');
      await logIn(adminPage, adminEmail);
      await adminPage.waitForURL(/\/people/);
      const alert = adminPage.getByRole('alert').filter({ hasText: 'Could not load the locations' });
      await alert.waitFor();
      await titled(adminPage, 'People · Crew Plots Pro');
      await expect(adminPage.getByRole('button', { name: 'Add person' }).isDisabled()).resolves.toBe(true);
      await adminPage.unroute(locations);
      await alert.getByRole('button', { name: 'Try again' }).click();
      await adminPage.getByRole('button', { name: 'Add person', disabled: false }).waitFor();
      await alert.waitFor({ state: 'detached' });
    });

    it('an email the server says is taken is marked, and takes focus', async () => {
      await adminPage.getByRole('button', { name: 'Add person' }).click();
      const dialog = adminPage.getByRole('dialog', { name: 'Add a person' });
      await dialog.getByLabel('Name', { exact: true }).fill('Alex Again');
      await dialog.getByLabel('Email', { exact: true }).fill(alex.email);
      await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Add person' }).click();
      await dialog.getByText('Someone already has an account with this email.').waitFor();
      await dialog.getByLabel('Email', { exact: true }).and(adminPage.locator(':focus')).waitFor({ timeout: 2_000 });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
    });

    it('the admin deactivates them from People', async () => {
      await adminPage.getByLabel('Search').fill(alex.name);
      await adminPage.getByRole('button', { name: `Deactivate ${alex.name}` }).click();
      const dialog = adminPage.getByRole('dialog', { name: `Deactivate ${alex.name}?` });
      await screenshot(adminPage, '07-admin-deactivate');
      await dialog.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await adminPage.getByText(`${alex.name} is deactivated and signed out`).waitFor();
      await adminPage.getByLabel('Status').selectOption({ label: 'Everyone' });
      await adminPage.getByRole('row', { name: new RegExp(alex.name) }).getByText('Deactivated').waitFor();
      await screenshot(adminPage, '08-admin-people');
    });

    it('their open phone goes to login by itself (the event stream says the session ended), keeping the place', async () => {
      await page.waitForURL(/\/login\?next=%2Fschedules(%3F[^&]*)?&reason=expired/);
      await page.getByText('Your session has ended').waitFor();
      await screenshot(page, '09-phone-sent-to-login');
    });

    it('and they cannot log in again', async () => {
      await logIn(page, alex.email);
      await page.getByRole('alert').getByText('That email and password do not match an active account.').waitFor();
    });
  });
});

describe('a crew member working in two time zones', () => {
  it('sees their days in calendar order, each on its location’s clock', async () => {
    const { page } = await openWindow(browser, server.url, PHONE);
    watchErrors(page);
    await page.goto('/my-shifts');
    await logIn(page, kai.email);
    await page.waitForURL(/\/my-shifts/);
    await page.getByRole('article').nth(1).waitFor();
    // Kiritimati's Wednesday 06:00 starts first (Tuesday 16:00 UTC), but Tuesday is still Tuesday.
    await expect(page.getByRole('heading', { level: 2 }).allTextContents()).resolves.toEqual([expect.stringMatching(/^Tuesday /), expect.stringMatching(/^Wednesday /)]);
    await screenshot(page, '11-phone-two-time-zones');
    await page.context().close();
  });
});

describe('the manager starts a later week from this one', () => {
  it('picks this week to copy two weeks on, is told copying never merges into a week that has a schedule, and sees which shifts stayed behind and why', async () => {
    const page = managerPage;
    for (const ahead of [1, 2]) {
      await page.getByRole('button', { name: 'Next week' }).click();
      await page.waitForURL(new RegExp(`week=${addWeeks(week, ahead)}`));
    }
    // The week before has no schedule: the planned week, two back, is what there is to copy.
    const picker = page.getByLabel('Or copy an earlier week');
    await picker.waitFor();
    const options = await picker.locator('option').allTextContents();
    expect(options).toEqual([expect.stringMatching(/ · published · 2 shifts$/)]);
    await page.getByText('a week that already has one, even an empty draft, is never merged into or replaced').waitFor();
    await screenshot(page, '10-copy-an-earlier-week');
    await page.getByRole('button', { name: 'Copy shifts into this week' }).click();
    const report = page.getByRole('region', { name: '2 shifts were not copied' });
    await report.waitFor();
    await report.getByRole('listitem').first().waitFor();
    const items = await report.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(2);
    for (const item of items) expect(item).toMatch(new RegExp(`^${alex.name}, .*: their account is deactivated\\.$`));
    await screenshot(page, '10-copied-week-report');
  });

  it('is offered a reload when a screen’s code cannot be downloaded', async () => {
    const page = managerPage;
    const chunk = /\/assets\/PeoplePage-[\w-]+\.js$/;
    await page.route(chunk, (route) => route.abort('connectionreset'));
    await page.getByRole('link', { name: 'People' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load this page' });
    await alert.waitFor();
    // The rest of the app is still there.
    await page.getByRole('link', { name: 'Planner' }).waitFor();
    await screenshot(page, '12-screen-failed-to-load');
    await page.unroute(chunk);
    await alert.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
  });
});

describe('the browser', () => {
  it('met no script error on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
