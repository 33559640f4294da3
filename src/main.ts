import type { Server as HttpsServer } from 'node:https';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { AuthService } from './auth/service.js';
import type { MacroLike } from './commands/macros.js';
import type { Config } from './config/schema.js';
import { type AppState, initialAppState } from './core/app-state.js';
import { type Clock, systemClock } from './core/clock.js';
import { Lifecycle, type Service } from './core/lifecycle.js';
import type { Logger } from './core/log.js';
import { StateStore } from './core/state.js';
import { UsbStateMonitor } from './gadget/udc.js';
import { LayoutRegistry } from './hid/layout.js';
import { LAYOUTS } from './hid/layouts/index.js';
import { HidService } from './hid/service.js';
import { RecordingSink } from './hid/sinks/recording.js';
import { createHidSink } from './hid/sinks.js';
import type { HidSink } from './hid/types.js';
import { apiRoutes } from './http/api.js';
import { authHook, loginRoutes } from './http/auth.js';
import { boardAddresses, boardNames, HostGuard } from './http/hosts.js';
import { macroRoutes } from './http/macros.js';
import { metricsRoutes } from './http/metrics.js';
import { panelRoutes } from './http/panel.js';
import { createServer } from './http/server.js';
import { snapshotRoutes } from './http/snapshot.js';
import { streamRoutes } from './http/stream.js';
import { loadTls, usesTls } from './http/tls.js';
import { wsRoutes } from './http/ws.js';
import { MacroService } from './macros/service.js';
import { MqttService } from './mqtt/service.js';
import { Scheduler } from './schedule/scheduler.js';
import { createEncoder } from './video/encoders/select.js';
import { VideoParams } from './video/params.js';
import { VideoPipeline } from './video/pipeline.js';
import { createFrameSource } from './video/sources.js';
import { StreamHub } from './video/stream-hub.js';
import type { FrameSource, JpegEncoder } from './video/types.js';

export interface AppOptions {
  config: Config;
  log: Logger;
  version: string;
  clock?: Clock;
  /** Replace the parts picked from config (tests, the lab). */
  source?: FrameSource;
  sink?: HidSink;
  encoder?: JpegEncoder;
  /** A stand-in macro service for MQTT's macro entities and commands (tests). */
  macros?: MacroLike;
  /** Shows a generated access token to the person who started the daemon (CLI, when stdout is a TTY). */
  announceToken?: (token: string, file: string) => void;
  /** Asked for by the Restart button in Home Assistant; the CLI stops the app and builds a new one. */
  onRestart?: () => void;
}

export interface App {
  readonly config: Config;
  readonly store: StateStore<AppState>;
  readonly hub: StreamHub;
  readonly hid: HidService;
  readonly sink: HidSink;
  readonly server: FastifyInstance;
  readonly mqtt: MqttService;
  readonly macros: MacroService;
  readonly auth: AuthService;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** URLs the server answers on, after start. */
  urls(): string[];
}

/**
 * The composition root: the one place that picks implementations and wires them together.
 * Nothing here does I/O until `start`; `stop` undoes it in reverse order.
 */
