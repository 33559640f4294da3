import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonAndBrowser,
  launchChromium,
  screenshotPath,
  type WatchedPage,
  watchedPage,
} from '../helpers/browser.js';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { CAMERA_TOKEN, fakeHomeAssistant, untilCardLive } from '../helpers/ha-page.js';
import { untilPictureMoves } from '../helpers/panel.js';
import { absReport, untilRecorded } from '../helpers/recorded.js';
import { selfSignedCert } from '../helpers/tls.js';
import { until } from '../helpers/wait.js';

/** Counts the sockets the page makes and how many are open now. */
const COUNT_SOCKETS = () => {
  const Orig = window.WebSocket;
  const count = { made: 0, open: 0 };
  (window as unknown as { sockets: typeof count }).sockets = count;
  window.WebSocket = class extends Orig {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      count.made++;
      let opened = false;
      this.addEventListener('open', () => {
        opened = true;
        count.open++;
      });
      this.addEventListener('close', () => {
        if (opened) count.open--;
      });
    }
  };
};

type CardEl = HTMLElement & { setConfig(c: object): void; hass: object };
const sockets = (page: Page) =>
  page.evaluate(() => (window as unknown as { sockets: { made: number; open: number } }).sockets);

/** The Lovelace card on a stand-in Home Assistant page, in both modes. */
describe('kvmr0ck-card', { timeout: 90_000 }, () => {
  const env = daemonAndBrowser();
  let d: Daemon;
  let browser: Browser;
  let ha: { url: string; close(): void };
  beforeAll(async () => {
    d = env.daemon();
    browser = env.browser();
    ha = await fakeHomeAssistant(d);
  });
  afterAll(() => ha?.close());

  async function dashboard(opts: { dark?: boolean } = {}): Promise<WatchedPage> {
    const w = await watchedPage(browser, {
      viewport: { width: 760, height: 620 },
      colorScheme: opts.dark ? 'dark' : 'light',
    });
    await w.page.addInitScript(COUNT_SOCKETS);
    await w.page.goto(ha.url);
    await w.page.waitForFunction(() => customElements.get('kvmr0ck-card') !== undefined);
    return w;
  }

  it('registers for the card picker, sizes itself for sections and refuses bad configs clearly', async () => {
    const w = await dashboard();
    const info = await w.page.evaluate(() => {
      const C = customElements.get('kvmr0ck-card') as unknown as {
        new (): CardEl & { getCardSize(): number; getGridOptions(): object };
        getStubConfig(hass?: object): object;
      };
      const card = new C();
      const errors = [{}, { entity: 'camera.kvm' }, { url: 'kvm.local' }].map((c) => {
        try {
          card.setConfig(c);
          return 'accepted';
        } catch (e) {
          return (e as Error).message;
        }
      });
      return {
        cards: (window as unknown as { customCards: { type: string }[] }).customCards.map((c) => c.type),
        stub: C.getStubConfig(),
        stubHa: C.getStubConfig({ states: { 'camera.kvm_desk': {} } }),
        size: card.getCardSize(),
        grid: card.getGridOptions(),
        errors,
      };
    });
    expect(info.cards).toContain('kvmr0ck-card');
    expect(info.stub).toHaveProperty('url');
    expect(info.stubHa).toMatchObject({ entity: 'camera.kvm_desk' });
    expect(info.size).toBeGreaterThan(3);
    expect(info.grid).toMatchObject({ columns: 12 });
    expect(info.errors[0]).toMatch(/set url \(direct mode\) or entity/);
    expect(info.errors[1]).toMatch(/node_id is required in Home Assistant mode/);
    expect(info.errors[2]).toMatch(/is not a URL/);
    await w.close();
  });

  it('edits its config in the visual editor and round-trips it through config-changed', async () => {
    const w = await dashboard();
    await w.page.evaluate(() => {
      const C = customElements.get('kvmr0ck-card') as unknown as { getConfigElement(): CardEl };
      const editor = C.getConfigElement();
      editor.setConfig({ type: 'custom:kvmr0ck-card', url: 'http://kvm.local:8080/', token: 't' });
      const seen: object[] = [];
      (window as unknown as { seen: object[] }).seen = seen;
      editor.addEventListener('config-changed', (e) => {
        const config = (e as CustomEvent<{ config: object }>).detail.config;
        seen.push(config);
        editor.setConfig(config); // what HA's editor does with each change
      });
      document.getElementById('host')!.append(editor);
    });
    await w.page.fill('kvmr0ck-card-editor input[name="title"]', 'Desk PC');
    await w.page.selectOption('kvmr0ck-card-editor select[name="mode"]', 'ha');
    await w.page.fill('kvmr0ck-card-editor input[name="entity"]', 'camera.kvm');
    await w.page.fill('kvmr0ck-card-editor input[name="node_id"]', 'desk');
    await w.page.fill('kvmr0ck-card-editor input[name="macros"]', 'enter_bios, boot_menu');
    const last = await w.page.evaluate(() => (window as unknown as { seen: object[] }).seen.at(-1));
    expect(last).toEqual({
      type: 'custom:kvmr0ck-card',
      title: 'Desk PC',
      entity: 'camera.kvm',
      node_id: 'desk',
      macros: ['enter_bios', 'boot_menu'],
    });
    // The card takes what the editor made.
    await w.page.evaluate((c) => {
      const card = document.createElement('kvmr0ck-card') as CardEl;
      card.setConfig(c);
    }, last as object);
    await w.close();
  });

  it('in direct mode: one socket however often setConfig runs, live picture, keyboard and mouse, and again after detach', async () => {
    const w = await dashboard();
    const page = w.page;
    await page.evaluate(
      ({ url, token }) => {
        const card = document.createElement('kvmr0ck-card') as CardEl;
        (window as unknown as { card: CardEl }).card = card;
        document.getElementById('host')!.append(card);
        // HA's editor calls setConfig on every keystroke.
        for (let i = 0; i < 20; i++) card.setConfig({ url, token, title: 'Desk'.slice(0, (i % 4) + 1) });
      },
      { url: d.url, token: d.token },
    );
    await page.waitForFunction(
      () =>
        (document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('.screen') as HTMLElement).dataset
          .trouble === 'online',
      null,
      { timeout: 15_000 },
    );
    expect(await sockets(page)).toEqual({ made: 1, open: 1 });
    await untilPictureMoves(page, 'kvmr0ck-card .kvm-picture');

    const useInput = async () => {
      const t0 = Date.now();
      await page.click('kvmr0ck-card .screen');
      await page.keyboard.press('KeyA');
      await untilRecorded(d, t0, 'keyboard', (h) => h.includes('00 00 04 00 00 00 00 00'), 'A from the card');
      const box = (await page.locator('kvmr0ck-card .kvm-picture').boundingBox())!;
      const t1 = Date.now();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 4);
      const abs = await untilRecorded(
        d,
        t1,
        'mouse',
        (h) => h.some((x) => absReport(x).buttons === 1),
        'a click',
      );
      const press = abs.map(absReport).find((r) => r.buttons === 1)!;
      expect(press.x / 32767).toBeCloseTo(0.5, 1);
      expect(press.y / 32767).toBeCloseTo(0.25, 1);
      const t2 = Date.now();
      await page.fill('kvmr0ck-card input.text', 'ok');
      await page.click('kvmr0ck-card button.type');
      await untilRecorded(d, t2, 'keyboard', (h) => h.includes('00 00 0e 00 00 00 00 00'), 'typed "ok"');
    };
    await useInput();

    // A view switch detaches the card: the socket closes. Back on the view, it works again.
    await page.evaluate(() => (window as unknown as { card: CardEl }).card.remove());
    await page.waitForFunction(() => (window as unknown as { sockets: { open: number } }).sockets.open === 0);
    await page.evaluate(() =>
      document.getElementById('host')!.append((window as unknown as { card: CardEl }).card),
    );
    await page.waitForFunction(() => (window as unknown as { sockets: { open: number } }).sockets.open === 1);
    await useInput();
    expect(await sockets(page)).toEqual({ made: 2, open: 1 });
    await w.close();
  });

  it('in direct mode with a wrong token says so instead of showing a broken picture', async () => {
    const w = await dashboard();
    const refused = w.expect(new RegExp(`${d.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|WebSocket`));
    await w.page.evaluate(
      ({ url }) => {
        const card = document.createElement('kvmr0ck-card') as CardEl;
        card.setConfig({ url, token: 'not-the-token' });
        document.getElementById('host')!.append(card);
      },
      { url: d.url },
    );
    await w.page.waitForFunction(() =>
      /access token is wrong/.test(
        document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('.kvm-overlay')!.textContent ?? '',
      ),
    );
    expect(refused().length).toBeGreaterThan(0);
    await w.close();
  });

  it('in Home Assistant mode says when the camera entity is unavailable, and shows it once it is back', async () => {
    const w = await dashboard();
    const page = w.page;
    const setState = (state: string) =>
      page.evaluate(
        ({ state, token }) => {
          const card = (document.querySelector('kvmr0ck-card') ??
            document.createElement('kvmr0ck-card')) as CardEl;
          if (!card.isConnected) {
            card.setConfig({ entity: 'camera.kvm', node_id: 'desk' });
            document.getElementById('host')!.append(card);
          }
          card.hass = {
            states: { 'camera.kvm': { state, attributes: { access_token: token } } },
            callService: () => undefined,
          };
        },
        { state, token: CAMERA_TOKEN },
      );
    const overlay = () =>
      page.evaluate(
        () => document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('.kvm-overlay')!.textContent,
      );
    await setState('unavailable');
    await until(
      async () => /camera\.kvm is unavailable/.test((await overlay()) ?? ''),
      10_000,
      'the message',
    );
    await setState('streaming');
    await untilCardLive(page);
    await w.close();
  });

  for (const dark of [false, true]) {
    it(`in Home Assistant mode shows the live camera stream and publishes input as commands (${dark ? 'dark' : 'light'} theme)`, async () => {
      const w = await dashboard({ dark });
      const page = w.page;
      await page.evaluate(
        ({ token }) => {
          const calls: { domain: string; service: string; data: { topic: string; payload: string } }[] = [];
          (window as unknown as { calls: typeof calls }).calls = calls;
          const card = document.createElement('kvmr0ck-card') as CardEl;
          card.setConfig({ entity: 'camera.kvm', node_id: 'desk', title: 'Desk PC', macros: ['enter_bios'] });
          card.hass = {
            states: { 'camera.kvm': { state: 'streaming', attributes: { access_token: token } } },
            callService: (domain: string, service: string, data: { topic: string; payload: string }) =>
              calls.push({ domain, service, data }),
          };
          document.getElementById('host')!.append(card);
        },
        { token: CAMERA_TOKEN },
      );
      await untilCardLive(page);
      await untilPictureMoves(page, 'kvmr0ck-card .kvm-picture');
      expect(
        await page.evaluate(() =>
          document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('img')!.getAttribute('src'),
        ),
      ).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/api\/camera_proxy_stream\/camera\.kvm\?token=ha-camera-token-1234&r=\d+$/,
      );
      await page.screenshot({ path: screenshotPath(dark ? 'card-dark.png' : 'card.png') });

      await page.click('kvmr0ck-card button.cad');
      await page.click('kvmr0ck-card .screen');
      await page.keyboard.press('Control+KeyL');
      const box = (await page.locator('kvmr0ck-card .kvm-picture').boundingBox())!;
      await page.mouse.click(box.x + box.width / 4, box.y + box.height / 2);
      await page.fill('kvmr0ck-card input.text', 'hello');
      await page.press('kvmr0ck-card input.text', 'Enter');
      const sent = await page.evaluate(() =>
        (
          window as unknown as {
            calls: { domain: string; service: string; data: { topic: string; payload: string } }[];
          }
        ).calls.map((c) => ({
          to: `${c.domain}.${c.service} ${c.data.topic}`,
          ...JSON.parse(c.data.payload),
        })),
      );
      expect(new Set(sent.map((c) => c.to))).toEqual(new Set(['mqtt.publish kvmr0ck/desk/command']));
      const cmds = sent.map(({ to: _to, ts, ...c }) => {
        expect(typeof ts).toBe('number');
        return c;
      });
      expect(cmds[0]).toEqual({ action: 'macro', name: 'ctrl_alt_del', params: {} });
      expect(cmds).toContainEqual({ action: 'press', keys: ['left_ctrl', 'l'] });
      // The last click (the one before focused the picture, at its centre).
      const click = cmds.filter((c) => c.action === 'mouse').at(-1)!;
      expect(click.click).toBe('left');
      expect(click.move.x).toBeCloseTo(0.25, 1);
      expect(click.move.y).toBeCloseTo(0.5, 1);
      expect(cmds.at(-1)).toEqual({ action: 'type', text: 'hello' });
      await w.close();
    });
  }
});

