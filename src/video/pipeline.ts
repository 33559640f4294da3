import type { AppState } from '../core/app-state.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import { RateMeter, round, SampleWindow } from '../core/stats.js';
import { CostMeter } from './cost.js';
import { NoSignalPicture } from './no-signal.js';
import type { StreamHub } from './stream-hub.js';
import type { Frame, FrameSource, JpegEncoder, SourceStatus } from './types.js';

export interface PipelineOptions {
  source: FrameSource;
  encoder: JpegEncoder;
  hub: StreamHub;
  store: StateStore<AppState>;
  clock: Clock;
  log: Logger;
  quality: () => number;
  /** Drop frames identical to the previous one (still sending one every `keepaliveMs`). */
  dropSame?: () => { enabled: boolean; keepaliveMs: number };
}

/**
 * Source → encoder → hub. The encoder works on one frame at a time; while it is busy only the
 * newest waiting frame is kept (older ones are released at once), so latency never builds up.
 */
export class VideoPipeline implements Service {
  readonly name = 'video';
  private pending: Frame | null = null;
  private inflight = 0;
  /** Capture time of the newest frame published: an older result finishing late is dropped. */
  private lastPublished = -1;
  private stopped = true;
  private statsTimer: TimerHandle | null = null;
  private unsubClients: (() => void) | null = null;
  private unsubSent: (() => void) | null = null;
  private captureRate!: RateMeter;
  private encodeRate!: RateMeter;
  private sentRate!: RateMeter;
  private encodeMs = new SampleWindow(120);
  private noSignal: SourceStatus | null = null;
  private lastLuma: Buffer | null = null;
  private lastLumaLength = 0;
  private lastSentAt = 0;
  private unchangedFrames = 0;
  private noSignalTimer: TimerHandle | null = null;
  private readonly noSignalPicture = new NoSignalPicture();
  /** A no-signal frame is being encoded: its buffer is not redrawn until the encoder is done. */
  private noSignalBusy = false;
  private dropped = 0;
  private encoded = 0;
  private readonly cost = new CostMeter();

  constructor(private readonly o: PipelineOptions) {}

  async start(): Promise<void> {
    const now = () => this.o.clock.monotonic();
    this.captureRate = new RateMeter(now);
    this.encodeRate = new RateMeter(now);
    this.sentRate = new RateMeter(now);
    this.stopped = false;
    await this.o.encoder.start();
    this.o.store.patch('video', { source: this.o.source.name, encoder: this.o.encoder.name });
    this.unsubClients = this.o.hub.onDemand((demand, viewers) => {
      this.o.source.setIdle(demand === 0);
      // The drop-same copy serves stream viewers only (see unchanged()): with none left it is
      // dropped (2 MB at 1080p, given back at V8's next collection).
      if (viewers === 0) {
        this.lastLuma = null;
        this.lastLumaLength = 0;
      }
      this.o.store.patch('stream', { clients: viewers });
    });
    this.unsubSent = this.o.hub.onSent(() => this.sentRate.mark());
    this.o.source.setIdle(this.o.hub.demand === 0);
    await this.o.source.start({
      frame: (f) => this.onFrame(f),
      status: (s) => this.onStatus(s),
    });
    this.scheduleStats();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.statsTimer?.cancel();
    this.noSignalTimer?.cancel();
    this.unsubClients?.();
    this.unsubSent?.();
    await this.o.source.stop();
    this.pending?.release();
    this.pending = null;
    await this.o.encoder.stop();
  }

  private onStatus(s: SourceStatus): void {
    if (s.signal) {
      this.noSignalTimer?.cancel();
      this.noSignalTimer = null;
    } else {
      this.noSignal = s;
      if (!this.noSignalTimer) this.showNoSignal();
    }
    this.o.store.patch('video', {
      signal: s.signal,
      signalReason: s.reason,
      width: s.width,
      height: s.height,
      format: s.format,
      range: s.signal && s.format !== 'MJPEG' && s.format !== '' ? (s.range ?? 'full') : '',
    });
  }

  private onFrame(frame: Frame): void {
    if (this.stopped) {
      frame.release();
      return;
    }
    this.captureRate.mark();
    // Nobody watching: capture goes on slowly (see FrameSource.setIdle) but nothing is encoded;
    // a snapshot request registers as a viewer and gets the next frame.
    if (this.o.hub.demand === 0) {
      frame.release();
      return;
    }
    const luma = this.unchanged(frame);
    if (luma === 'same') {
      frame.release();
      this.unchangedFrames++;
      return;
    }
    if (this.inflight >= (this.o.encoder.concurrency ?? 1)) {
      // Every encoder is busy: keep only the newest waiting frame.
      if (this.pending) {
        this.pending.release();
        this.dropped++;
      }
      this.pending = frame;
      if (luma) this.rememberLuma(luma);
      return;
    }
    // The luma is copied once the encode is on its thread (the native encoder queues it before
    // returning): the copy (2 MB at 1080p) then overlaps the encode instead of delaying it, ~0.5 ms
    // of frame-to-client latency (npm run bench); the frame is released only when its encode
    // settles, after this. A passed-through MJPEG frame is released within encode(): copied first.
    const overlap = frame.format !== 'MJPEG';
    if (luma && !overlap) this.rememberLuma(luma);
    void this.encode(frame);
    if (luma && overlap) this.rememberLuma(luma);
  }

