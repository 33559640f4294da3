import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { type Broker, type Probe, probe, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import { recordFigure } from './figures.js';

const TEXT = 'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(2).trim();
const DOWN_MS = 3000;

interface Report {
  fn: string;
  hex: string;
}

/** Key-down reports on the keyboard (a byte after the modifier/reserved pair is not zero). */
function keyDowns(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Report)
    .filter(
      (r) =>
        r.fn === 'keyboard' &&
        r.hex
          .split(' ')
          .slice(2)
          .some((b) => b !== '00'),
    ).length;
}

async function apiState(d: Daemon): Promise<{ mqtt: { connected: boolean; queued: number } }> {
  const r = await fetch(`${d.url}api/state`, { headers: d.authHeaders });
  return (await r.json()) as { mqtt: { connected: boolean; queued: number } };
}

/**
 * The broker dies (SIGKILL, no persistence) while the daemon types a command it got over MQTT, and
 * comes back a few seconds later. Typing goes on (USB does not need the broker); the daemon shows
 * MQTT offline meanwhile; on reconnect it republishes availability, discovery and state, delivers
 * the result it held, and a sender retrying the same id is answered without a second run.
 */
describe('broker killed and restarted mid-typing', () => {
  let broker: Broker;
  let d: Daemon;
  let p: Probe;
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-brk-'));
  const reports = path.join(dir, 'reports.jsonl');
  const node = 'brk';
  const base = `kvmr0ck/${node}`;
  beforeAll(async () => {
    broker = await startMosquitto();
    d = await startDaemon({
      command: 'demo',
      env: {
        ...mqttEnv(broker.url, node),
        KVMR0CK_MQTT__RECONNECT_MIN_MS: '200',
        KVMR0CK_MQTT__RECONNECT_MAX_MS: '1000',
        // 110 characters at 2 reports of 20 ms each: about 4.5 s of typing.
        KVMR0CK_HID__TYPE_DELAY_MS: '20',
        KVMR0CK_HID__RECORDING__FILE: reports,
      },
    });
    p = await probe(broker.url, [`${base}/#`, `homeassistant/device/${node}/config`]);
    await p.wait((t, pl) => t === `${base}/availability` && pl.toString() === 'online', 10_000);
  }, 30_000);
  afterAll(async () => {
    await p?.close();
    await d?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('types once, shows offline while down, republishes and delivers the held result', async () => {
    const cmd = JSON.stringify({ id: 'typing-1', action: 'type', text: TEXT });
    await p.client.publishAsync(`${base}/command`, cmd, { qos: 1 });
    await until(() => keyDowns(reports) >= 10, 10_000, 'typing to start');

    const downAt = Date.now();
    await broker.kill();
    await until(async () => !(await apiState(d)).mqtt.connected, 5000, 'the daemon to see the broker gone');
    const offlineSeenMs = Date.now() - downAt;
    const typedWhileDown = keyDowns(reports);
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downAt))));
    // Typing finished during the outage: its result waits in the queue, visible in the state.
    await until(() => keyDowns(reports) >= TEXT.length, 10_000, 'typing to finish');
    // The last key-up follows the last key-down by one type delay; then the result is queued.
    await until(async () => (await apiState(d)).mqtt.queued > 0, 2000, 'the result to be queued').catch(
      () => {},
    );
    const queuedWhileDown = (await apiState(d)).mqtt.queued;
    const before = p.messages.length;

    await broker.start();
    const upAt = Date.now();
    await until(() => p.client.connected, 10_000, 'the probe to reconnect');
    await p.client.subscribeAsync([`${base}/#`, `homeassistant/device/${node}/config`], { qos: 1 });
    const result = await p.wait(
      (t, pl) => t === `${base}/command/result` && pl.includes('"typing-1"'),
      10_000,
    );
    const fresh = () => p.messages.slice(before);
    await until(
      () =>
        fresh().some((m) => m.topic === `${base}/availability` && m.payload.toString() === 'online') &&
        fresh().some((m) => m.topic === `${base}/state`) &&
        fresh().some((m) => m.topic === `homeassistant/device/${node}/config`),
      10_000,
      'availability, state and discovery after the restart',
    );
    const republishedMs = Date.now() - upAt;

    // The sender never saw a result before the outage, so it retries with the same id.
    await p.client.publishAsync(`${base}/command`, cmd, { qos: 1 });
    await until(
      () =>
        p.messages.filter((m) => m.topic === `${base}/command/result` && m.payload.includes('"typing-1"'))
          .length >= 2,
      10_000,
      'the answer to the retry',
    );
    await new Promise((r) => setTimeout(r, 500));
    const downs = keyDowns(reports);
    const state = await apiState(d);

    recordFigure({
      surface: 'broker restart',
      figure: 'offline shown after kill (ms)',
      value: offlineSeenMs,
      target: '< 5000',
    });
    recordFigure({
      surface: 'broker restart',
      figure: 'results held while down',
      value: queuedWhileDown,
      target: '1',
    });
    recordFigure({
      surface: 'broker restart',
      figure: 'republished after restart (ms)',
      value: republishedMs,
    });
    recordFigure({
      surface: 'broker restart',
      figure: 'characters typed / sent',
      value: `${downs} / ${TEXT.length}`,
      target: 'equal (no double run)',
    });

    expect(typedWhileDown).toBeLessThan(TEXT.length);
    expect(queuedWhileDown).toBe(1);
    expect(JSON.parse(result.toString())).toEqual({ id: 'typing-1', ok: true });
    expect(downs).toBe(TEXT.length);
    expect(state.mqtt).toMatchObject({ connected: true, queued: 0 });
    const res = await fetch(`${d.url}api/state`, { headers: d.authHeaders });
    expect(res.status).toBe(200);
  });
});
