import { describe, expect, it } from 'vitest';
import { compileRangeWat } from '../../../scripts/gen-wasm.js';
import { expandPlaneJs, expandSample, RangeExpander } from '../../../src/video/native/range.js';
import { RANGE_WASM_BASE64 } from '../../../src/video/native/range-wasm.js';

describe('limited to full range expansion', () => {
  it('maps the nominal limits to 0 and 255 and keeps chroma centred (BT.601 quantization)', () => {
    expect([expandSample(16, false), expandSample(235, false)]).toEqual([0, 255]);
    expect([expandSample(0, false), expandSample(255, false)]).toEqual([0, 255]);
    // Cb/Cr 16 is exactly half a step above 0 after scaling (−127.5): either neighbour is right.
    expect(expandSample(16, true)).toBeLessThanOrEqual(1);
    expect([expandSample(128, true), expandSample(240, true)]).toEqual([128, 255]);
    // Every output level is reachable between the limits: no banding from the fixed-point scale.
    const levels = new Set(Array.from({ length: 220 }, (_, i) => expandSample(16 + i, false)));
    expect(levels.size).toBe(220);
  });

  it('the SIMD module gives exactly the reference values, tails included', () => {
    const x = new RangeExpander();
    for (const len of [0, 5, 16, 256 * 3 + 7]) {
      const src = Uint8Array.from({ length: len }, (_, i) => (i * 7) & 255);
      const [y, u, v] = x.planes([src, src, src.subarray(0, len >> 1)]);
      const want = (chroma: boolean, s: Uint8Array) => Array.from(s, (b) => expandSample(b, chroma));
      expect(Array.from(y)).toEqual(want(false, src));
      expect(Array.from(u)).toEqual(want(true, src));
      expect(Array.from(v)).toEqual(want(true, src.subarray(0, len >> 1)));
      const js = Uint8Array.from(src);
      expandPlaneJs(js, true);
      expect(Array.from(js)).toEqual(Array.from(u));
    }
  });

  it('grows its memory for a 4K frame and leaves the source planes untouched', () => {
    const x = new RangeExpander();
    const y = new Uint8Array(3840 * 2160).fill(16);
    const c = new Uint8Array(1920 * 2160).fill(240);
    const [ey, eu] = x.planes([y, c, c]);
    expect([ey[0], ey[ey.length - 1], eu[0]]).toEqual([0, 0, 255]);
    expect([y[0], c[0]]).toEqual([16, 240]);
  });

  it('expands scratch planes in place and copies the others in, even when that grows the memory', () => {
    const x = new RangeExpander();
    // A first 1080p NV12 frame: chroma split into scratch, the Y plane passed through from capture.
    const [, u, v] = x.scratch(0, 960 * 540);
    u.fill(240);
    v.fill(16);
    const y = new Uint8Array(1920 * 1080).fill(235);
    const [ey, eu, ev] = x.planes([y, u, v]);
    expect([ey.length, eu.length, ev.length]).toEqual([y.length, 960 * 540, 960 * 540]);
    expect([ey[0], ey.at(-1), eu[0], eu.at(-1), ev.at(-1)]).toEqual([255, 255, 255, 255, ev[0]]);
    expect(ev[0]).toBeLessThanOrEqual(1);
    expect(y[0]).toBe(235);
  });

  it('ships the module compiled from range.wat (regenerate with scripts/gen-wasm.ts)', async () => {
    expect(Buffer.from(await compileRangeWat()).toString('base64')).toBe(RANGE_WASM_BASE64);
  });
});
