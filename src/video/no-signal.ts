import { drawText, GLYPH_H, GLYPH_W, textWidth } from './font5x7.js';
import type { Frame } from './types.js';

/** Full-range luma of the background (#101418) and of the three lines of text, brightest first. */
const BACKGROUND = 22;
const TITLE = 232;
const REASON = 165;
const FOOTER = 100;

/**
 * The picture shown instead of video when there is none: dark, "NO SIGNAL" large, the reason
 * below it, the time at the foot, so a user looking at the stream knows whether to check the
 * cable, the source or the resolution, and that the picture is live. Drawn with the built-in
 * bitmap font into an I420 frame that the pipeline's own JPEG encoder encodes: no image library
 * is loaded for a target that is switched off (the usual state of a KVM's target at night).
 * One frame buffer per size, reused every second.
 */
export class NoSignalPicture {
  private buf = new Uint8Array(0);

  /** A frame of `width`×`height` (at least 320×180, even), valid until the next call. */
  frame(width: number, height: number, reason: string, now: Date, monotonic: number): Frame {
    const w = Math.max(320, width || 1280) & ~1;
    const h = Math.max(180, height || 720) & ~1;
    const ySize = w * h;
    const cSize = ySize / 4;
    if (this.buf.length !== ySize + 2 * cSize) this.buf = new Uint8Array(ySize + 2 * cSize);
    const y = this.buf.subarray(0, ySize);
    y.fill(BACKGROUND);
    this.buf.fill(128, ySize); // neutral chroma: grey text on a grey-blue-black
    const line = (text: string, maxScale: number, baseline: number, value: number) => {
      // As large as asked, but never wider than 94% of the picture; cut with "..." at the smallest.
      const fit = Math.floor((w * 0.94 + 1) / (text.length * (GLYPH_W + 1)));
      const scale = Math.max(1, Math.min(maxScale, fit));
      let t = text;
      const room = Math.floor((w * 0.94) / (GLYPH_W + 1));
      if (scale === 1 && t.length > room) t = `${t.slice(0, Math.max(0, room - 3))}...`;
      const x = Math.floor((w - textWidth(t, scale)) / 2);
      drawText(y, w, h, x, Math.round(h * baseline) - GLYPH_H * scale, t, scale, value);
    };
    const title = Math.max(2, Math.floor(h / 9 / GLYPH_H));
    const small = Math.max(1, Math.floor(h / 24 / GLYPH_H));
    line('NO SIGNAL', title, 0.45, TITLE);
    line(reason, small, 0.6, REASON);
    line(
      `KVMR0CK - ${now.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
      Math.max(1, Math.floor(small * 0.7)),
      0.92,
      FOOTER,
    );
    return {
      format: 'I420',
      width: w,
      height: h,
      data: [y, this.buf.subarray(ySize, ySize + cSize), this.buf.subarray(ySize + cSize)],
      strides: [w, w / 2, w / 2],
      bytesUsed: this.buf.length,
      sequence: 0,
      capturedAt: monotonic,
      synthetic: true,
      release: () => {},
    };
  }
}
