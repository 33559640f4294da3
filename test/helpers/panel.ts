import type { Page } from 'playwright-core';
import type { Daemon } from './daemon.js';
import { until } from './wait.js';

/** Not logged in, the panel sends people to the login page; the token gets them in. */
export async function logIn(page: Page, d: Daemon, token = d.token): Promise<void> {
  await page.goto(d.url);
  await page.waitForURL(/\/login$/);
  await page.fill('#t', token);
  await page.click('button');
  await page.waitForURL(d.url);
}

/** The picture decoded a frame of the demo's 1280×720 test pattern and the WebSocket is up. */
export async function untilLive(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (document.querySelector('#screen img') as HTMLImageElement).naturalWidth === 1280,
    null,
    { timeout: 15_000 },
  );
  await page.waitForFunction(() => document.getElementById('s-conn')?.textContent === 'connected', null, {
    timeout: 15_000,
  });
}

/** The test pattern's clock moves: two looks at the picture (`selector`) differ. */
export async function untilPictureMoves(page: Page, selector = '#screen img'): Promise<void> {
  const first = await page.locator(selector).screenshot();
  await until(
    async () => !(await page.locator(selector).screenshot()).equals(first),
    10_000,
    'the picture to change',
  );
}
