import { createHash } from 'node:crypto';
import { CommandExecutor, type CommandResult } from '../commands/execute.js';
import type { MacroEvent, MacroLike } from '../commands/macros.js';
import type { Config } from '../config/schema.js';
import type { AppState } from '../core/app-state.js';
import { type Clock, systemClock } from '../core/clock.js';
import { errorMessage, KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import type { HidApi } from '../hid/api.js';
import type { HubFrame, StreamHub } from '../video/stream-hub.js';
import { BrokerConnection } from './client.js';
import { buildDiscovery, type Component, SELECT_NONE } from './discovery.js';
import { CommandInbox } from './inbound.js';
import { resolveNodeId, type Topics, topicsFor } from './node-id.js';
import { resizeSnapshot } from './snapshot.js';
import { buildState, discreteChanged, hostState, type MqttState } from './states.js';

export interface MqttServiceOptions {
  config: Config;
  store: StateStore<AppState>;
  hub: StreamHub;
  hid: HidApi;
  macros?: MacroLike | null;
  log: Logger;
  version: string;
  clock?: Clock;
  /** The panel URL for the device's configuration_url (after the HTTP server started). */
  panelUrl?: () => string | null;
  /** Live max-fps change; default only updates config.video.fps. */
  setMaxFps?: (fps: number) => void;
}

/**
 * Home Assistant over MQTT: availability, discovery, states, the screen image and commands.
 * Off (start does nothing) while mqtt.url is empty. The daemon runs on whether or not the broker
 * is reachable; the connection retries in the background.
 */
export class MqttService implements Service {
  readonly name = 'mqtt';
  private conn: BrokerConnection | null = null;
  private topics: Topics | null = null;
  private nodeId_ = '';
  private published: Record<string, Component> = {};
  private lastState: MqttState | null = null;
  private lastStateAt = 0;
  private lastFrameId = 0;
  private lastDigest = '';
  /** Our own snapshot waits, not shown as stream clients. */
  private ownViewers = 0;
  private lastChangeAt = 0;
  private macroStatus = 'idle';
  private timers: NodeJS.Timeout[] = [];
  private discoveryTimer: NodeJS.Timeout | null = null;
  private unsubs: (() => void)[] = [];
  private snapshotInFlight: Promise<void> | null = null;

  constructor(private readonly o: MqttServiceOptions) {}

  get nodeId(): string {
    return this.nodeId_;
  }

  /**
   * For macro steps that publish (the macro service's Publisher). Our own command topics are
   * refused, so a macro cannot make this daemon run commands behind the command checks' back.
   */
  readonly publisher = {
    publish: async (topic: string, payload: string, opts: { retain: boolean }): Promise<void> => {
      if (!this.conn || !this.topics) throw new KvmError('COMMAND_REFUSED', 'MQTT is off or not started');
      if (/[#+]/.test(topic) || topic === '')
        throw new KvmError('BAD_REQUEST', 'publish: topic must not be empty or hold + or #');
      const t = this.topics;
      if (topic === t.command || topic.startsWith(`${t.set}/`)) {
        throw new KvmError('COMMAND_REFUSED', 'publish: a macro may not send commands to this kvmr0ck');
      }
      await this.conn.publishAcked(topic, payload, opts.retain);
    },
  };

  private get clock(): Clock {
    return this.o.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const c = this.o.config.mqtt;
    if (c.url === '') {
      this.o.log.info({}, 'mqtt: off (mqtt.url is empty)');
      return;
    }
    this.nodeId_ = resolveNodeId(c.node_id, c.machine_id_file);
    const topics = topicsFor(c.topic_prefix, c.discovery_prefix, this.nodeId_);
    this.topics = topics;
    this.lastChangeAt = this.clock.monotonic();
    const macros = this.o.macros ?? null;
    const executor = new CommandExecutor({ hid: this.o.hid, macros, snapshot: () => this.publishSnapshot() });
    const inbox = new CommandInbox({
      topics,
      executor,
      limits: { maxTextLength: c.max_text_length, maxKeys: c.max_keys, maxPayloadBytes: c.max_payload_bytes },
      maxAgeMs: c.max_command_age_s * 1000,
      readOnly: c.read_only || this.o.config.auth.read_only,
      now: () => this.clock.now(),
      log: this.o.log,
      publishResult: (r: CommandResult) => this.conn?.publishQueued(topics.result, JSON.stringify(r)),
      resetSelect: () => this.conn?.publish(topics.macroSelect, SELECT_NONE, { retain: true }),
      clearText: () => this.conn?.publish(topics.textState, '', { retain: true }),
      setQuality: (n) => {
        this.o.config.video.quality = n;
        this.publishState(true);
      },
      setMaxFps: (n) => {
        this.o.config.video.fps = n;
        this.o.setMaxFps?.(n);
        this.publishState(true);
      },
    });
    this.conn = new BrokerConnection({
      config: c,
      clientId:
        c.client_id ||
        (this.nodeId_.startsWith('kvmr0ck') ? this.nodeId_ : `kvmr0ck_${this.nodeId_}`).slice(0, 64),
      availabilityTopic: topics.availability,
      log: this.o.log,
      handlers: {
        onConnect: () => {
          this.conn!.publish(topics.availability, 'online', { retain: true, qos: 1 });
          // Read-only subscribes to no command topic at all: nothing sent there even reaches us.
          const readOnly = c.read_only || this.o.config.auth.read_only;
          this.conn!.subscribe(
            readOnly ? [topics.haStatus] : [topics.command, `${topics.set}/#`, topics.haStatus],
          );
          this.scheduleDiscovery();
        },
        onStatus: (s) => this.o.store.patch('mqtt', s),
        onMessage: (topic, payload, packet) => {
          if (topic === topics.haStatus) {
            // HA's birth message is not retained; a restarted HA forgets retained-less state.
            if (payload.toString() === 'online') this.scheduleDiscovery();
            return;
          }
          inbox.handle(topic, payload, packet);
        },
      },
    });
    this.unsubs.push(
      this.o.store.subscribe((slice, value, prev) => {
        if (slice === 'video') {
          const v = value as AppState['video'];
          const p = prev as AppState['video'];
          if (v.signal !== p.signal || v.width !== p.width || v.height !== p.height)
            void this.publishSnapshot();
        }
        this.publishState(false);
      }),
    );
    if (macros?.onEvent) this.unsubs.push(macros.onEvent((e) => this.onMacroEvent(e)));
    if (macros?.onChange) this.unsubs.push(macros.onChange(() => this.publishDiscovery()));
    this.timers.push(setInterval(() => this.tick(), c.state_interval_s * 1000));
    if (c.snapshot_interval_s > 0) {
      this.timers.push(setInterval(() => void this.publishSnapshot(), c.snapshot_interval_s * 1000));
    }
    this.o.store.patch('mqtt', { enabled: true, connected: false });
    this.conn.open();
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (this.discoveryTimer) clearTimeout(this.discoveryTimer);
    for (const u of this.unsubs.splice(0)) u();
    await this.conn?.close();
    this.conn = null;
    this.o.store.patch('mqtt', { connected: false });
  }

  /** Discovery then every state, after a random delay (many devices answer HA's birth at once). */
  private scheduleDiscovery(): void {
    if (this.discoveryTimer) clearTimeout(this.discoveryTimer);
    const delay = Math.floor(Math.random() * this.o.config.mqtt.discovery_delay_ms);
    this.discoveryTimer = setTimeout(() => {
      this.discoveryTimer = null;
      this.publishDiscovery();
      this.publishState(true);
      this.conn?.publish(this.topics!.macroSelect, SELECT_NONE, { retain: true });
      this.conn?.publish(this.topics!.textState, '', { retain: true });
      void this.publishSnapshot();
    }, delay);
  }

  publishDiscovery(): void {
    const c = this.o.config.mqtt;
    if (!this.conn || !this.topics) return;
    const { payload, current } = buildDiscovery(
      {
        node: this.nodeId_,
        topics: this.topics,
        deviceName: c.device_name,
        version: this.o.version,
        panelUrl: this.o.config.server.public_url || this.o.panelUrl?.() || null,
        readOnly: c.read_only,
        textEntity: c.text_entity,
        textMode: c.text_mode,
        textMax: c.max_text_length,
        macros: this.o.macros ? this.o.macros.list() : null,
      },
      this.published,
    );
    this.published = current;
    this.conn.publish(this.topics.discovery, JSON.stringify(payload), { retain: true, qos: 1 });
  }

  private tick(): void {
    // The pipeline publishes every captured frame, so a new frame id does not mean a new picture:
    // compare the JPEG bytes (same pixels + same encoder = same bytes; HDMI capture is exact,
    // noisy analog dongles will read as always active).
    const f = this.o.hub.latest();
    if (f && f.id !== this.lastFrameId) {
      this.lastFrameId = f.id;
      const digest = createHash('sha1').update(f.jpeg).digest('hex');
      if (digest !== this.lastDigest) {
        this.lastDigest = digest;
        this.lastChangeAt = this.clock.monotonic();
      }
    }
    this.publishState(false);
  }

  private currentState(): MqttState {
    const s = this.o.store.get();
    const still = this.o.config.mqtt.still_after_s * 1000;
    const own = this.ownViewers;
    const view =
      own > 0 ? { ...s, stream: { ...s.stream, clients: Math.max(0, s.stream.clients - own) } } : s;
    return buildState(view, {
      host: hostState(s.video.signal, s.usb.state, this.clock.monotonic() - this.lastChangeAt, still),
      macro: this.macroStatus,
      jpegQuality: this.o.config.video.quality,
      maxFps: this.o.config.video.fps,
    });
  }

  /** Step changes go out at once; counters at most every state_interval_s. */
  private publishState(force: boolean): void {
    if (!this.conn?.connected || !this.topics) return;
    const next = this.currentState();
    const now = this.clock.monotonic();
    const due = now - this.lastStateAt >= this.o.config.mqtt.state_interval_s * 1000;
    if (!force && !discreteChanged(this.lastState, next) && !due) return;
    if (!force && this.lastState && JSON.stringify(this.lastState) === JSON.stringify(next)) return;
    this.lastState = next;
    this.lastStateAt = now;
    this.conn.publish(this.topics.state, JSON.stringify(next), { retain: true, qos: 0 });
  }

  /** One resize at a time; callers during one share it. Waits briefly for a first frame. */
  private publishSnapshot(): Promise<void> {
    if (!this.conn?.connected || !this.topics) return Promise.resolve();
    if (this.snapshotInFlight) return this.snapshotInFlight;
    const run = async () => {
      // Count as a viewer while waiting: with nobody watching the pipeline does not encode, so
      // hub.latest() may be minutes old (same as /snapshot.jpg?fresh=1).
      this.ownViewers++;
      const release = this.o.hub.addClient();
      let f: HubFrame | null;
      try {
        const last = this.o.hub.latest();
        f = (await this.o.hub.next(last?.id ?? 0, { timeoutMs: 3000 })) ?? this.o.hub.latest();
      } finally {
        release();
        this.ownViewers--;
      }
      if (!f || !this.topics) return;
      const c = this.o.config.mqtt;
      const jpeg = await resizeSnapshot(f.jpeg, c.snapshot_height, c.snapshot_quality);
      // Retained, so HA shows the screen right after it restarts.
      this.conn?.publish(this.topics.screen, jpeg, { retain: true, qos: 0 });
    };
    this.snapshotInFlight = run()
      .catch((e: unknown) => this.o.log.warn({ err: errorMessage(e) }, 'mqtt: snapshot failed'))
      .finally(() => {
        this.snapshotInFlight = null;
      });
    return this.snapshotInFlight;
  }

  private onMacroEvent(e: MacroEvent): void {
    this.macroStatus = e.type === 'started' ? `running ${e.name}` : `${e.type} ${e.name}`;
    this.publishState(true);
    if (e.type !== 'started' && this.topics) {
      // https://www.home-assistant.io/integrations/event.mqtt/ : event_type picks the event.
      const ev: Record<string, unknown> = { event_type: e.type, macro: e.name };
      if (e.error) ev.error = e.error;
      // Events wait out a broker outage (an automation may wait for "finished"); `at` tells late from fresh.
      ev.at = new Date(this.clock.now()).toISOString();
      this.conn?.publishQueued(this.topics.event, JSON.stringify(ev));
    }
  }
}
