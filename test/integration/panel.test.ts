import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';

/** Not logged in, the panel sends people to the login page; the token gets them in. */
async function logIn(page: Page, d: Daemon): Promise<void> {
  await page.goto(d.url);
  await page.waitForURL(/\/login$/);
  await page.fill('#t', d.token);
  await page.click('button');
  await page.waitForURL(d.url);
}

/** The panel as a person uses it: headless Debian Chromium, log in, watch, type. */
describe('web panel in Chromium', () => {
  let d: Daemon;
  let browser: Browser;
  beforeAll(async () => {
    d = await startDaemon({ command: 'demo' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await d?.stop('SIGKILL');
  });

  it('logs in, shows the live stream, types on the target, releases keys on focus loss', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(page, d);
    // The stream image decodes and the status bar fills from the WebSocket.
    await page.waitForFunction(
      () => (document.getElementById('picture') as HTMLImageElement).naturalWidth === 1280,
      null,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => document.getElementById('s-conn')?.textContent === 'connected');
    await page.waitForFunction(() => /1280×720/.test(document.getElementById('s-video')?.textContent ?? ''));

    const t0 = Date.now();
    await page.click('#screen');
    await page.keyboard.down('Shift');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Shift');
    await page.keyboard.down('ControlLeft');
    await page.waitForTimeout(300);
    // Focus leaves the screen while Ctrl is down: the panel releases it.
    await page.evaluate(() => (document.getElementById('screen') as HTMLElement).blur());
    await page.waitForTimeout(300);
    const rec = (await (
      await fetch(`${d.url}api/hid/recorded?since=${t0}`, { headers: d.authHeaders })
    ).json()) as {
      reports: { fn: string; hex: string }[];
    };
    const kb = rec.reports.filter((r) => r.fn === 'keyboard').map((r) => r.hex);
    expect(kb.slice(0, 4)).toEqual([
      '02 00 00 00 00 00 00 00',
      '02 00 04 00 00 00 00 00',
      '02 00 00 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);
    expect(kb).toContain('01 00 00 00 00 00 00 00');
    expect(kb.at(-1)).toBe('00 00 00 00 00 00 00 00');

    // The picture is live: the test pattern's clock moves between two looks.
    const shotA = await page.locator('#picture').screenshot();
    await page.waitForTimeout(700);
    const shotB = await page.locator('#picture').screenshot();
    expect(shotA.equals(shotB)).toBe(false);

    // Paste box: types with progress, then says done.
    const t2 = Date.now();
    await page.click('#paste-open');
    await page.fill('#paste-text', 'ok');
    await page.click('#paste-go');
    await page.waitForFunction(
      () => document.getElementById('paste-progress')?.textContent === 'done',
      null,
      { timeout: 10_000 },
    );
    await page.click('#paste-close');
    // Ctrl+Alt+Del button: the built-in macro, Ctrl+Alt held while Delete goes down.
    await page.click('button[data-macro="ctrl_alt_del"]');
    await page.waitForTimeout(800);
    const typed = (await (
      await fetch(`${d.url}api/hid/recorded?since=${t2}`, { headers: d.authHeaders })
    ).json()) as {
      reports: { fn: string; hex: string }[];
    };
    const typedHex = typed.reports.filter((r) => r.fn === 'keyboard').map((r) => r.hex);
    expect(typedHex).toContain('00 00 12 00 00 00 00 00'); // o
    expect(typedHex).toContain('00 00 0e 00 00 00 00 00'); // k
    expect(typedHex).toContain('05 00 4c 00 00 00 00 00'); // Ctrl+Alt+Delete
    expect(typedHex.at(-1)).toBe('00 00 00 00 00 00 00 00');

    // The "More keys" menu reaches keys no PC keyboard has: F13 is usage 0x68.
    const t1 = Date.now();
    await page.selectOption('#more-keys', 'F13');
    await page.waitForTimeout(300);
    const more = (await (
      await fetch(`${d.url}api/hid/recorded?since=${t1}`, { headers: d.authHeaders })
    ).json()) as {
      reports: { fn: string; hex: string }[];
    };
    expect(more.reports.filter((r) => r.fn === 'keyboard').map((r) => r.hex)).toEqual([
      '00 00 68 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);

    await page.screenshot({ path: path.join(tmpdir(), 'kvmr0ck-panel.png') });
  });

  it('shows MQTT offline while the broker is down and clears it when it comes back', async () => {
    // Without a broker configured the footer says nothing about MQTT.
    const page = await browser.newPage();
    await logIn(page, d);
    await page.waitForFunction(() => document.getElementById('s-conn')?.textContent === 'connected');
    expect(await page.textContent('#s-mqtt')).toBe('');
    await page.close();

    const broker = await startMosquitto();
    await broker.kill();
    const withMqtt = await startDaemon({ command: 'demo', env: mqttEnv(broker.url, 'panel') });
    try {
      const p2 = await browser.newPage();
      await logIn(p2, withMqtt);
      await p2.waitForFunction(() => document.getElementById('s-mqtt')?.textContent === 'MQTT offline');
      expect(await p2.getAttribute('#s-mqtt', 'class')).toBe('off');
      await broker.start();
      await p2.waitForFunction(() => document.getElementById('s-mqtt')?.textContent === 'MQTT', null, {
        timeout: 15_000,
      });
      await p2.close();
    } finally {
      await withMqtt.stop('SIGKILL');
      await broker.stop();
    }
  });
});
