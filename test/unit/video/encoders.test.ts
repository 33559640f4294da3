import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SharpEncoder } from '../../../src/video/encoders/sharp.js';
import { TurboJpegEncoder } from '../../../src/video/encoders/turbojpeg.js';
import { TJSAMP_420, TurboCompressor } from '../../../src/video/native/turbojpeg.js';
import { PlanarScratch, toPlanar } from '../../../src/video/planar.js';
import type { Frame, PixelFormat } from '../../../src/video/types.js';

const FRAME_PNG = path.resolve('test/fixtures/frames/desktop_1280x720.png');
const W = 1280;
const H = 720;

/** ffmpeg's own conversion of the desktop frame to each capture format is the reference. */
const FFMPEG_FMT: Partial<Record<PixelFormat, string>> = {
  UYVY: 'uyvy422',
  YUYV: 'yuyv422',
  NV12: 'nv12',
  NV21: 'nv21',
  NV16: 'yuv422p', // ffmpeg 5.1 cannot write nv16 from RGB: interleave its 4:2:2 planes below
  I420: 'yuv420p',
  I422: 'yuv422p',
};

const dir = mkdtempSync(path.join(tmpdir(), 'enc-'));
let reference: Buffer;

/**
 * The desktop frame as a capture device would deliver it. Full range by default (as JPEG expects);
 * `limited` is BT.601 studio swing, what an HDMI bridge such as the TC358743 sends.
 */
function rawFrame(format: PixelFormat, range: 'full' | 'limited' = 'full'): Frame {
  const file = path.join(dir, `${format}-${range}.raw`);
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-i', FRAME_PNG, '-vf', `scale=out_range=${range === 'full' ? 'full' : 'tv'}`],
    '-f',
    'rawvideo',
    ...['-pix_fmt', FFMPEG_FMT[format]!, file],
  ]);
  let data: Uint8Array = new Uint8Array(readFileSync(file));
  if (format === 'NV16') data = interleaveChroma(data);
  const packed = format === 'UYVY' || format === 'YUYV';
  const planar3 = format === 'I420' || format === 'I422';
  return {
    format,
    width: W,
    height: H,
    data: [data],
    strides: packed ? [W * 2] : planar3 ? [W, W / 2, W / 2] : [W, W],
    ...(range === 'limited' ? { range } : {}),
    bytesUsed: data.length,
    sequence: 1,
    capturedAt: 0,
    release: () => {},
  };
}

/** Planar 4:2:2 (Y, Cb, Cr) into NV16's Y plane plus interleaved CbCr. */
function interleaveChroma(p: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.length);
  const c = (W / 2) * H;
  out.set(p.subarray(0, W * H));
  for (let i = 0; i < c; i++) {
    out[W * H + 2 * i] = p[W * H + i]!;
    out[W * H + 2 * i + 1] = p[W * H + c + i]!;
  }
  return out;
}

async function psnr(jpeg: Buffer): Promise<number> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([W, H]);
  let se = 0;
  for (let i = 0; i < data.length; i++) {
    const d = data[i]! - reference[i]!;
    se += d * d;
  }
  return 10 * Math.log10((255 * 255) / (se / data.length));
}

beforeAll(async () => {
  reference = await sharp(FRAME_PNG).removeAlpha().raw().toBuffer();
});

