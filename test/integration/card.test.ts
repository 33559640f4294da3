import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { type Daemon, startDaemon } from '../helpers/daemon.js';

/** The Lovelace card in a test page with a stand-in `hass`, in both modes. */
describe('kvmr0ck-card', () => {
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

  async function pageWithCard() {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body><div id="host"></div></body></html>');
    await page.addScriptTag({ url: `${d.url}kvmr0ck-card.js` });
    return page;
  }

  it('registers itself for the card picker with a stub config', async () => {
    const page = await pageWithCard();
    const info = await page.evaluate(() => ({
      cards: (window as unknown as { customCards: { type: string }[] }).customCards.map((c) => c.type),
      stub: (customElements.get('kvmr0ck-card') as unknown as { getStubConfig(): object }).getStubConfig(),
    }));
    expect(info.cards).toContain('kvmr0ck-card');
    expect(info.stub).toHaveProperty('url');
  });

  it('in Home Assistant mode publishes commands with mqtt.publish and shows the camera picture', async () => {
    const page = await pageWithCard();
    const calls = await page.evaluate(() => {
      const calls: unknown[] = [];
      const card = document.createElement('kvmr0ck-card') as HTMLElement & {
        setConfig(c: object): void;
        hass: object;
      };
      card.setConfig({ entity: 'camera.kvm', node_id: 'desk', macros: ['enter_bios'] });
      card.hass = {
        states: { 'camera.kvm': { attributes: { entity_picture: '/api/camera_proxy/camera.kvm?token=x' } } },
        callService: (domain: string, service: string, data: object) => calls.push({ domain, service, data }),
      };
      document.getElementById('host')!.append(card);
      (card.querySelector('[data-act="cad"]') as HTMLButtonElement).click();
      (card.querySelector('[data-macro="enter_bios"]') as HTMLButtonElement).click();
      (card.querySelector('.text') as HTMLInputElement).value = 'hello';
      (card.querySelector('[data-act="type"]') as HTMLButtonElement).click();
      return { calls, src: card.querySelector('img')!.getAttribute('src') };
    });
    expect(calls.src).toBe('/api/camera_proxy/camera.kvm?token=x');
    const sent = (
      calls.calls as { domain: string; service: string; data: { topic: string; payload: string } }[]
    ).map((c) => ({
      ...c,
      payload: JSON.parse(c.data.payload) as Record<string, unknown>,
    }));
    expect(sent.map((c) => `${c.domain}.${c.service} ${c.data.topic}`)).toEqual(
      Array(3).fill('mqtt.publish kvmr0ck/desk/command'),
    );
    expect(sent[0]!.payload).toMatchObject({ action: 'press', keys: ['ctrl', 'alt', 'delete'] });
    expect(sent[1]!.payload).toMatchObject({ action: 'macro', name: 'enter_bios' });
    expect(sent[2]!.payload).toMatchObject({ action: 'type', text: 'hello' });
    expect(typeof sent[0]!.payload.ts).toBe('number');
  });

  it('in direct mode streams from the daemon and sends input over its WebSocket', async () => {
    const page = await pageWithCard();
    const t0 = Date.now();
    await page.evaluate(
      ({ url, token }) => {
        const card = document.createElement('kvmr0ck-card') as HTMLElement & { setConfig(c: object): void };
        card.setConfig({ url, token });
        document.getElementById('host')!.append(card);
      },
      { url: d.url, token: d.token },
    );
    await page.waitForFunction(
      () => (document.querySelector('kvmr0ck-card img') as HTMLImageElement).naturalWidth === 1280,
      null,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(500); // the WebSocket opens
    await page.click('kvmr0ck-card .text');
    await page.fill('kvmr0ck-card .text', 'ok');
    await page.click('kvmr0ck-card [data-act="type"]');
    await page.waitForTimeout(1000);
    const rec = (await (
      await fetch(`${d.url}api/hid/recorded?since=${t0}`, { headers: d.authHeaders })
    ).json()) as {
      reports: { fn: string; hex: string }[];
    };
    const kb = rec.reports.filter((r) => r.fn === 'keyboard').map((r) => r.hex);
    // o (0x12) then k (0x0e), each pressed and released.
    expect(kb).toContain('00 00 12 00 00 00 00 00');
    expect(kb).toContain('00 00 0e 00 00 00 00 00');
    expect(kb.at(-1)).toBe('00 00 00 00 00 00 00 00');
  });
});
