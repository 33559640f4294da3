import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../core/paths.js';
import type { Frame, JpegEncoder } from '../types.js';
import type { EncodeJob, EncodeResult } from './pool-worker.js';

interface Slot {
  worker: Worker;
  shared: SharedArrayBuffer;
  busy: boolean;
  pending: { id: number; resolve(b: Buffer): void; reject(e: Error): void } | null;
}

/**
 * libturbojpeg in `worker_threads`, one per core: frames are copied into a per-worker shared buffer
 * (allocated once, grown only when the resolution grows) and the JPEG comes back as a transferred
 * ArrayBuffer. The pipeline keeps at most `concurrency` frames in flight and publishes only results
 * newer than the last one, so the newest frame always wins.
 */
export class WorkerPoolEncoder implements JpegEncoder {
  readonly name: string;
  readonly concurrency: number;
  private slots: Slot[] = [];
  private waiting: Array<(s: Slot) => void> = [];
  private nextId = 1;

  constructor(workers = 0) {
    this.concurrency = workers > 0 ? workers : Math.max(1, availableParallelism());
    this.name = `turbojpeg x${this.concurrency}`;
  }

  async start(): Promise<void> {
    // Run from TypeScript sources (vitest), a worker cannot load .ts: it takes the built copy, which
    // the test setup compiles first.
    const url = import.meta.url.endsWith('.ts')
      ? pathToFileURL(path.join(packageRoot(), 'dist/src/video/encoders/pool-worker.js'))
      : new URL('./pool-worker.js', import.meta.url);
    for (let i = 0; i < this.concurrency; i++) {
      const worker = new Worker(url);
      const slot: Slot = { worker, shared: new SharedArrayBuffer(0), busy: false, pending: null };
      worker.on('message', (r: EncodeResult) => this.onResult(slot, r));
      worker.on('error', (err) => {
        slot.pending?.reject(err);
        slot.pending = null;
      });
      this.slots.push(slot);
    }
  }

  async stop(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) s.pending?.reject(new Error('encoder stopped'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  async encode(frame: Frame, quality: number): Promise<Buffer> {
    const slot = await this.acquire();
    const total = frame.data.reduce((n, d) => n + d.length, 0);
    if (slot.shared.byteLength < total) slot.shared = new SharedArrayBuffer(total);
    const dst = new Uint8Array(slot.shared);
    let off = 0;
    for (const d of frame.data) {
      dst.set(d, off);
      off += d.length;
    }
    const id = this.nextId++;
    const job: EncodeJob = {
      id,
      shared: slot.shared,
      format: frame.format,
      width: frame.width,
      height: frame.height,
      strides: frame.strides,
      planeLengths: frame.data.map((d) => d.length),
      quality,
      range: frame.range,
    };
    return new Promise<Buffer>((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      slot.worker.postMessage(job);
    }).finally(() => this.releaseSlot(slot));
  }

  private onResult(slot: Slot, r: EncodeResult): void {
    const p = slot.pending;
    if (!p || p.id !== r.id) return;
    slot.pending = null;
    if ('error' in r) p.reject(new Error(r.error));
    else p.resolve(Buffer.from(r.jpeg));
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    if (this.slots.length === 0) return Promise.reject(new Error('encoder not started'));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  }
}
