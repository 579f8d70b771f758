import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { withFreshDatabase } from '../support/fresh-database.js';
import { bareEnv, startServer, type ServerProcess } from '../support/server-process.js';
import { ensureClientBuilt } from './support/builds.js';
import { DESKTOP, launchChromium, logIn, openWindow, PHONE, screenshot } from './support/browser.js';
import { audit, type Violation } from './support/axe.js';

/**
 * A new install as its first users meet it, in Debian's Chromium: the server starts on an empty
 * database and logs its setup link; the login page says where that link is; the owner opens it,
 * creates the admin with the demo data, invites a crew member, and the crew member opens the
 * invite in a browser of their own (a phone), chooses a password and lands on My shifts; then
 * both use their account page. Screenshots of the setup, welcome and account pages at laptop and
 * phone sizes go to test-artifacts/screenshots.
 */

const OWNER_PASSWORD = 'owner password for the bar';
const CREW_PASSWORD = 'my own crew password';
const suffix = randomBytes(3).toString('hex');

/** Waits for the tab's title: it is set once the screen has rendered. */
const titled = (page: Page, title: string) =>
  page.waitForFunction((expected) => (globalThis as unknown as { document: { title: string } }).document.title === expected, title);

let browser: Browser | undefined;
let server: ServerProcess | undefined;
const pageErrors: string[] = [];
/** axe on the screens only a server without users shows (the rest are in accessibility.test.ts). */
const violations: Violation[] = [];

afterAll(async () => {
  await browser?.close();
});

/** The setup line of the server's log, once it is there. */
async function setupLine(s: ServerProcess): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const line = s
      .output()
      .split('\n')
      .find((l) => l.includes('/setup?token='));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no setup link in the server's log:\n${s.output()}`);
}