export async function createApp(o: AppOptions): Promise<App> {
  const { config, log } = o;
  const clock = o.clock ?? systemClock;
  const store = new StateStore<AppState>(initialAppState());
  const hub = new StreamHub(clock);

  const sink =
    o.sink ??
    (await createHidSink({ hid: config.hid, gadget: config.gadget, paths: config.paths, clock, log }));
  const hid = new HidService({
    sink,
    store,
    clock,
    config: config.hid,
    layouts: new LayoutRegistry(LAYOUTS),
    log: log.child({ component: 'hid' }),
  });

  const source = o.source ?? (await createFrameSource({ video: config.video, clock, log }));
  const encoder = o.encoder ?? createEncoder(config.video, log);
  const params = new VideoParams({ store, source, quality: config.video.quality, maxFps: config.video.fps });
  const video = new VideoPipeline({
    source,
    encoder,
    hub,
    store,
    clock,
    log: log.child({ component: 'video' }),
    quality: () => params.quality,
    dropSame: () => ({
      enabled: config.video.drop_same_frames,
      keepaliveMs: config.video.same_frame_keepalive_s * 1000,
    }),
  });

  const tls = usesTls(config.server);
  const server = createServer({ log, tls, requestTimeoutMs: config.server.request_timeout_ms });
  const auth = new AuthService({
    ...config.auth,
    stateDir: config.paths.state,
    log: log.child({ component: 'auth' }),
    announce: o.announceToken,
  });
  const guard = { auth, hosts: new HostGuard(boardNames(config.server)), tls };
  authHook(server, guard);
  await server.register(async (scope) => {
    streamRoutes(scope, hub, { auth, maxClients: config.server.max_stream_clients });
    snapshotRoutes(scope, hub);
    apiRoutes(scope, {
      store,
      version: o.version,
      recording: sink instanceof RecordingSink ? sink : null,
      video: params,
    });
    panelRoutes(scope);
    loginRoutes(scope, guard);
  });

  let address: { port: number } | null = null;
  const http: Service = {
    name: 'http',
    async start() {
      const material = await loadTls(config.server, config.paths.state, log.child({ component: 'tls' }));
      if (material) (server.server as HttpsServer).setSecureContext(material);
      await server.listen({ host: config.server.host, port: config.server.port });
      const a = server.server.address();
      address = a && typeof a === 'object' ? { port: a.port } : null;
      if (config.server.ingress_port) {
        await new Promise<void>((resolve, reject) => {
          server.ingress.once('error', reject);
          server.ingress.listen(config.server.ingress_port, config.server.host, () => resolve());
        });
      }
    },
    async stop() {
      if (server.ingress.listening) {
        server.ingress.closeAllConnections();
        await new Promise((resolve) => server.ingress.close(resolve));
      }
      await server.close();
    },
  };

  const usb = new UsbStateMonitor({
    paths: config.paths,
    udc: config.gadget.udc,
    pollMs: config.gadget.udc_poll_ms,
    clock,
    store,
  });
  const macros = new MacroService({
    config: config.macros,
    hid,
    hub,
    store,
    clock,
    env: process.env,
    log: log.child({ component: 'macros' }),
  });
  const schedule = new Scheduler({
    entries: config.schedule,
    macros,
    store,
    log: log.child({ component: 'schedule' }),
  });
  await server.register(async (scope) => macroRoutes(scope, macros, auth.audit));
  await server.register(async (scope) =>
    metricsRoutes(scope, {
      store,
      version: o.version,
      onMacroEvent: (l) => macros.onEvent(l),
      mqtt: config.mqtt.url !== '',
    }),
  );
  // Over 64 KiB a message gets an error reply (ws.ts); only past 1 MiB does the socket close (1009).
  await server.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  await server.register(async (scope) =>
    wsRoutes(scope, {
      clock,
      hid,
      macros,
      store,
      auth,
      maxSessions: config.server.max_ws_sessions,
      layout: config.hid.layout,
      typing: config.hid.typing,
      video: params,
    }),
  );

  // After http (the panel URL is known), so it stops first and says `offline` while HID still works.
  const mqtt = new MqttService({
    config,
    store,
    hub,
    hid,
    macros: o.macros ?? macros,
    setVideoParams: (p) => params.set(p),
    clock,
    version: o.version,
    log: log.child({ component: 'mqtt' }),
    panelUrls: urls,
    ...(o.onRestart ? { restart: o.onRestart } : {}),
  });
  // Macro `publish` steps go out through MQTT when a broker is configured (a smart plug for a power cycle).
  if (config.mqtt.url) macros.setPublisher(mqtt.publisher);
  const lifecycle = new Lifecycle([auth, usb, hid, params, video, macros, http, mqtt, schedule], log);

  return {
    config,
    store,
    hub,
    hid,
    sink,
    server,
    mqtt,
    macros,
    auth,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
    urls,
  };

  function urls(): string[] {
    if (!address) return [];
    const host = config.server.host;
    const hosts =
      host === '0.0.0.0' || host === '::' ? ['localhost', ...boardAddresses('external-ipv4')] : [host];
    return hosts.map(
      (h) => `${tls ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${address!.port}/`,
    );
  }
}
