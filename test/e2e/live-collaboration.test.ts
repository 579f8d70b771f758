import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../server/auth/password.js';
import { loadConfig } from '../../server/config.js';
import { openDatabase, type DatabaseHandle } from '../../server/db/client.js';
import type { Location, Schedule, Shift, User } from '../../shared/index.js';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import { insertUser, uniqueEmail } from '../support/factories.js';
import { testLogger } from '../support/logs.js';
import type { ServerProcess } from '../support/server-process.js';
import { ApiSession } from './support/api.js';
import { startAppServer } from './support/app-server.js';
import { DESKTOP, launchChromium, openWindow, screenshot } from './support/browser.js';
import { ensureClientBuilt } from './support/builds.js';

/**
 * Two managers and a crew member on one week, each in a browser window of their own, against two
 * server processes sharing one Redis and one Postgres: Femke's pages talk to one instance, Bram's
 * and Alex's to the other, so every change seen here crossed instances through Redis. Nothing is
 * reloaded: what changes on screen arrived over the event stream.
 */

const PASSWORD = 'correct-horse-battery-staple';
const ZONE = 'Europe/Amsterdam';
const suffix = randomBytes(3).toString('hex');
const week = addWeeks(mondayOf(new Date(), ZONE), 1);
const at = (time: string) => localInstant(week, 5, time, ZONE).toISOString();

let servers: ServerProcess[] = [];
let database: DatabaseHandle;
let browser: Browser;
let location: Location;
let alex: User;
let schedule: Schedule;
let femkeApi: ApiSession;
let femke: Page;
let bram: Page;
let crew: Page;
const pageErrors: string[] = [];
const navigations: string[] = [];

async function logIn(page: Page, email: string, path: string): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname === path.split('?')[0]);
}

/** A window that counts its full page loads, so "without reload" is checked, not assumed. */
async function windowOn(server: ServerProcess, email: string, path: string): Promise<Page> {
  const { page } = await openWindow(browser, server.url, DESKTOP);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await logIn(page, email, path);
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  return page;
}

const shiftButton = (page: Page, position: string) => page.getByRole('button', { name: new RegExp(`^Edit ${alex.name}'s shift on .* as ${position}$`) });
const current = () => femkeApi.call<Schedule>('GET', `/schedules/${schedule.id}`);

