import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { TestPatternSource } from '../../../src/video/test-pattern.js';
import type { Frame, SourceStatus } from '../../../src/video/types.js';

function run(opts: { stillAfterMs?: number } = {}) {
  const clock = new FakeClock();
  const src = new TestPatternSource({ width: 320, height: 180, fps: 30, idleFps: 1, clock, ...opts });
  const frames: Frame[] = [];
  const statuses: SourceStatus[] = [];
  return {
    clock,
    src,
    frames,
    statuses,
    start: () =>
      src.start({
        frame: (f) => {
          frames.push({ ...f, data: f.data.map((d) => new Uint8Array(d)) });
          f.release();
        },
        status: (s) => statuses.push(s),
      }),
  };
}

describe('test-pattern source', () => {
  it('announces its format and delivers I420 frames at the configured rate, slowly when idle', async () => {
    const t = run();
    await t.start();
    expect(t.statuses[0]).toMatchObject({ signal: true, width: 320, height: 180, format: 'I420' });
    await t.clock.advance(1000);
    expect(t.frames.length).toBeGreaterThanOrEqual(29);
    t.src.setIdle(true);
    const n = t.frames.length;
    await t.clock.advance(3000);
    expect(t.frames.length - n).toBeLessThanOrEqual(4);
    await t.src.stop();
  });

  it('follows a live max-fps change', async () => {
    const t = run();
    await t.start();
    t.src.setMaxFps(5);
    await t.clock.advance(100);
    const n = t.frames.length;
    await t.clock.advance(2000);
    expect(t.frames.length - n).toBeGreaterThanOrEqual(9);
    expect(t.frames.length - n).toBeLessThanOrEqual(11);
    await t.src.stop();
  });

  it('moves every frame (clock, bars, marker) until it turns into a still setup screen', async () => {
    const t = run({ stillAfterMs: 500 });
    await t.start();
    await t.clock.advance(300);
    const [a, b] = t.frames.slice(-2);
    expect(Buffer.from(a!.data[0]!).equals(Buffer.from(b!.data[0]!))).toBe(false);
    await t.clock.advance(1000);
    const [c, d] = t.frames.slice(-2);
    expect(Buffer.from(c!.data[0]!).equals(Buffer.from(d!.data[0]!))).toBe(true);
    await t.src.stop();
  });
});

describe('test-pattern buffers', () => {
  it('uses one frame buffer while frames come back, and at most four while they are held', async () => {
    const clock = new FakeClock();
    const src = new TestPatternSource({ width: 320, height: 180, fps: 30, idleFps: 1, clock });
    const seen = new Set<ArrayBufferLike>();
    const held: Frame[] = [];
    let hold = false;
    let delivered = 0;
    await src.start({
      frame: (f) => {
        delivered++;
        seen.add(f.data[0]!.buffer);
        if (hold) held.push(f);
        else f.release();
      },
      status: () => undefined,
    });
    await clock.advance(1000);
    expect(delivered).toBeGreaterThanOrEqual(29);
    expect(seen.size).toBe(1);
    // A consumer that keeps every frame: three more buffers are made, then frames are skipped.
    hold = true;
    const before = delivered;
    await clock.advance(1000);
    expect(delivered - before).toBe(4);
    expect(seen.size).toBe(4);
    for (const f of held.splice(0)) f.release();
    hold = false;
    await clock.advance(1000);
    expect(seen.size).toBe(4);
    await src.stop();
  });
});