  /**
   * 'same' when the frame's luma is byte-identical to the last one encoded and a frame went out
   * less than `sameFrameKeepaliveMs` ago: a static desktop then costs a memcmp instead of an
   * encode. Comparing raw planes (~0.2 ms at 1080p) before encoding, not JPEGs after, saves the
   * encode too. Otherwise the luma to remember for the next comparison (null: nothing new to
   * remember, or drop-same is off).
   */
  private unchanged(frame: Frame): 'same' | Uint8Array | null {
    const opts = this.o.dropSame?.();
    // Only for stream viewers: a snapshot (MQTT's every few seconds, /snapshot) wants the next
    // frame as it is, and comparing for it would hold the luma copy for one skipped encode at most.
    if (!opts?.enabled || this.o.hub.viewers === 0) return null;
    const y =
      frame.format === 'MJPEG'
        ? frame.data[0]!.subarray(0, frame.bytesUsed)
        : frame.data[0]!.subarray(0, frame.strides[0]! * frame.height);
    const now = this.o.clock.monotonic();
    const same =
      this.lastLuma !== null &&
      this.lastLumaLength === y.length &&
      Buffer.compare(Buffer.from(y.buffer, y.byteOffset, y.length), this.lastLuma.subarray(0, y.length)) ===
        0;
    if (same && now - this.lastSentAt < opts.keepaliveMs) return 'same';
    this.lastSentAt = now;
    return same ? null : y;
  }

  private rememberLuma(y: Uint8Array): void {
    if (!this.lastLuma || this.lastLuma.length < y.length) this.lastLuma = Buffer.allocUnsafe(y.length);
    // Buffer#copy (memmove): TypedArray#set from an mmap'd capture view is ~4x slower.
    Buffer.from(y.buffer, y.byteOffset, y.length).copy(this.lastLuma);
    this.lastLumaLength = y.length;
  }

  private async encode(f: Frame): Promise<void> {
    this.inflight++;
    const t0 = this.o.clock.monotonic();
    try {
      const jpeg =
        f.format === 'MJPEG'
          ? Buffer.from(f.data[0]!.subarray(0, f.bytesUsed))
          : await this.o.encoder.encode(f, this.o.quality());
      const t1 = this.o.clock.monotonic();
      if (f.format !== 'MJPEG') this.encodeMs.add(t1 - t0);
      this.encodeRate.mark();
      this.encoded++;
      if (f.capturedAt > this.lastPublished && !this.stopped) {
        this.lastPublished = f.capturedAt;
        this.o.hub.publish({
          jpeg,
          width: f.width,
          height: f.height,
          sequence: f.sequence,
          capturedAt: f.capturedAt,
          encodedAt: t1,
          synthetic: false,
        });
      } else {
        this.dropped++;
      }
    } catch (err) {
      if (!this.stopped) this.o.log.warn({ err: errorMessage(err) }, 'encoding a frame failed');
    } finally {
      f.release();
      this.inflight--;
    }
    const next = this.pending;
    this.pending = null;
    if (next && !this.stopped) void this.encode(next);
    else next?.release();
  }

  /**
   * While there is no signal, a rendered no-signal picture goes out every second: viewers see why
   * the screen is empty, and stream clients stay connected and fed until video returns.
   */
  private showNoSignal(): void {
    const s = this.noSignal;
    if (!s || this.stopped) return;
    const last = this.o.hub.latest();
    const w = s.width || last?.width || 1280;
    const h = s.height || last?.height || 720;
    if (!this.noSignalBusy) {
      this.noSignalBusy = true;
      const frame = this.noSignalPicture.frame(
        w,
        h,
        s.reason ?? 'no signal',
        new Date(this.o.clock.now()),
        this.o.clock.monotonic(),
      );
      this.o.encoder
        .encode(frame, 70)
        .then((jpeg) => {
          if (this.stopped || !this.noSignalTimer) return;
          const now = this.o.clock.monotonic();
          this.o.hub.publish({
            jpeg,
            width: frame.width,
            height: frame.height,
            sequence: 0,
            capturedAt: now,
            encodedAt: now,
            synthetic: true,
          });
          this.lastPublished = now;
        })
        .catch((err) => this.o.log.warn({ err: errorMessage(err) }, 'encoding the no-signal picture failed'))
        .finally(() => {
          this.noSignalBusy = false;
        });
    }
    this.noSignalTimer = this.o.clock.setTimeout(() => this.showNoSignal(), 1000);
  }

  private scheduleStats(): void {
    this.statsTimer = this.o.clock.setTimeout(() => {
      if (this.stopped) return;
      const cost = this.cost.tick(this.encoded);
      this.o.store.patch('video', {
        rssMiB: round(cost.rssMiB, 1),
        cpuMsPerFrame: round(cost.cpuMsPerFrame, 2),
        captureFps: round(this.captureRate.rate()),
        encodeFps: round(this.encodeRate.rate()),
        encodeMsP50: round(this.encodeMs.percentile(50), 2),
        encodeMsP95: round(this.encodeMs.percentile(95), 2),
        droppedFrames: this.dropped,
        unchangedFrames: this.unchangedFrames,
      });
      this.o.store.patch('stream', { sentFps: round(this.sentRate.rate()) });
      this.scheduleStats();
    }, 1000);
  }
}
