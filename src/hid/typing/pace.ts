/**
 * Host pacing of a stream of reports, as a generator that says what to do (write, sleep, tell)
 * and is told what happened, so one piece of logic runs in a worker thread with blocking sleeps
 * and on an event loop with timers (`runPace`).
 *
 * The gadget (f_hid) holds one IN report at a time: a non-blocking write succeeds only once the
 * host has taken the previous report (the request completed) and fails with EAGAIN before. So a
 * successful write of report i proves the host took report i−1, and a duplicate of the last
 * (all-up) report, written at the end, proves the host took the last one. Nothing here waits on a
 * fixed timer for the host: the next write is tried at once, then every millisecond while the
 * host is slow.
 */

export interface PaceJob {
  reports: readonly Uint8Array[];
  /** Extra wait after each report is handed to the gadget. */
  gapMs: number;
  /** After this long without the host taking a report, tell `waiting`. */
  noticeMs: number;
  /** Give up when the host has taken no report for this long. */
  stallMs: number;
  /**
   * The sink takes each report as it is written (the recording sink): no confirmation write at
   * the end, and every written report counts as taken.
   */
  takenOnWrite?: boolean;
  /** Record every accepted write in `PaceResult.trace` (a debug aid: the lab lines it up with usbmon). */
  trace?: boolean;
}

export type WriteResult = 'ok' | 'again' | { code: 'HID_OFFLINE' | 'HID_WRITE_FAILED'; message: string };

export type PaceStep =
  | { op: 'write'; report: Uint8Array }
  | { op: 'sleep'; ms: number }
  /** Wait until the gadget can take a report (the host took the held one), at most `ms`. */
  | { op: 'wait'; ms: number }
  | { op: 'waiting'; on: boolean }
  | { op: 'taken'; n: number };

/**
 * One report the gadget accepted: its index in the job (`reports.length` for the confirming
 * all-up), when it was first offered and when a write took it (the pacer's monotonic ms), how
 * many writes before that one the gadget refused with EAGAIN, and when the last of those returned
 * (−1 if none). A long time from the last refusal to the acceptance means the pacer itself did
 * not run (a 1 ms sleep that took longer); many refusals mean the host did not poll.
 */
export type WriteTrace = [
  index: number,
  offeredMs: number,
  acceptedMs: number,
  again: number,
  lastAgainMs: number,
];

export interface PaceResult {
  outcome: 'done' | 'cancelled' | 'stalled' | 'failed';
  /** Reports of the job the host is known to have taken (a prefix of the job). */
  taken: number;
  /** Reports of the job the gadget accepted; the one after `taken`, if any, was not confirmed. */
  written: number;
  code?: string;
  message?: string;
  /** With `PaceJob.trace`: every accepted write, in order. */
  trace?: WriteTrace[];
}

/** While the host is slow the next write is retried after 1 ms, and after 10 ms once it has been slow for 50 ms. */
const FAST_RETRY_MS = 1;
const SLOW_RETRY_MS = 10;
const SLOW_AFTER_MS = 50;
const ALL_UP = new Uint8Array(8);

/**
 * The pacing logic. `now` is monotonic ms; `cancelled` is polled before each report and after
 * each sleep. On cancel an all-up report follows whatever the host holds, so nothing stays down.
 */
