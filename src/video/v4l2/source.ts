import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { type Logger, OnceLogger } from '../../core/log.js';
import type { Frame, FrameConsumer, FrameSource, SampleRange, SourceStatus } from '../types.js';
import {
  type CaptureDevice,
  type CaptureDeviceFactory,
  type Dequeued,
  type NegotiatedFormat,
  POLLERR,
  POLLIN,
  POLLPRI,
  V4l2Error,
} from './capture-device.js';
import { chooseFormat } from './choose.js';

export interface V4l2SourceOptions {
  device: string;
  /** `auto` or a fourcc. */
  format: string;
  /** Used when the device has no DV timings (USB dongles): the size to ask for. */
  width: number;
  height: number;
  fps: number;
  idleFps: number;
  buffers: number;
  /** EDID file (hex text or binary) to load into the bridge at open; empty: leave it. */
  edidFile: string;
  /** `auto`: what the driver reports; otherwise this range (video.range). */
  range?: 'auto' | SampleRange;
  /** Makes the device for `device` (device.ts's openV4l2Device; a fake in tests). */
  devices: CaptureDeviceFactory;
  clock: Clock;
  log: Logger;
}

/** Back-off between tries: doubles from the first, up to the cap for no signal or for other faults. */
export const BACKOFF_MS = { first: 250, noSignalCap: 1000, faultCap: 5000 };

/**
 * How long a renegotiation waits for frames still out (being encoded) before opening the device
 * again. Their buffers stay mapped until they return either way; waiting spares the new session
 * an EBUSY from a driver whose old buffers still exist. A frame held longer is a leak elsewhere.
 */
export const DRAIN_MS = 2000;

/** Why there is no picture, in words for the state and the no-signal screen. */
const NO_SIGNAL: Record<string, string> = {
  ENOLINK: 'no signal (no cable or source off)',
  ENOLCK: 'no signal lock (unstable or unsupported timing)',
  ERANGE: 'signal out of range',
  ENODATA: 'no signal',
};

/**
 * Captures from a V4L2 device (HDMI bridge or USB dongle): negotiates DV timings and a format,
 * streams mmap'ed buffers straight to the pipeline, follows source changes, and turns missing
 * signal or a vanished device into state, retrying with back-off. It never throws after start.
 */
export class V4l2Source implements FrameSource {
  readonly name: string;
  private consumer: FrameConsumer | null = null;
  private running = false;
  private idle = false;
  private loop: Promise<void> | null = null;
  private dev: CaptureDevice | null = null;
  private generation = 0;
  private edidLoaded = false;
  /** Frames delivered and not yet released, per device (a closed device's count runs down). */
  private readonly outstanding = new Map<CaptureDevice, number>();
  /** Devices closed while frames were out: unmapped when the last one comes back. */
  private readonly closing = new Set<CaptureDevice>();
  /** Pauses to end early when a frame comes back or the source stops. */
  private readonly waiters = new Set<() => void>();
  /** Whether the current session got as far as streaming (then the back-off starts over). */
  private streamed = false;
  private maxFps = 0;
  private readonly faultLog = new OnceLogger(60_000);

  constructor(private readonly o: V4l2SourceOptions) {
    this.name = `v4l2:${o.device}`;
  }

  async start(consumer: FrameConsumer): Promise<void> {
    this.consumer = consumer;
    this.maxFps ||= this.o.fps;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.consumer = null;
  }

  setIdle(idle: boolean): void {
    this.idle = idle;
  }

  setMaxFps(fps: number): void {
    this.maxFps = fps;
  }

