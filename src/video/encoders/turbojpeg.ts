import { TurboCompressor } from '../native/turbojpeg.js';
import { PlanarScratch, toPlanar } from '../planar.js';
import type { Frame, JpegEncoder } from '../types.js';

/** libturbojpeg on the calling thread: the building block of the worker pool, and the 1-core choice. */
export class TurboJpegEncoder implements JpegEncoder {
  readonly name = 'turbojpeg';
  private c: TurboCompressor | null = null;
  private readonly scratch = new PlanarScratch();

  async start(): Promise<void> {
    this.c = new TurboCompressor();
  }

  async stop(): Promise<void> {
    this.c?.destroy();
    this.c = null;
  }

  encodeSync(frame: Frame, quality: number): Buffer {
    if (!this.c) this.c = new TurboCompressor();
    const p = toPlanar(frame, this.scratch);
    return this.c.encode(p.planes, p.strides, frame.width, frame.height, p.subsamp, quality);
  }

  async encode(frame: Frame, quality: number): Promise<Buffer> {
    return this.encodeSync(frame, quality);
  }
}
