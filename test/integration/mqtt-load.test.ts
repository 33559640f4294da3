import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigSchema } from '../../src/config/schema.js';
import { type AppState, initialAppState } from '../../src/core/app-state.js';
import { FakeClock } from '../../src/core/clock.js';
import { StateStore } from '../../src/core/state.js';
import { LayoutRegistry } from '../../src/hid/layout.js';
import { LAYOUTS } from '../../src/hid/layouts/index.js';
import { HidService } from '../../src/hid/service.js';
import { RecordingSink } from '../../src/hid/sinks/recording.js';
import { MqttService } from '../../src/mqtt/service.js';
import { StreamHub } from '../../src/video/stream-hub.js';
import { type Broker, probe, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import { quietLog } from '../unit/mqtt/app.js';

/**
 * Recorder load: how many MQTT messages that become Home Assistant states (one recorder row
 * each) the device sends in an hour, simulated with a FakeClock driving the service's timers
 * against a real Mosquitto, with the default config. Before this work a still screen cost about
 * 1,080 an hour (a screen every 10 s, capture fps every 5 s); the target is at most 60.
 */
let broker: Broker;
let frames: Buffer[];
beforeAll(async () => {
  broker = await startMosquitto();
  // 13 distinct pictures: a snapshot every 10 s of a picture changing every second never sees
  // the same one twice in a row (13 and 10 share no factor).
  frames = await Promise.all(
    Array.from({ length: 13 }, (_, i) =>
      sharp({ create: { width: 320, height: 180, channels: 3, background: '#203040' } })
        .composite([
          {
            input: { create: { width: 40, height: 30, channels: 3, background: '#f0f0f0' } },
            left: 20 * i,
            top: 10 + 10 * i,
          },
        ])
        .jpeg()
        .toBuffer(),
    ),
  );
});
afterAll(async () => {
  await broker?.stop();
});

/** Topics whose messages are entity states in HA (command results and commands are not). */
const STATE_TOPICS = ['state', 'screen', 'text_state', 'macro_select', 'version', 'event', 'command/error'];

async function simulate(name: string, scene: (second: number) => { picture: number; type?: string }) {
  const node = `load_${name.replace(/\W/g, '_')}_${process.pid}`;
  const base = `kvmr0ck/${node}`;
  const root = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-board-'));
  mkdirSync(path.join(root, 'proc'));
  mkdirSync(path.join(root, 'sys/class/thermal/thermal_zone0'), { recursive: true });
  writeFileSync(path.join(root, 'sys/class/thermal/thermal_zone0/type'), 'cpu-thermal\n');
  const board = (s: number) => {
    // A board whose figures move all the time, as real ones do.
    writeFileSync(path.join(root, 'sys/class/thermal/thermal_zone0/temp'), `${48_000 + (s % 7) * 700}\n`);
    writeFileSync(
      path.join(root, 'proc/loadavg'),
      `${(0.3 + (s % 11) / 20).toFixed(2)} 0.40 0.35 1/120 999\n`,
    );
    writeFileSync(
      path.join(root, 'proc/meminfo'),
      `MemTotal: 1000000 kB\nMemAvailable: ${600_000 - (s % 13) * 9000} kB\n`,
    );
    writeFileSync(path.join(root, 'proc/uptime'), `${1000 + s}.00 1500.00\n`);
  };
  board(0);
  const config = Value.Default(ConfigSchema, {
    hid: { type_delay_ms: 0 },
    paths: { proc: path.join(root, 'proc'), sys: path.join(root, 'sys'), state: root },
    mqtt: { url: broker.url, node_id: node, discovery_delay_ms: 0 },
  }) as Config;
  const clock = new FakeClock();
  const store = new StateStore<AppState>(initialAppState());
  const hub = new StreamHub();
  const sink = new RecordingSink({ capacity: 100_000, clock });
  const hid = new HidService({
    sink,
    store,
    clock,
    log: quietLog,
    config: config.hid,
    layouts: new LayoutRegistry(LAYOUTS),
  });
  const mqtt = new MqttService({
    config,
    store,
    hub,
    hid,
    log: quietLog,
    version: 'test',
    clock,
    setVideoParams: (p) => store.patch('video', { quality: p.quality, maxFps: p.maxFps }),
  });
  let second = 0;
  const frame = (s: number) => {
    const now = clock.monotonic();
    const jpeg = frames[scene(s).picture % frames.length]!;
    hub.publish({
      jpeg,
      width: 320,
      height: 180,
      sequence: s,
      capturedAt: now,
      encodedAt: now,
      synthetic: false,
    });
  };
  // The pipeline wakes when frames are wanted (our own snapshot) and its next frame follows, as
  // the real one's does.
  const offClients = hub.onDemand((n) => {
    if (n > 0) setImmediate(() => frame(second));
  });
  const p = await probe(broker.url, [`${base}/#`]);
  await hid.start();
  store.patch('video', { signal: true, width: 1920, height: 1080, captureFps: 30, encodeMsP50: 2.5 });
  store.patch('usb', { state: 'configured' });
  frame(0);
  await mqtt.start();
  try {
    await until(() => store.get().mqtt.connected, 10_000, 'the MQTT connection');
    await clock.advance(0);
    await p.wait((t) => t === `${base}/screen`, 10_000);
    await p.wait((t) => t === `${base}/version`, 10_000);
    await mqtt.idle();
    // Count from a marker our own connection sends after everything of the start-up burst.
    await mqtt.publisher.publish(`${base}/marker`, 'start', { retain: false });
    await p.wait((t, pl) => t === `${base}/marker` && pl.toString() === 'start');
    const from = p.messages.length;
    // Steps of 5 s (the figures a real pipeline patches every second change as often as the
    // service can see them: it publishes on its own timers), 1 s while typing.
    for (second = 0; second < 3600; ) {
      const s = scene(second);
      const step = s.type ? 1 : 5;
      board(second);
      store.patch('video', {
        captureFps: 29.5 + (second % 5) / 5 + step / 10,
        encodeMsP50: 2 + (second % 3) / 10,
      });
      frame(second);
      if (s.type) {
        const written = sink.records().length;
        await p.client.publishAsync(`${base}/set/type`, s.type, { qos: 1 });
        await until(() => sink.records().length > written, 10_000, 'the typed text');
      }
      await clock.advance(step * 1000);
      await mqtt.idle();
      second += step;
    }
    await mqtt.publisher.publish(`${base}/marker`, 'end', { retain: false });
    await p.wait((t, pl) => t === `${base}/marker` && pl.toString() === 'end', 10_000);
    const counts: Record<string, number> = {};
    for (const m of p.messages.slice(from)) {
      const topic = m.topic.slice(base.length + 1);
      if (STATE_TOPICS.includes(topic)) counts[topic] = (counts[topic] ?? 0) + 1;
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return { total, counts, typed: sink.records().length };
  } finally {
    offClients();
    await mqtt.stop();
    await hid.stop();
    await p.close();
  }
}

describe('recorder load: MQTT state messages per hour (default config, simulated clock, real broker)', () => {
  it('still screen <= 60 an hour; a typing minute and an active screen stay bounded', {
    timeout: 300_000,
  }, async () => {
    const still = await simulate('still screen', () => ({ picture: 0 }));
    // One minute of typing a word a second into the text entity, the screen changing as it types.
    const typing = await simulate('typing minute', (s) =>
      s >= 600 && s < 660 ? { picture: s, type: 'hello' } : { picture: 0 },
    );
    const active = await simulate('active screen', (s) => ({ picture: s }));
    const line = (n: string, r: { total: number; counts: Record<string, number> }) =>
      `  ${n.padEnd(42)} ${String(r.total).padStart(5)}  ${JSON.stringify(r.counts)}`;
    console.log(
      [
        'MQTT state messages in one simulated hour (default config):',
        line('still screen', still),
        line('still screen with one typing minute', typing),
        line('active screen (new picture every second)', active),
      ].join('\n'),
    );
    expect(still.total).toBeLessThanOrEqual(60);
    expect(still.counts.screen ?? 0).toBe(0);
    // The typing minute adds its screens (one per snapshot interval) and no echo of the text.
    // Text was typed in each of the 60 seconds (how many reports that takes depends on the profile).
    expect(typing.typed).toBeGreaterThanOrEqual(60);
    expect(typing.counts.text_state ?? 0).toBe(0);
    expect(typing.total - still.total).toBeLessThanOrEqual(6 + 4);
    // An active screen: one picture per snapshot interval (360) and the counters' 12.
    expect(active.counts.screen).toBe(360);
    expect(active.total).toBeLessThanOrEqual(360 + 15);
  });
});
