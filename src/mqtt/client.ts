import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage, KvmError } from '../core/errors.js';
import { type Logger, redactUrl } from '../core/log.js';
import type { MqttConfig } from './config.js';

/**
 * mqtt.js and its dependencies hold ~3.5 MiB resident once loaded (npm run bench, issue 19): they
 * are loaded on the first connect, so a daemon with no broker configured never pays for them.
 * Synchronous (its CommonJS build, the one Node's `import` resolves too), so `open()` stays so.
 * scripts/bundle.mjs rewrites this exact call into a `require` esbuild bundles (still evaluated
 * only here); the build fails if the call changes.
 */
const loadMqtt = () => createRequire(import.meta.url)('mqtt') as typeof import('mqtt');

export interface BrokerHandlers {
  onConnect(): void;
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void;
  /** Connection state for the panel and /api/state: after connect, close, error, and queue changes. */
  onStatus?(s: { connected: boolean; error: string | null; queued: number }): void;
}

/**
 * Results and events published while the broker is away, kept for the reconnect. Bounded: a long
 * outage with a schedule firing keeps the newest, and says how many it dropped.
 */
const MAX_QUEUED = 200;
/**
 * After a reconnect the held messages wait this long: when the broker itself restarted, the
 * subscribers waiting for them (a script expecting its result) are reconnecting and resubscribing
 * at the same moment, and a message sent before they are back is lost to them.
 */
const FLUSH_DELAY_MS = 1000;

