import { callAsync } from '../native/ffi.js';
import { TurboCompressor } from '../native/turbojpeg.js';
import { PlanarScratch, planPlanar, type Subsampling, toPlanar } from '../planar.js';
import type { Frame, JpegEncoder } from '../types.js';

export interface TurboJpegOptions {
  /** Encodes at once, at most (each on a libuv pool thread); default 1. */
  threads?: number;
  /** For 4:2:2 sources (default 420). */
  subsampling?: Subsampling;
}

/** One encode at a time: a compressor and its scratch planes, made when first needed. */
interface Lane {
  c: TurboCompressor;
  scratch: PlanarScratch;
}

/**
 * libturbojpeg on native threads: each frame's libyuv unpacking and JPEG encoding run on libuv's
 * thread pool through koffi's async calls, reading the mmap'd capture planes in place (no worker
 * isolate, no copy into shared memory, no postMessage). The unpacking stays off the main thread
 * though it costs a second round trip: against unpacking on the calling thread (1080p UYVY,
 * frames paced at 30 per second, 2-core x86 VM) the round trip added 0.05 ms to a frame's 8.7 ms,
 * and one thread's throughput did not differ beyond noise, while the unpacking would take 0.3 ms
 * of the main thread per frame here (more on a board's slower cores). The promise settles when
 * the native call returns; only then does the pipeline release the capture buffer. The pipeline
 * asks for a second concurrent encode only when a frame arrives while one is still running (it
 * fell behind), and a lane's memory is allocated only then.
 */
export class TurboJpegEncoder implements JpegEncoder {
  readonly name: string;
  readonly concurrency: number;
  private readonly subsampling: Subsampling;
  private idle: Lane[] = [];
  private lanes = 0;
  private readonly waiting: Array<(l: Lane) => void> = [];
  private readonly running = new Set<Promise<unknown>>();
  private syncLane: Lane | null = null;

  constructor(o: TurboJpegOptions = {}) {
    this.concurrency = Math.max(1, o.threads ?? 1);
    this.subsampling = o.subsampling ?? 420;
    this.name = `turbojpeg x${this.concurrency}`;
  }

  async start(): Promise<void> {}

  /** Waits for encodes still on a pool thread (they use the compressors), then frees everything. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
    for (const l of this.idle) l.c.destroy();
    this.syncLane?.c.destroy();
    this.idle = [];
    this.lanes = 0;
    this.syncLane = null;
  }

  /** On the calling thread: the reference the bench measures the threaded path against. */
  encodeSync(frame: Frame, quality: number): Buffer {
    this.syncLane ??= newLane();
    const l = this.syncLane;
    const p = toPlanar(frame, l.scratch, { subsampling: this.subsampling });
    return l.c.encode(p.planes, p.strides, frame.width, frame.height, p.subsamp, quality);
  }

  /**
   * With a lane free, the native call is queued before this returns (callers rely on it: the
   * pipeline copies the frame's luma for drop-same while the encode runs).
   */
  encode(frame: Frame, quality: number): Promise<Buffer> {
    const lane = this.acquireNow();
    if (lane) return this.encodeOn(lane, frame, quality);
    return new Promise<Lane>((resolve) => this.waiting.push(resolve)).then((l) =>
      this.encodeOn(l, frame, quality),
    );
  }

  private async encodeOn(lane: Lane, frame: Frame, quality: number): Promise<Buffer> {
    const job = this.run(lane, frame, quality);
    this.running.add(job);
    try {
      return await job;
    } finally {
      this.running.delete(job);
      this.release(lane);
    }
  }

  /** Async so a throw from planPlanar rejects (encodeOn then still releases the lane). */
  private async run(l: Lane, frame: Frame, quality: number): Promise<Buffer> {
    const p = planPlanar(frame, l.scratch, { subsampling: this.subsampling });
    if (p.convert) await callAsync(p.convert.fn, p.convert.args);
    return l.c.encodeAsync(p.planes, p.strides, frame.width, frame.height, p.subsamp, quality);
  }

  private acquireNow(): Lane | null {
    const free = this.idle.pop();
    if (free) return free;
    if (this.lanes < this.concurrency) {
      this.lanes++;
      return newLane();
    }
    return null;
  }

  private release(l: Lane): void {
    const next = this.waiting.shift();
    if (next) next(l);
    else this.idle.push(l);
  }
}

function newLane(): Lane {
  return { c: new TurboCompressor(), scratch: new PlanarScratch() };
}
