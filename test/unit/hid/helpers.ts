import { Value } from '@sinclair/typebox/value';
import { type AppState, initialAppState } from '../../../src/core/app-state.js';
import { FakeClock } from '../../../src/core/clock.js';
import { KvmError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/log.js';
import { StateStore } from '../../../src/core/state.js';
import { type HidConfig, HidConfigSchema } from '../../../src/hid/config.js';
import { LayoutRegistry } from '../../../src/hid/layout.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { HidService } from '../../../src/hid/service.js';
import { RecordingSink } from '../../../src/hid/sinks/recording.js';
import {
  type HidFunctionName,
  type HidSink,
  type HidSinkListener,
  type StreamOptions,
  toHex,
} from '../../../src/hid/types.js';
import { type PaceResult, runPace, stepListener, type WriteResult } from '../../../src/hid/typing/pace.js';

export const quietLog = createLogger({ level: 'silent', format: 'json' });

export function hidConfig(over: Partial<HidConfig> = {}): HidConfig {
  return { ...(Value.Default(HidConfigSchema, {}) as HidConfig), ...over };
}

export async function makeHid(opts: { config?: Partial<HidConfig>; sink?: HidSink; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const store = new StateStore<AppState>(initialAppState());
  const recording = new RecordingSink({ capacity: 10_000, clock });
  const sink = opts.sink ?? recording;
  const hid = new HidService({
    sink,
    store,
    clock,
    log: quietLog,
    config: hidConfig(opts.config),
    layouts: new LayoutRegistry(LAYOUTS),
  });
  await hid.start();
  /** Reports as `fn: hex`, in write order, then forgotten. */
  const take = (): string[] => {
    const r = recording.records().map((x) => `${x.fn}: ${x.hex}`);
    recording.clear();
    return r;
  };
  return { hid, clock, store, recording, take };
}

/**
 * A gadget keyboard and its USB host on a fake clock, the way f_hid behaves: the gadget holds one
 * report until the host polls for it (every `pollMs` while `polling`), and a write while it holds
 * one fails with EAGAIN. `taken` is what the host received, with the time it took each report.
 * Typed streams run the daemon's own pacing logic (`runPace`) against it.
 */
export class SlowHostSink implements HidSink {
  readonly name = 'slow-host';
  readonly taken: Array<{ hex: string; at: number }> = [];
  polling = true;
  unplugged = false;
  private held: Uint8Array | null = null;
  private timer: { cancel(): void } | null = null;

  constructor(
    private readonly clock: FakeClock,
    private readonly pollMs = 1,
  ) {}

  async start(l: HidSinkListener): Promise<void> {
    l.online(true, null);
    const poll = () => {
      if (this.polling && this.held && !this.unplugged) {
        this.taken.push({ hex: toHex(this.held), at: this.clock.monotonic() });
        this.held = null;
      }
      this.timer = this.clock.setTimeout(poll, this.pollMs);
    };
    this.timer = this.clock.setTimeout(poll, this.pollMs);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
  }

  functions(): readonly HidFunctionName[] {
    return ['keyboard'];
  }

  private tryWrite(r: Uint8Array): WriteResult {
    if (this.unplugged)
      return { code: 'HID_OFFLINE', message: '/dev/hidg0: USB host disconnected (ESHUTDOWN)' };
    if (this.held) return 'again';
    this.held = r;
    return 'ok';
  }

  async write(_fn: HidFunctionName, r: Uint8Array): Promise<void> {
    for (;;) {
      const w = this.tryWrite(r);
      if (w === 'ok') return;
      if (w !== 'again') throw new KvmError(w.code, w.message);
      await this.clock.sleep(1);
    }
  }

  stream(_fn: HidFunctionName, reports: readonly Uint8Array[], opts: StreamOptions): Promise<PaceResult> {
    return runPace(
      { ...opts, reports },
      {
        now: () => this.clock.monotonic(),
        cancelled: () => opts.signal?.aborted === true,
        write: (r) => this.tryWrite(r),
        sleep: (ms) => this.clock.sleep(ms),
        tell: stepListener(opts),
      },
    );
  }

  /**
   * Longest any key stayed down on the host: in ms from the times it took the reports, or in
   * reports taken (1: released by the very next report the host took).
   */
  maxHold(unit: 'ms' | 'reports' = 'ms'): number {
    let max = 0;
    const since = new Map<string, number>();
    for (const [i, r] of this.taken.entries()) {
      const t = { hex: r.hex, at: unit === 'ms' ? r.at : i };
      const b = t.hex.split(' ');
      const down = new Set([`m${b[0]}`, ...b.slice(2).filter((x) => x !== '00')]);
      if (b[0] === '00') down.delete('m00');
      for (const k of down) if (!since.has(k)) since.set(k, t.at);
      for (const [k, at] of since) {
        if (!down.has(k)) {
          max = Math.max(max, t.at - at);
          since.delete(k);
        }
      }
    }
    return max;
  }
}
