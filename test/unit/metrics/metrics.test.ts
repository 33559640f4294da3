import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { MacroEvent } from '../../../src/commands/macros.js';
import { initialAppState } from '../../../src/core/app-state.js';
import { StateStore } from '../../../src/core/state.js';
import { metricsRoutes } from '../../../src/http/metrics.js';

async function setup(mqtt = false) {
  const store = new StateStore(initialAppState());
  const listeners: ((e: MacroEvent) => void)[] = [];
  const app = Fastify();
  metricsRoutes(app, {
    store,
    version: '1.2.3',
    mqtt,
    onMacroEvent: (l) => {
      listeners.push(l);
      return () => {};
    },
  });
  const scrape = async () => (await app.inject({ url: '/metrics' })).body;
  const emit = (e: MacroEvent) => {
    for (const l of listeners) l(e);
  };
  return { store, scrape, emit };
}

describe('GET /metrics', () => {
  it('reads the state store at scrape time', async () => {
    const { store, scrape } = await setup();
    expect(await scrape()).toContain('kvmr0ck_video_signal 0');
    store.patch('video', { signal: true, captureFps: 59.9, encodeMsP95: 4.2, cpuMsPerFrame: 3.5 });
    store.patch('stream', { clients: 3, sentFps: 90 });
    store.patch('hid', { reportsWritten: 17, error: 'ESHUTDOWN' });
    const text = await scrape();
    for (const line of [
      'kvmr0ck_info{version="1.2.3"} 1',
      'kvmr0ck_video_signal 1',
      'kvmr0ck_video_capture_fps 59.9',
      'kvmr0ck_video_encode_ms_p95 4.2',
      'kvmr0ck_video_cpu_ms_per_frame 3.5',
      'kvmr0ck_stream_clients 3',
      'kvmr0ck_stream_sent_fps 90',
      'kvmr0ck_hid_reports_written_total 17',
      'kvmr0ck_hid_error 1',
      '# TYPE kvmr0ck_hid_reports_written_total counter',
    ]) {
      expect(text).toContain(line);
    }
    // The resident set is read at scrape time, not from the state.
    const rss = Number(/^kvmr0ck_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
    expect(rss).toBeGreaterThan(10 * 2 ** 20);
  });

  it('counts HID errors and MQTT disconnects as they happen', async () => {
    const { store, scrape } = await setup(true);
    store.patch('hid', { online: false, error: 'ESHUTDOWN: the host went away' });
    store.patch('hid', { online: true, error: null });
    store.patch('hid', { online: false, error: 'ENOENT: /dev/hidg0 is gone' });
    store.patch('mqtt', { enabled: true, connected: true });
    store.patch('mqtt', { connected: false, queued: 2 });
    const text = await scrape();
    expect(text).toContain('kvmr0ck_hid_errors_total 2');
    expect(text).toContain('kvmr0ck_mqtt_disconnects_total 1');
    expect(text).toContain('kvmr0ck_mqtt_queued 2');
  });

  it('counts macro runs by result, not starts', async () => {
    const { scrape, emit } = await setup();
    emit({ type: 'started', name: 'a' });
    emit({ type: 'finished', name: 'a' });
    emit({ type: 'failed', name: 'b', error: 'x' });
    emit({ type: 'failed', name: 'b', error: 'x' });
    const text = await scrape();
    expect(text).toContain('kvmr0ck_macro_runs_total{result="finished"} 1');
    expect(text).toContain('kvmr0ck_macro_runs_total{result="failed"} 2');
    expect(text).toContain('kvmr0ck_macro_runs_total{result="cancelled"} 0');
    expect(text).not.toContain('result="started"');
  });

  it('reports MQTT connected only when a broker is configured', async () => {
    const withBroker = await setup(true);
    expect(await withBroker.scrape()).toContain('kvmr0ck_mqtt_connected 0');
    withBroker.store.patch('mqtt', { enabled: true, connected: true });
    expect(await withBroker.scrape()).toContain('kvmr0ck_mqtt_connected 1');
    expect(await (await setup()).scrape()).not.toContain('kvmr0ck_mqtt_connected');
  });

  it('two apps in one process keep separate registries', async () => {
    const a = await setup();
    const b = await setup();
    a.store.patch('stream', { clients: 5 });
    expect(await a.scrape()).toContain('kvmr0ck_stream_clients 5');
    expect(await b.scrape()).toContain('kvmr0ck_stream_clients 0');
  });
});
