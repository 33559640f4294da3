import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { MacroEvent } from '../commands/macros.js';
import type { AppState } from '../core/app-state.js';
import type { StateStore } from '../core/state.js';

export interface MetricsDeps {
  store: StateStore<AppState>;
  onMacroEvent: (listener: (e: MacroEvent) => void) => () => void;
  /** Read at scrape time; absent when the daemon has no broker configured. */
  mqttConnected?: () => boolean;
  version: string;
}

/**
 * GET /metrics in Prometheus text format: an own registry (no process-wide globals), gauges read
 * from the state store at scrape time, macro results counted as they happen. Behind the same auth
 * as the API; scrapers send the bearer token.
 */
export function metricsRoutes(app: FastifyInstance, deps: MetricsDeps): void {
  const registry = new Registry();
  const s = () => deps.store.get();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  new Gauge({
    name: 'kvmr0ck_info',
    help: 'Version of the daemon',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: deps.version }, 1);
  gauge('kvmr0ck_video_signal', '1 when the capture device has a picture', () => (s().video.signal ? 1 : 0));
  gauge('kvmr0ck_video_capture_fps', 'Frames captured per second', () => s().video.captureFps);
  gauge('kvmr0ck_video_encode_fps', 'Frames encoded per second', () => s().video.encodeFps);
  gauge('kvmr0ck_video_encode_ms_p50', 'Median JPEG encode time, ms', () => s().video.encodeMsP50);
  gauge('kvmr0ck_video_encode_ms_p95', '95th percentile JPEG encode time, ms', () => s().video.encodeMsP95);
  gauge(
    'kvmr0ck_video_dropped_frames',
    'Frames dropped because the encoder was busy',
    () => s().video.droppedFrames,
  );
  gauge(
    'kvmr0ck_video_unchanged_frames',
    'Frames skipped as identical to the previous one',
    () => s().video.unchangedFrames,
  );
  gauge('kvmr0ck_stream_clients', 'Connected MJPEG stream clients', () => s().stream.clients);
  gauge(
    'kvmr0ck_stream_sent_fps',
    'Frames sent to stream clients per second, all clients',
    () => s().stream.sentFps,
  );
  gauge('kvmr0ck_hid_online', '1 when the HID devices accept reports', () => (s().hid.online ? 1 : 0));
  gauge('kvmr0ck_hid_error', '1 while the HID sink is offline because of an error', () =>
    s().hid.error === null ? 0 : 1,
  );
  gauge('kvmr0ck_hid_reports_written', 'HID reports written since start', () => s().hid.reportsWritten);
  gauge('kvmr0ck_hid_keys_held', 'Keys currently held on the target', () => s().hid.keysHeld);
  gauge('kvmr0ck_usb_configured', '1 when the target has configured the USB gadget', () =>
    s().usb.state === 'configured' ? 1 : 0,
  );
  const mqttConnected = deps.mqttConnected;
  if (mqttConnected) {
    gauge('kvmr0ck_mqtt_connected', '1 while connected to the MQTT broker', () => (mqttConnected() ? 1 : 0));
  }
  const runs = new Counter({
    name: 'kvmr0ck_macro_runs_total',
    help: 'Macro runs by result',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const r of ['finished', 'failed', 'cancelled']) runs.inc({ result: r }, 0);
  deps.onMacroEvent((e) => {
    if (e.type !== 'started') runs.inc({ result: e.type });
  });

  app.get('/metrics', async (_req, reply) =>
    reply.header('Content-Type', registry.contentType).send(await registry.metrics()),
  );
}
