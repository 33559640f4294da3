import type { Clock, TimerHandle } from '../core/clock.js';
import { drawText, GLYPH_H, textWidth } from './font5x7.js';
import type { Frame, FrameConsumer, FrameSource } from './types.js';

export interface TestPatternOptions {
  width: number;
  height: number;
  fps: number;
  idleFps: number;
  clock: Clock;
  /** Wall-clock time for the on-screen clock (separate from `clock` so tests can fix it). */
  wallTime?: () => Date;
  /**
   * After this long (ms, 0 = never) the pattern turns into a still "setup screen", as a machine
   * that reached its BIOS would: lets demos and tests see macros such as enter_bios finish.
   */
  stillAfterMs?: number;
}

/**
 * 100% colour bars as full-range (JFIF) YCbCr, the range JPEG carries: white, yellow, cyan, green,
 * magenta, red, blue, black.
 */
const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [255, 128, 128],
  [226, 0, 149],
  [179, 170, 0],
  [150, 44, 21],
  [105, 212, 235],
  [76, 85, 255],
  [29, 255, 107],
  [0, 128, 128],
];

/**
 * At most this many frames out at once, like a capture driver's buffer queue. Each is made the
 * first time every earlier one is still held downstream: idle (one frame every half second) and a
 * 1080p stream whose encode keeps up both use one, 3 MiB instead of four's 12 MiB resident.
 */
const BUFFERS = 4;

/**
 * The built-in source when no capture hardware is present: moving colour bars, a clock with
 * milliseconds and a frame counter, so latency and frozen frames are visible to the eye.
 * Frames are I420, the same planar layout the real encoder path uses.
 */
export class TestPatternSource implements FrameSource {
  readonly name = 'test-pattern';
  private consumer: FrameConsumer | null = null;
  private timer: TimerHandle | null = null;
  private idle = false;
  private seq = 0;
  private free: Uint8Array[] = [];
  private made = 0;
  private barRowY = new Uint8Array(0);
  private barRowU = new Uint8Array(0);
  private barRowV = new Uint8Array(0);
  private startedAt = 0;
  private fps: number;
  private readonly w: number;
  private readonly h: number;

  constructor(private readonly opts: TestPatternOptions) {
    this.fps = opts.fps;
    // Even sizes keep 4:2:0 chroma planes exact.
    this.w = opts.width & ~1;
    this.h = opts.height & ~1;
  }

