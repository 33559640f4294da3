import { describe, expect, it } from 'vitest';
import { CostMeter } from '../../../src/video/cost.js';

describe('video cost meter (RSS and CPU per encoded frame)', () => {
  it('divides the CPU time of the last window by the frames encoded in it', () => {
    let cpuUs = 0;
    const meter = new CostMeter(
      2,
      () => ({ user: cpuUs, system: 0 }),
      () => 50 * 2 ** 20,
    );
    expect(meter.tick(0)).toEqual({ rssMiB: 50, cpuMsPerFrame: 0 });
    cpuUs += 300_000; // 300 ms over 30 frames
    expect(meter.tick(30).cpuMsPerFrame).toBe(10);
    cpuUs += 60_000; // 60 ms over 30 more: the window (2 ticks) still holds both
    expect(meter.tick(60).cpuMsPerFrame).toBe(6);
    cpuUs += 60_000; // the first 300 ms have left the window
    expect(meter.tick(90).cpuMsPerFrame).toBe(2);
    // No frames in the window: 0, not infinity.
    expect(meter.tick(90).cpuMsPerFrame).toBe(2);
    expect(meter.tick(90).cpuMsPerFrame).toBe(0);
  });
});
