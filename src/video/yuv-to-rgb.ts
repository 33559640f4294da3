import type { Frame } from './types.js';

/**
 * Where each sample of a YUV frame lives: the chroma layout of every raw format reduced to
 * (plane, offset, step) so one conversion loop serves them all.
 */
interface Layout {
  chromaH: 1 | 2; // vertical subsampling
  y: (x: number, row: number) => number;
  u: (cx: number, crow: number) => number;
  v: (cx: number, crow: number) => number;
  yPlane: Uint8Array;
  uPlane: Uint8Array;
  vPlane: Uint8Array;
}

/** Splits a frame's data into logical planes, whether they arrived as one buffer or several. */
export function logicalPlanes(frame: Frame): Uint8Array[] {
  const { width: w, height: h, strides } = frame;
  if (frame.data.length > 1) return frame.data;
  const buf = frame.data[0]!;
  const ys = strides[0]!;
  switch (frame.format) {
    case 'NV12':
    case 'NV21':
    case 'NV16':
    case 'NV61':
      return [buf.subarray(0, ys * h), buf.subarray(ys * h)];
    case 'I420': {
      const cs = strides[1] ?? ys / 2;
      const ySize = ys * h;
      const cSize = cs * (h / 2);
      return [buf.subarray(0, ySize), buf.subarray(ySize, ySize + cSize), buf.subarray(ySize + cSize)];
    }
    case 'I422': {
      const cs = strides[1] ?? ys / 2;
      const ySize = ys * h;
      const cSize = cs * h;
      return [buf.subarray(0, ySize), buf.subarray(ySize, ySize + cSize), buf.subarray(ySize + cSize)];
    }
    default:
      void w;
      return [buf];
  }
}

function layoutOf(frame: Frame): Layout {
  const p = logicalPlanes(frame);
  const s0 = frame.strides[0]!;
  const s1 = frame.strides[1] ?? s0;
  const s2 = frame.strides[2] ?? s1;
  switch (frame.format) {
    case 'UYVY':
      return {
        chromaH: 1,
        yPlane: p[0]!,
        uPlane: p[0]!,
        vPlane: p[0]!,
        y: (x, r) => r * s0 + x * 2 + 1,
        u: (cx, r) => r * s0 + cx * 4,
        v: (cx, r) => r * s0 + cx * 4 + 2,
      };
    case 'YUYV':
      return {
        chromaH: 1,
        yPlane: p[0]!,
        uPlane: p[0]!,
        vPlane: p[0]!,
        y: (x, r) => r * s0 + x * 2,
        u: (cx, r) => r * s0 + cx * 4 + 1,
        v: (cx, r) => r * s0 + cx * 4 + 3,
      };
    case 'NV12':
    case 'NV16':
    case 'NV21':
    case 'NV61': {
      const swap = frame.format === 'NV21' || frame.format === 'NV61';
      return {
        chromaH: frame.format === 'NV12' || frame.format === 'NV21' ? 2 : 1,
        yPlane: p[0]!,
        uPlane: p[1]!,
        vPlane: p[1]!,
        y: (x, r) => r * s0 + x,
        u: (cx, r) => r * s1 + cx * 2 + (swap ? 1 : 0),
        v: (cx, r) => r * s1 + cx * 2 + (swap ? 0 : 1),
      };
    }
    case 'I420':
    case 'I422':
      return {
        chromaH: frame.format === 'I420' ? 2 : 1,
        yPlane: p[0]!,
        uPlane: p[1]!,
        vPlane: p[2]!,
        y: (x, r) => r * s0 + x,
        u: (cx, r) => r * s1 + cx,
        v: (cx, r) => r * s2 + cx,
      };
    default:
      throw new Error(`cannot convert ${frame.format} to RGB`);
  }
}

const clamp = (v: number) => (v < 0 ? 0 : Math.min(v, 255));

/**
 * YUV to packed RGB24 with the JFIF (full-range BT.601) equations, the same interpretation a JPEG
 * decoder applies to what libturbojpeg encodes from the planes: both encoders show the same picture. Slow (~7 ms at 1080p):
 * only the fallback encoder and image comparison use it; the hot path encodes YUV directly.
 */
export function yuvToRgb(frame: Frame, out?: Uint8Array): Uint8Array {
  const { width: w, height: h } = frame;
  const rgb = out && out.length >= w * h * 3 ? out : new Uint8Array(w * h * 3);
  const L = layoutOf(frame);
  let o = 0;
  for (let r = 0; r < h; r++) {
    const cr = L.chromaH === 2 ? r >> 1 : r;
    for (let x = 0; x < w; x++) {
      const cx = x >> 1;
      // JFIF: R = Y + 1.402 Cr', G = Y - 0.344 Cb' - 0.714 Cr', B = Y + 1.772 Cb' (x256, rounded).
      const c = L.yPlane[L.y(x, r)]! * 256;
      const d = L.uPlane[L.u(cx, cr)]! - 128;
      const e = L.vPlane[L.v(cx, cr)]! - 128;
      rgb[o++] = clamp((c + 359 * e + 128) >> 8);
      rgb[o++] = clamp((c - 88 * d - 183 * e + 128) >> 8);
      rgb[o++] = clamp((c + 454 * d + 128) >> 8);
    }
  }
  return rgb;
}
