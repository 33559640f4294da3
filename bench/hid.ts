/**
 * HID benchmark: input latency (API key event → report written to the sink) and typing
 * throughput per profile (recording sink, and a simulated host taking one report per ms). Run: `npm run build && node dist/bench/hid.js`
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
import { type HidConfig, HidConfigSchema } from '../src/hid/config.js';
import { LayoutRegistry } from '../src/hid/layout.js';
import { LAYOUTS } from '../src/hid/layouts/index.js';
import { HidService } from '../src/hid/service.js';
import { type DeviceIo, O_WRITE } from '../src/hid/sinks/device-io.js';
import { type HidgDevice, HidgSink } from '../src/hid/sinks/hidg.js';
import { RecordingSink } from '../src/hid/sinks/recording.js';
import type { HidSink } from '../src/hid/types.js';
import { InlinePacer } from '../src/hid/typing/pacer.js';
import { TYPING_PROFILES, typingProfile } from '../src/hid/typing/profiles.js';
import { percentile } from './stats.js';

export interface HidBenchResult {
  name: string;
  figures: Record<string, number>;
}

const log = createLogger({ level: 'silent', format: 'json' });

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

/** The gadget sink with the daemon's defaults; with `io`, typing is paced on the event loop through it. */
function hidgSink(devices: HidgDevice[], io?: DeviceIo): HidgSink {
  return new HidgSink({
    devices,
    clock: systemClock,
    log,
    io,
    pacer: io ? new InlinePacer(io, systemClock) : undefined,
    eagainTimeoutMs: 100,
    staleMs: 1000,
    reopenMs: 500,
    ledPollMs: 100,
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

/** A text with capitals, doubled letters, digits and symbols, so every profile has work to do. */
function benchText(n: number): string {
  return 'The quick brown fox jumps over the lazy dog; 0123456789 {}[] Hello, WORLD! Mississippi. '
    .repeat(Math.ceil(n / 86))
    .slice(0, n);
}

/**
 * The gadget's keyboard as f_hid behaves (one report held until the host polls; EAGAIN before)
 * with a host that polls every millisecond on a real timer: the physical bound of a full-speed
 * USB keyboard with bInterval 1 is one report per ms.
 */
function simulatedHost(): { io: DeviceIo; stop(): void } {
  let held = false;
  const t = setInterval(() => (held = false), 1);
  const io: DeviceIo = {
    open: (p) => (p.endsWith('0') ? 100 : 101),
    write(fd) {
      if (fd === 100 && held) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      if (fd === 100) held = true;
      return 8;
    },
    read: () => 0,
    close() {},
  };
  return { io, stop: () => clearInterval(t) };
}

async function typingBench(n: number): Promise<HidBenchResult[]> {
  const out: HidBenchResult[] = [];
  for (const profile of TYPING_PROFILES) {
    // bios waits 15 ms per report by design: a tenth of the text says as much in a tenth of the time.
    const chars = profile === 'bios' ? Math.ceil(n / 10) : n;
    const text = benchText(chars);
    // The service's own cost: a sink that takes every report at once (only bios's gaps wait).
    const rec = new RecordingSink({ capacity: 100_000, clock: systemClock });
    const hidRec = service(rec);
    await hidRec.start();
    let t0 = performance.now();
    await hidRec.type(text, { profile });
    const recMs = performance.now() - t0;
    const reportsPerChar = rec.totalWritten() / chars;
    await hidRec.stop();

    // Paced by a host taking one report per ms.
    const host = simulatedHost();
    const hidSim = service(hidgSink([{ fn: 'keyboard', path: 'sim/hidg0' }], host.io));
    await hidSim.start();
    t0 = performance.now();
    await hidSim.type(text, { profile });
    const simMs = performance.now() - t0;
    await hidSim.stop();
    host.stop();
    // One report per ms, or one per gap when the profile waits longer than the host.
    const boundCharsPerS = 1000 / (reportsPerChar * Math.max(1, typingProfile(profile).gapMs));
    out.push({
      name: `hid typing, ${profile} profile (${chars} chars)`,
      figures: {
        reports_per_char: reportsPerChar,
        recording_chars_per_s: chars / (recMs / 1000),
        bound_chars_per_s_at_1_report_per_ms: boundCharsPerS,
        host_1ms_chars_per_s: chars / (simMs / 1000),
        host_1ms_vs_bound: chars / (simMs / 1000) / boundCharsPerS,
      },
    });
  }
  return out;
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
    const hidFile = service(
      hidgSink(
        (['keyboard', 'mouse', 'mouse_rel'] as const).map((fn, i) => ({
          fn,
          path: path.join(dir, `hidg${i}`),
        })),
      ),
    );
    await hidFile.start();
    const lf = await latency(hidFile, n);

    await hidFile.stop();
    out.push({
      name: 'hid key event -> report written',
      figures: {
        ref_write_p50_us: percentile(ref, 50) * 1000,
        recording_p50_us: percentile(lr, 50) * 1000,
        recording_p99_us: percentile(lr, 99) * 1000,
        hidg_file_p50_us: percentile(lf, 50) * 1000,
        hidg_file_p99_us: percentile(lf, 99) * 1000,
        hidg_vs_bare_write_p50: percentile(lf, 50) / percentile(ref, 50),
      },
    });
    out.push(...(await typingBench(opts.chars ?? 2000)));
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
