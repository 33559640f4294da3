import { loadSharp } from './lazy-sharp.js';
import { callAsync } from './native/ffi.js';
import { FILTER_BOX, loadLibYuv } from './native/libyuv.js';
import {
  decodeScaledYuv,
  loadTurboJpeg,
  readJpegHeader,
  TJSAMP_420,
  TurboCompressor,
} from './native/turbojpeg.js';

export interface ThumbnailOptions {
  /** The thumbnail fits inside width x height (either may be absent), aspect kept, never enlarged. */
  width?: number;
  height?: number;
  quality: number;
}

/**
 * A smaller JPEG of a frame (MQTT image entity, /snapshot.jpg?width=). With libturbojpeg and libyuv
 * it stays in YUV and on native threads: a DCT-scaled decode to the nearest M/8 size at or above
 * the target, a box-filtered scale to the exact size, an encode; no libvips, whose resize held
 * ~31 MiB of anonymous memory (issue 19). sharp does it when either library is missing.
 */
export async function makeThumbnail(jpeg: Buffer, o: ThumbnailOptions): Promise<Buffer> {
  const yuv = loadLibYuv();
  let native = yuv !== null;
  try {
    loadTurboJpeg();
  } catch {
    native = false;
  }
  if (!native || !yuv) return sharpThumbnail(jpeg, o);
  let w0: number;
  let h0: number;
  try {
    ({ width: w0, height: h0 } = readJpegHeader(jpeg));
  } catch {
    return sharpThumbnail(jpeg, o);
  }
  const scale = Math.min(1, o.width ? o.width / w0 : 1, o.height ? o.height / h0 : 1);
  // Even sizes keep chroma planes whole.
  const tw = Math.max(2, Math.round((w0 * scale) / 2) * 2);
  const th = Math.max(2, Math.round((h0 * scale) / 2) * 2);
  let d: Awaited<ReturnType<typeof decodeScaledYuv>>;
  try {
    d = await decodeScaledYuv(jpeg, th);
  } catch {
    // 4:4:4, greyscale or progressive JPEGs (MJPEG from some dongles): libvips handles them all.
    return sharpThumbnail(jpeg, o);
  }
  const c = new TurboCompressor();
  try {
    if (d.width === tw && d.height === th)
      return await c.encodeAsync(d.planes, d.strides, tw, th, d.subsamp, o.quality);
    const cw = tw / 2;
    const ch = d.subsamp === TJSAMP_420 ? th / 2 : th;
    const out: [Uint8Array, Uint8Array, Uint8Array] = [
      new Uint8Array(tw * th),
      new Uint8Array(cw * ch),
      new Uint8Array(cw * ch),
    ];
    const scaleFn = d.subsamp === TJSAMP_420 ? yuv.I420Scale : yuv.I422Scale;
    const [p, s] = [d.planes, d.strides];
    await callAsync(scaleFn, [
      ...[p[0], s[0], p[1], s[1], p[2], s[2], d.width, d.height],
      ...[out[0], tw, out[1], cw, out[2], cw, tw, th, FILTER_BOX],
    ]);
    return await c.encodeAsync(out, [tw, cw, cw], tw, th, d.subsamp, o.quality);
  } finally {
    c.destroy();
  }
}

/**
 * A grey width x height picture (raw 8-bit luma, aspect not kept) of a JPEG, for comparing frames:
 * the luma plane of a DCT-scaled decode, box-filtered to size by libyuv; sharp without the
 * libraries or for JPEGs libturbojpeg does not scale here.
 */
export async function greyThumbnail(jpeg: Buffer, width: number, height: number): Promise<Buffer> {
  const yuv = loadLibYuv();
  if (yuv) {
    try {
      const d = await decodeScaledYuv(jpeg, height);
      const out = Buffer.alloc(width * height);
      await callAsync(yuv.ScalePlane, [
        ...[d.planes[0], d.strides[0], d.width, d.height],
        ...[out, width, width, height, FILTER_BOX],
      ]);
      return out;
    } catch {
      // libturbojpeg missing, or a JPEG it does not scale here: libvips below.
    }
  }
  const sharp = await loadSharp();
  return sharp(jpeg).greyscale().resize(width, height, { fit: 'fill' }).raw().toBuffer();
}

async function sharpThumbnail(jpeg: Buffer, o: ThumbnailOptions): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(jpeg)
    .resize({ width: o.width, height: o.height, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: o.quality })
    .toBuffer();
}
