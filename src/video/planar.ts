import type { NativeFn } from './native/ffi.js';
import { loadLibYuv } from './native/libyuv.js';
import { RangeExpander } from './native/range.js';
import { TJSAMP_420, TJSAMP_422 } from './native/turbojpeg.js';
import type { Frame } from './types.js';
import { logicalPlanes } from './yuv-to-rgb.js';

export interface Planar {
  planes: [Uint8Array, Uint8Array, Uint8Array];
  strides: [number, number, number];
  subsamp: number;
}

/** A libyuv call still to make (on a pool thread, or at once with `runNow`). */
export interface NativeCall {
  fn: NativeFn;
  args: unknown[];
}

/** Planes as they will be once `convert` (if any) has run. */
export interface PlanarPlan extends Planar {
  convert: NativeCall | null;
}

/**
 * Chroma resolution of the JPEG made from a 4:2:2 source: 420 halves chroma rows as well (1.27-1.30x
 * less encoding work and ~4% smaller files, measured in npm run bench); 422 keeps coloured text sharper.
 * 4:2:0 sources are always encoded 4:2:0.
 */
export type Subsampling = 420 | 422;

export interface PlanarOptions {
  /** Use libyuv when installed (default); false: the JS loops (tests compare the two). */
  libyuv?: boolean;
  subsampling?: Subsampling;
}

export function runNow(c: NativeCall | null): void {
  if (c) c.fn(...c.args);
}

/**
 * Scratch planes reused frame after frame (allocating per frame costs page faults). One per
 * encoder thread.
 */
export class PlanarScratch {
  /** Made on the first limited-range frame. */
  expander: RangeExpander | null = null;
  private y = new Uint8Array(0);
  private u = new Uint8Array(0);
  private v = new Uint8Array(0);

  get(ySize: number, cSize: number): [Uint8Array, Uint8Array, Uint8Array] {
    if (this.y.length < ySize) this.y = new Uint8Array(ySize);
    if (this.u.length < cSize) {
      this.u = new Uint8Array(cSize);
      this.v = new Uint8Array(cSize);
    }
    return [this.y, this.u, this.v];
  }
}

/** Planes ready to encode: `planPlanar` with its conversion done on the calling thread. */
export function toPlanar(frame: Frame, scratch: PlanarScratch, o: PlanarOptions = {}): Planar {
  const p = planPlanar(frame, scratch, o);
  runNow(p.convert);
  return p;
}

/**
 * Gives the encoder three planes without copying what is already planar: I420/I422 pass through,
 * semi-planar (NV12/NV16/NV21/NV61) keeps its Y plane and only splits chroma, packed 4:2:2
 * (UYVY/YUYV) is unpacked. 4:2:2 becomes 4:2:0 unless `subsampling` is 422: UYVY/YUYV average each
 * pair of chroma rows while unpacking, planar 4:2:2 simply skips every other chroma row (a stride
 * twice as long), at no cost. The libyuv step is returned, not run, so the encoder can run it on a
 * pool thread next to the capture buffer; limited-range frames are unpacked and expanded at once.
 */
export function planPlanar(frame: Frame, scratch: PlanarScratch, o: PlanarOptions = {}): PlanarPlan {
  const useLibYuv = o.libyuv ?? true;
  const to420 = (o.subsampling ?? 420) === 420;
  if (frame.range !== 'limited') return planar(frame, (y, c) => scratch.get(y, c), useLibYuv, to420);
  // Limited range: unpack straight into the expander's memory, then expand there.
  scratch.expander ??= new RangeExpander();
  const x = scratch.expander;
  const p = planar(frame, (y, c) => x.scratch(y, c), useLibYuv, to420);
  runNow(p.convert);
  return { ...p, planes: x.planes(p.planes), convert: null };
}

type Scratch = (ySize: number, cSize: number) => [Uint8Array, Uint8Array, Uint8Array];

