import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { greyThumbnail, makeThumbnail } from '../../../src/video/thumbnail.js';

/** A 1920x1080 picture with detail at every scale: colour gradients crossed by thin lines. */
async function picture(subsampling: '4:2:0' | '4:4:4'): Promise<Buffer> {
  const [w, h] = [1920, 1080];
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const line = x % 64 < 2 || y % 48 < 2;
      rgb[i] = line ? 255 : (x * 255) / w;
      rgb[i + 1] = line ? 255 : (y * 255) / h;
      rgb[i + 2] = line ? 255 : 128;
    }
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90, chromaSubsampling: subsampling })
    .toBuffer();
}

/** PSNR of a thumbnail against libvips' own resize of the same JPEG to the same size. */
async function psnrAgainstVips(source: Buffer, thumb: Buffer): Promise<number> {
  const t = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
  const ref = await sharp(source).resize(t.info.width, t.info.height, { fit: 'fill' }).raw().toBuffer();
  let se = 0;
  for (let i = 0; i < ref.length; i++) se += (ref[i]! - t.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / ref.length));
}

describe('thumbnails of frames (MQTT image entity, /snapshot.jpg?width=)', () => {
  it('scales a 1080p frame to 640x360 and looks like libvips would make it', async () => {
    const source = await picture('4:2:0');
    const thumb = await makeThumbnail(source, { height: 360, quality: 80 });
    const meta = await sharp(thumb).metadata();
    expect([meta.width, meta.height]).toEqual([640, 360]);
    // Box filter against libvips' lanczos on 2-pixel lines: ~27.5 dB; swapped or shifted planes
    // fall far below 20.
    expect(await psnrAgainstVips(source, thumb)).toBeGreaterThan(25);
  });

  it('fits inside width x height with the aspect kept, never enlarging', async () => {
    const source = await picture('4:2:0');
    const byWidth = await sharp(await makeThumbnail(source, { width: 480, quality: 70 })).metadata();
    expect([byWidth.width, byWidth.height]).toEqual([480, 270]);
    const both = await sharp(
      await makeThumbnail(source, { width: 400, height: 400, quality: 70 }),
    ).metadata();
    expect([both.width, both.height]).toEqual([400, 226]);
    const bigger = await sharp(await makeThumbnail(source, { height: 2160, quality: 70 })).metadata();
    expect([bigger.width, bigger.height]).toEqual([1920, 1080]);
  });

  it('hands 4:4:4 JPEGs (which libturbojpeg scaling here does not take) to libvips', async () => {
    const source = await picture('4:4:4');
    const thumb = await makeThumbnail(source, { height: 360, quality: 80 });
    const meta = await sharp(thumb).metadata();
    expect([meta.width, meta.height]).toEqual([640, 360]);
    expect(await psnrAgainstVips(source, thumb)).toBeGreaterThan(28);
  });

  it('makes the grey 160x90 picture MQTT compares frames with: re-encoding stays within its noise, a changed block does not', async () => {
    const source = await picture('4:2:0');
    const raw = await sharp(source).raw().toBuffer();
    const reencoded = await sharp(raw, { raw: { width: 1920, height: 1080, channels: 3 } })
      .jpeg({ quality: 60 })
      .toBuffer();
    // One 96x96 block turned black, as a window or a moved pointer would.
    for (let y = 500; y < 596; y++) raw.fill(0, (y * 1920 + 900) * 3, (y * 1920 + 996) * 3);
    const changed = await sharp(raw, { raw: { width: 1920, height: 1080, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const [a, b, c] = await Promise.all([source, reencoded, changed].map((j) => greyThumbnail(j, 160, 90)));
    expect(a!.length).toBe(160 * 90);
    const maxDiff = (x: Buffer, y: Buffer) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    // src/mqtt/picture.ts counts a change when a pixel moves by more than 24 levels.
    expect(maxDiff(a!, b!)).toBeLessThanOrEqual(24);
    expect(maxDiff(a!, c!)).toBeGreaterThan(24);
  });
});
