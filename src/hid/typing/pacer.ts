import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../core/clock.js';
import { KvmError } from '../../core/errors.js';
import { type DeviceIo, tryWrite } from '../sinks/device-io.js';
import { type PaceJob, type PaceResult, type PaceStep, runPace } from './pace.js';
import type { PaceWorkerHello, PaceWorkerRequest } from './pace-worker.js';

/** One running stream of reports to a device fd. */
export interface PaceRun {
  result: Promise<PaceResult>;
  /** Stops before the next report; an all-up report still follows what the host holds. */
  cancel(): void;
}

/** Where the pacing loop runs: a worker thread (the daemon) or the event loop (tests). */
export interface Pacer {
  /** Gets ready (a worker thread takes a while to start on a small board). */
  warm(): void;
  run(fd: number, path: string, job: PaceJob, tell: (s: PaceStep) => void): PaceRun;
  stop(): Promise<void>;
}

/** The pacing loop on the event loop, writing through `io` (tests script faults there). */
export class InlinePacer implements Pacer {
  constructor(
    private readonly io: DeviceIo,
    private readonly clock: Clock,
  ) {}

  run(fd: number, path: string, job: PaceJob, tell: (s: PaceStep) => void): PaceRun {
    let cancelled = false;
    const result = runPace(job, {
      now: () => this.clock.monotonic(),
      cancelled: () => cancelled,
      write: (r) => tryWrite(this.io, fd, r, path),
      sleep: (ms) => this.clock.sleep(ms),
      tell,
    });
    return { result, cancel: () => (cancelled = true) };
  }

  warm(): void {}

  async stop(): Promise<void> {}
}

const WORKER_URL = new URL('./pace-worker.js', import.meta.url);

/** False when running from the TypeScript sources (tests), where no compiled worker exists. */
export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/** The pacing loop in a worker thread, started on first use and kept until `stop`. */
export class WorkerPacer implements Pacer {
  private worker: Worker | null = null;

  /** `onHello`: how each worker thread runs (real-time or not), once it has started. */
  constructor(private readonly onHello?: (h: PaceWorkerHello) => void) {}

  warm(): void {
    if (this.worker) return;
    const w = new Worker(WORKER_URL);
    w.unref(); // a typing job holds the daemon up through its promise, not the thread
    w.on('message', (m: { op: string }) => {
      if (m.op === 'hello') this.onHello?.(m as PaceWorkerHello);
    });
    // A worker that dies is started afresh by the next job (a running job also sees the error).
    w.on('error', () => {
      if (this.worker === w) this.worker = null;
    });
    this.worker = w;
  }

  run(fd: number, path: string, job: PaceJob, tell: (s: PaceStep) => void): PaceRun {
    this.warm();
    const w = this.worker!;
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const result = new Promise<PaceResult>((resolve, reject) => {
      const onMessage = (m: PaceStep | PaceWorkerHello | { op: 'result'; result: PaceResult }) => {
        if (m.op === 'hello') return;
        if (m.op !== 'result') return tell(m);
        done();
        resolve(m.result);
      };
      const onError = (err: unknown) => {
        done();
        this.worker = null;
        reject(err);
      };
      // Terminated by stop() mid-job: the job ends here, not silently never.
      const onExit = () => onError(new KvmError('HID_OFFLINE', 'typing stopped: the HID sink was stopped'));
      const done = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      const req: PaceWorkerRequest = { fd, path, job, ctl: ctl.buffer as SharedArrayBuffer };
      w.postMessage(req);
    });
    return {
      result,
      cancel: () => {
        Atomics.store(ctl, 0, 1);
        Atomics.notify(ctl, 0);
      },
    };
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}
