import { runHidBench } from './hid.js';
import { runMemoryBench } from './memory.js';
import { runStreamBench } from './stream.js';
import { runRangeBench, runThreadBench, runVideoBench } from './video.js';

/**
 * `npm run bench`: figures, and ratios against references measured in the same run (this machine
 * is noisy: compare ratios, not absolute numbers). Nothing is asserted.
 */
type Row = Record<string, string | number>;

function table(title: string, rows: Row[]): string {
  if (rows.length === 0) return `${title}: no rows`;
  const cols = Object.keys(rows[0]!);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (v: string[]) => v.map((x, i) => x.padEnd(w[i]!)).join('  ');
  return [
    `\n== ${title}`,
    line(cols),
    line(w.map((n) => '-'.repeat(n))),
    ...rows.map((r) => line(cols.map((c) => String(r[c] ?? '')))),
  ].join('\n');
}

const only = process.argv[2];
if (!only || only === 'video') {
  console.log(
    table(
      'JPEG encode of one frame, one thread: ours (koffi) vs the same libyuv + libturbojpeg calls from C vs tjbench (libjpeg-turbo-progs)',
      await runVideoBench(),
    ),
  );
  console.log(table('Encoding on native threads (libuv pool via koffi async calls)', await runThreadBench()));
  console.log(table('Limited-range capture: expansion to full range (1080p)', await runRangeBench()));
}
if (!only || only === 'memory')
  console.log(
    table(
      'Daemon RSS: 1080p30 test pattern to 5 clients, MQTT connected, a snapshot every second (separate process)',
      await runMemoryBench(),
    ),
  );
if (!only || only === 'stream')
  console.log(table('Frame to client latency and memory', await runStreamBench()));
if (!only || only === 'hid') {
  const hid = await runHidBench();
  const rows = hid.map((r) => ({
    bench: r.name,
    figures: Object.entries(r.figures)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
      .join('  '),
  }));
  console.log(table('HID input', rows));
}
