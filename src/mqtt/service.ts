import { randomUUID } from 'node:crypto';
import { CommandExecutor, type CommandResult } from '../commands/execute.js';
import type { MacroEvent, MacroLike } from '../commands/macros.js';
import type { Config } from '../config/schema.js';
import type { AppState } from '../core/app-state.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import type { HidApi } from '../hid/api.js';
import type { VideoParamsInput } from '../video/params.js';
import type { StreamHub } from '../video/stream-hub.js';
import { BrokerConnection } from './client.js';
import { buildDiscovery, configurationUrl, publishedComponents } from './discovery.js';
import { type Component, macroForEntity, SELECT_NONE, TEXT_EMPTY } from './entities.js';
import { CommandInbox } from './inbound.js';
import { resolveNodeId, type Topics, topicsFor } from './node-id.js';
import { ScreenPublisher } from './snapshot.js';
import { StatePublisher } from './state-publisher.js';
import { HID_STATE_FIELDS } from './states.js';

export interface MqttServiceOptions {
  /** Only the sections it reads: its own, the board's paths, who may write (auth.read_only), the panel's address. */
  config: Pick<Config, 'mqtt' | 'paths' | 'auth' | 'server'>;
  store: StateStore<AppState>;
  hub: StreamHub;
  hid: HidApi;
  macros?: MacroLike | null;
  log: Logger;
  version: string;
  /** Drives every timer of the service (tests simulate an hour with a FakeClock). */
  clock?: Clock;
  /** The panel's URLs once the HTTP server listens, for the device's configuration_url. */
  panelUrls?: () => string[];
  /** Live video settings (JPEG quality, max fps); the state store shows the live values. */
  setVideoParams: (p: VideoParamsInput) => void;
  /** Restarts the daemon (the Restart button); absent: no button. */
  restart?: () => void;
}

