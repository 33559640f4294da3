import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../../core/clock.js';
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

  async stop(): Promise<void> {}
}

const WORKER_URL = new URL('./pace-worker.js', import.meta.url);

/** False when running from the TypeScript sources (tests), where no compiled worker exists. */
export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

export interface WorkerPacerOptions {
  clock: Clock;
  /** How long the thread is kept after its last job. */
  idleMs?: number;
  /** How the worker thread runs (real-time or not): after the first start, and on any change. */
  onHello?: (h: PaceWorkerHello) => void;
}

/**
 * The pacing loop in a worker thread, started by the first job and ended after `idleMs` without
 * one. A worker thread is a whole V8 isolate: measured on the built daemon, 12.8 MiB resident
 * while it runs and 4.4 MiB left after it ends (malloc keeps some). A daemon nobody types through
 * does not pay for it; the first text typed after two minutes without one waits for the thread to
 * start (80-120 ms measured here; live keys never go through it).
 */
export class WorkerPacer implements Pacer {
  private worker: Worker | null = null;
  private jobs = 0;
  private idle: TimerHandle | null = null;
  private readonly idleMs: number;
  private lastHello = '';

  constructor(private readonly o: WorkerPacerOptions) {
    this.idleMs = o.idleMs ?? 120_000;
  }

  /** True while a worker thread exists. */
  get running(): boolean {
    return this.worker !== null;
  }

  private thread(): Worker {
    this.idle?.cancel();
    this.idle = null;
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_URL);
    w.unref(); // a typing job holds the daemon up through its promise, not the thread
    w.on('message', (m: { op: string }) => {
      if (m.op !== 'hello') return;
      // Each thread says how it runs; a thread started again after a pause says the same, once.
      const h = m as PaceWorkerHello;
      const key = `${h.realtimeRefused}/${h.polls}`;
      if (key === this.lastHello) return;
      this.lastHello = key;
      this.o.onHello?.(h);
    });
    // A worker that dies is started afresh by the next job (a running job also sees the error).
    w.on('error', () => {
      if (this.worker === w) this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private jobEnded(): void {
    if (--this.jobs > 0 || !this.worker) return;
    // A new job cancels this timer before it starts (thread()), so when it fires no job is running.
    this.idle = this.o.clock.setTimeout(() => {
      this.idle = null;
      void this.stop();
    }, this.idleMs);
  }

  run(fd: number, path: string, job: PaceJob, tell: (s: PaceStep) => void): PaceRun {
    const w = this.thread();
    this.jobs++;
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
        this.jobEnded();
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
    this.idle?.cancel();
    this.idle = null;
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}
