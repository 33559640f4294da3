import koffi from 'koffi';
import { callAsync, type NativeFn } from './ffi.js';

/**
 * libturbojpeg (TurboJPEG API 2.x, Debian `libturbojpeg0`) through koffi. Encoding straight from
 * YUV planes skips the colour conversion libjpeg would otherwise do (npm run bench: as fast as calling
 * it from C). Every call also runs asynchronously (`.async`): koffi queues it on libuv's thread
 * pool and passes typed arrays as plain pointers, so a native thread reads the mmap'd capture
 * planes in place, with no worker isolate and no copy.
 */

// Chroma subsampling constants from turbojpeg.h (enum TJSAMP).
export const TJSAMP_422 = 1;
export const TJSAMP_420 = 2;
// Flags from turbojpeg.h: never reallocate our output buffer; the fast integer DCT costs no visible
// quality at KVM qualities and ~10% less time (ustreamer uses the same default).
const TJFLAG_NOREALLOC = 1024;
const TJFLAG_FASTDCT = 2048;

interface TurboFns {
  tjInitCompress: NativeFn;
  tjInitDecompress: NativeFn;
  tjDestroy: NativeFn;
  tjBufSize: NativeFn;
  tjAlloc: NativeFn;
  tjFree: NativeFn;
  tjGetErrorStr2: NativeFn;
  tjCompressFromYUVPlanes: NativeFn;
  tjDecompressHeader3: NativeFn;
  tjDecompressToYUVPlanes: NativeFn;
}

let fns: TurboFns | null = null;

/** Loads libturbojpeg once; throws with the reason when it is not installed. */
export function loadTurboJpeg(): TurboFns {
  if (fns) return fns;
  const lib = koffi.load('libturbojpeg.so.0');
  koffi.pointer('tjhandle', koffi.opaque());
  fns = {
    tjInitCompress: lib.func('tjhandle tjInitCompress()'),
    tjInitDecompress: lib.func('tjhandle tjInitDecompress()'),
    tjDestroy: lib.func('int tjDestroy(tjhandle h)'),
    tjBufSize: lib.func('unsigned long tjBufSize(int w, int h, int samp)'),
    tjAlloc: lib.func('void *tjAlloc(int bytes)'),
    tjFree: lib.func('void tjFree(void *p)'),
    tjGetErrorStr2: lib.func('const char *tjGetErrorStr2(tjhandle h)'),
    tjCompressFromYUVPlanes: lib.func(
      'int tjCompressFromYUVPlanes(tjhandle h, const uint8_t **planes, int width, const int *strides, int height, int subsamp, _Inout_ void **jpegBuf, _Inout_ unsigned long *jpegSize, int quality, int flags)',
    ),
    tjDecompressHeader3: lib.func(
      'int tjDecompressHeader3(tjhandle h, const uint8_t *jpeg, unsigned long size, _Out_ int *width, _Out_ int *height, _Out_ int *subsamp, _Out_ int *colorspace)',
    ),
    tjDecompressToYUVPlanes: lib.func(
      'int tjDecompressToYUVPlanes(tjhandle h, const uint8_t *jpeg, unsigned long size, uint8_t **planes, int width, const int *strides, int height, int flags)',
    ),
  };
  return fns;
}

export type Planes = readonly [Uint8Array, Uint8Array, Uint8Array];

/**
 * One compressor handle with its own output buffer, allocated once per frame size and reused (a
 * fresh buffer per frame costs ~1 ms in page faults, measured in npm run bench). The JPEG is then copied into a
 * Buffer the caller owns (~0.01 ms): the output buffer is overwritten by the next frame, while
 * clients may still be sending the last one. Not thread-safe: one call at a time per compressor.
 */
export class TurboCompressor {
  private readonly f: TurboFns;
  private readonly h: unknown;
  private out: unknown = null;
  private outBuf = Buffer.alloc(0);
  private readonly strides = new Int32Array(3);
  private busy = false;

  constructor() {
    this.f = loadTurboJpeg();
    this.h = this.f.tjInitCompress();
    if (!this.h) throw new Error('tjInitCompress failed');
  }

  /** Encodes three planes (Y, Cb, Cr) of 4:2:0 or 4:2:2 YUV on the calling thread. */
  encode(planes: Planes, strides: readonly number[], w: number, h: number, samp: number, q: number): Buffer {
    const args = this.args(planes, strides, w, h, samp, q);
    return this.finish(this.f.tjCompressFromYUVPlanes(...args) as number, args);
  }

  /**
   * The same on a libuv pool thread. The planes (capture buffer or scratch) must stay untouched
   * until the promise settles: the caller releases a capture buffer only then.
   */
  async encodeAsync(
    planes: Planes,
    strides: readonly number[],
    w: number,
    h: number,
    samp: number,
    q: number,
  ): Promise<Buffer> {
    if (this.busy) throw new Error('compressor busy: one encode at a time per compressor');
    this.busy = true;
    try {
      const args = this.args(planes, strides, w, h, samp, q);
      return this.finish(await callAsync<number>(this.f.tjCompressFromYUVPlanes, args), args);
    } finally {
      this.busy = false;
    }
  }

