import type { PaceJob, PaceResult, StreamHooks } from './typing/pace.js';

/**
 * The HID sink seam: reports go to the gadget's /dev/hidgN devices on a board, or to the recording
 * sink (a ring buffer) in the demo and tests.
 */

/** The gadget functions kvmr0ck can expose; each is one /dev/hidgN. */
export type HidFunctionName = 'keyboard' | 'mouse' | 'mouse_rel' | 'consumer';

export interface HidSinkListener {
  /** Online when every configured device accepts writes; `error` says why not. */
  online(online: boolean, error: string | null): void;
  /** Keyboard LED output report (bit 0 Num, 1 Caps, 2 Scroll; HID Usage Tables, LED page 0x08). */
  leds(bits: number): void;
}

export interface HidSink {
  readonly name: string;
  start(listener: HidSinkListener): Promise<void>;
  stop(): Promise<void>;
  /** The functions this sink can write to. */
  functions(): readonly HidFunctionName[];
  /**
   * Writes one report. Reports to one function go out in call order (a release never overtakes
   * its press), and a report may be dropped unsent when a newer one for the same function
   * supersedes it while the device stalls. Rejects with KvmError HID_OFFLINE when the device is gone or the host is
   * not connected, HID_WRITE_FAILED for other faults. Never blocks the event loop.
   */
  write(fn: HidFunctionName, report: Uint8Array): Promise<void>;
  /**
   * Sends a sequence of reports paced by the host (typing; see typing/pace.ts): each goes out when
   * the host has taken the one before, after `gapMs`; none is dropped. Resolves with the outcome
   * (done, cancelled by `signal`, stalled, failed) and how many reports the host took; rejects
   * only when the device is offline before the first report.
   */
  stream(
    fn: HidFunctionName,
    reports: readonly Uint8Array[],
    opts: Omit<PaceJob, 'reports' | 'takenOnWrite'> & StreamHooks & { signal?: AbortSignal },
  ): Promise<PaceResult>;
}

export type StreamOptions = Parameters<HidSink['stream']>[2];

export interface RecordedReport {
  fn: HidFunctionName;
  /** Report bytes as lowercase hex, space-separated: `00 00 04 00 00 00 00 00`. */
  hex: string;
  /** Wall-clock ms. */
  at: number;
  /** Monotonic ms, for latency figures. */
  mono: number;
}

export function toHex(report: Uint8Array): string {
  return Array.from(report, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