/** Most remote Home Assistant setups are HTTPS: what the card does on such a dashboard. */
describe('kvmr0ck-card on an HTTPS dashboard', { timeout: 90_000 }, () => {
  let browser: Browser;
  let plain: Daemon;
  let secure: Daemon;
  let tls: { cert: Buffer; key: Buffer };
  beforeAll(async () => {
    const c = selfSignedCert();
    tls = { cert: c.cert, key: c.key };
    plain = await startDaemon({ command: 'demo', timeoutMs: 30_000 });
    secure = await startDaemon({
      command: 'demo',
      timeoutMs: 30_000,
      env: {
        KVMR0CK_SERVER__TLS_CERT: c.certFile,
        KVMR0CK_SERVER__TLS_KEY: c.keyFile,
      },
    });
    // The test's certificate is self-signed; a real board has one the browser trusts.
    browser = await launchChromium({ args: ['--ignore-certificate-errors'] });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await plain?.stop('SIGKILL');
    await secure?.stop('SIGKILL');
  });

  async function cardOn(ha: { url: string }, config: object): Promise<WatchedPage> {
    const w = await watchedPage(browser, { ignoreHTTPSErrors: true });
    await w.page.goto(ha.url);
    await w.page.waitForFunction(() => customElements.get('kvmr0ck-card') !== undefined);
    await w.page.evaluate((c) => {
      const card = document.createElement('kvmr0ck-card') as CardEl;
      card.setConfig(c);
      card.hass = {
        states: {
          'camera.kvm': { state: 'streaming', attributes: { access_token: 'ha-camera-token-1234' } },
        },
        callService: () => undefined,
      };
      document.getElementById('host')!.append(card);
    }, config);
    return w;
  }

  it('direct mode to an http:// board explains mixed content instead of failing silently', async () => {
    const ha = await fakeHomeAssistant(secure, tls);
    try {
      const w = await cardOn(ha, { url: plain.url, token: plain.token });
      await w.page.waitForFunction(() =>
        /served over HTTPS.*server\.tls_cert/.test(
          document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('.kvm-overlay')!.textContent ??
            '',
        ),
      );
      await w.close();
    } finally {
      ha.close();
    }
  });

  it('direct mode to an https:// board and Home Assistant mode both show the live picture', async () => {
    const ha = await fakeHomeAssistant(secure, tls);
    try {
      const direct = await cardOn(ha, { url: secure.url, token: secure.token });
      await direct.page.waitForFunction(
        () =>
          (document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('.screen') as HTMLElement)
            .dataset.trouble === 'online',
        null,
        { timeout: 15_000 },
      );
      await untilPictureMoves(direct.page, 'kvmr0ck-card .kvm-picture');
      await direct.close();
      const viaHa = await cardOn(ha, { entity: 'camera.kvm', node_id: 'desk' });
      await untilPictureMoves(viaHa.page, 'kvmr0ck-card .kvm-picture');
      await viaHa.close();
    } finally {
      ha.close();
    }
  });
});
