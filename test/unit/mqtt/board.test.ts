import { randomInt } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BoardMonitor } from '../../../src/mqtt/board.js';
import { PictureChange } from '../../../src/mqtt/picture.js';
import { resizeSnapshot } from '../../../src/mqtt/snapshot.js';

const FIXTURE = 'test/fixtures/board';
const NOW = Date.parse('2026-03-01T12:00:30Z');

describe('board diagnostics', () => {
  it('reads the SoC zone, load, memory, disk and boot time from movable /proc and /sys', () => {
    const b = new BoardMonitor({ proc: `${FIXTURE}/proc`, sys: `${FIXTURE}/sys`, disk: FIXTURE }, () => NOW);
    const s = b.read();
    // zone1 says soc-thermal (zone0 is the GPU): 52312 m°C.
    expect(s.cpu_temp).toBe(52);
    expect(s.load_1m).toBe(0.52);
    // (2,000,000 - 1,500,000) / 2,000,000.
    expect(s.mem_used_pct).toBe(25);
    expect(s.disk_used_pct).toBeGreaterThanOrEqual(0);
    expect(s.disk_used_pct).toBeLessThanOrEqual(100);
    // 3600.55 s before 12:00:30, to the minute.
    expect(s.booted_at).toBe('2026-03-01T11:00:00.000Z');
  });

  it('says null for what the system does not tell (a VM without thermal zones, /proc hidden)', () => {
    const b = new BoardMonitor(
      { proc: '/nonexistent/proc', sys: '/nonexistent/sys', disk: '/nonexistent' },
      () => NOW,
    );
    expect(b.read()).toEqual({
      cpu_temp: null,
      load_1m: null,
      mem_used_pct: null,
      disk_used_pct: null,
      booted_at: null,
    });
  });

  it('keeps the boot time steady across a minute boundary (the timestamp sensor must not flap)', () => {
    let now = NOW;
    const b = new BoardMonitor({ proc: `${FIXTURE}/proc`, sys: `${FIXTURE}/sys`, disk: FIXTURE }, () => now);
    const first = b.read().booted_at;
    // The fixture's uptime stands still while the clock moves, so now - uptime drifts as it does
    // between two reads of a real board: across the next minute boundary, the value holds.
    now += 61_000;
    expect(b.read().booted_at).toBe(first);
    // Ten minutes off is a reboot (or a clock step): the value follows.
    now += 600_000;
    expect(b.read().booted_at).toBe('2026-03-01T11:11:00.000Z');
  });
});

/** A dark 1280×720 "desktop" with a light bar, optionally noisy or with one more character. */
async function screen(opts: { noise?: number; char?: boolean } = {}): Promise<Buffer> {
  const w = 1280;
  const h = 720;
  const px = Buffer.alloc(w * h * 3, 0x30);
  for (let y = 0; y < 40; y++) px.fill(0xd0, y * w * 3, (y * w + w) * 3);
  if (opts.char) for (let y = 300; y < 316; y++) px.fill(0xf0, (y * w + 600) * 3, (y * w + 608) * 3);
  if (opts.noise)
    for (let i = 0; i < px.length; i++)
      px[i] = Math.max(0, Math.min(255, px[i]! + randomInt(-opts.noise, opts.noise + 1)));
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

describe('picture change (the image entity publishes only a new picture)', () => {
  it('identical source bytes need no resize; capture noise is the same picture; one character is a change', async () => {
    const pc = new PictureChange();
    const base = await screen();
    const snap = (j: Buffer) => resizeSnapshot(j, 360, 70);
    expect(pc.sameSource(base)).toBe(false);
    expect(await pc.accept(base, await snap(base), false)).toBe(true);
    expect(pc.sameSource(base)).toBe(true);
    const noisy = await screen({ noise: 6 });
    expect(pc.sameSource(noisy)).toBe(false);
    expect(await pc.accept(noisy, await snap(noisy), false)).toBe(false);
    const typed = await screen({ char: true });
    expect(await pc.accept(typed, await snap(typed), false)).toBe(true);
    // Forced (after a reconnect, or asked for): published even when the same.
    expect(await pc.accept(typed, await snap(typed), true)).toBe(true);
  });
});
