import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchedPage } from '../helpers/browser.js';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { logIn, untilLive, untilPictureMoves } from '../helpers/panel.js';

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A second token for the restarted daemon: the user's cookie session cannot carry over. */
const NEW_TOKEN = 'restart-token-9f3c1a7e5b2d4c6a8e0f1b3d5c7a9e1f';

/** The daemon goes away and comes back while the panel stays open: the panel recovers by itself. */
describe('web panel across a daemon restart', { timeout: 150_000 }, () => {
  let browser: Browser;
  const daemons: Daemon[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const d of daemons) await d.stop('SIGKILL');
  });

  async function restart(d: Daemon, env: Record<string, string>): Promise<Daemon> {
    await d.stop('SIGKILL');
    const again = await startDaemon({
      command: 'demo',
      timeoutMs: 30_000,
      args: ['--port', new URL(d.url).port],
      env,
    });
    daemons.push(again);
    return again;
  }

  it('says the board is unreachable, then sends the user to log in when the session is gone', async () => {
    const d = await startDaemon({ command: 'demo', timeoutMs: 30_000 });
    daemons.push(d);
    const w = await watchedPage(browser);
    const page = w.page;
    await logIn(page, d);
    await untilLive(page);
    // While the daemon is down every request to it fails; that is announced, and must happen.
    const down = w.expect(new RegExp(literal(d.url)));
    await d.stop('SIGKILL');
    await page.waitForFunction(
      () => document.getElementById('s-conn')?.textContent === 'disconnected, retrying…',
    );
    await page.waitForFunction(() =>
      /not reachable/.test(document.querySelector('.kvm-overlay')?.textContent ?? ''),
    );
    const d2 = await restart(d, { KVMR0CK_AUTH__TOKEN: NEW_TOKEN });
    // The restarted daemon knows neither the session nor the old token: back to the login page.
    await page.waitForURL(/\/login$/, { timeout: 45_000 });
    expect(down().some((l) => /WebSocket|ERR_CONNECTION_REFUSED/.test(l))).toBe(true);
    await logIn(page, d2, NEW_TOKEN);
    await untilLive(page);
    await w.close();
  });

  it('with auth off, reconnects and reopens the picture without reloading the page', async () => {
    const open = { KVMR0CK_AUTH__MODE: 'none' };
    const d = await startDaemon({ command: 'demo', timeoutMs: 30_000, env: open });
    daemons.push(d);
    const w = await watchedPage(browser);
    const page = w.page;
    await page.goto(d.url);
    await untilLive(page);
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    const before = await page.getAttribute('#screen img', 'data-stream');
    const down = w.expect(new RegExp(literal(d.url)));
    await d.stop('SIGKILL');
    await page.waitForFunction(
      () => document.getElementById('s-conn')?.textContent === 'disconnected, retrying…',
    );
    await restart(d, open);
    await page.waitForFunction(() => document.getElementById('s-conn')?.textContent === 'connected', null, {
      timeout: 45_000,
    });
    down();
    // A fresh stream URL, decoding frames, and the same page (no reload).
    await page.waitForFunction((old) => {
      const img = document.querySelector('#screen img') as HTMLImageElement;
      return (
        img.dataset.stream !== old &&
        img.naturalWidth === 1280 &&
        document.querySelector('.kvm-overlay')!.hasAttribute('hidden')
      );
    }, before);
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    await untilPictureMoves(page);
    await w.close();
  });

  it('says why there is no picture when the capture device is gone, and shows refused input', async () => {
    const d = await startDaemon({
      command: 'run',
      timeoutMs: 30_000,
      env: {
        // No gadget devices: the target's USB as good as unplugged (HID offline).
        KVMR0CK_HID__SINK: 'hidg',
        KVMR0CK_PATHS__DEV: mkdtempSync(path.join(tmpdir(), 'kvmr0ck-nodev-')),
        KVMR0CK_VIDEO__SOURCE: 'v4l2',
        KVMR0CK_VIDEO__DEVICE: '/dev/video-kvmr0ck-test-missing',
      },
    });
    daemons.push(d);
    const w = await watchedPage(browser);
    const page = w.page;
    await logIn(page, d);
    await page.waitForFunction(() =>
      /No signal from the target: device gone/.test(
        document.querySelector('.kvm-overlay')?.textContent ?? '',
      ),
    );
    // A macro that does not exist is refused with a reason the user can read.
    await page.evaluate(() => {
      const select = document.getElementById('macros') as HTMLSelectElement;
      select.append(new Option('gone', 'no_such_macro'));
    });
    await page.selectOption('#macros', 'no_such_macro');
    await page.waitForFunction(() =>
      /MACRO_NOT_FOUND/.test(document.getElementById('s-error')?.textContent ?? ''),
    );
    // The target's USB is gone: the status bar says so in red, and typed text is refused with why.
    await page.waitForFunction(() => /HID offline/.test(document.getElementById('s-usb')?.textContent ?? ''));
    expect(await page.getAttribute('#s-usb', 'class')).toBe('off');
    await page.click('#paste-open');
    await page.fill('#paste-text', 'hello');
    await page.click('#paste-go');
    await page.waitForFunction(() =>
      /^HID_OFFLINE: .*hidg0/.test(document.getElementById('paste-progress')?.textContent ?? ''),
    );
    expect(await page.textContent('#s-error')).toMatch(/^HID_OFFLINE/);
    await w.close();
  });
});
