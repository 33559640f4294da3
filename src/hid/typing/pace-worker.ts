/**
 * The worker thread that types for the gadget sink (see `WorkerPacer`). It writes with
 * non-blocking write(2) and waits in poll(2) for the gadget to become writable, so a report goes
 * out as soon as the host has taken the previous one even while the daemon's event loop is busy
 * (a JPEG encode, a garbage collection): a key's release follows its press by one host poll,
 * never by a stall of the main thread (a key held for the target's 250 ms auto-repeat delay would
 * type twice). It runs at real-time priority where the daemon may (root), so a busy board cannot
 * keep it from writing a release either.
 */
import { parentPort } from 'node:worker_threads';
import { fsDeviceIo, tryWrite } from '../sinks/device-io.js';
import { type PaceJob, type PaceStep, runPace } from './pace.js';
import { loadWorkerOs, type WorkerOs } from './worker-os.js';

export interface PaceWorkerRequest {
  fd: number;
  path: string;
  job: PaceJob;
  /** Int32Array slot 0: set to 1 (and notified) to cancel. */
  ctl: SharedArrayBuffer;
}

/** The worker says once how it runs, for the daemon's log. */
export interface PaceWorkerHello {
  op: 'hello';
  /** null: SCHED_FIFO granted; else why not (EPERM, or libc could not be loaded). */
  realtimeRefused: string | null;
  /** Whether it waits in poll(2) (false: retries on 1 ms sleeps). */
  polls: boolean;
}

/**
 * Shortest poll(2) wait: poll returns the moment the host takes the held report, so its timeout
 * only bounds how late a cancel or a stall is noticed, and fewer wakeups cost a small board less.
 */
const POLL_MIN_MS = 10;
/** Progress goes to the main thread at most this often; the result carries the exact count. */
const TAKEN_EVERY_MS = 50;
/**
 * SCHED_FIFO priority: the lowest tier above every normal thread (encoders, GC, other daemons);
 * the thread sleeps in poll between reports, so it takes a few µs of CPU per report.
 */
const REALTIME_PRIORITY = 10;

let os: WorkerOs | null = null;
let refused: string | null;
try {
  os = loadWorkerOs();
  refused = os.realtime(REALTIME_PRIORITY);
} catch (err) {
  refused = `libc not loaded: ${(err as Error).message}`;
}
parentPort?.postMessage({
  op: 'hello',
  realtimeRefused: refused,
  polls: os !== null,
} satisfies PaceWorkerHello);

parentPort?.on('message', async (m: PaceWorkerRequest) => {
  const ctl = new Int32Array(m.ctl);
  let toldAt = 0;
  // After poll returned an event (writable, or an error/hang-up that poll keeps reporting), a
  // write refused anyway (another writer took the slot) must not turn into a loop of polls that
  // return at once, at real-time priority: the next wait is a plain sleep.
  let pollSaidWritable = false;
  let sleepNext = false;
  const sleep = (ms: number) => {
    Atomics.wait(ctl, 0, 0, ms);
    return undefined;
  };
  const result = await runPace(m.job, {
    // CLOCK_MONOTONIC itself (not since this thread started), so a trace lines up with the
    // kernel's own timestamps (usbmon stamps with ktime_get_ts64).
    now: () => Number(process.hrtime.bigint()) / 1e6,
    cancelled: () => Atomics.load(ctl, 0) !== 0,
    write: (r) => {
      const w = tryWrite(fsDeviceIo, m.fd, r, m.path);
      if (w === 'again' && pollSaidWritable) sleepNext = true;
      pollSaidWritable = false;
      return w;
    },
    sleep,
    waitWritable: (ms) => {
      if (!os || sleepNext) {
        sleepNext = false;
        return sleep(ms);
      }
      pollSaidWritable = os.waitWritable(m.fd, Math.max(ms, POLL_MIN_MS));
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
