import koffi from 'koffi';

/**
 * libturbojpeg (TurboJPEG API 2.x, Debian `libturbojpeg0`) through koffi. Encoding straight from
 * YUV planes skips the colour conversion libjpeg would otherwise do (DESIGN.md: ~1.7 ms per 720p
 * frame on one core, as fast as calling it from C).
 */

// Chroma subsampling constants from turbojpeg.h (enum TJSAMP).
export const TJSAMP_422 = 1;
export const TJSAMP_420 = 2;
// Flags from turbojpeg.h: never reallocate our output buffer; the fast integer DCT costs no visible
// quality at KVM qualities and ~10% less time (ustreamer uses the same default).
const TJFLAG_NOREALLOC = 1024;
const TJFLAG_FASTDCT = 2048;

interface TurboFns {
  tjInitCompress: () => unknown;
  tjDestroy: (h: unknown) => number;
  tjBufSize: (w: number, h: number, samp: number) => number;
  tjAlloc: (n: number) => unknown;
  tjFree: (p: unknown) => void;
  tjGetErrorStr2: (h: unknown) => string;
  tjCompressFromYUVPlanes: (
    h: unknown,
    planes: Uint8Array[],
    width: number,
    strides: Int32Array,
    height: number,
    subsamp: number,
    jpegBuf: unknown[],
    jpegSize: number[],
    quality: number,
    flags: number,
  ) => number;
}

let fns: TurboFns | null = null;

/** Loads libturbojpeg once; throws with the reason when it is not installed. */
export function loadTurboJpeg(): TurboFns {
  if (fns) return fns;
  const lib = koffi.load('libturbojpeg.so.0');
  const handle = koffi.pointer('tjhandle', koffi.opaque());
  fns = {
    tjInitCompress: lib.func('tjhandle tjInitCompress()'),
    tjDestroy: lib.func('int tjDestroy(tjhandle h)'),
    tjBufSize: lib.func('unsigned long tjBufSize(int w, int h, int samp)'),
    tjAlloc: lib.func('void *tjAlloc(int bytes)'),
    tjFree: lib.func('void tjFree(void *p)'),
    tjGetErrorStr2: lib.func('const char *tjGetErrorStr2(tjhandle h)'),
    tjCompressFromYUVPlanes: lib.func(
      'int tjCompressFromYUVPlanes(tjhandle h, const uint8_t **planes, int width, const int *strides, int height, int subsamp, _Inout_ void **jpegBuf, _Inout_ unsigned long *jpegSize, int quality, int flags)',
    ),
  };
  void handle;
  return fns;
}

/**
 * One compressor with its own output buffer, allocated once per frame size and reused: a fresh
 * buffer per frame costs ~1 ms in page faults (DESIGN.md). Not thread-safe: one per worker.
 */
export class TurboCompressor {
  private readonly f: TurboFns;
  private readonly h: unknown;
  private out: unknown = null;
  private outSize = 0;
  private readonly strides = new Int32Array(3);

  constructor() {
    this.f = loadTurboJpeg();
    this.h = this.f.tjInitCompress();
    if (!this.h) throw new Error('tjInitCompress failed');
  }

  /** Encodes three planes (Y, Cb, Cr) of 4:2:0 or 4:2:2 YUV into a new Buffer holding the JPEG. */
  encode(
    planes: [Uint8Array, Uint8Array, Uint8Array],
    strides: readonly [number, number, number],
    width: number,
    height: number,
    subsamp: number,
    quality: number,
  ): Buffer {
    const need = this.f.tjBufSize(width, height, subsamp);
    if (need > this.outSize) {
      if (this.out) this.f.tjFree(this.out);
      this.out = this.f.tjAlloc(need);
      this.outSize = need;
    }
    this.strides[0] = strides[0];
    this.strides[1] = strides[1];
    this.strides[2] = strides[2];
    const buf = [this.out];
    const size = [this.outSize];
    const rc = this.f.tjCompressFromYUVPlanes(
      this.h,
      planes,
      width,
      this.strides,
      height,
      subsamp,
      buf,
      size,
      quality,
      TJFLAG_NOREALLOC | TJFLAG_FASTDCT,
    );
    if (rc !== 0) throw new Error(`libturbojpeg: ${this.f.tjGetErrorStr2(this.h)}`);
    // The JPEG leaves this buffer (clients hold it while sending), so copy it out once.
    return Buffer.from(koffi.view(this.out, size[0]!) as ArrayBuffer);
  }

  destroy(): void {
    if (this.out) this.f.tjFree(this.out);
    this.out = null;
    this.f.tjDestroy(this.h);
  }
}
