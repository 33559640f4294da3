// The panel's latency and frame-rate readout: capture -> paint, from each painted frame's capture
// time (the board's clock, X-Timestamp) and this page's paint time, related through the clock
// offset the WebSocket pings measure.

import type { ClockOffset } from './socket.js';
import type { PaintedFrame } from './stream.js';

/** Frames the readout looks back over: the median of these is shown, so one late frame does not jump it. */
const WINDOW_MS = 2000;

export interface Readout {
  /** Median capture -> paint, ms; null until a frame and a clock sample are both in. */
  latencyMs: number | null;
  /** Frames painted per second over the window. */
  fps: number;
  /** How far the latency can be off: half the best ping's round trip, ms. */
  errorMs: number | null;
}

export class LatencyMeter {
  private frames: { paintedAt: number; latency: number | null }[] = [];

  constructor(private readonly clock: ClockOffset) {}

  painted(f: PaintedFrame): void {
    const c = this.clock.best;
    // Board time of the paint = page time + offset; its age is that minus the capture time.
    const latency = c && f.capturedAt !== null ? f.paintedAt + c.offset - f.capturedAt : null;
    this.frames.push({ paintedAt: f.paintedAt, latency });
    const from = f.paintedAt - WINDOW_MS;
    while (this.frames.length > 0 && this.frames[0]!.paintedAt < from) this.frames.shift();
  }

  readout(now: number): Readout {
    const recent = this.frames.filter((f) => f.paintedAt >= now - WINDOW_MS);
    const lat = recent.flatMap((f) => (f.latency === null ? [] : [f.latency])).sort((a, b) => a - b);
    const c = this.clock.best;
    return {
      latencyMs: lat.length > 0 ? Math.max(0, Math.round(lat[lat.length >> 1]!)) : null,
      fps: Math.round((recent.length * 1000) / WINDOW_MS),
      errorMs: c ? Math.round(c.error) : null,
    };
  }
}
