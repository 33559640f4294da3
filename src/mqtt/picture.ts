import { createHash } from 'node:crypto';
import { greyThumbnail } from '../video/thumbnail.js';

/** Grey thumbnail compared between snapshots: each pixel averages a 12×12 block of a 1080p frame. */
const TW = 160;
const TH = 90;
/**
 * A thumbnail pixel must move by more than this (of 255) to count as a change: analog dongles'
 * noise and JPEG re-encoding stay within a few levels once averaged over a block, while one
 * changed character or a moved pointer shifts its block by tens of levels.
 */
const NOISE = 24;

/**
 * Decides whether a snapshot shows a new picture, so Home Assistant's image entity (one recorder
 * row per message) is only told when there is something new to see. Two steps: identical source
 * JPEG bytes (HDMI capture of a still screen encodes to the same bytes) cost one hash and no
 * resize; otherwise a small grey thumbnail of the resized snapshot is compared with the one last
 * published, which absorbs capture noise.
 */
export class PictureChange {
  private lastDigest = '';
  private lastThumb: Buffer | null = null;

  /** True when the source frame is byte-for-byte the last published one. */
  sameSource(jpeg: Uint8Array): boolean {
    return this.lastDigest !== '' && digest(jpeg) === this.lastDigest;
  }

  /**
   * Whether `snapshot` (made from `source`) differs from the last published picture; when it does
   * (or `force`), it becomes the reference.
   */
  async accept(source: Uint8Array, snapshot: Buffer, force: boolean): Promise<boolean> {
    const thumb = await greyThumbnail(snapshot, TW, TH);
    const changed = force || this.lastThumb === null || differs(this.lastThumb, thumb);
    if (changed) {
      this.lastThumb = thumb;
      this.lastDigest = digest(source);
    }
    return changed;
  }

  /** Forget the reference (the broker lost its retained image). */
  reset(): void {
    this.lastDigest = '';
    this.lastThumb = null;
  }
}

function digest(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex');
}

function differs(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > NOISE) return true;
  return false;
}