describe('first run: setup link, demo data, an invite, the welcome page and the account page', () => {
  it('takes a new install from an empty database to a crew member on My shifts', async () => {
    ensureClientBuilt();
    await withFreshDatabase(async (_handle, databaseUrl) => {
      server = await startServer(
        bareEnv({
          DATABASE_URL: databaseUrl,
          REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'crewplots-test:'}first-run-${suffix}:`,
          ...(process.env.REDIS_HOST ? { REDIS_HOST: process.env.REDIS_HOST } : {}),
          ...(process.env.REDIS_PORT ? { REDIS_PORT: process.env.REDIS_PORT } : {}),
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
        }),
        60_000,
      );
      try {
        const line = await setupLine(server);
        const link = /(http:\/\/localhost:\d+\/setup\?token=([A-Za-z0-9_-]{43}))/.exec(line);
        expect(link).not.toBeNull();
        const [, setupUrl, setupToken] = link!;
        // The link opens on this server (it names localhost; the server listens there).
        expect(new URL(setupUrl!).port).toBe(String(server.port));
        const base = `http://localhost:${server.port}`;
        browser = await launchChromium();

        // Before setup: the login page says where the link is.
        const owner = await openWindow(browser, base, DESKTOP);
        owner.page.on('pageerror', (err) => pageErrors.push(err.message));
        await owner.page.goto('/');
        await titled(owner.page, 'Log in · Crew Plots Pro');
        await owner.page.getByText('This server has no accounts yet').waitFor();
        await owner.page.getByText(/No account exists yet: open http:\/\/…\/setup\?token=…/).waitFor();
        violations.push(...(await audit(owner.page, 'desktop login, no accounts yet')));

        // The setup page on a phone: shown, not submitted.
        const phoneOwner = await openWindow(browser, base, PHONE);
        await phoneOwner.page.goto(setupUrl!);
        await titled(phoneOwner.page, 'Set up Crew Plots · Crew Plots Pro');
        await phoneOwner.page.getByLabel('Load demo data to look around').waitFor();
        await screenshot(phoneOwner.page, 'setup-phone');
        violations.push(...(await audit(phoneOwner.page, 'phone setup')));
        await phoneOwner.context.close();

        // A wrong token is refused with where to find the right one.
        await owner.page.goto(`/setup?token=${randomBytes(32).toString('base64url')}`);
        await owner.page.getByLabel('Your name').fill('Olga Owner');
        await owner.page.getByLabel('Email').fill(`olga-${suffix}@bar.example`);
        await owner.page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
        await owner.page.getByLabel('Type it again').fill(OWNER_PASSWORD);
        await owner.page.getByRole('button', { name: 'Create admin account' }).click();
        await owner.page.getByText('This setup link does not work.').waitFor();
        violations.push(...(await audit(owner.page, 'desktop setup, wrong link')));

        // The owner opens the link from the log and creates the admin with the demo data.
        await owner.page.goto(setupUrl!);
        await titled(owner.page, 'Set up Crew Plots · Crew Plots Pro');
        // The rules are on screen before anything is sent.
        await owner.page.getByText('At least 12 characters').waitFor();
        await owner.page.getByLabel('Your name').fill('Olga Owner');
        await owner.page.getByLabel('Email').fill(`olga-${suffix}@bar.example`);
        await owner.page.getByLabel('Password', { exact: true }).fill('short');
        await owner.page.getByRole('button', { name: 'Create admin account' }).click();
        await owner.page.getByText('Must be at least 12 characters.').waitFor();
        await owner.page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
        await owner.page.getByLabel('Type it again').fill(OWNER_PASSWORD);
        expect(await owner.page.getByLabel('Load demo data to look around').isChecked()).toBe(true);
        await screenshot(owner.page, 'setup-desktop');
        await owner.page.getByRole('button', { name: 'Create admin account' }).click();
        await titled(owner.page, 'Planner · Crew Plots Pro');
        expect(owner.page.url()).toBe(`${base}/planner`);
        // The demo's venues are there.
        await owner.page.getByRole('link', { name: 'Locations' }).click();
        await owner.page.getByText('The Copper Tap').waitFor();

        // The owner invites a crew member: no password, a link instead.
        await owner.page.getByRole('link', { name: 'People' }).click();
        await titled(owner.page, 'People · Crew Plots Pro');
        await owner.page.getByRole('button', { name: 'Add person' }).click();
        const add = owner.page.getByRole('dialog', { name: 'Add a person' });
        await add.getByLabel('Name').fill(`Nia Newhire ${suffix}`);
        await add.getByLabel('Email').fill(`nia-${suffix}@bar.example`);
        await add.getByLabel('The Copper Tap').check();
        await add.getByLabel('Position at The Copper Tap').fill('Bartender');
        await add.getByRole('button', { name: 'Add and get invite link' }).click();
        const shown = owner.page.getByRole('dialog', { name: `Invite link for Nia Newhire ${suffix}` });
        await shown.waitFor();
        const inviteUrl = await shown.getByLabel('Link').inputValue();
        expect(inviteUrl).toMatch(new RegExp(`^${base}/welcome\\?token=[A-Za-z0-9_-]{43}$`));
        await shown.getByRole('button', { name: 'Done' }).click();
        await owner.page.getByLabel('Search').fill(`Nia Newhire ${suffix}`);
        const row = owner.page.getByRole('row', { name: new RegExp(`Nia Newhire ${suffix}`) });
        await row.getByText('Invited, not joined yet').waitFor();
        await row.getByRole('button', { name: `Copy invite link for Nia Newhire ${suffix}` }).waitFor();

        // The welcome page at laptop size (only looked at: opening the link does not use it up).
        const look = await openWindow(browser, base, DESKTOP);
        await look.page.goto(inviteUrl);
        await titled(look.page, `Welcome, Nia Newhire ${suffix} · Crew Plots Pro`);
        await screenshot(look.page, 'welcome-desktop');
        await look.context.close();

        // The crew member opens the invite on a phone, chooses a password and sees My shifts.
        const crew = await openWindow(browser, base, PHONE);
        crew.page.on('pageerror', (err) => pageErrors.push(err.message));
        await crew.page.goto(inviteUrl);
        await titled(crew.page, `Welcome, Nia Newhire ${suffix} · Crew Plots Pro`);
        expect(await crew.page.getByLabel('Email').inputValue()).toBe(`nia-${suffix}@bar.example`);
        await crew.page.getByLabel('New password').fill(CREW_PASSWORD);
        await crew.page.getByLabel('Type it again').fill(`${CREW_PASSWORD} typo`);
        await crew.page.getByRole('button', { name: 'Set password and continue' }).click();
        await crew.page.getByText('The two passwords are not the same.').waitFor();
        await screenshot(crew.page, 'welcome-phone');
        await crew.page.getByLabel('Type it again').fill(CREW_PASSWORD);
        await crew.page.getByRole('button', { name: 'Set password and continue' }).click();
        await titled(crew.page, 'My shifts · Crew Plots Pro');
        expect(crew.page.url()).toBe(`${base}/my-shifts`);

        // The link is used up: opening it again says so.
        const again = await openWindow(browser, base, DESKTOP);
        await again.page.goto(inviteUrl);
        await again.page.getByRole('heading', { name: 'This link has been used up' }).waitFor();
        await again.context.close();

        // The crew member's account page, on the phone: rename, and the password rules before submitting.
        await crew.page.getByRole('link', { name: /Your account/ }).click();
        await titled(crew.page, 'Your account · Crew Plots Pro');
        await crew.page.getByText('At least 12 characters').first().waitFor();
        await crew.page.getByLabel('Phone').fill('+44 20 7946 0000');
        await crew.page.getByRole('button', { name: 'Save details' }).click();
        await crew.page.getByText('Saved your details').waitFor();
        await screenshot(crew.page, 'account-phone');

        // The owner sees them joined, and uses their own account page at laptop size.
        await owner.page.reload();
        await owner.page.getByLabel('Search').fill(`Nia Newhire ${suffix}`);
        await row.getByRole('button', { name: `Copy reset link for Nia Newhire ${suffix}` }).waitFor();
        expect(await row.getByText('Invited, not joined yet').count()).toBe(0);
        await owner.page.getByRole('link', { name: /Your account/ }).click();
        await titled(owner.page, 'Your account · Crew Plots Pro');
        await owner.page.getByLabel('Current password').fill(OWNER_PASSWORD);
        await owner.page.getByLabel('New password').fill('a brand new owner password');
        await owner.page.getByLabel('Type it again').fill('a brand new owner password');
        await owner.page.getByRole('button', { name: 'Change password' }).click();
        await owner.page.getByText(/Password changed/).waitFor();
        await screenshot(owner.page, 'account-desktop', { keepNotices: true });

        // Signing out everywhere else ends the crew member's other browser, not this one.
        const laptop = await openWindow(browser, base, DESKTOP);
        await laptop.page.goto('/login');
        await logIn(laptop.page, `nia-${suffix}@bar.example`, CREW_PASSWORD);
        await titled(laptop.page, 'My shifts · Crew Plots Pro');
        await laptop.page.goto('/account');
        await laptop.page.getByRole('button', { name: 'Sign out everywhere else' }).click();
        await laptop.page.getByText('Signed out everywhere else').waitFor();
        await crew.page.reload();
        await titled(crew.page, 'Log in · Crew Plots Pro');
        await laptop.page.reload();
        await titled(laptop.page, 'Your account · Crew Plots Pro');

        // The setup link was logged once, and no other line of the log holds it or any link's token.
        const out = server.output();
        expect(out.split('\n').filter((l) => l.includes(setupToken!))).toHaveLength(1);
        expect(out).not.toContain(new URL(inviteUrl).searchParams.get('token')!);
        expect(pageErrors).toEqual([]);
        expect(violations).toEqual([]);
        await laptop.context.close();
        await crew.context.close();
        await owner.context.close();
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });
  }, 300_000);
});