export function* pace(
  job: PaceJob,
  now: () => number,
  cancelled: () => boolean,
): Generator<PaceStep, PaceResult, WriteResult | undefined> {
  let written = 0;
  let waiting = false;
  const trace: WriteTrace[] | undefined = job.trace ? [] : undefined;
  const taken = () => (job.takenOnWrite ? written : Math.max(0, written - 1));
  /** Offers one report until the gadget takes it; null when it did, else why not. */
  function* offer(
    index: number,
    report: Uint8Array,
    stopOnCancel: boolean,
  ): Generator<PaceStep, Omit<PaceResult, 'taken' | 'written'> | null, WriteResult | undefined> {
    const since = now();
    let refusedAt = -1;
    for (let again = 0; ; again++) {
      const r = yield { op: 'write', report };
      if (r === 'ok') {
        trace?.push([index, since, now(), again, refusedAt]);
        if (waiting) {
          waiting = false;
          yield { op: 'waiting', on: false };
        }
        return null;
      }
      if (r !== 'again') return { outcome: 'failed', code: r?.code, message: r?.message };
      refusedAt = now();
      const waited = refusedAt - since;
      if (waited >= job.stallMs) {
        return {
          outcome: 'stalled',
          code: 'HID_WRITE_FAILED',
          message: `the host took no report for ${Math.round(waited / 1000)} s (asleep, or the cable unplugged?)`,
        };
      }
      if (!waiting && waited >= job.noticeMs) {
        waiting = true;
        yield { op: 'waiting', on: true };
      }
      yield { op: 'wait', ms: waited < SLOW_AFTER_MS ? FAST_RETRY_MS : SLOW_RETRY_MS };
      if (stopOnCancel && cancelled()) return { outcome: 'cancelled' };
    }
  }
  for (const [i, report] of job.reports.entries()) {
    if (cancelled()) break;
    const err = yield* offer(i, report, true);
    if (err?.outcome === 'cancelled') break;
    if (err) return { ...err, taken: taken(), written, trace };
    written++;
    yield { op: 'taken', n: taken() };
    if (job.gapMs > 0) yield { op: 'sleep', ms: job.gapMs };
  }
  const wasCancelled = written < job.reports.length;
  if (job.takenOnWrite && !wasCancelled) return { outcome: 'done', taken: written, written, trace };
  // A duplicate all-up: changes nothing on the host, and its acceptance proves the host took
  // the job's last report (after a cancel, it is the release of whatever was down).
  const err = yield* offer(job.reports.length, ALL_UP, false);
  if (err) return { ...err, taken: taken(), written, trace };
  const result: PaceResult = {
    outcome: wasCancelled ? 'cancelled' : 'done',
    taken: written,
    written,
    trace,
  };
  yield { op: 'taken', n: written };
  return result;
}

/**
 * Runs `pace`. On an event loop `sleep` returns a timer's promise, so other work goes on; in a
 * worker thread it blocks (Atomics.wait) and returns early on cancel. `waitWritable`, when given,
 * waits for the device to take a write (poll(2) POLLOUT) and returns as soon as it can, so the
 * next report follows the host's poll at once instead of on the next retry; else `sleep`.
 */
export async function runPace(
  job: PaceJob,
  io: {
    now(): number;
    cancelled(): boolean;
    write(r: Uint8Array): WriteResult;
    sleep(ms: number): Promise<void> | undefined;
    waitWritable?(ms: number): Promise<void> | undefined;
    tell(step: PaceStep): void;
  },
): Promise<PaceResult> {
  const g = pace(job, io.now, io.cancelled);
  let input: WriteResult | undefined;
  for (;;) {
    const s = g.next(input);
    if (s.done) return s.value;
    input = undefined;
    const step = s.value;
    if (step.op === 'write') input = io.write(step.report);
    else if (step.op === 'sleep') await io.sleep(step.ms);
    else if (step.op === 'wait') await (io.waitWritable ? io.waitWritable(step.ms) : io.sleep(step.ms));
    else io.tell(step);
  }
}

/** Hooks of a stream as the sinks expose them (`HidSink.stream`). */
export interface StreamHooks {
  /** Reports of the job the host has taken so far (called often, not necessarily for each). */
  onTaken?(reports: number): void;
  /** The host stopped taking reports (true) or took one again (false). */
  onWaiting?(waiting: boolean): void;
}

export function stepListener(h: StreamHooks): (s: PaceStep) => void {
  return (s) => {
    if (s.op === 'taken') h.onTaken?.(s.n);
    else if (s.op === 'waiting') h.onWaiting?.(s.on);
  };
}
