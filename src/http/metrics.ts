import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { MacroEvent } from '../commands/macros.js';
import type { AppState } from '../core/app-state.js';
import type { StateStore } from '../core/state.js';

export interface MetricsDeps {
  store: StateStore<AppState>;
  onMacroEvent: (listener: (e: MacroEvent) => void) => () => void;
  /** MQTT figures only with a broker configured: a 0 would otherwise look like an outage. */
  mqtt: boolean;
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
  // Cumulative figures the state keeps are counters (`_total`), so Prometheus' rate() works on them.
  const counterOf = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  // Events the state only shows as a current value are counted as they happen.
  const counted = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const hidErrors = counted('kvmr0ck_hid_errors_total', 'Times the HID sink went offline with an error');
  const mqttDrops = deps.mqtt
    ? counted('kvmr0ck_mqtt_disconnects_total', 'Times the MQTT connection was lost')
    : null;
  const owner = {};
  deps.store.on(
    'hid',
    (v, p) => {
      if (v.error !== null && v.error !== p.error) hidErrors.inc();
    },
    owner,
  );
  deps.store.on(
    'mqtt',
    (v, p) => {
      if (p.connected && !v.connected) mqttDrops?.inc();
    },
    owner,
  );
  app.addHook('onClose', async () => {
    deps.store.off(owner);
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
  counterOf(
    'kvmr0ck_video_dropped_frames_total',
    'Frames dropped because the encoder was busy',
    () => s().video.droppedFrames,
  );
  counterOf(
    'kvmr0ck_video_unchanged_frames_total',
    'Frames skipped as identical to the previous one',
    () => s().video.unchangedFrames,
  );
  gauge(
    'kvmr0ck_video_cpu_ms_per_frame',
    "The daemon's CPU time per encoded frame over the last 5 s, ms (all threads)",
    () => s().video.cpuMsPerFrame,
  );
  // Read at scrape time: the state's figure is up to a second old.
  gauge('kvmr0ck_resident_memory_bytes', "The daemon's resident set size, bytes", () =>
    process.memoryUsage.rss(),
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
  counterOf('kvmr0ck_hid_reports_written_total', 'HID reports written', () => s().hid.reportsWritten);
  gauge('kvmr0ck_hid_keys_held', 'Keys currently held on the target', () => s().hid.keysHeld);
  gauge('kvmr0ck_usb_configured', '1 when the target has configured the USB gadget', () =>
    s().usb.state === 'configured' ? 1 : 0,
  );
  if (deps.mqtt) {
    gauge('kvmr0ck_mqtt_connected', '1 while connected to the MQTT broker', () =>
      s().mqtt.connected ? 1 : 0,
    );
    gauge('kvmr0ck_mqtt_queued', 'Results and events held while disconnected', () => s().mqtt.queued);
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
