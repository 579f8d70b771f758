import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = 'test-artifacts/screenshots';

/**
 * Debian's Chromium, headless, with nothing of its own reaching the network (no updates, sync,
 * or QUIC probes). Its profile is a fresh temporary directory: playwright-core creates one for
 * every launch and removes it on close (it refuses a `--user-data-dir` argument of our own).
 * Native time inputs follow Chromium's own language, not the context's locale, and Debian's
 * `chromium` package has only en-US: in screenshots they read 12-hour while the grid reads 24-hour.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export const DESKTOP = { viewport: { width: 1366, height: 860 } };
export const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A browser window of its own (own cookies), on the app's address, in a fixed language and zone. */
export async function openWindow(browser: Browser, baseURL: string, device: typeof DESKTOP | typeof PHONE): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...device, baseURL, locale: 'en-GB', timezoneId: 'Europe/London' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

/**
 * A full-page picture of a screen. Notices ("Shift added") are dismissed first, so a picture shows
 * the screen rather than what the last few steps said; `keepNotices` keeps them where a notice is
 * what the picture is about.
 */
export async function screenshot(page: Page, name: string, options: { keepNotices?: boolean } = {}): Promise<void> {
  if (!options.keepNotices) {
    await page.locator('.notice button').evaluateAll((buttons) => buttons.forEach((b) => b.click()));
    await page.locator('.notice').first().waitFor({ state: 'detached' });
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Fills the login form and submits it. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
