import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoSignalPicture } from '../../../src/video/no-signal.js';
import { inFreshDaemon } from '../../helpers/fresh-daemon.js';

/** Rows of the luma plane with any pixel brighter than `min`, as [first, last]. */
function litRows(
  y: Uint8Array,
  w: number,
  h: number,
  min: number,
  from = 0,
  to = h,
): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let r = from; r < to; r++) {
    const row = y.subarray(r * w, (r + 1) * w);
    if (row.some((v) => v > min)) {
      if (first < 0) first = r;
      last = r;
    }
  }
  return first < 0 ? null : [first, last];
}

describe('the no-signal picture', () => {
  it('is a dark I420 frame with NO SIGNAL, the reason and the time, each on its own line', () => {
    const f = new NoSignalPicture().frame(1280, 720, 'device gone', new Date('2026-12-07T18:00:00Z'), 5);
    expect(f).toMatchObject({ format: 'I420', width: 1280, height: 720, strides: [1280, 640, 640] });
    const y = f.data[0]!;
    expect(y[0]).toBeLessThan(40); // background
    expect(f.data[1]!.every((v) => v === 128) && f.data[2]!.every((v) => v === 128)).toBe(true);
    // The title, the brightest text, ends just above 45% of the height and is tall.
    const title = litRows(y, 1280, 720, 200)!;
    expect(title[1]).toBe(Math.round(720 * 0.45) - 1);
    expect(title[1] - title[0]).toBeGreaterThan(50);
    // The reason below it, dimmer, ending above 60%; the footer above 92%.
    expect(litRows(y, 1280, 720, 140, title[1] + 1, Math.round(720 * 0.6))).not.toBeNull();
    expect(litRows(y, 1280, 720, 80, Math.round(720 * 0.6), Math.round(720 * 0.92))).not.toBeNull();
  });

  it('keeps a long reason inside the picture and uses even sizes of at least 320x180', () => {
    const f = new NoSignalPicture().frame(321, 101, 'x'.repeat(400), new Date(), 0);
    expect([f.width, f.height]).toEqual([320, 180]);
    const y = f.data[0]!;
    for (let r = 0; r < f.height; r++) {
      expect(y[r * f.width]).toBeLessThan(40); // nothing drawn at the left edge
      expect(y[r * f.width + f.width - 1]).toBeLessThan(40); // nor at the right
    }
  });

  it('is what a daemon with no capture device serves, without loading sharp (libvips)', async () => {
    // The SVG the picture used to be drawn from cost sharp, librsvg, pango and fontconfig: +90 MiB
    // resident in the uvc lab at the first unplug. Checked in a fresh process on the built daemon.
    const r = await inFreshDaemon<{ synthetic: boolean; width: number; vips: boolean }>(
      {
        server: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        hid: { sink: 'recording' },
        video: { source: 'v4l2', device: '/dev/kvmr0ck-no-such-video' },
        paths: { state: mkdtempSync(path.join(tmpdir(), 'kvmr0ck-nosignal-')) },
      },
      `const end = Date.now() + 20000;
       while (!app.hub.latest()?.synthetic && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
       const { readFileSync } = await import('node:fs');
       return { synthetic: app.hub.latest()?.synthetic === true, width: app.hub.latest()?.width ?? 0,
         vips: readFileSync('/proc/self/maps', 'utf8').includes('libvips') };`,
    );
    expect(r).toEqual({ synthetic: true, width: 1280, vips: false });
  }, 60_000);
});