function planar(frame: Frame, scratch: Scratch, useLibYuv: boolean, to420: boolean): PlanarPlan {
  const { width: w, height: h, format } = frame;
  const p = logicalPlanes(frame);
  const s = frame.strides;
  const yuv = useLibYuv ? loadLibYuv() : null;
  switch (format) {
    case 'I420':
    case 'I422': {
      const cs = s[1] ?? s[0]! / 2;
      // 4:2:2 read as 4:2:0: every other chroma row, by doubling the chroma stride.
      const skip = format === 'I422' && to420 ? 2 : 1;
      return {
        planes: [p[0]!, p[1]!, p[2]!],
        strides: [s[0]!, cs * skip, (s[2] ?? cs) * skip],
        subsamp: format === 'I420' || to420 ? TJSAMP_420 : TJSAMP_422,
        convert: null,
      };
    }
    case 'NV12':
    case 'NV21':
    case 'NV16':
    case 'NV61': {
      const is422 = format === 'NV16' || format === 'NV61';
      const ch = is422 && !to420 ? h : h / 2;
      const cw = w / 2;
      const [, a, b] = scratch(0, cw * ch);
      // NV21/NV61 store Cr first: splitting into (v, u) instead of (u, v) undoes that.
      const [u, v] = format === 'NV21' || format === 'NV61' ? [b, a] : [a, b];
      // 4:2:2 to 4:2:0: split every other row of the interleaved chroma plane.
      const uvStride = (s[1] ?? s[0]!) * (is422 && to420 ? 2 : 1);
      const planes: [Uint8Array, Uint8Array, Uint8Array] = [p[0]!, a, b];
      const strides: [number, number, number] = [s[0]!, cw, cw];
      const subsamp = ch === h ? TJSAMP_422 : TJSAMP_420;
      if (!yuv) {
        splitUvJs(p[1]!, uvStride, u, v, cw, ch);
        return { planes, strides, subsamp, convert: null };
      }
      return {
        planes,
        strides,
        subsamp,
        convert: { fn: yuv.SplitUVPlane, args: [p[1]!, uvStride, u, cw, v, cw, cw, ch] },
      };
    }
    case 'UYVY':
    case 'YUYV': {
      const cw = w / 2;
      const ch = to420 ? h / 2 : h;
      const [y, u, v] = scratch(w * h, cw * ch);
      const planes: [Uint8Array, Uint8Array, Uint8Array] = [y, u, v];
      const strides: [number, number, number] = [w, cw, cw];
      const subsamp = to420 ? TJSAMP_420 : TJSAMP_422;
      if (!yuv) {
        unpackJs(p[0]!, s[0]!, y, u, v, w, h, format === 'UYVY', to420);
        return { planes, strides, subsamp, convert: null };
      }
      const fn = to420
        ? format === 'UYVY'
          ? yuv.UYVYToI420
          : yuv.YUY2ToI420
        : format === 'UYVY'
          ? yuv.UYVYToI422
          : yuv.YUY2ToI422;
      return { planes, strides, subsamp, convert: { fn, args: [p[0]!, s[0]!, y, w, u, cw, v, cw, w, h] } };
    }
    default:
      throw new Error(`${format} frames are not encoded (MJPEG is passed through)`);
  }
}

function splitUvJs(
  src: Uint8Array,
  stride: number,
  u: Uint8Array,
  v: Uint8Array,
  cw: number,
  ch: number,
): void {
  for (let r = 0; r < ch; r++) {
    let i = r * stride;
    let o = r * cw;
    for (let c = 0; c < cw; c++) {
      u[o] = src[i]!;
      v[o++] = src[i + 1]!;
      i += 2;
    }
  }
}

function unpackJs(
  src: Uint8Array,
  stride: number,
  y: Uint8Array,
  u: Uint8Array,
  v: Uint8Array,
  w: number,
  h: number,
  uyvy: boolean,
  to420: boolean,
): void {
  // UYVY: U0 Y0 V0 Y1; YUYV: Y0 U0 Y1 V0 (V4L2 packed YUV 4:2:2 formats).
  const [oy0, ou, oy1, ov] = uyvy ? [1, 0, 3, 2] : [0, 1, 2, 3];
  const cw = w / 2;
  for (let r = 0; r < h; r++) {
    let i = r * stride;
    let yo = r * w;
    for (let c = 0; c < cw; c++) {
      y[yo++] = src[i + oy0]!;
      y[yo++] = src[i + oy1]!;
      i += 4;
    }
  }
  // Chroma: each row as is (4:2:2), or each pair of rows averaged, rounding up (as libyuv does).
  const rows = to420 ? h / 2 : h;
  for (let r = 0; r < rows; r++) {
    let i = (to420 ? 2 * r : r) * stride;
    const next = to420 ? stride : 0;
    let co = r * cw;
    for (let c = 0; c < cw; c++) {
      u[co] = (src[i + ou]! + src[i + next + ou]! + 1) >> 1;
      v[co++] = (src[i + ov]! + src[i + next + ov]! + 1) >> 1;
      i += 4;
    }
  }
}
