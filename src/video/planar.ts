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

/**
 * Gives the encoder three planes without copying what is already planar: I420/I422 pass through,
 * semi-planar (NV12/NV16/NV21/NV61) keeps its Y plane and only splits chroma, packed 4:2:2
 * (UYVY/YUYV) is unpacked. libyuv does the splitting when present, else plain JS.
 */
export function toPlanar(frame: Frame, scratch: PlanarScratch, useLibYuv = true): Planar {
  if (frame.range !== 'limited') return planar(frame, (y, c) => scratch.get(y, c), useLibYuv);
  // Limited range: unpack straight into the expander's memory, then expand there.
  scratch.expander ??= new RangeExpander();
  const x = scratch.expander;
  const p = planar(frame, (y, c) => x.scratch(y, c), useLibYuv);
  return { ...p, planes: x.planes(p.planes) };
}

type Scratch = (ySize: number, cSize: number) => [Uint8Array, Uint8Array, Uint8Array];

function planar(frame: Frame, scratch: Scratch, useLibYuv: boolean): Planar {
  const { width: w, height: h, format } = frame;
  const p = logicalPlanes(frame);
  const s = frame.strides;
  const yuv = useLibYuv ? loadLibYuv() : null;
  switch (format) {
    case 'I420':
    case 'I422':
      return {
        planes: [p[0]!, p[1]!, p[2]!],
        strides: [s[0]!, s[1] ?? s[0]! / 2, s[2] ?? s[1] ?? s[0]! / 2],
        subsamp: format === 'I420' ? TJSAMP_420 : TJSAMP_422,
      };
    case 'NV12':
    case 'NV21':
    case 'NV16':
    case 'NV61': {
      const ch = format === 'NV12' || format === 'NV21' ? h / 2 : h;
      const cw = w / 2;
      const [, a, b] = scratch(0, cw * ch);
      // NV21/NV61 store Cr first: splitting into (v, u) instead of (u, v) undoes that.
      const [u, v] = format === 'NV21' || format === 'NV61' ? [b, a] : [a, b];
      const uvStride = s[1] ?? s[0]!;
      if (yuv) yuv.SplitUVPlane(p[1]!, uvStride, u, cw, v, cw, cw, ch);
      else splitUvJs(p[1]!, uvStride, u, v, cw, ch);
      return {
        planes: [p[0]!, a, b],
        strides: [s[0]!, cw, cw],
        subsamp: ch === h ? TJSAMP_422 : TJSAMP_420,
      };
    }
    case 'UYVY':
    case 'YUYV': {
      const cw = w / 2;
      const [y, u, v] = scratch(w * h, cw * h);
      if (yuv) (format === 'UYVY' ? yuv.UYVYToI422 : yuv.YUY2ToI422)(p[0]!, s[0]!, y, w, u, cw, v, cw, w, h);
      else unpackJs(p[0]!, s[0]!, y, u, v, w, h, format === 'UYVY');
      return { planes: [y, u, v], strides: [w, cw, cw], subsamp: TJSAMP_422 };
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
): void {
  // UYVY: U0 Y0 V0 Y1; YUYV: Y0 U0 Y1 V0 (V4L2 packed YUV 4:2:2 formats).
  const [oy0, ou, oy1, ov] = uyvy ? [1, 0, 3, 2] : [0, 1, 2, 3];
  const cw = w / 2;
  for (let r = 0; r < h; r++) {
    let i = r * stride;
    let yo = r * w;
    let co = r * cw;
    for (let c = 0; c < cw; c++) {
      y[yo++] = src[i + oy0]!;
      y[yo++] = src[i + oy1]!;
      u[co] = src[i + ou]!;
      v[co++] = src[i + ov]!;
      i += 4;
    }
  }
}
