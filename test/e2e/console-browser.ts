import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
// scripts/ is the root's own tooling, not a workspace package to import by name.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { chromiumPath } from '../../scripts/lib/chromium-path.mjs';

/** Debian's chromium, headless, driven by playwright-core; a clear error when it is missing. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error(
      'no chromium for the browser tests: `node scripts/provision-browser.mjs` installs it (as root, with apt-get; `npm test` runs it), or set CHROMIUM_PATH',
    );
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespace for the sandbox; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
}

/** Signs in through the console's own /login form (the key lands in its HttpOnly cookie). */
export async function signIn(page: Page, consoleUrl: string, apiKey: string): Promise<void> {
  await page.goto(`${consoleUrl}/events`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name="apiKey"]', apiKey);
  await Promise.all([page.waitForURL(/\/events/), page.click('button[type="submit"]')]);
}

/** Reloads `path` until `ready` holds for the page, bounded in time (the view is eventually consistent). */
export async function reloadUntil(
  page: Page,
  url: string,
  what: string,
  ready: (page: Page) => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    if (await ready(page)) return;
    if (Date.now() > until)
      throw new Error(`timed out after ${timeoutMs / 1000} s: ${what} (${url})`);
    await page.waitForTimeout(1_000);
  }
}

/** FANOUT_CONSOLE_SCREENSHOTS=<dir>: the test run saves the pages it proves things on there. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.FANOUT_CONSOLE_SCREENSHOTS;
  if (!dir) return;
  const file = `${dir}/${name}.png`;
  mkdirSync(dirname(file), { recursive: true });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.screenshot({ path: file, fullPage: true });
}