/** Waiting for our retained discovery to come back longer than this means the broker has none. */
const READ_BACK_MS = 5000;

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
  private readonly states: StatePublisher;
  private timers: TimerHandle[] = [];
  private discoveryTimer: TimerHandle | null = null;
  private unsubs: (() => void)[] = [];
  /** Set while we wait for our own retained discovery after a connect (see onConnect). */
  private readBack: { nonce: string; done: Promise<void>; finish: () => void } | null = null;
  private readonly screen: ScreenPublisher;

  constructor(private readonly o: MqttServiceOptions) {
    this.screen = new ScreenPublisher({
      hub: o.hub,
      size: () => ({ height: o.config.mqtt.snapshot_height, quality: o.config.mqtt.snapshot_quality }),
      send: (jpeg) => this.topics && this.conn?.publish(this.topics.screen, jpeg, { retain: true }),
      log: o.log,
    });
    this.states = new StatePublisher({
      config: o.config,
      store: o.store,
      hub: o.hub,
      clock: this.clock,
      send: (json) => {
        if (!this.conn?.connected || !this.topics) return false;
        this.conn.publish(this.topics.state, json, { retain: true, qos: 0 });
        return true;
      },
    });
  }

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
    const inbox = this.inbox(topics);
    this.conn = new BrokerConnection({
      config: c,
      clientId:
        c.client_id ||
        (this.nodeId_.startsWith('kvmr0ck') ? this.nodeId_ : `kvmr0ck_${this.nodeId_}`).slice(0, 64),
      availabilityTopic: topics.availability,
      log: this.o.log,
      clock: this.clock,
      handlers: {
        onConnect: () => this.onConnect(topics),
        onStatus: (s) => this.o.store.patch('mqtt', s),
        onMessage: (topic, payload, packet) => {
          if (topic === topics.haStatus) {
            // HA's birth message is not retained; a restarted HA forgets retained-less state.
            if (payload.toString() === 'online') this.scheduleDiscovery(false);
            return;
          }
          if (topic === topics.discovery || topic === topics.sync) {
            this.onReadBack(topic, payload);
            return;
          }
          inbox.handle(topic, payload, packet);
        },
      },
    });
    this.watchState();
    const macros = this.o.macros;
    if (macros?.onEvent) this.unsubs.push(macros.onEvent((e) => this.onMacroEvent(e)));
    if (macros?.onChange) this.unsubs.push(macros.onChange(() => this.publishDiscovery()));
    this.every(c.state_interval_s * 1000, () => this.states.tick());
    if (c.snapshot_interval_s > 0)
      this.every(c.snapshot_interval_s * 1000, () => void this.screen.publish(false));
    this.o.store.patch('mqtt', { enabled: true, connected: false });
    this.conn.open();
  }

  /**
   * Only what the retained state shows wakes the publisher: the HID slice changes with every key
   * report (reportsWritten, keysHeld), and 500 characters typed key by key from the panel would
   * otherwise rebuild the state about 2,000 times to find the LEDs unchanged.
   */
  private watchState(): void {
    const store = this.o.store;
    const publish = () => this.states.publish(false);
    store.on(
      'hid',
      (v, p) => {
        if (HID_STATE_FIELDS.some((k) => v[k] !== p[k])) publish();
      },
      this,
    );
    store.on(
      'video',
      (v, p) => {
        if (v.signal !== p.signal || v.width !== p.width || v.height !== p.height)
          void this.screen.publish(true);
        publish();
      },
      this,
    );
    store.on('usb', publish, this);
    store.on('stream', publish, this);
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) t.cancel();
    this.discoveryTimer?.cancel();
    this.o.store.off(this);
    for (const u of this.unsubs.splice(0)) u();
    await this.screen.idle();
    await this.conn?.close();
    this.conn = null;
    this.o.store.patch('mqtt', { connected: false });
  }

  /** State rebuilds and sends so far (see StatePublisher.counts). */
  get stateCounts(): Readonly<{ built: number; sent: number }> {
    return this.states.counts;
  }

  /** Resolves once no snapshot is being made (for callers that drive the clock themselves). */
  idle(): Promise<void> {
    return this.screen.idle();
  }

  private every(ms: number, fn: () => void): void {
    let handle: TimerHandle;
    const arm = () => {
      handle = this.clock.setTimeout(() => {
        arm();
        fn();
      }, ms);
    };
    arm();
    this.timers.push({ cancel: () => handle.cancel() });
  }

  private inbox(topics: Topics): CommandInbox {
    const c = this.o.config.mqtt;
    const executor = new CommandExecutor({
      hid: this.o.hid,
      macros: this.o.macros ?? null,
      snapshot: () => this.screen.publish(true),
    });
    return new CommandInbox({
      topics,
      executor,
      limits: { maxTextLength: c.max_text_length, maxKeys: c.max_keys, maxPayloadBytes: c.max_payload_bytes },
      maxAgeMs: c.max_command_age_s * 1000,
      readOnly: c.read_only || this.o.config.auth.read_only,
      now: () => this.clock.now(),
      log: this.o.log,
      publishResult: (r: CommandResult) => this.publishResult(r),
      entityMacro: (via, value) =>
        macroForEntity(this.o.macros?.list() ?? [], c.dangerous_macro_buttons, via, value),
      setQuality: (n) => {
        this.o.setVideoParams({ quality: n });
        this.states.publish(true);
      },
      setMaxFps: (n) => {
        this.o.setVideoParams({ maxFps: n });
        this.states.publish(true);
      },
      restart: () => {
        const restart = this.o.restart;
        if (!restart) throw new KvmError('COMMAND_REFUSED', 'restart is not available here');
        // After this message's handling: the restart stops this service.
        setImmediate(restart);
      },
    });
  }

  /** Every result goes to command/result; a failure also fires the "Command error" event entity. */
  private publishResult(r: CommandResult): void {
    const t = this.topics;
    if (!t || !this.conn) return;
    this.conn.publishQueued(t.result, JSON.stringify(r));
    if (!r.ok && r.error) {
      const ev = { event_type: 'failed', code: r.error.code, message: r.error.message, id: r.id };
      this.conn.publishQueued(
        t.error,
        JSON.stringify({ ...ev, at: new Date(this.clock.now()).toISOString() }),
      );
    }
  }

  /**
   * Online, subscriptions, then our own retained discovery read back before the first publish,
   * so components of an earlier run that no longer exist (a macro deleted while we were down)
   * are removed. The broker sends retained messages right after the SUBACK, in order with what
   * follows on this connection: when our own non-retained `sync` message comes back, every
   * retained message has arrived.
   */
  private onConnect(topics: Topics): void {
    const conn = this.conn!;
    conn.publish(topics.availability, 'online', { retain: true, qos: 1 });
    let finish!: () => void;
    const done = new Promise<void>((r) => {
      finish = r;
    });
    this.readBack = { nonce: randomUUID(), done, finish };
    // Read-only subscribes to no command topic at all: nothing sent there even reaches us.
    const readOnly = this.o.config.mqtt.read_only || this.o.config.auth.read_only;
    const commands = readOnly ? [] : [topics.command, `${topics.set}/#`];
    conn.subscribe([...commands, topics.haStatus, topics.discovery, topics.sync]);
    conn.publish(topics.sync, this.readBack.nonce, { qos: 1 });
    this.scheduleDiscovery(true);
  }

  private onReadBack(topic: string, payload: Buffer): void {
    const rb = this.readBack;
    const t = this.topics;
    if (!rb || !t) return;
    if (topic === t.discovery) {
      this.published = { ...publishedComponents(payload), ...this.published };
    } else if (payload.toString() === rb.nonce) {
      this.readBack = null;
      this.conn?.unsubscribe([t.discovery, t.sync]);
      rb.finish();
    }
  }

  /**
   * Discovery then every state, after a random delay (many devices answer HA's birth at once).
   * After a (re)connect the screen is sent too: a broker restarted without persistence lost it.
   */
  private scheduleDiscovery(connected: boolean): void {
    this.discoveryTimer?.cancel();
    const delay = Math.floor(Math.random() * this.o.config.mqtt.discovery_delay_ms);
    this.discoveryTimer = this.clock.setTimeout(() => {
      this.discoveryTimer = null;
      void this.republish(connected);
    }, delay);
  }

  private async republish(connected: boolean): Promise<void> {
    const rb = this.readBack;
    if (rb) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        rb.done,
        new Promise<void>((r) => (timer = this.clock.setTimeout(r, READ_BACK_MS))),
      ]);
      timer?.cancel();
    }
    const t = this.topics;
    if (!this.conn || !t) return;
    this.publishDiscovery();
    this.states.publish(true);
    this.conn.publish(t.macroSelect, SELECT_NONE, { retain: true });
    this.conn.publish(t.textState, TEXT_EMPTY, { retain: true });
    const v = JSON.stringify({ installed_version: this.o.version, latest_version: this.o.version });
    this.conn.publish(t.version, v, { retain: true });
    if (connected) void this.screen.publish(true);
  }

  publishDiscovery(): void {
    const c = this.o.config.mqtt;
    if (!this.conn || !this.topics) return;
    const host = this.o.config.server.host;
    const { payload, current } = buildDiscovery(
      {
        node: this.nodeId_,
        topics: this.topics,
        deviceName: c.device_name,
        version: this.o.version,
        panelUrl: configurationUrl(
          this.o.config.server.public_url,
          this.o.panelUrls?.() ?? [],
          host === '0.0.0.0' || host === '::',
        ),
        readOnly: c.read_only || this.o.config.auth.read_only,
        textEntity: c.text_entity,
        textMode: c.text_mode,
        textMax: c.max_text_length,
        macros: this.o.macros ? this.o.macros.list() : null,
        dangerousMacroButtons: c.dangerous_macro_buttons,
        board: this.states.hasBoard,
        restart: this.o.restart !== undefined,
      },
      this.published,
    );
    this.published = current;
    this.conn.publish(this.topics.discovery, JSON.stringify(payload), { retain: true, qos: 1 });
    if (this.o.macros) {
      const list = { node_id: this.nodeId_, macros: this.o.macros.list() };
      this.conn.publish(this.topics.macros, JSON.stringify(list), { retain: true });
    }
  }

  private onMacroEvent(e: MacroEvent): void {
    this.states.macroStatus = e.type === 'started' ? `running ${e.name}` : `${e.type} ${e.name}`;
    this.states.publish(true);
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
