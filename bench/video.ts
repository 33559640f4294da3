import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { WorkerPoolEncoder } from '../src/video/encoders/pool.js';
import { TurboJpegEncoder } from '../src/video/encoders/turbojpeg.js';
import { expandPlaneJs } from '../src/video/native/range.js';
import { PlanarScratch, toPlanar } from '../src/video/planar.js';
import type { Frame, PixelFormat } from '../src/video/types.js';

/**
 * Encoder figures on the shared desktop frames: ms per frame for our libturbojpeg path (with and
 * without the packed→planar step) against the same library called from C in the same run, and the
 * pool's throughput against one thread.
 */
const QUALITY = 80;
const work = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-bench-'));

function frameFor(size: '1280x720' | '1920x1080', format: 'UYVY' | 'NV12'): Frame {
  const [w, h] = size.split('x').map(Number) as [number, number];
  const png = path.join(packageRoot(), '..', 'shared', 'frames', `desktop_${size}.png`);
  const file = path.join(work, `${size}.${format}`);
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-i', png, '-vf', 'scale=out_range=full', '-f', 'rawvideo'],
    ...['-pix_fmt', format === 'UYVY' ? 'uyvy422' : 'nv12', file],
  ]);
  const data = new Uint8Array(readFileSync(file));
  return {
    format,
    width: w,
    height: h,
    data: [data],
    strides: format === 'UYVY' ? [w * 2] : [w, w],
    bytesUsed: data.length,
    sequence: 0,
    capturedAt: 0,
    release: () => {},
  };
}

function buildReference(): string {
  const exe = path.join(work, 'ref-encode');
  execFileSync('cc', [
    '-O2',
    '-o',
    exe,
    path.join(packageRoot(), 'bench', 'ref-encode.c'),
    '-l:libturbojpeg.so.0',
  ]);
  return exe;
}

function timeIt(n: number, fn: () => void): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

export interface Row {
  [k: string]: string | number;
}

export async function runVideoBench(): Promise<Row[]> {
  const ref = buildReference();
  const rows: Row[] = [];
  for (const size of ['1280x720', '1920x1080'] as const) {
    for (const format of ['UYVY', 'NV12'] as PixelFormat[]) {
      const frame = frameFor(size, format as 'UYVY' | 'NV12');
      const n = size === '1280x720' ? 200 : 100;
      const enc = new TurboJpegEncoder();
      await enc.start();
      const scratch = new PlanarScratch();
      const planar = toPlanar(frame, scratch);
      const total = timeIt(n, () => enc.encodeSync(frame, QUALITY));
      const split = timeIt(n, () => toPlanar(frame, scratch));
      // The C reference encodes the very planes we hand to libturbojpeg.
      const ch = planar.subsamp === 2 ? frame.height / 2 : frame.height;
      const cw = frame.width / 2;
      const planes = Buffer.concat([
        Buffer.from(planar.planes[0].subarray(0, frame.width * frame.height)),
        Buffer.from(planar.planes[1].subarray(0, cw * ch)),
        Buffer.from(planar.planes[2].subarray(0, cw * ch)),
      ]);
      const planesFile = path.join(work, 'planes.yuv');
      writeFileSync(planesFile, planes);
      const out = execFileSync(ref, [
        planesFile,
        String(frame.width),
        String(frame.height),
        String(planar.subsamp),
        String(QUALITY),
        String(n),
      ])
        .toString()
        .trim()
        .split(' ');
      const cMs = Number(out[0]);
      await enc.stop();
      rows.push({
        frame: `${size} ${format}`,
        'ours ms': total.toFixed(2),
        'of which planar split ms': split.toFixed(2),
        'C ref ms': cMs.toFixed(2),
        'ratio (encode only)': ((total - split) / cMs).toFixed(2),
        'ratio (all)': (total / cMs).toFixed(2),
        'jpeg KB': (Number(out[1]) / 1024).toFixed(0),
      });
    }
  }
  return rows;
}

/**
 * Limited-range capture (HDMI bridges): the cost of expanding to full range before encoding, with
 * the WebAssembly SIMD module against plain JS lookup tables on the same planes, and what it adds
 * to a whole encode.
 */
export async function runRangeBench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const format of ['UYVY', 'NV12'] as const) {
    const frame = frameFor('1920x1080', format);
    const limited: Frame = { ...frame, range: 'limited' };
    const scratch = new PlanarScratch();
    const planes = toPlanar(frame, scratch).planes.map((p) => Uint8Array.from(p));
    const n = 300;
    // What expansion adds to the planar step, on the daemon's own path (scratch in wasm memory).
    const simdMs = timeIt(n, () => toPlanar(limited, scratch)) - timeIt(n, () => toPlanar(frame, scratch));
    const copies = planes.map((p) => new Uint8Array(p.length));
    const jsMs = timeIt(n, () => {
      for (let i = 0; i < 3; i++) {
        copies[i]!.set(planes[i]!);
        expandPlaneJs(copies[i]!, i > 0);
      }
    });
    const enc = new TurboJpegEncoder();
    await enc.start();
    const fullMs = timeIt(n, () => enc.encodeSync(frame, QUALITY));
    const limitedMs = timeIt(n, () => enc.encodeSync(limited, QUALITY));
    await enc.stop();
    rows.push({
      frame: `1920x1080 ${format}`,
      'SIMD expand ms': simdMs.toFixed(2),
      'JS table ms': jsMs.toFixed(2),
      'JS / SIMD': (jsMs / simdMs).toFixed(1),
      'encode full ms': fullMs.toFixed(2),
      'encode limited ms': limitedMs.toFixed(2),
      'limited / full': (limitedMs / fullMs).toFixed(2),
    });
  }
  return rows;
}

/** Frames per second through the pool with every worker busy, against one thread. */
export async function runPoolBench(seconds = 3): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of ['1280x720', '1920x1080'] as const) {
    const frame = frameFor(size, 'UYVY');
    const single = new TurboJpegEncoder();
    await single.start();
    const singleFps = 1000 / timeIt(30, () => single.encodeSync(frame, QUALITY));
    await single.stop();
    const pool = new WorkerPoolEncoder(0);
    await pool.start();
    let done = 0;
    const end = performance.now() + seconds * 1000;
    const lane = async () => {
      while (performance.now() < end) {
        await pool.encode(frame, QUALITY);
        done++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: pool.concurrency }, lane));
    const poolFps = done / ((performance.now() - t0) / 1000);
    await pool.stop();
    rows.push({
      frame: `${size} UYVY`,
      workers: pool.concurrency,
      'one thread fps': singleFps.toFixed(0),
      'pool fps': poolFps.toFixed(0),
      speedup: (poolFps / singleFps).toFixed(2),
    });
  }
  return rows;
}