beforeAll(async () => {
  ensureClientBuilt();
  const config = loadConfig(process.env);
  database = await openDatabase(config, testLogger());
  const adminEmail = uniqueEmail('admin');
  await insertUser(database.db, { email: adminEmail, name: 'Ada Admin', role: 'admin', passwordHash: await hashPassword(PASSWORD) });

  servers = await Promise.all([startAppServer(), startAppServer()]);
  const [one, two] = servers as [ServerProcess, ServerProcess];

  const admin = new ApiSession(one.url);
  await admin.login(adminEmail, PASSWORD);
  location = await admin.call<Location>('POST', '/locations', { name: `Canal Bar ${suffix}`, timezone: ZONE });
  const person = (name: string, role: 'manager' | 'crew', position: string, email = uniqueEmail(role)) =>
    admin.call<User>('POST', '/users', { email, name, role, password: PASSWORD, memberships: [{ locationId: location.id, position }] });
  const femkeEmail = uniqueEmail('femke');
  const bramEmail = uniqueEmail('bram');
  const alexEmail = uniqueEmail('alex');
  await person(`Femke ${suffix}`, 'manager', 'Floor manager', femkeEmail);
  await person(`Bram ${suffix}`, 'manager', 'Floor manager', bramEmail);
  alex = await person(`Alex ${suffix}`, 'crew', 'Bartender', alexEmail);

  femkeApi = new ApiSession(one.url);
  await femkeApi.login(femkeEmail, PASSWORD);
  const created = await femkeApi.call<Schedule>('POST', '/schedules', { locationId: location.id, weekStart: week });
  await femkeApi.call<Shift>('POST', `/schedules/${created.id}/shifts`, { userId: alex.id, position: 'Bartender', startsAt: at('17:00'), endsAt: at('22:00') });
  schedule = await femkeApi.call<Schedule>('GET', `/schedules/${created.id}`);

  browser = await launchChromium();
  const planner = `/planner?location=${location.id}&week=${week}`;
  femke = await windowOn(one, femkeEmail, planner);
  bram = await windowOn(two, bramEmail, planner);
  crew = await windowOn(one, alexEmail, `/schedules?location=${location.id}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
  await database?.close();
}, 30_000);

describe('two managers on one week, two instances', () => {
  it("Bram's planner says Femke is also editing the week, and hers says Bram is", async () => {
    // Bram opened the week after Femke: his first presence answer names her.
    await bram.getByRole('status').filter({ hasText: `Femke ${suffix} is also editing this week` }).waitFor();
    // Femke hears of Bram at her planner's next beat (every 15 s).
    await femke.getByRole('status').filter({ hasText: `Bram ${suffix} is also editing this week` }).waitFor({ timeout: 25_000 });
    await screenshot(bram, 'live-presence');
  }, 40_000);

  it("shows Femke's edit on Bram's open planner without a reload", async () => {
    await shiftButton(bram, 'Bartender').waitFor();
    await shiftButton(femke, 'Bartender').click();
    const dialog = femke.getByRole('dialog', { name: 'Edit shift' });
    await dialog.getByLabel('Position').fill('Bar lead');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });

    await shiftButton(bram, 'Bar lead').waitFor();
    expect(navigations).toEqual([]);
  });

  it("a stale save gets the dialog naming Femke and her change; reapplying keeps both changes", async () => {
    await shiftButton(bram, 'Bar lead').click();
    const dialog = bram.getByRole('dialog', { name: 'Edit shift' });
    const shift = (await current()).shifts[0]!;
    // Femke moves the end while Bram's form still shows the old shift.
    await femkeApi.call('PATCH', `/schedules/${schedule.id}/shifts/${shift.id}`, { endsAt: at('23:00') });
    await dialog.getByLabel('Notes').fill('Bring the float');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    const notice = dialog.getByRole('alert').filter({ hasText: 'changed while you were editing' });
    await notice.getByText(`Femke ${suffix} changed this shift: Sat`).waitFor();
    await expect(notice.textContent()).resolves.toContain('17:00 – 23:00, Bar lead');
    await screenshot(bram, 'live-412-changed');

    await notice.getByRole('button', { name: 'Apply my changes to theirs' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = (await current()).shifts[0]!;
    expect(after).toMatchObject({ position: 'Bar lead', notes: 'Bring the float', endsAt: new Date(at('23:00')).toISOString() });
  });

  it('keeping theirs discards the stale change', async () => {
    await shiftButton(bram, 'Bar lead').click();
    const dialog = bram.getByRole('dialog', { name: 'Edit shift' });
    const shift = (await current()).shifts[0]!;
    await femkeApi.call('PATCH', `/schedules/${schedule.id}/shifts/${shift.id}`, { position: 'Head bartender' });
    await dialog.getByLabel('Position').fill('Barback');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    const notice = dialog.getByRole('alert').filter({ hasText: 'changed while you were editing' });
    await notice.getByText(/Head bartender/).waitFor();
    await notice.getByRole('button', { name: 'Keep theirs' }).click();
    await dialog.waitFor({ state: 'detached' });
    await shiftButton(bram, 'Head bartender').waitFor();
    expect((await current()).shifts[0]).toMatchObject({ position: 'Head bartender', version: shift.version + 1 });
  });

  it('a shift deleted meanwhile says so; it can be added back from the form', async () => {
    await shiftButton(bram, 'Head bartender').click();
    const dialog = bram.getByRole('dialog', { name: 'Edit shift' });
    const shift = (await current()).shifts[0]!;
    await femkeApi.call('DELETE', `/schedules/${schedule.id}/shifts/${shift.id}`);
    await dialog.getByLabel('Position').fill('Barback');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    const notice = dialog.getByRole('alert').filter({ hasText: 'changed while you were editing' });
    // The server does not record who deleted a shift, so the notice cannot name them.
    await notice.getByText('Someone else deleted this shift.').waitFor();
    await screenshot(bram, 'live-412-deleted');
    await notice.getByRole('button', { name: 'Add mine as a new shift' }).click();
    await dialog.waitFor({ state: 'detached' });
    const shifts = (await current()).shifts;
    expect(shifts).toHaveLength(1);
    expect(shifts[0]).toMatchObject({ position: 'Barback', userId: alex.id });
    await shiftButton(femke, 'Barback').waitFor();
  });

  it("publishing shows the week on Alex's open Schedules page; unpublishing takes it away", async () => {
    await crew.getByText('Nothing published yet').waitFor();
    await bram.getByRole('button', { name: 'Publish', exact: true }).click();
    await bram.getByRole('dialog', { name: 'Publish this week?' }).getByRole('button', { name: 'Publish week' }).click();
    await crew.getByLabel('Week').waitFor();
    await crew.getByText('Barback').first().waitFor();

    await bram.getByRole('button', { name: 'Unpublish', exact: true }).click();
    await crew.getByText('Nothing published yet').waitFor();
    expect(navigations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
