import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { daemonAndBrowser, screenshotPath, type WatchedPage, watchedPage } from '../helpers/browser.js';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { logIn, untilLive, untilPictureMoves } from '../helpers/panel.js';
import { absReport, recorded, untilRecorded } from '../helpers/recorded.js';
import { until } from '../helpers/wait.js';

const state = async (d: Daemon) =>
  (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as {
    video: { quality: number };
  };

const KEY_UP = '00 00 00 00 00 00 00 00';

/** The panel as a person uses it: headless Debian Chromium, log in, watch, type, point, recover. */
describe('web panel in Chromium', { timeout: 90_000 }, () => {
  // A German target: the paste box must default to it and type "yz" with the keys a German
  // keyboard has there (Y and Z swapped against US).
  // Typing profile `safe` configured: the paste box must pre-select it too.
  const env = daemonAndBrowser({ env: { KVMR0CK_HID__LAYOUT: 'de', KVMR0CK_HID__TYPING: 'safe' } });
  let d: Daemon;
  let browser: Browser;
  beforeAll(() => {
    d = env.daemon();
    browser = env.browser();
  });

  let w: WatchedPage;
  async function desktop(): Promise<Page> {
    w = await watchedPage(browser, { viewport: { width: 1366, height: 800 } });
    await logIn(w.page, d);
    await untilLive(w.page);
    return w.page;
  }

  it('logs in, shows the live picture, types by physical key and releases keys when focus leaves', async () => {
    const page = await desktop();
    await untilPictureMoves(page);
    // The input link's round trip is measured and shown.
    await page.waitForFunction(() => /^\d+ ms$/.test(document.getElementById('s-rtt')?.textContent ?? ''));
    // One toolbar row at a common laptop width.
    const toolbar = await page.locator('header').boundingBox();
    expect(toolbar!.height).toBeLessThan(50);

    const t0 = Date.now();
    await page.click('#screen');
    await page.keyboard.down('Shift');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Shift');
    await page.keyboard.down('ControlLeft');
    await untilRecorded(d, t0, 'keyboard', (h) => h.includes('01 00 00 00 00 00 00 00'), 'Ctrl down');
    // Focus leaves the screen while Ctrl is down: the panel releases it.
    await page.evaluate(() => (document.getElementById('screen') as HTMLElement).blur());
    const kb = await untilRecorded(
      d,
      t0,
      'keyboard',
      (h) => h.at(-1) === KEY_UP && h.length >= 6,
      'Ctrl released',
    );
    expect(kb.slice(0, 4)).toEqual([
      '02 00 00 00 00 00 00 00',
      '02 00 04 00 00 00 00 00',
      '02 00 00 00 00 00 00 00',
      KEY_UP,
    ]);

    // The "Keys" menu reaches keys no PC keyboard has: F13 is usage 0x68.
    const t1 = Date.now();
    await page.selectOption('#keys', 'F13');
    expect(await untilRecorded(d, t1, 'keyboard', (h) => h.length >= 2, 'F13')).toEqual([
      '00 00 68 00 00 00 00 00',
      KEY_UP,
    ]);
    // LEDs: the demo's target has Num Lock on? Whatever it is, the indicator matches the state.
    const leds = await page.evaluate(async () => {
      const s = (await (await fetch('api/state')).json()) as { hid: { numLock: boolean } };
      return {
        state: s.hid.numLock,
        shown: document.querySelector('[data-led="numLock"]')!.classList.contains('lit'),
      };
    });
    expect(leds.shown).toBe(leds.state);
    await w.close();
  });

  it("shows capture -> paint latency and fps from the frames' own capture times, on a skewed clock", async () => {
    w = await watchedPage(browser, { viewport: { width: 1366, height: 800 } });
    const page = w.page;
    // This browser's clock runs 5 s ahead of the board's: only the offset measured by the pings
    // (not the two clocks read as one) keeps the readout near the real age of a frame.
    await page.addInitScript(() => {
      const d = Object.getOwnPropertyDescriptor(Performance.prototype, 'timeOrigin')!;
      Object.defineProperty(Performance.prototype, 'timeOrigin', {
        get(this: Performance) {
          return (d.get!.call(this) as number) + 5000;
        },
      });
    });
    await logIn(page, d);
    await untilLive(page);
    const readout = () => page.textContent('#s-lat');
    await page.waitForFunction(() =>
      /^\d+ ms · [1-9]\d* fps$/.test(document.getElementById('s-lat')?.textContent ?? ''),
    );
    const [lat, fps] = (await readout())!.match(/\d+/g)!.map(Number);
    // The demo captures 30 fps on this loopback link: frames are well under a second old.
    expect(lat).toBeLessThan(1000);
    expect(fps).toBeGreaterThan(2);
    expect(await page.getAttribute('#s-lat', 'title')).toMatch(
      /offset = board time − the ping's midpoint\), so it is accurate to ±\d+ ms/,
    );
    // The parts carry the capture time on the board's wall clock (checked here against this machine's).
    const r = await fetch(`${d.url}stream`, { headers: d.authHeaders });
    const reader = r.body!.getReader();
    let head = '';
    while (!/X-Timestamp: [\d.]+\r\n/.test(head))
      head += Buffer.from((await reader.read()).value!).toString('latin1');
    await reader.cancel();
    const ts = Number(/X-Timestamp: ([\d.]+)/.exec(head)![1]) * 1000;
    expect(Math.abs(Date.now() - ts)).toBeLessThan(2000);
    // Each frame is a blob URL, revoked when the next one shows: after 60 more frames one or two live.
    const painted = Number(await page.getAttribute('#screen img', 'data-painted'));
    await page.waitForFunction(
      (n) => Number(document.querySelector('#screen img')!.getAttribute('data-painted')) > n + 60,
      painted,
      { timeout: 30_000 },
    );
    expect(Number(await page.getAttribute('#screen img', 'data-live-urls'))).toBeLessThanOrEqual(2);
    // A click turns the readout off: the <img> reads the stream itself again (less CPU), no blob left.
    await page.click('#s-lat');
    await page.waitForFunction(() => {
      const img = document.querySelector('#screen img') as HTMLImageElement;
      return img.src === img.dataset.stream && img.dataset.liveUrls === '0' && img.naturalWidth === 1280;
    });
    expect(await readout()).toBe('latency: off');
    await untilPictureMoves(page);
    await page.click('#s-lat');
    await page.waitForFunction(() =>
      /^\d+ ms · [1-9]\d* fps$/.test(document.getElementById('s-lat')?.textContent ?? ''),
    );
    await w.close();
  });

  it('pastes in the configured layout (de) with progress, and from the clipboard', async () => {
    const page = await desktop();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click('#paste-open');
    expect(await page.inputValue('#layout')).toBe('de');
    const t0 = Date.now();
    await page.fill('#paste-text', 'yz');
    await page.click('#paste-go');
    await page.waitForFunction(() => document.getElementById('paste-progress')?.textContent === 'done');
    // On a German keyboard y is the key US calls Z (usage 0x1d) and z the key US calls Y (0x1c).
    const typed = (await recorded(d, t0, 'keyboard')).map((r) => r.hex).filter((h) => h !== KEY_UP);
    expect(typed).toEqual(['00 00 1d 00 00 00 00 00', '00 00 1c 00 00 00 00 00']);

    const t1 = Date.now();
    await page.evaluate(() => navigator.clipboard.writeText('ok'));
    await page.click('#paste-clip');
    await page.waitForFunction(() => document.getElementById('paste-progress')?.textContent === 'done');
    const clip = (await recorded(d, t1, 'keyboard')).map((r) => r.hex).filter((h) => h !== KEY_UP);
    expect(clip).toEqual(['00 00 12 00 00 00 00 00', '00 00 0e 00 00 00 00 00']); // o, k
    await page.screenshot({ path: screenshotPath('panel.png') });

    // The typing profile: the configured one (safe) by default, and the one chosen goes with the
    // request. bios presses Shift in a report of its own before the key; safe presses them together.
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
    await page.reload();
    await untilLive(page);
    await page.click('#paste-open');
    expect(await page.inputValue('#typing')).toBe('safe');
    const SHIFT = '02 00 00 00 00 00 00 00';
    const SHIFT_A = '02 00 04 00 00 00 00 00';
    const t2 = Date.now();
    await page.fill('#paste-text', 'A');
    await page.click('#paste-go');
    await page.waitForFunction(() => document.getElementById('paste-progress')?.textContent === 'done');
    expect((await recorded(d, t2, 'keyboard')).map((r) => r.hex)).toEqual([SHIFT_A, KEY_UP]);
    await page.selectOption('#typing', 'bios');
    const t3 = Date.now();
    await page.click('#paste-go');
    await page.waitForFunction(() => document.getElementById('paste-progress')?.textContent === 'done');
    const bios = (await recorded(d, t3, 'keyboard')).map((r) => r.hex);
    expect(bios.slice(0, 2)).toEqual([SHIFT, SHIFT_A]);
    const types = sent
      .map((m) => JSON.parse(m) as { t: string; typing?: string })
      .filter((m) => m.t === 'type');
    expect(types.map((m) => m.typing)).toEqual(['safe', 'bios']);
    await w.close();
  });

  it('a paste from a second session waits for the first one to be typed, and says so', async () => {
    // Two people on the panel at once (two browsers, two logins): one text is typed at a time, so
    // the second paste waits its turn, shows "typing…" meanwhile, and neither text is interleaved.
    const pageA = await desktop();
    const a = w;
    const b = await watchedPage(browser, { viewport: { width: 1366, height: 800 } });
    await logIn(b.page, d);
    await untilLive(b.page);
    // Each page notes every text its paste box shows, with the time (both pages share one clock):
    // the assertions below read those timelines, not a moment that a loaded machine may miss.
    const watchProgress = (p: typeof pageA) =>
      p.evaluate(() => {
        const el = document.getElementById('paste-progress')!;
        const seen: [number, string][] = [];
        (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
        new MutationObserver(() => seen.push([Date.now(), el.textContent ?? ''])).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
    const progressOf = (p: typeof pageA) =>
      p.evaluate(() => (window as unknown as { progressSeen: [number, string][] }).progressSeen);
    await watchProgress(pageA);
    await watchProgress(b.page);
    const t0 = Date.now();
    // bios pacing (the slowest profile, two 15 ms gaps a character) keeps the first text typing
    // for seconds while the second is sent.
    const first = 'a'.repeat(200);
    await pageA.click('#paste-open');
    await pageA.selectOption('#typing', 'bios');
    await pageA.fill('#paste-text', first);
    await pageA.click('#paste-go');
    await pageA.waitForFunction(() =>
      /^\d+ \/ 200$/.test(document.getElementById('paste-progress')?.textContent ?? ''),
    );
    await b.page.click('#paste-open');
    await b.page.fill('#paste-text', 'bb');
    await b.page.click('#paste-go');
    for (const p of [pageA, b.page]) {
      await p.waitForFunction(() => document.getElementById('paste-progress')?.textContent === 'done', null, {
        timeout: 60_000,
      });
    }
    // B's box said "typing…" while A's text was still being typed, and showed B's own progress
    // only once A's was done: B waited its turn, and was told so.
    const seenA = await progressOf(pageA);
    const seenB = await progressOf(b.page);
    const aDone = seenA.find(([, t]) => t === 'done')![0];
    const bWaiting = seenB.find(([, t]) => t === 'typing…')?.[0];
    expect(bWaiting, 'B shows "typing…"').toBeDefined();
    expect(bWaiting!).toBeLessThan(aDone);
    const bAfter = seenB.filter(([at]) => at > bWaiting!).map(([, t]) => t);
    expect(bAfter.at(-1)).toBe('done');
    // The two pages read their sockets in separate processes, so their clocks of the same moment
    // can differ by a few ms: B's own progress is compared with A at 150 of 200 characters, a
    // second and a half before A's end. That nothing interleaved is proven by the keys below.
    const bTyping = seenB.find(([, t]) => /^\d+ \/ 2$|^done$/.test(t))![0];
    const aLate = seenA.find(([, t]) => Number(/^(\d+) \/ 200$/.exec(t)?.[1] ?? -1) >= 150)![0];
    expect(bTyping).toBeGreaterThan(aLate);
    // Every A (usage 0x04) reached the target before the first B (0x05): nothing interleaved.
    const keys = (await recorded(d, t0, 'keyboard'))
      .map((r) => r.hex.split(' ')[2])
      .filter((k) => k !== '00');
    expect(keys.filter((k) => k === '04')).toHaveLength(200);
    expect(keys.filter((k) => k === '05')).toHaveLength(2);
    expect(keys.lastIndexOf('04')).toBeLessThan(keys.indexOf('05'));
    await b.close();
    await a.close();
  });

  it('clicks land at the click point, the wheel follows the distance, relative mode moves by motion', async () => {
    const page = await desktop();
    const box = (await page.locator('#screen img').boundingBox())!;
    // A fast move straight into a click: the press must come after the move to the click point.
    const t0 = Date.now();
    await page.mouse.move(box.x + 10, box.y + 10);
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.25);
    await page.mouse.down();
    await page.mouse.up();
    const abs = await untilRecorded(
      d,
      t0,
      'mouse',
      (h) => h.some((x) => absReport(x).buttons === 1) && absReport(h.at(-1)!).buttons === 0,
      'a click',
    );
    const press = abs.map(absReport).find((r) => r.buttons === 1)!;
    expect(press.x / 32767).toBeCloseTo(0.75, 2);
    expect(press.y / 32767).toBeCloseTo(0.25, 2);

    // One wheel notch (100 px) is one step down; a trackpad's five 20 px nudges add up to one step too.
    const t1 = Date.now();
    await page.mouse.wheel(0, 100);
    await untilRecorded(d, t1, 'mouse', (h) => h.some((x) => absReport(x).wheel === -1), 'one wheel step');
    const t2 = Date.now();
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 20);
    const steps = await untilRecorded(
      d,
      t2,
      'mouse',
      (h) => h.some((x) => absReport(x).wheel !== 0),
      'trackpad scroll',
    );
    await page.waitForTimeout(100); // nothing more may follow: a settle, not a wait for an event
    const all = (await recorded(d, t2, 'mouse')).map((r) => absReport(r.hex).wheel);
    expect(all.reduce((a, b) => a + b, 0)).toBe(-1);
    expect(steps.length).toBeGreaterThan(0);

    // Relative mode: the first click asks for pointer lock (granted to a focused headless page),
    // and motion goes as relative reports read from movementX/Y.
    // The pointer goes to its start while still absolute: in relative mode that move would be
    // relative motion too (unlocked moves count, see input.ts), sent on the panel's next flush,
    // which on a loaded machine came after t3 and added -693 px to the sum.
    await page.mouse.move(box.x + 100, box.y + 100);
    await page.selectOption('#mouse-mode', 'rel');
    await page.mouse.down({ button: 'right' });
    await page.mouse.up({ button: 'right' });
    await page.waitForFunction(() => document.pointerLockElement?.id === 'screen');
    const t3 = Date.now();
    await page.mouse.move(box.x + 160, box.y + 130, { steps: 6 });
    const rel = await untilRecorded(
      d,
      t3,
      'mouse_rel',
      (h) => {
        const sum = h.map((x) => x.split(' ').map((b) => (Number.parseInt(b, 16) << 24) >> 24));
        return sum.reduce((a, b) => a + b[1]!, 0) === 60 && sum.reduce((a, b) => a + b[2]!, 0) === 30;
      },
      'a relative move of 60, 30',
    );
    expect(rel.length).toBeGreaterThan(0);
    // Esc twice leaves: the pointer and the keyboard are the browser's again.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForFunction(
      () => document.pointerLockElement === null && document.activeElement?.id !== 'screen',
    );
    await w.close();
  });

  it('runs a macro from its parameter form, cancels it from the footer, and asks before a dangerous one', async () => {
    const page = await desktop();
    await page.selectOption('#macros', 'enter_bios');
    await page.selectOption('.kvm-macro-form select[name="key"]', 'f2');
    const t0 = Date.now();
    await page.click('.kvm-macro-form button[type="submit"]');
    // F2 (usage 0x3b) is tapped until cancelled; the cancel button is in the footer, always in view.
    await untilRecorded(d, t0, 'keyboard', (h) => h.includes('00 00 3b 00 00 00 00 00'), 'F2 taps');
    await page.click('#s-macro button.kvm-cancel');
    await page.waitForFunction(() =>
      /enter_bios cancelled/.test(document.getElementById('s-macro')?.textContent ?? ''),
    );

    // The SysRq reboot is marked `dangerous`: choosing it only opens a form; closing it runs nothing.
    await page.selectOption('#macros', 'sysrq_reboot');
    await page.waitForSelector('.kvm-macro-form .kvm-warn');
    expect(await page.textContent('.kvm-macro-form button[type="submit"]')).toBe('Confirm and run');
    const t1 = Date.now();
    await page.click('.kvm-macro-form button:text("Close")');
    await page.waitForTimeout(300);
    expect(await recorded(d, t1, 'keyboard')).toEqual([]);
    await w.close();
  });

  it('caps the frame rate for this browser, sets the live JPEG quality, downloads a screenshot, and goes full screen with Esc going to the target', async () => {
    const page = await desktop();
    await page.selectOption('#max-fps', '5');
    await page.waitForFunction(() => {
      const img = document.querySelector('#screen img') as HTMLImageElement;
      return new URL(img.dataset.stream!).searchParams.get('fps') === '5' && img.naturalWidth === 1280;
    });
    await untilPictureMoves(page);
    // JPEG quality is the daemon's live setting for every viewer: it shows in the state, and the
    // select follows a change made elsewhere (the API here, MQTT alike).
    expect(await page.inputValue('#quality')).toBe('80');
    await page.selectOption('#quality', '40');
    await until(async () => (await state(d)).video.quality === 40, 10_000, 'quality 40 in state');
    await fetch(`${d.url}api/video`, {
      method: 'POST',
      headers: { ...d.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ quality: 70 }),
    });
    await page.waitForFunction(
      () => (document.querySelector('#quality') as HTMLSelectElement).value === '70',
    );
    // Screenshot: a JPEG download of the current picture.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#shot')]);
    expect(download.suggestedFilename()).toBe('kvmr0ck-screenshot.jpg');
    const jpeg = await readFile((await download.path())!);
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');

    await page.click('#fullscreen');
    await page.waitForFunction(
      () => document.fullscreenElement !== null && document.activeElement?.id === 'screen',
    );
    const t0 = Date.now();
    await page.keyboard.press('Escape');
    await untilRecorded(d, t0, 'keyboard', (h) => h.includes('00 00 29 00 00 00 00 00'), 'Esc on the target');
    await page.click('#fullscreen');
    await page.waitForFunction(() => document.fullscreenElement === null);
    await w.close();
  });

  it('for a viewer session hides the input controls and sends no input', async () => {
    // The daemon marks viewer sessions with hello.role (the lead's change); here the test turns
    // the real server's hello into a viewer's on its way to the page, and records what the page sends.
    w = await watchedPage(browser, { viewport: { width: 1366, height: 800 } });
    const page = w.page;
    const sent: string[] = [];
    await page.routeWebSocket(/\/api\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        const msg = JSON.parse(String(m)) as { t: string; role?: string };
        if (msg.t === 'hello') msg.role = 'viewer';
        ws.send(JSON.stringify(msg));
      });
      ws.onMessage((m) => {
        sent.push(String(m));
        server.send(m);
      });
    });
    await logIn(page, d);
    await untilLive(page);
    for (const id of ['#paste-open', '#macros', '#keys', '#mouse-mode'])
      expect(await page.isVisible(id)).toBe(false);
    await page.click('#screen');
    await page.keyboard.press('KeyA');
    await page.mouse.click(100, 200);
    await page.waitForTimeout(300); // nothing may go out: a settle, not a wait for an event
    expect(sent.map((m) => (JSON.parse(m) as { t: string }).t).filter((t) => t !== 'ping')).toEqual([]);
    await w.close();
  });

  it('shows MQTT offline while the broker is down and clears it when it comes back', async () => {
    const page = await desktop();
    // Without a broker configured the footer says nothing about MQTT.
    expect(await page.textContent('#s-mqtt')).toBe('');
    await w.close();

    const broker = await startMosquitto();
    await broker.kill();
    const withMqtt = await startDaemon({
      command: 'demo',
      timeoutMs: 30_000,
      env: mqttEnv(broker.url, 'panel'),
    });
    try {
      const w2 = await watchedPage(browser);
      await logIn(w2.page, withMqtt);
      await w2.page.waitForFunction(() => document.getElementById('s-mqtt')?.textContent === 'MQTT offline');
      expect(await w2.page.getAttribute('#s-mqtt', 'class')).toBe('off');
      await broker.start();
      await w2.page.waitForFunction(() => document.getElementById('s-mqtt')?.textContent === 'MQTT', null, {
        timeout: 15_000,
      });
      await w2.close();
    } finally {
      await withMqtt.stop('SIGKILL');
      await broker.stop();
    }
  });
});
