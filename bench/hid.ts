/**
 * HID benchmark: input latency (API key event → report written to the sink) and typing
 * throughput at the default rate. Run: `npm run build && node dist/bench/hid.js`
 * (or through bench/run.ts). The reference is a bare non-blocking write(2) of the same 8 bytes
 * to the same file, so the ratio shows what the service adds on top of the system call.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { type AppState, initialAppState } from '../src/core/app-state.js';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/log.js';
import { StateStore } from '../src/core/state.js';
import { HidConfigSchema } from '../src/hid/config.js';
import { LayoutRegistry } from '../src/hid/layout.js';
import { LAYOUTS } from '../src/hid/layouts/index.js';
import { type HidConfig, HidService } from '../src/hid/service.js';
import { O_WRITE } from '../src/hid/sinks/device-io.js';
import { HidgSink } from '../src/hid/sinks/hidg.js';
import { RecordingSink } from '../src/hid/sinks/recording.js';
import type { HidSink } from '../src/hid/types.js';

export interface HidBenchResult {
  name: string;
  figures: Record<string, number>;
}

const log = createLogger({ level: 'silent', format: 'json' });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function service(sink: HidSink): HidService {
  const config = Value.Default(HidConfigSchema, {}) as HidConfig;
  return new HidService({
    sink,
    store: new StateStore<AppState>(initialAppState()),
    clock: systemClock,
    log,
    config,
    layouts: new LayoutRegistry(LAYOUTS),
  });
}

/** Key down + up through a client session, timed from the call to the sink's write. */
async function latency(hid: HidService, n: number): Promise<number[]> {
  const s = hid.session('bench');
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await s.keyDown('a');
    samples.push(performance.now() - t0);
    await s.keyUp('a');
  }
  await s.close();
  return samples.sort((a, b) => a - b);
}

export async function runHidBench(opts: { keys?: number; chars?: number } = {}): Promise<HidBenchResult[]> {
  const n = opts.keys ?? 5000;
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-bench-hid-'));
  const out: HidBenchResult[] = [];
  try {
    // Reference: the bare system call.
    const file = path.join(dir, 'ref');
    writeFileSync(file, '');
    const fd = openSync(file, O_WRITE);
    const report = new Uint8Array(8);
    const ref: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, report);
      ref.push(performance.now() - t0);
    }
    closeSync(fd);
    ref.sort((a, b) => a - b);

    // Recording sink: the service's own cost (state machine, write chain, state store).
    const rec = new RecordingSink({ capacity: 1000, clock: systemClock });
    const hidRec = service(rec);
    await hidRec.start();
    const lr = await latency(hidRec, n);
    await hidRec.stop();

    // hidg sink on plain files standing in for /dev/hidgN: the whole path down to write(2).
    for (const i of [0, 1, 2]) writeFileSync(path.join(dir, `hidg${i}`), '');
    const hidg = new HidgSink({
      devices: (['keyboard', 'mouse', 'mouse_rel'] as const).map((fn, i) => ({
        fn,
        path: path.join(dir, `hidg${i}`),
      })),
      clock: systemClock,
      log,
      eagainTimeoutMs: 100,
      staleMs: 1000,
      reopenMs: 500,
      ledPollMs: 100,
    });
    const hidFile = service(hidg);
    await hidFile.start();
    const lf = await latency(hidFile, n);

    // Typing at the default rate, in real time.
    const chars = opts.chars ?? 100;
    const text = 'The quick brown fox jumps over the lazy dog 0123456789! '.repeat(4).slice(0, chars);
    const t0 = performance.now();
    await hidFile.type(text);
    const typeMs = performance.now() - t0;
    await hidFile.stop();

    out.push({
      name: 'hid key event -> report written',
      figures: {
        ref_write_p50_us: ref[ref.length >> 1]! * 1000,
        recording_p50_us: pct(lr, 50) * 1000,
        recording_p99_us: pct(lr, 99) * 1000,
        hidg_file_p50_us: pct(lf, 50) * 1000,
        hidg_file_p99_us: pct(lf, 99) * 1000,
        hidg_vs_bare_write_p50: pct(lf, 50) / ref[ref.length >> 1]!,
      },
    });
    out.push({
      name: 'hid typing at default rate (15 ms/report)',
      figures: {
        chars,
        chars_per_s: chars / (typeMs / 1000),
        ideal_chars_per_s: 1000 / (2 * 15),
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const isMain = process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]));
if (isMain) {
  for (const r of await runHidBench()) {
    const figs = Object.entries(r.figures)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
      .join('  ');
    process.stdout.write(`${r.name}: ${figs}\n`);
  }
}