  private status(s: Partial<SourceStatus> & { signal: boolean; reason: string | null }): void {
    this.consumer?.status({ width: 0, height: 0, format: '', fps: 0, ...s });
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MS.first;
    while (this.running) {
      let delay = 0;
      try {
        await this.session();
      } catch (err) {
        const code = err instanceof V4l2Error ? err.code : '';
        const gone = code === 'ENOENT' || code === 'ENODEV';
        // A device that comes back is a new device: it gets the EDID again.
        if (gone) this.edidLoaded = false;
        const reason = NO_SIGNAL[code] ?? (gone ? 'device gone' : `capture error: ${errorMessage(err)}`);
        if (this.faultLog.shouldLog(reason))
          this.o.log.warn({ device: this.o.device, err: errorMessage(err) }, `video: ${reason}`);
        this.status({ signal: false, reason });
        // A fault after streaming starts the back-off over; faults in a row double it.
        if (this.streamed) backoff = BACKOFF_MS.first;
        delay = backoff;
        backoff = Math.min(backoff * 2, NO_SIGNAL[code] ? BACKOFF_MS.noSignalCap : BACKOFF_MS.faultCap);
      } finally {
        // Let go of a vanished device at once: while its buffers are mapped the kernel keeps its
        // node number, and the device coming back would appear under another /dev/videoN.
        this.closeDevice();
      }
      // Before opening again: the back-off, and the frames still out coming home (bounded).
      await Promise.all([
        this.pause(delay, () => false),
        this.pause(DRAIN_MS, () => this.closing.size === 0),
      ]);
    }
  }

