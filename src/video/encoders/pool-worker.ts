import { parentPort } from 'node:worker_threads';
import type { Frame, PixelFormat, SampleRange } from '../types.js';
import { TurboJpegEncoder } from './turbojpeg.js';

/** A job as posted by the pool: the frame's planes were copied, back to back, into `shared`. */
export interface EncodeJob {
  id: number;
  shared: SharedArrayBuffer;
  format: PixelFormat;
  width: number;
  height: number;
  strides: number[];
  planeLengths: number[];
  quality: number;
  range?: SampleRange;
}

export type EncodeResult = { id: number; jpeg: ArrayBuffer; ms: number } | { id: number; error: string };

const encoder = new TurboJpegEncoder();

parentPort?.on('message', (job: EncodeJob) => {
  const t0 = performance.now();
  try {
    let off = 0;
    const data = job.planeLengths.map((len) => {
      const view = new Uint8Array(job.shared, off, len);
      off += len;
      return view;
    });
    const frame: Frame = {
      format: job.format,
      width: job.width,
      height: job.height,
      data,
      strides: job.strides,
      range: job.range,
      bytesUsed: off,
      sequence: 0,
      capturedAt: 0,
      release: () => {},
    };
    const jpeg = encoder.encodeSync(frame, job.quality);
    // Hand the bytes over without a copy: the ArrayBuffer moves to the main thread.
    const ab = jpeg.buffer.slice(jpeg.byteOffset, jpeg.byteOffset + jpeg.length) as ArrayBuffer;
    const result: EncodeResult = { id: job.id, jpeg: ab, ms: performance.now() - t0 };
    parentPort?.postMessage(result, [ab]);
  } catch (err) {
    const result: EncodeResult = { id: job.id, error: err instanceof Error ? err.message : String(err) };
    parentPort?.postMessage(result);
  }
});