describe('libturbojpeg encoder from each capture format', () => {
  const enc = new TurboJpegEncoder();
  afterAll(() => enc.stop());
  for (const format of Object.keys(FFMPEG_FMT) as PixelFormat[]) {
    it(`${format}: decodes to the source picture (PSNR >= 30 dB at quality 90)`, async () => {
      const jpeg = await enc.encode(rawFrame(format), 90);
      expect(await psnr(jpeg)).toBeGreaterThan(30);
    });
  }

  it('NV61 (Cr first, 4:2:2) gives the same picture as NV16', async () => {
    const nv16 = rawFrame('NV16');
    const swapped = new Uint8Array(nv16.data[0]!);
    for (let i = W * H; i < swapped.length; i += 2)
      [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    const nv61: Frame = { ...nv16, format: 'NV61', data: [swapped] };
    expect((await enc.encode(nv61, 90)).equals(await enc.encode(nv16, 90))).toBe(true);
  });

  it('a lower quality gives a smaller file', async () => {
    const f = rawFrame('NV12');
    expect((await enc.encode(f, 30)).length).toBeLessThan((await enc.encode(f, 90)).length / 2);
  });
});

describe('planar split: libyuv and the JS fallback agree byte for byte', () => {
  for (const subsampling of [420, 422] as const)
    for (const format of ['UYVY', 'YUYV', 'NV12', 'NV21', 'NV16'] as PixelFormat[]) {
      it(`${format} to ${subsampling}`, () => {
        const f = rawFrame(format);
        const a = toPlanar(f, new PlanarScratch(), { libyuv: true, subsampling });
        const b = toPlanar(f, new PlanarScratch(), { libyuv: false, subsampling });
        expect(a.subsamp).toBe(b.subsamp);
        const cLen = a.subsamp === TJSAMP_420 ? (W / 2) * (H / 2) : (W / 2) * H;
        expect(
          Buffer.from(a.planes[0].subarray(0, W * H)).equals(Buffer.from(b.planes[0].subarray(0, W * H))),
        ).toBe(true);
        expect(
          Buffer.from(a.planes[1].subarray(0, cLen)).equals(Buffer.from(b.planes[1].subarray(0, cLen))),
        ).toBe(true);
        expect(
          Buffer.from(a.planes[2].subarray(0, cLen)).equals(Buffer.from(b.planes[2].subarray(0, cLen))),
        ).toBe(true);
      });
    }
});

describe('libturbojpeg on native threads', () => {
  it('encodes two different frames at once into the same JPEGs as on the calling thread', async () => {
    const enc = new TurboJpegEncoder({ threads: 2 });
    await enc.start();
    try {
      const a = rawFrame('UYVY');
      const b = rawFrame('NV12');
      const [ja, jb] = await Promise.all([enc.encode(a, 80), enc.encode(b, 80)]);
      expect(ja.equals(enc.encodeSync(a, 80))).toBe(true);
      expect(jb.equals(enc.encodeSync(b, 80))).toBe(true);
      expect(enc.concurrency).toBe(2);
    } finally {
      await enc.stop();
    }
  });

  it('hands out JPEGs the caller owns: one stays intact while the encoder makes more', async () => {
    const enc = new TurboJpegEncoder({ threads: 1 });
    const first = await enc.encode(rawFrame('NV12'), 80);
    const copy = Buffer.from(first);
    await enc.encode(rawFrame('I422'), 30);
    enc.encodeSync(rawFrame('UYVY'), 95);
    expect(first.equals(copy)).toBe(true);
    await enc.stop();
  });

  it('queues the native call before encode() returns (the pipeline copies drop-same luma meanwhile)', async () => {
    const enc = new TurboJpegEncoder({ threads: 1 });
    const queued = vi.spyOn(TurboCompressor.prototype, 'encodeAsync');
    try {
      const pending = enc.encode(rawFrame('I420'), 80);
      expect(queued).toHaveBeenCalledTimes(1);
      expect((await pending).subarray(0, 2).toString('hex')).toBe('ffd8');
    } finally {
      queued.mockRestore();
      await enc.stop();
    }
  });

  it('stop() waits for an encode still on a pool thread', async () => {
    const enc = new TurboJpegEncoder({ threads: 1 });
    const pending = enc.encode(rawFrame('UYVY'), 80);
    await enc.stop();
    expect((await pending).subarray(0, 2).toString('hex')).toBe('ffd8');
  });
});

/**
 * The luma sampling factors in the JPEG's SOF0 (ITU T.81 B.2.2), H x V: 2x2 means 4:2:0, 2x1 4:2:2
 * (libvips reports any subsampled JPEG as 4:2:0).
 */
function lumaSampling(jpeg: Buffer): string {
  let i = 2;
  while (i + 4 < jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    if (marker === 0xc0 || marker === 0xc1) {
      const hv = jpeg[i + 11]!;
      return `${hv >> 4}x${hv & 15}`;
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return 'no SOF';
}

describe('chroma subsampling of 4:2:2 capture', () => {
  for (const format of ['UYVY', 'NV16', 'I422'] as PixelFormat[]) {
    it(`${format}: 4:2:0 by default, 4:2:2 when asked`, async () => {
      const f = rawFrame(format);
      const by = async (subsampling?: 420 | 422) => {
        const enc = new TurboJpegEncoder(subsampling ? { subsampling } : {});
        const jpeg = await enc.encode(f, 90);
        await enc.stop();
        return { jpeg, sampling: lumaSampling(jpeg) };
      };
      const d = await by();
      const s422 = await by(422);
      expect(d.sampling).toBe('2x2');
      expect(s422.sampling).toBe('2x1');
      expect(await psnr(d.jpeg)).toBeGreaterThan(30);
      expect(d.jpeg.length).toBeLessThan(s422.jpeg.length);
    });
  }
});

describe('sharp fallback encoder', () => {
  it('encodes the same picture, more slowly', async () => {
    const jpeg = await new SharpEncoder().encode(rawFrame('I420'), 90);
    expect(await psnr(jpeg)).toBeGreaterThan(30);
  });
});

describe('limited-range capture (HDMI bridges send 16..235)', () => {
  const encoders = {
    turbojpeg: () => new TurboJpegEncoder(),
    'turbojpeg, 2 threads': () => new TurboJpegEncoder({ threads: 2 }),
    sharp: () => new SharpEncoder(),
  };
  for (const [name, make] of Object.entries(encoders)) {
    for (const format of ['UYVY', 'NV12', 'I422'] as const) {
      it(`${name}, ${format}: expanded to full range, so blacks are black and whites white`, async () => {
        const enc = make();
        await enc.start();
        try {
          const limited = rawFrame(format, 'limited');
          const expanded = await psnr(await enc.encode(limited, 90));
          // The same samples read as if they were full range: the washed-out picture users would see.
          const asIs = await psnr(await enc.encode({ ...limited, range: 'full' }, 90));
          expect(expanded).toBeGreaterThan(30);
          expect(expanded - asIs).toBeGreaterThan(6);
        } finally {
          await enc.stop();
        }
      });
    }
  }
});
