import koffi from 'koffi';
import type { NativeFn } from './ffi.js';

/**
 * The few libyuv (Debian `libyuv0`) kernels the encoder needs, SIMD-optimised: unpacking UYVY/YUYV
 * into planes (4:2:2, or 4:2:0 averaging each pair of chroma rows), splitting interleaved chroma,
 * and scaling planes for thumbnails. ~0.1 ms per 1080p frame against ~1.4 ms for the same loop in
 * JS (npm run bench). Each is a koffi function, so it can also run on libuv's pool (`.async`).
 */
export interface LibYuv {
  /** UYVYToI422(src, srcStride, y, yStride, u, uStride, v, vStride, width, height) */
  UYVYToI422: NativeFn;
  YUY2ToI422: NativeFn;
  /** Same arguments; chroma rows are averaged in pairs (libyuv UYVYToI420). */
  UYVYToI420: NativeFn;
  YUY2ToI420: NativeFn;
  /** SplitUVPlane(srcUV, srcStride, dstU, uStride, dstV, vStride, width, height); width in UV pairs. */
  SplitUVPlane: NativeFn;
  /** I420Scale(y, ys, u, us, v, vs, w, h, dy, dys, du, dus, dv, dvs, dw, dh, filter); I422Scale alike. */
  I420Scale: NativeFn;
  I422Scale: NativeFn;
  /** ScalePlane(src, srcStride, srcW, srcH, dst, dstStride, dstW, dstH, filter): one 8-bit plane. */
  ScalePlane: NativeFn;
}

/** libyuv's FilterMode (scale.h): box filtering, the best for shrinking. */
export const FILTER_BOX = 3;

let cached: LibYuv | null | undefined;

/** libyuv, or null when it is not installed (the JS fallback is used then). */
export function loadLibYuv(): LibYuv | null {
  if (cached !== undefined) return cached;
  try {
    const lib = koffi.load('libyuv.so.0');
    const packed = (name: string) =>
      lib.func(
        `int ${name}(const uint8_t *src, int srcStride, uint8_t *y, int yStride, uint8_t *u, int uStride, uint8_t *v, int vStride, int width, int height)`,
      );
    const scale = (name: string) =>
      lib.func(
        `int ${name}(const uint8_t *y, int ys, const uint8_t *u, int us, const uint8_t *v, int vs, int w, int h, uint8_t *dy, int dys, uint8_t *du, int dus, uint8_t *dv, int dvs, int dw, int dh, int filter)`,
      );
    cached = {
      UYVYToI422: packed('UYVYToI422'),
      YUY2ToI422: packed('YUY2ToI422'),
      UYVYToI420: packed('UYVYToI420'),
      YUY2ToI420: packed('YUY2ToI420'),
      SplitUVPlane: lib.func(
        'void SplitUVPlane(const uint8_t *src, int srcStride, uint8_t *u, int uStride, uint8_t *v, int vStride, int width, int height)',
      ),
      I420Scale: scale('I420Scale'),
      I422Scale: scale('I422Scale'),
      ScalePlane: lib.func(
        'void ScalePlane(const uint8_t *src, int srcStride, int srcW, int srcH, uint8_t *dst, int dstStride, int dstW, int dstH, int filter)',
      ),
    };
  } catch {
    cached = null;
  }
  return cached;
}
