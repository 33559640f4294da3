import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPoolEncoder } from '../../../src/video/encoders/pool.js';
import { SharpEncoder } from '../../../src/video/encoders/sharp.js';
import { TurboJpegEncoder } from '../../../src/video/encoders/turbojpeg.js';
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
  for (const format of ['UYVY', 'YUYV', 'NV12', 'NV21', 'NV16'] as PixelFormat[]) {
    it(format, () => {
      const f = rawFrame(format);
      const a = toPlanar(f, new PlanarScratch(), true);
      const b = toPlanar(f, new PlanarScratch(), false);
      const cLen = format === 'NV12' || format === 'NV21' ? (W / 2) * (H / 2) : (W / 2) * H;
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

describe('worker pool encoder', () => {
  it('encodes frames in parallel workers into the same JPEG as on the main thread', async () => {
    const pool = new WorkerPoolEncoder(2);
    await pool.start();
    try {
      const f = rawFrame('UYVY');
      const [a, b] = await Promise.all([pool.encode(f, 80), pool.encode(f, 80)]);
      const direct = await new TurboJpegEncoder().encode(f, 80);
      expect(a!.equals(direct)).toBe(true);
      expect(b!.equals(direct)).toBe(true);
      expect(pool.concurrency).toBe(2);
    } finally {
      await pool.stop();
    }
  });
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
    'worker pool': () => new WorkerPoolEncoder(1),
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
