import koffi from 'koffi';

/**
 * The few libyuv (Debian `libyuv0`) row kernels the encoder needs, SIMD-optimised: unpacking
 * UYVY/YUYV into planes and splitting interleaved chroma. ~0.1 ms per 1080p frame against ~1.4 ms
 * for the same loop in JS (DESIGN.md).
 */
export interface LibYuv {
  /** UYVYToI422(src, srcStride, y, yStride, u, uStride, v, vStride, width, height) */
  UYVYToI422: (...a: unknown[]) => number;
  YUY2ToI422: (...a: unknown[]) => number;
  /** SplitUVPlane(srcUV, srcStride, dstU, uStride, dstV, vStride, width, height); width in UV pairs. */
  SplitUVPlane: (...a: unknown[]) => void;
}

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
    cached = {
      UYVYToI422: packed('UYVYToI422'),
      YUY2ToI422: packed('YUY2ToI422'),
      SplitUVPlane: lib.func(
        'void SplitUVPlane(const uint8_t *src, int srcStride, uint8_t *u, int uStride, uint8_t *v, int vStride, int width, int height)',
      ),
    };
  } catch {
    cached = null;
  }
  return cached;
}
