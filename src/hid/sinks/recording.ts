import { appendFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import type { HidFunctionName, HidSink, HidSinkListener, RecordedReport, StreamOptions } from '../types.js';
import { toHex } from '../types.js';
import { type PaceResult, runPace, stepListener } from '../typing/pace.js';

export interface RecordingSinkOptions {
  capacity: number;
  /** Also append each report as a JSON line here (tests of a daemon process read it). */
  file?: string;
  clock: Clock;
}

/**
 * Keeps written reports in a ring buffer instead of sending them to a USB host: the HID sink of the
 * demo and of tests, which assert the exact bytes (as TinyPilot's tests do with a temp file).
 */
export class RecordingSink implements HidSink {
  readonly name = 'recording';
  private ring: RecordedReport[] = [];
  private start_ = 0;
  private listeners = new Set<(r: RecordedReport) => void>();
  private total = 0;

  constructor(private readonly o: RecordingSinkOptions) {}

  async start(listener: HidSinkListener): Promise<void> {
    listener.online(true, null);
  }

  async stop(): Promise<void> {}

  functions(): readonly HidFunctionName[] {
    return ['keyboard', 'mouse', 'mouse_rel', 'consumer'];
  }

  async write(fn: HidFunctionName, report: Uint8Array): Promise<void> {
    this.record(fn, report);
  }

  /** Takes each report at once, like a host that is always ready; only the gaps pace it. */
  stream(fn: HidFunctionName, reports: readonly Uint8Array[], opts: StreamOptions): Promise<PaceResult> {
    return runPace(
      { ...opts, reports, takenOnWrite: true },
      {
        now: () => this.o.clock.monotonic(),
        cancelled: () => opts.signal?.aborted === true,
        write: (r) => {
          this.record(fn, r);
          return 'ok';
        },
        sleep: (ms) => this.o.clock.sleep(ms),
        tell: stepListener(opts),
      },
    );
  }

  private record(fn: HidFunctionName, report: Uint8Array): void {
    const rec: RecordedReport = {
      fn,
      hex: toHex(report),
      at: this.o.clock.now(),
      mono: this.o.clock.monotonic(),
    };
    if (this.ring.length < this.o.capacity) this.ring.push(rec);
    else {
      this.ring[this.start_] = rec;
      this.start_ = (this.start_ + 1) % this.o.capacity;
    }
    this.total++;
    if (this.o.file) appendFileSync(this.o.file, JSON.stringify(rec) + '\n');
    for (const l of this.listeners) l(rec);
  }

  /** Reports in write order, oldest first. */
  records(): RecordedReport[] {
    return [...this.ring.slice(this.start_), ...this.ring.slice(0, this.start_)];
  }

  totalWritten(): number {
    return this.total;
  }

  clear(): void {
    this.ring = [];
    this.start_ = 0;
  }

  onReport(listener: (r: RecordedReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
