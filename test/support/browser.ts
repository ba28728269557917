import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from '../../scripts/provision.mjs';

/** Where screenshots go: kept after the run for a person to look at, never committed (.gitignore). */
export const ARTIFACTS = fileURLToPath(new URL('../../.test-artifacts/', import.meta.url));

/** Debian's Chromium, headless, with flags that work in a container without a GPU or a user namespace. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Opens the dashboard in a new tab and signs in with `token`; the page's language follows `locale`. */
export async function signedInPage(browser: Browser, base: string, token: string, locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/`);
  await page.locator('#token').fill(token);
  await page.locator('button[type="submit"]').click();
  await page.locator('header nav').waitFor();
  return page;
}
