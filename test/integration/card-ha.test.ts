import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchedPage } from '../helpers/browser.js';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { CAMERA_TOKEN, fakeHomeAssistant, untilCardLive } from '../helpers/ha-page.js';
import { type Broker, type Probe, probe, startMosquitto } from '../helpers/mosquitto.js';
import { recorded, relReport, untilRecorded } from '../helpers/recorded.js';
import { until } from '../helpers/wait.js';

const NODE = 'cardha';

/**
 * The card in Home Assistant mode against a real daemon over a real broker: the page's fake `hass`
 * publishes what the card asks `mqtt.publish` for, and carries the macro status sensor with the
 * attributes HA takes from the board's retained macro list (its json_attributes_topic).
 */
describe('kvmr0ck-card in Home Assistant mode, through MQTT to the daemon', { timeout: 120_000 }, () => {
  let broker: Broker;
  let d: Daemon;
  let browser: Browser;
  let ha: { url: string; close(): void };
  let mq: Probe;
  beforeAll(async () => {
    broker = await startMosquitto();
    d = await startDaemon({ command: 'demo', timeoutMs: 30_000, env: mqttEnv(broker.url, NODE) });
    mq = await probe(broker.url, [`kvmr0ck/${NODE}/macros`]);
    browser = await launchChromium();
    ha = await fakeHomeAssistant(d);
  }, 90_000);
  afterAll(async () => {
    ha?.close();
    await browser?.close();
    await mq?.close();
    await d?.stop('SIGKILL');
    await broker?.stop();
  });

  it('sends relative motion in batches, asks before a dangerous macro, runs one with parameters and cancels it', async () => {
    const macros = JSON.parse((await mq.wait((t) => t.endsWith('/macros'), 15_000)).toString()) as {
      node_id: string;
      macros: { name: string; dangerous: boolean }[];
    };
    expect(macros.node_id).toBe(NODE);
    expect(macros.macros.find((m) => m.name === 'sysrq_reboot')?.dangerous).toBe(true);

    const w = await watchedPage(browser, { viewport: { width: 760, height: 620 } });
    const page = w.page;
    const published: string[] = [];
    await page.exposeFunction('publish', async (topic: string, payload: string) => {
      published.push(payload);
      await mq.client.publishAsync(topic, payload, { qos: 1 });
    });
    await page.goto(ha.url);
    await page.waitForFunction(() => customElements.get('kvmr0ck-card') !== undefined);
    await page.evaluate(
      ({ token, attrs }) => {
        const publish = (window as unknown as { publish(t: string, p: string): Promise<void> }).publish;
        const states: Record<string, { state: string; attributes: Record<string, unknown> }> = {
          'camera.kvm': { state: 'streaming', attributes: { access_token: token } },
          'sensor.kvm_macro_status': { state: 'idle', attributes: attrs },
        };
        const card = document.createElement('kvmr0ck-card') as HTMLElement & {
          setConfig(c: object): void;
          hass: object;
        };
        const hass = {
          states,
          callService: (_d: string, _s: string, data: { topic: string; payload: string }) =>
            publish(data.topic, data.payload),
        };
        (window as unknown as { setMacroState(s: string): void }).setMacroState = (s) => {
          states['sensor.kvm_macro_status'] = { state: s, attributes: attrs };
          card.hass = { ...hass, states: { ...states } };
        };
        card.setConfig({ entity: 'camera.kvm', node_id: 'cardha', macros: ['enter_bios', 'sysrq_reboot'] });
        card.hass = hass;
        document.getElementById('host')!.append(card);
      },
      { token: CAMERA_TOKEN, attrs: macros },
    );
    await untilCardLive(page);

    // Relative mouse: the first click locks the pointer; motion goes as summed move_rel commands.
    await page.selectOption('kvmr0ck-card select.mouse-mode', 'rel');
    const box = (await page.locator('kvmr0ck-card .kvm-picture').boundingBox())!;
    await page.mouse.move(box.x + 100, box.y + 100);
    await page.mouse.down({ button: 'right' });
    await page.mouse.up({ button: 'right' });
    await page.waitForFunction(
      () =>
        document
          .querySelector('kvmr0ck-card')!
          .shadowRoot!.pointerLockElement?.classList.contains('screen') === true,
    );
    const before = published.length;
    const t0 = Date.now();
    await page.mouse.move(box.x + 220, box.y + 160, { steps: 30 });
    const moved = Date.now() - t0;
    await untilRecorded(
      d,
      t0,
      'mouse_rel',
      (h) => {
        const r = h.map(relReport);
        return r.reduce((a, b) => a + b.dx, 0) === 120 && r.reduce((a, b) => a + b.dy, 0) === 60;
      },
      'a relative move of 120, 60 through MQTT',
    );
    const moves = published.slice(before).map((p) => JSON.parse(p) as { move_rel?: object });
    expect(moves.every((m) => m.move_rel !== undefined)).toBe(true);
    // 30 pointer events, summed every 50 ms: at most one command per 50 ms window (+1 for the tail).
    expect(moves.length).toBeLessThanOrEqual(Math.ceil(moved / 50) + 1);
    expect(moves.length).toBeLessThan(30);
    // The click after relative motion is a click where the pointer is, not a jump back to a position.
    const r0 = Date.now();
    await page.mouse.down();
    await page.mouse.up();
    await untilRecorded(
      d,
      r0,
      'mouse_rel',
      (h) => h.some((x) => relReport(x).buttons === 1),
      'a relative click',
    );
    expect((await recorded(d, r0, 'mouse')).length).toBe(0);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.selectOption('kvmr0ck-card select.mouse-mode', 'abs');

    // A dangerous macro only opens its confirmation; Close runs nothing.
    const sentBefore = published.length;
    await page.click('kvmr0ck-card button[data-macro="sysrq_reboot"]');
    await page.waitForSelector('kvmr0ck-card .kvm-macro-form .kvm-warn');
    expect(await page.textContent('kvmr0ck-card .kvm-macro-form button[type="submit"]')).toBe(
      'Confirm and run',
    );
    await page.click('kvmr0ck-card .kvm-macro-form button:text("Close")');
    expect(published.length).toBe(sentBefore);

    // A macro with parameters: its form, then F2 (usage 0x3b) taps on the target until cancelled.
    await page.click('kvmr0ck-card button[data-macro="enter_bios"]');
    await page.selectOption('kvmr0ck-card .kvm-macro-form select[name="key"]', 'f2');
    const t1 = Date.now();
    await page.click('kvmr0ck-card .kvm-macro-form button[type="submit"]');
    await untilRecorded(d, t1, 'keyboard', (h) => h.includes('00 00 3b 00 00 00 00 00'), 'F2 taps');
    expect(JSON.parse(published.at(-1)!)).toMatchObject({
      action: 'macro',
      name: 'enter_bios',
      params: { key: 'f2' },
    });
    // HA shows the macro status sensor running; the card offers Cancel, which stops the taps.
    await page.evaluate(() =>
      (window as unknown as { setMacroState(s: string): void }).setMacroState('running enter_bios'),
    );
    await page.click('kvmr0ck-card .status button.kvm-cancel');
    await until(
      async () => {
        const s = (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as {
          macro: { running: string | null };
        };
        return !s.macro.running;
      },
      10_000,
      'the macro cancelled',
    );
    expect(JSON.parse(published.at(-1)!)).toMatchObject({ action: 'cancel' });
    await w.close();
  });
});