export function readPassword(c: MqttConfig): string | undefined {
  if (c.password_file !== '') {
    try {
      return readFileSync(c.password_file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new KvmError(
        'CONFIG_INVALID',
        `mqtt.password_file: cannot read ${c.password_file}: ${errorMessage(e)}`,
      );
    }
  }
  return c.password === '' ? undefined : c.password;
}

/**
 * One broker connection: MQTT 5, or 3.1.1 when the broker refuses 5 (CONNACK "unsupported protocol
 * version": reason 132 in v5, return code 1 in 3.1.1). The last will marks us `offline` (retained);
 * reconnects back off exponentially from reconnect_min_ms to reconnect_max_ms, reset on success.
 */
export class BrokerConnection {
  private client: MqttClient | null = null;
  private protocol: 4 | 5 = 5;
  private delay: number;
  private stopped = false;
  private queue: { topic: string; payload: string | Buffer }[] = [];
  private dropped = 0;
  private lastError: string | null = null;
  private flushTimer: TimerHandle | null = null;

  constructor(
    private readonly o: {
      config: MqttConfig;
      clientId: string;
      availabilityTopic: string;
      log: Logger;
      /** The daemon's one clock: the flush delay and the shutdown bounds run on it (tests: FakeClock). */
      clock: Clock;
      handlers: BrokerHandlers;
    },
  ) {
    this.delay = o.config.reconnect_min_ms;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** The wait before the next reconnect attempt, ms (the back-off; read by tests and diagnostics). */
  get retryDelayMs(): number {
    return this.delay;
  }

  get protocolVersion(): 4 | 5 {
    return this.protocol;
  }

  open(): void {
    this.stopped = false;
    const c = this.o.config;
    const opts: IClientOptions = {
      protocolVersion: this.protocol,
      clientId: this.o.clientId,
      clean: true,
      keepalive: c.keepalive_s,
      reconnectPeriod: this.delay,
      connectTimeout: 10_000,
      rejectUnauthorized: !c.insecure,
      // mqtt.js's default pre-builds 65,536 two-byte Buffers for packet ids and lengths on the first
      // publish (measured in a heap snapshot: 6 MiB of Buffer objects held for the process's life);
      // writing those numbers per packet costs nothing at the daemon's few publishes a second.
      writeCache: false,
      will: { topic: this.o.availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    // MQTT 5 (3.1.4 CONNECT Maximum Packet Size): the broker must not send us anything larger, so
    // a 200 MB publish on the command topic never reaches this process. 3.1.1 has no such field:
    // there, set the broker's own max_packet_size (the README says so).
    if (this.protocol === 5) opts.properties = { maximumPacketSize: c.max_payload_bytes + 1024 };
    if (c.username !== '') opts.username = c.username;
    const password = readPassword(c);
    if (password !== undefined) opts.password = password;
    if (c.ca_file !== '') opts.ca = readFileSync(c.ca_file);
    const client = loadMqtt().connect(c.url, opts);
    this.client = client;
    client.on('connect', () => {
      this.delay = c.reconnect_min_ms;
      client.options.reconnectPeriod = this.delay;
      this.o.log.info(
        { url: redactUrl(c.url), protocol: this.protocol === 5 ? '5' : '3.1.1' },
        'mqtt: connected',
      );
      this.lastError = null;
      this.o.handlers.onConnect();
      if (this.queue.length > 0) {
        this.flushTimer?.cancel();
        this.flushTimer = this.o.clock.setTimeout(() => {
          this.flushTimer = null;
          this.flush();
          this.status();
        }, FLUSH_DELAY_MS);
      }
      this.status();
    });
    client.on('message', (topic, payload, packet) => this.o.handlers.onMessage(topic, payload, packet));
    client.on('close', () => {
      if (this.stopped) return;
      this.status();
      // Exponential back-off with jitter, so a fleet does not reconnect in lock-step.
      this.delay = Math.min(c.reconnect_max_ms, Math.round(this.delay * 2 * (0.8 + Math.random() * 0.4)));
      client.options.reconnectPeriod = this.delay;
    });
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (this.protocol === 5 && (code === 132 || code === 1)) {
        this.o.log.warn({ url: redactUrl(c.url) }, 'mqtt: broker refuses MQTT 5, falling back to 3.1.1');
        this.protocol = 4;
        client.end(true);
        this.open();
        return;
      }
      this.lastError = errorMessage(err);
      this.o.log.warn(
        { url: redactUrl(c.url), err: this.lastError, retryMs: this.delay },
        'mqtt: connection error',
      );
      this.status();
    });
  }

  private status(): void {
    this.o.handlers.onStatus?.({
      connected: this.connected,
      error: this.lastError,
      queued: this.queue.length,
    });
  }

  /** Sends what was queued while disconnected, oldest first (QoS 1 keeps their order). */
  private flush(): void {
    const client = this.client;
    if (!client?.connected || this.queue.length === 0) return;
    const queued = this.queue.splice(0);
    if (this.dropped > 0) {
      this.o.log.warn(
        { dropped: this.dropped },
        'mqtt: results and events dropped during the outage (queue full)',
      );
      this.dropped = 0;
    }
    this.o.log.info({ count: queued.length }, 'mqtt: sending results and events held while disconnected');
    for (const m of queued) client.publish(m.topic, m.payload, { qos: 1, retain: false });
  }

  /**
   * A QoS 1 message that must reach the broker even if the link is down right now: a command's
   * result (its sender waits for it) or a macro event. Held while disconnected, sent on reconnect.
   * Retained states need no queue: they are all republished on connect.
   */
  publishQueued(topic: string, payload: string | Buffer): void {
    if (this.client?.connected && this.queue.length === 0) {
      this.client.publish(topic, payload, { qos: 1, retain: false });
      return;
    }
    if (this.stopped) return;
    this.queue.push({ topic, payload });
    if (this.queue.length > MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
    this.status();
  }

  publish(topic: string, payload: string | Buffer, opts: { retain?: boolean; qos?: 0 | 1 } = {}): void {
    if (!this.client?.connected) return;
    this.client.publish(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false });
  }

  /** Resolves once the broker has the message (qos 1); rejects while disconnected. */
  async publishAcked(topic: string, payload: string | Buffer, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new KvmError('COMMAND_REFUSED', 'MQTT is not connected');
    await client.publishAsync(topic, payload, { qos: 1, retain });
  }

  subscribe(topics: string[]): void {
    // Retain As Published (MQTT 5, 3.8.3.1): a retained command published while we are subscribed
    // keeps its retain flag, so it is refused like one delivered at subscribe time.
    this.client?.subscribe(topics, { qos: 1, ...(this.protocol === 5 ? { rap: true } : {}) });
  }

  unsubscribe(topics: string[]): void {
    this.client?.unsubscribe(topics);
  }

  /** Marks us offline (retained) while still connected, then disconnects cleanly. */
  async close(): Promise<void> {
    this.stopped = true;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (client.connected) {
      // Bounded: a broker that never acknowledges must not hold up shutdown (the will covers it).
      await new Promise<void>((resolve) => {
        const timer = this.o.clock.setTimeout(resolve, 1000);
        client.publish(this.o.availabilityTopic, 'offline', { qos: 1, retain: true }, () => {
          timer.cancel();
          resolve();
        });
      });
    }
    // A clean DISCONNECT: the broker then drops the will. Forcing the socket shut instead lets a
    // restart's new connection (same client id) take over the session first, and the broker
    // publishes the old one's will, a retained `offline`, after the new `online`.
    const clean = client.endAsync(false).then(
      () => true,
      () => false,
    );
    let bound: TimerHandle | undefined;
    const timeout = new Promise<boolean>((r) => {
      bound = this.o.clock.setTimeout(() => r(false), 1000);
    });
    const ended = await Promise.race([clean, timeout]);
    bound?.cancel();
    if (!ended) await client.endAsync(true).catch(() => undefined);
  }
}
