import { makeThumbnail } from '../video/thumbnail.js';

/**
 * A small JPEG for the image entity: HA shows stills only, so a few hundred pixels high keeps a
 * message around 20-60 KB instead of a full-HD frame (DESIGN.md, Home Assistant facts).
 */
export function resizeSnapshot(jpeg: Buffer, height: number, quality: number): Promise<Buffer> {
  return makeThumbnail(jpeg, { height, quality });
}
