import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { daemonAndBrowser, screenshotPath, watchedPage } from '../helpers/browser.js';
import type { Daemon } from '../helpers/daemon.js';
import { logIn, untilLive } from '../helpers/panel.js';
import { recorded, relReport, untilRecorded } from '../helpers/recorded.js';

const KEY_UP = '00 00 00 00 00 00 00 00';

/** The panel on a phone (390×844, touch) and in the dark colour scheme. */
describe('web panel on a phone', { timeout: 90_000 }, () => {
  const env = daemonAndBrowser();
  let d: Daemon;
  let browser: Browser;
  beforeAll(() => {
    d = env.daemon();
    browser = env.browser();
  });

  it('puts the picture first, folds the toolbar, types from the soft keyboard and drives a touch-pad pointer', async () => {
    const w = await watchedPage(browser, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = w.page;
    await logIn(page, d);
    await untilLive(page);
    const pic = (await page.locator('#screen img').boundingBox())!;
    expect(pic.y).toBeLessThan(2);
    expect(pic.width).toBeGreaterThan(385);
    // The toolbar is folded: one row under the picture until the menu opens it.
    expect(await page.isVisible('#tools')).toBe(false);
    expect((await page.locator('header').boundingBox())!.height).toBeLessThan(50);
    await page.screenshot({ path: screenshotPath('panel-phone.png') });
    await page.click('#menu');
    expect(await page.isVisible('#macros')).toBe(true);
    await page.click('#menu');
    expect(await page.inputValue('#mouse-mode')).toBe('touchpad');

    // The soft keyboard: its button focuses the hidden input, and what is typed goes to the target.
    const t0 = Date.now();
    await page.tap('#soft-kbd');
    await page.waitForFunction(() => document.activeElement?.id === 'soft-input');
    await page.keyboard.insertText('hi');
    await page.keyboard.press('Backspace');
    const kb = await untilRecorded(
      d,
      t0,
      'keyboard',
      (h) => h.includes('00 00 2a 00 00 00 00 00'),
      'h, i and Backspace',
    );
    expect(kb.filter((h) => h !== KEY_UP)).toEqual([
      '00 00 0b 00 00 00 00 00',
      '00 00 0c 00 00 00 00 00',
      '00 00 2a 00 00 00 00 00',
    ]);

    // Touch-pad: a one-finger drag moves the pointer relatively, scaled so the width of the
    // picture is the width of the target's screen; a tap clicks.
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x?: number, y?: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: x === undefined ? [] : [{ x, y: y!, id: 1 }],
      });
    const t1 = Date.now();
    const x0 = pic.x + 100;
    const y0 = pic.y + 60;
    await touch('touchStart', x0, y0);
    for (let i = 1; i <= 10; i++) await touch('touchMove', x0 + i * 4, y0 + i * 2);
    await touch('touchEnd');
    const scale = 1280 / pic.width;
    await untilRecorded(
      d,
      t1,
      'mouse_rel',
      (h) => Math.abs(h.map(relReport).reduce((a, r) => a + r.dx, 0) - 40 * scale) <= 2,
      `a relative move of ${Math.round(40 * scale)} px`,
    );
    const moves = (await recorded(d, t1, 'mouse_rel')).map((r) => relReport(r.hex));
    expect(Math.abs(moves.reduce((a, r) => a + r.dy, 0) - 20 * scale)).toBeLessThanOrEqual(2);
    const t2 = Date.now();
    await page.touchscreen.tap(pic.x + 200, pic.y + 100);
    await untilRecorded(
      d,
      t2,
      'mouse_rel',
      (h) => h.map(relReport).some((r) => r.buttons === 1),
      'a tap click',
    );
    await w.close();
  });

  it('follows a dark colour scheme', async () => {
    const w = await watchedPage(browser, { viewport: { width: 1366, height: 800 }, colorScheme: 'dark' });
    await logIn(w.page, d);
    await untilLive(w.page);
    const bg = await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    expect(r! + g! + b!).toBeLessThan(120);
    await w.page.screenshot({ path: screenshotPath('panel-dark.png') });
    await w.close();
  });
});