  private args(planes: Planes, strides: readonly number[], w: number, h: number, samp: number, q: number) {
    const need = this.f.tjBufSize(w, h, samp) as number;
    if (need > this.outBuf.length) {
      if (this.out) this.f.tjFree(this.out);
      this.out = this.f.tjAlloc(need);
      if (!this.out) throw new Error(`tjAlloc(${need}) failed`);
      this.outBuf = Buffer.from(koffi.view(this.out, need) as ArrayBuffer);
    }
    this.strides.set(strides.slice(0, 3));
    const flags = TJFLAG_NOREALLOC | TJFLAG_FASTDCT;
    return [this.h, planes, w, this.strides, h, samp, [this.out], [this.outBuf.length], q, flags];
  }

  private finish(rc: number, args: unknown[]): Buffer {
    if (rc !== 0) throw new Error(`libturbojpeg: ${this.f.tjGetErrorStr2(this.h)}`);
    const size = (args[7] as number[])[0]!;
    // A copy the caller owns: the output buffer is reused for the next frame. Buffer#copy is a
    // memmove; TypedArray#set from koffi-viewed memory takes a slower path (~4x, measured).
    const jpeg = Buffer.allocUnsafe(size);
    this.outBuf.copy(jpeg, 0, 0, size);
    return jpeg;
  }

  destroy(): void {
    if (this.busy) throw new Error('compressor busy: destroy after its encode settles');
    if (this.out) this.f.tjFree(this.out);
    this.out = null;
    this.outBuf = Buffer.alloc(0);
    this.f.tjDestroy(this.h);
  }
}

export interface DecodedPlanes {
  planes: [Uint8Array, Uint8Array, Uint8Array];
  strides: [number, number, number];
  width: number;
  height: number;
  subsamp: number;
}

/** libjpeg's DCT scaling: a JPEG decodes at M/8 of its size for M = 1..8 at a fraction of the cost. */
const SCALE_DENOM = 8;
const scaled = (n: number, m: number) => Math.ceil((n * m) / SCALE_DENOM);

/**
 * Decodes a 4:2:0 or 4:2:2 JPEG to YUV planes at the smallest M/8 scale whose height is still at
 * least `minHeight` (full size when it is smaller than that). Used for thumbnails: decoding 1080p
 * at 3/8 skips most of the IDCT work, and staying in YUV skips colour conversion both ways.
 */
export async function decodeScaledYuv(jpeg: Uint8Array, minHeight: number): Promise<DecodedPlanes> {
  const f = loadTurboJpeg();
  const h = f.tjInitDecompress();
  if (!h) throw new Error('tjInitDecompress failed');
  try {
    const head = header(f, h, jpeg);
    const subsamp = head.subsamp;
    if (subsamp !== TJSAMP_420 && subsamp !== TJSAMP_422)
      throw new Error(`thumbnail: JPEG subsampling ${subsamp} is not 4:2:0 or 4:2:2`);
    let m = 1;
    while (m < SCALE_DENOM && scaled(head.height, m) < minHeight) m++;
    const width = scaled(head.width, m);
    const height = scaled(head.height, m);
    // turbojpeg.h tjPlaneWidth/Height: planes cover whole chroma samples, so luma is padded to an
    // even width (and an even height for 4:2:0), chroma is half that. The library writes it all.
    const yw = (width + 1) & ~1;
    const yh = subsamp === TJSAMP_420 ? (height + 1) & ~1 : height;
    const cw = yw >> 1;
    const ch = subsamp === TJSAMP_420 ? yh >> 1 : yh;
    const planes: [Uint8Array, Uint8Array, Uint8Array] = [
      new Uint8Array(yw * yh),
      new Uint8Array(cw * ch),
      new Uint8Array(cw * ch),
    ];
    const strides: [number, number, number] = [yw, cw, cw];
    const rc = await callAsync<number>(f.tjDecompressToYUVPlanes, [
      h,
      jpeg,
      jpeg.length,
      planes,
      width,
      Int32Array.from(strides),
      height,
      TJFLAG_FASTDCT,
    ]);
    if (rc !== 0) throw new Error(`libturbojpeg: ${f.tjGetErrorStr2(h)}`);
    return { planes, strides, width, height, subsamp };
  } finally {
    f.tjDestroy(h);
  }
}

export interface JpegHeader {
  width: number;
  height: number;
  /** TJSAMP_*: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0, 3 = grey, ... */
  subsamp: number;
}

/** Size and subsampling of a JPEG, from its headers (no decoding). */
export function readJpegHeader(jpeg: Uint8Array): JpegHeader {
  const f = loadTurboJpeg();
  const h = f.tjInitDecompress();
  if (!h) throw new Error('tjInitDecompress failed');
  try {
    return header(f, h, jpeg);
  } finally {
    f.tjDestroy(h);
  }
}

function header(f: TurboFns, h: unknown, jpeg: Uint8Array): JpegHeader {
  const [w, ht, samp, cs] = [[0], [0], [0], [0]];
  if ((f.tjDecompressHeader3(h, jpeg, jpeg.length, w, ht, samp, cs) as number) !== 0)
    throw new Error(`libturbojpeg: ${f.tjGetErrorStr2(h)}`);
  return { width: w[0]!, height: ht[0]!, subsamp: samp[0]! };
}
