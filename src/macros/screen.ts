import { loadSharp } from '../video/lazy-sharp.js';

/** Thumbnails compared for `wait_for`: small and grey, so a comparison costs a few ms per frame. */
const TW = 64;
const TH = 36;

export type Region = [number, number, number, number];

/** A 64×36 greyscale thumbnail of an image (JPEG or PNG), optionally of a region (fractions of the size). */
export async function thumbnail(image: Buffer | string, region?: Region): Promise<Buffer> {
  const sharp = await loadSharp();
  let img = sharp(image);
  if (region) {
    const meta = await img.metadata();
    const w = meta.width ?? 1;
    const h = meta.height ?? 1;
    img = sharp(image).extract({
      left: Math.floor(region[0] * w),
      top: Math.floor(region[1] * h),
      width: Math.max(1, Math.floor(region[2] * w)),
      height: Math.max(1, Math.floor(region[3] * h)),
    });
  }
  return img.greyscale().resize(TW, TH, { fit: 'fill' }).raw().toBuffer();
}

/** Mean absolute difference of two thumbnails, 0 (same) .. 1 (opposite). */
export function difference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / n / 255;
}

/** Below this, two frames count as the same picture (sensor noise and JPEG artefacts). */
export const SAME = 0.01;
/** Above this, the screen counts as changed. */
export const CHANGED = 0.03;
