import sharp from 'sharp';

/**
 * A small JPEG for the image entity: HA shows stills only, so a few hundred pixels high keeps a
 * message around 20-60 KB instead of a full-HD frame (DESIGN.md, Home Assistant facts).
 */
export async function resizeSnapshot(jpeg: Uint8Array, height: number, quality: number): Promise<Buffer> {
  return sharp(jpeg).resize({ height, withoutEnlargement: true }).jpeg({ quality }).toBuffer();
}