  /** Resolves after `ms`, or sooner once the source stops or `done()` holds when woken. */
  private pause(ms: number, done: () => boolean): Promise<void> {
    if (ms <= 0 || !this.running || done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        timer.cancel();
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (!this.running || done()) finish();
      };
      const timer = this.o.clock.setTimeout(finish, ms);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private closeDevice(): void {
    const dev = this.dev;
    this.dev = null;
    if (!dev) return;
    this.generation++;
    try {
      dev.streamOff();
    } catch {
      // already gone
    }
    // Frames still being encoded point into the mapped buffers: unmap when the last comes back.
    if ((this.outstanding.get(dev) ?? 0) === 0) {
      this.outstanding.delete(dev);
      dev.close();
    } else this.closing.add(dev);
  }

  private frameDone(dev: CaptureDevice): void {
    const n = (this.outstanding.get(dev) ?? 1) - 1;
    this.outstanding.set(dev, n);
    if (n === 0 && this.closing.delete(dev)) {
      this.outstanding.delete(dev);
      dev.close();
      this.wake();
    }
  }

  /** One open-negotiate-stream cycle; returns to renegotiate (source change), throws on faults. */
  private async session(): Promise<void> {
    this.streamed = false;
    const dev = this.o.devices(this.o.device);
    this.dev = dev;
    dev.open();
    const cap = dev.querycap();
    if (!cap.streaming) throw new Error(`${this.o.device} (${cap.card}) cannot stream`);
    // The bridge keeps its EDID while the device exists: load it once per appearance, not on every
    // renegotiation (a bridge that is streaming refuses it with EBUSY).
    if (this.o.edidFile && !this.edidLoaded) {
      try {
        this.loadEdid(dev);
        this.edidLoaded = true;
      } catch (err) {
        if (this.faultLog.shouldLog('edid'))
          this.o.log.warn({ err: errorMessage(err) }, 'video: loading the EDID failed; capturing anyway');
      }
    }
    let width = this.o.width;
    let height = this.o.height;
    let fps = this.o.fps;
    let hasTimings = true;
    try {
      const t = dev.queryDvTimings();
      dev.setDvTimings(t);
      width = t.width;
      height = t.height;
      fps = t.fps || fps;
    } catch (err) {
      // ENOTTY/EINVAL: no DV timings (a USB dongle); anything else is a real no-signal condition.
      if (err instanceof V4l2Error && (err.code === 'ENOTTY' || err.code === 'EINVAL')) hasTimings = false;
      else throw err;
    }
    try {
      dev.subscribeSourceChange();
    } catch {
      // Not every driver raises source-change events; bridges do.
    }
    const choice = chooseFormat(dev.enumFormats(), this.o.format);
    const negotiated = dev.setFormat(choice.fourcc, width, height);
    const fmt: NegotiatedFormat =
      this.o.range && this.o.range !== 'auto' && negotiated.format !== 'MJPEG'
        ? { ...negotiated, range: this.o.range }
        : negotiated;
    dev.allocate(this.o.buffers, fmt.memPlanes);
    dev.streamOn();
    this.streamed = true;
    this.faultLog.reset();
    this.o.log.info(
      `video: capturing ${fmt.width}x${fmt.height}${hasTimings ? ` @ ${fps} Hz` : ''} ${fmt.fourcc}${fmt.format === 'MJPEG' ? '' : ` (${fmt.range} range)`} from ${cap.card} (${cap.driver}${cap.multiplanar ? ', multi-planar' : ''}): ${choice.why}`,
    );
    this.status({
      signal: true,
      reason: null,
      width: fmt.width,
      height: fmt.height,
      format: fmt.format,
      fps,
      range: fmt.range,
    });
    await this.stream(dev, fmt);
  }

  private loadEdid(dev: CaptureDevice): void {
    const text = readFileSync(this.o.edidFile);
    // Hex text (as shipped in config/edid/) or a binary .bin file.
    const hex = text
      .toString('latin1')
      .replace(/#.*$/gm, '')
      .replace(/[^0-9a-fA-F]/g, '');
    const edid =
      /^[0-9a-fA-F]+$/.test(hex) && hex.length % 256 === 0 && text.length > 256
        ? Buffer.from(hex, 'hex')
        : text;
    if (edid.length === 0 || edid.length % 128 !== 0)
      throw new Error(`${this.o.edidFile}: an EDID is whole 128-byte blocks`);
    dev.setEdid(edid);
    this.o.log.info(`video: loaded EDID ${this.o.edidFile} (${edid.length / 128} blocks)`);
  }

  private async stream(dev: CaptureDevice, fmt: NegotiatedFormat): Promise<void> {
    const gen = this.generation;
    let lastDelivered = -Infinity;
    while (this.running) {
      const { revents } = await dev.poll(POLLIN | POLLPRI, 200);
      if (!this.running || gen !== this.generation) return;
      if (revents & POLLPRI && dev.dequeueEvent()) {
        this.o.log.info('video: source changed: renegotiating');
        return;
      }
      if (revents & POLLERR) throw new V4l2Error('poll', 19);
      if (!(revents & POLLIN)) continue;
      const got = dev.dequeue(fmt.memPlanes);
      if (!got) continue;
      // A damaged frame is dropped: a cut-short JPEG passed through shows as a torn picture, and
      // an empty MJPEG buffer is no JPEG at all.
      if (got.error || (fmt.format === 'MJPEG' && got.bytesused[0] === 0)) {
        this.o.log.debug({ sequence: got.sequence }, 'video: dropped a frame the driver flagged as damaged');
        dev.queue(got.index);
        continue;
      }
      const now = this.o.clock.monotonic();
      // Pace to the configured rate (idle: slowly, but never stop: dongles report a lost cable then).
      const minGap = 1000 / (this.idle ? this.o.idleFps : this.maxFps);
      if (now - lastDelivered < minGap * 0.9) {
        dev.queue(got.index);
        continue;
      }
      lastDelivered = now;
      this.deliver(dev, fmt, got, now, gen);
    }
  }

  private deliver(dev: CaptureDevice, fmt: NegotiatedFormat, got: Dequeued, now: number, gen: number): void {
    const buf = dev.buffers[got.index]!;
    let released = false;
    const frame: Frame = {
      format: fmt.format,
      width: fmt.width,
      height: fmt.height,
      data: buf.planes.map((p, i) =>
        fmt.format === 'MJPEG' ? p.view.subarray(0, got.bytesused[i]) : p.view,
      ),
      strides: fmt.strides,
      range: fmt.range,
      bytesUsed: got.bytesused.reduce((a, b) => a + b, 0),
      sequence: got.sequence,
      capturedAt: now,
      release: () => {
        if (released) return;
        released = true;
        this.frameDone(dev);
        // After a renegotiation the buffer belongs to a closed device: nothing to give back.
        if (gen === this.generation && this.dev === dev) {
          try {
            dev.queue(got.index);
          } catch (err) {
            this.o.log.debug({ err: errorMessage(err) }, 'video: requeue failed');
          }
        }
      },
    };
    this.outstanding.set(dev, (this.outstanding.get(dev) ?? 0) + 1);
    if (this.consumer) this.consumer.frame(frame);
    else frame.release();
  }
}
