/**
 * The worker thread that types for the gadget sink (see `WorkerPacer`). It writes with
 * non-blocking write(2) and sleeps with Atomics.wait, so a report goes out as soon as the host
 * has taken the previous one even while the daemon's event loop is busy (a JPEG encode, a
 * garbage collection): a key's release follows its press by one host poll, never by a stall of
 * the main thread (a key held for the target's 250 ms auto-repeat delay would type twice).
 */
import { parentPort } from 'node:worker_threads';
import { fsDeviceIo, tryWrite } from '../sinks/device-io.js';
import { type PaceJob, type PaceStep, runPace } from './pace.js';

export interface PaceWorkerRequest {
  fd: number;
  path: string;
  job: PaceJob;
  /** Int32Array slot 0: set to 1 (and notified) to cancel. */
  ctl: SharedArrayBuffer;
}

/** Progress goes to the main thread at most this often; the result carries the exact count. */
const TAKEN_EVERY_MS = 50;

parentPort?.on('message', async (m: PaceWorkerRequest) => {
  const ctl = new Int32Array(m.ctl);
  let toldAt = 0;
  const result = await runPace(m.job, {
    // CLOCK_MONOTONIC itself (not since this thread started), so a trace lines up with the
    // kernel's own timestamps (usbmon stamps with ktime_get_ts64).
    now: () => Number(process.hrtime.bigint()) / 1e6,
    cancelled: () => Atomics.load(ctl, 0) !== 0,
    write: (r) => tryWrite(fsDeviceIo, m.fd, r, m.path),
    sleep: (ms) => {
      Atomics.wait(ctl, 0, 0, ms);
      return undefined;
    },
    tell: (step: PaceStep) => {
      if (step.op === 'taken') {
        const t = performance.now();
        if (t - toldAt < TAKEN_EVERY_MS) return;
        toldAt = t;
      }
      parentPort?.postMessage(step);
    },
  });
  parentPort?.postMessage({ op: 'result', result });
});
