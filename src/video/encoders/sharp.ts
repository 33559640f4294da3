import { loadSharp, type Sharp } from '../lazy-sharp.js';
import { TJSAMP_420 } from '../native/turbojpeg.js';
import { PlanarScratch, toPlanar } from '../planar.js';
import type { Frame, JpegEncoder } from '../types.js';
import { yuvToRgb } from '../yuv-to-rgb.js';

/**
 * The fallback encoder: YUV → RGB in JS, then sharp (libvips + mozjpeg). About 5× slower than
 * libturbojpeg from YUV planes (npm run bench), but needs nothing beyond npm packages.
 */
export class SharpEncoder implements JpegEncoder {
  readonly name = 'sharp';
  private rgb: Uint8Array | null = null;
  private readonly scratch = new PlanarScratch();
  private sharp: Sharp | null = null;

  async start(): Promise<void> {
    this.sharp = await loadSharp();
  }

  async stop(): Promise<void> {
    this.rgb = null;
  }

  async encode(frame: Frame, quality: number): Promise<Buffer> {
    const need = frame.width * frame.height * 3;
    if (!this.rgb || this.rgb.length !== need) this.rgb = new Uint8Array(need);
    const rgb = yuvToRgb(frame.range === 'limited' ? this.fullRange(frame) : frame, this.rgb);
    this.sharp ??= await loadSharp();
    return this.sharp(rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false })
      .toBuffer();
  }

  /** A limited-range frame as full-range I420/I422 planes (the JFIF equations assume full range). */
  private fullRange(frame: Frame): Frame {
    const p = toPlanar(frame, this.scratch);
    return {
      ...frame,
      format: p.subsamp === TJSAMP_420 ? 'I420' : 'I422',
      data: p.planes,
      strides: p.strides,
      range: 'full',
    };
  }
}