  async start(consumer: FrameConsumer): Promise<void> {
    this.consumer = consumer;
    this.startedAt = this.opts.clock.monotonic();
    this.free = [];
    this.made = 0;
    this.prepareBars();
    consumer.status({
      signal: true,
      reason: null,
      width: this.w,
      height: this.h,
      format: 'I420',
      fps: this.fps,
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.consumer = null;
  }

  setIdle(idle: boolean): void {
    this.idle = idle;
  }

  setMaxFps(fps: number): void {
    this.fps = fps;
  }

  private schedule(): void {
    if (!this.consumer) return;
    const fps = this.idle ? this.opts.idleFps : this.fps;
    this.timer = this.opts.clock.setTimeout(() => {
      this.emit();
      this.schedule();
    }, 1000 / fps);
  }

  /** Two periods of the bars side by side, so any horizontal offset is one contiguous copy. */
  private prepareBars(): void {
    const w = this.w;
    const cw = w / 2;
    this.barRowY = new Uint8Array(w * 2);
    this.barRowU = new Uint8Array(cw * 2);
    this.barRowV = new Uint8Array(cw * 2);
    for (let x = 0; x < w * 2; x++) {
      const bar = BARS[Math.floor(((x % w) * BARS.length) / w)]!;
      this.barRowY[x] = bar[0];
      if (x % 2 === 0) {
        this.barRowU[x / 2] = bar[1];
        this.barRowV[x / 2] = bar[2];
      }
    }
  }

  private emit(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    let buf = this.free.pop();
    if (!buf && this.made < BUFFERS) {
      this.made++;
      buf = new Uint8Array(this.w * this.h * 1.5);
    }
    this.seq++;
    // All buffers still held downstream: the consumer is behind, so this frame is skipped.
    if (!buf) return;
    this.render(buf, this.seq);
    const { w, h } = this;
    const ySize = w * h;
    const cSize = ySize / 4;
    let released = false;
    const frame: Frame = {
      format: 'I420',
      width: w,
      height: h,
      data: [buf.subarray(0, ySize), buf.subarray(ySize, ySize + cSize), buf.subarray(ySize + cSize)],
      strides: [w, w / 2, w / 2],
      bytesUsed: buf.length,
      sequence: this.seq,
      capturedAt: this.opts.clock.monotonic(),
      release: () => {
        if (released) return;
        released = true;
        this.free.push(buf);
      },
    };
    consumer.frame(frame);
  }

  /** A motionless blue "setup" screen with fixed text (see `stillAfterMs`). */
  private renderSetupScreen(buf: Uint8Array): void {
    const { w, h } = this;
    const ySize = w * h;
    // JFIF YCbCr of a BIOS-like blue (0, 0, 170).
    buf.fill(19, 0, ySize);
    buf.fill(222, ySize, ySize + ySize / 4);
    buf.fill(116, ySize + ySize / 4);
    const scale = Math.max(2, Math.floor(h / 120));
    drawText(buf, w, h, 4 * scale, 4 * scale, 'SETUP UTILITY', scale, 235);
    drawText(buf, w, h, 4 * scale, 16 * scale, 'KVMR0CK TEST PATTERN', Math.max(1, scale >> 1), 200);
  }

  private render(buf: Uint8Array, seq: number): void {
    const { w, h } = this;
    const still = this.opts.stillAfterMs ?? 0;
    if (still > 0 && this.opts.clock.monotonic() - this.startedAt >= still) {
      this.renderSetupScreen(buf);
      return;
    }
    const cw = w / 2;
    const ch = h / 2;
    const ySize = w * h;
    const yPlane = buf.subarray(0, ySize);
    const uPlane = buf.subarray(ySize, ySize + ySize / 4);
    const vPlane = buf.subarray(ySize + ySize / 4);
    const barsH = Math.floor((h * 2) / 3) & ~1;
    // Bars scroll one full width every 4 seconds at the nominal rate.
    const offset = (Math.floor((seq * w) / (this.fps * 4)) % w) & ~1;
    for (let y = 0; y < barsH; y++) yPlane.set(this.barRowY.subarray(offset, offset + w), y * w);
    for (let y = 0; y < barsH / 2; y++) {
      uPlane.set(this.barRowU.subarray(offset / 2, offset / 2 + cw), y * cw);
      vPlane.set(this.barRowV.subarray(offset / 2, offset / 2 + cw), y * cw);
    }
    // Lower third: dark grey band with the clock, frame counter and a sweeping marker.
    yPlane.fill(24, barsH * w);
    uPlane.fill(128, (barsH / 2) * cw, ch * cw);
    vPlane.fill(128, (barsH / 2) * cw, ch * cw);
    const now = this.opts.wallTime?.() ?? new Date(this.opts.clock.now());
    const clock = `${pad(now.getHours(), 2)}:${pad(now.getMinutes(), 2)}:${pad(now.getSeconds(), 2)}.${pad(now.getMilliseconds(), 3)}`;
    const counter = `#${pad(seq % 1_000_000, 6)}`;
    const band = h - barsH;
    const scale = Math.max(1, Math.floor(band / (GLYPH_H * 3.2)));
    const small = Math.max(1, Math.floor(scale / 3));
    const textY = barsH + Math.floor((band - GLYPH_H * scale) / 2);
    drawText(yPlane, w, h, Math.floor((w - textWidth(clock, scale)) / 2), textY, clock, scale, 255);
    drawText(
      yPlane,
      w,
      h,
      w - textWidth(counter, small) - 4 * small,
      h - (GLYPH_H + 3) * small,
      counter,
      small,
      200,
    );
    drawText(yPlane, w, h, 4 * small, barsH + 3 * small, 'KVMR0CK TEST PATTERN', small, 200);
    drawText(yPlane, w, h, 4 * small, h - (GLYPH_H + 3) * small, `${w}x${h}`, small, 200);
    // A marker that sweeps the bottom edge once per second makes a stalled stream obvious.
    const mx = Math.floor(((seq % this.fps) / this.fps) * (w - 16)) & ~1;
    for (let y = h - 4; y < h; y++) yPlane.fill(255, y * w + mx, y * w + mx + 16);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
