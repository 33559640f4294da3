import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/video/types.js';
import { BACKOFF_MS, DRAIN_MS } from '../../../src/video/v4l2/source.js';
import { until } from '../../helpers/wait.js';
import { intact, journalSince, rig, sendFrame, stopRigs, streaming } from './v4l2-rig.js';

afterEach(stopRigs);

async function started(...a: Parameters<typeof rig>) {
  const r = rig(...a);
  await r.start();
  return r;
}

describe('V4L2 source on a fake device: buffer lifetime', () => {
  it('streams at the input timings with views straight onto the mapped buffers', async () => {
    const r = await started();
    await streaming(r, 64, 32);
    expect(r.out.last).toMatchObject({
      signal: true,
      reason: null,
      format: 'UYVY',
      fps: 60,
      range: 'limited',
    });
    const f = await sendFrame(r);
    expect(f).toMatchObject({ width: 64, height: 32, format: 'UYVY', strides: [128] });
    expect(f.data[0]!.buffer).toBe(r.hw.streaming!.buffers[0]!.planes[0]!.view.buffer);
    expect(intact(f)).toBe(true);
  });

  it('gives a buffer back to the driver only when its frame is released, and only once', async () => {
    const r = await started();
    await streaming(r);
    const frames: Frame[] = [];
    for (let i = 0; i < 4; i++) frames.push(await sendFrame(r));
    // Every buffer is out: the driver has nowhere to write the next frame, and overwrites none.
    await r.clock.advance(40);
    expect(r.hw.frame()).toBeNull();
    for (const f of frames) expect(intact(f)).toBe(true);
    expect(r.hw.journal.filter((e) => e.startsWith('QBUF')).length).toBe(4); // the initial queueing

    const first = frames[0]!;
    const queued = () => journalSince(r, 'DQBUF 0').filter((e) => e.startsWith('QBUF'));
    expect(queued()).toEqual([]);
    r.out.release(first);
    first.release(); // a second release must not queue the buffer again
    expect(queued()).toEqual(['QBUF 0']);
    expect(r.hw.violations).toEqual([]);
    // The driver fills the returned buffer, and only it: the frames still held keep their bytes.
    const next = await sendFrame(r);
    expect(next.data[0]!.buffer).toBe(r.hw.streaming!.buffers[0]!.planes[0]!.view.buffer);
    for (const f of frames.slice(1)) expect(intact(f)).toBe(true);
  });

  it('requeues frames skipped by the pacing at once', async () => {
    const r = await started({ fps: 10 });
    await streaming(r);
    const kept = await sendFrame(r); // 40 ms since the start: delivered
    // 40 ms later is inside the 100 ms frame interval at 10 fps: dropped and given straight back.
    await r.clock.advance(40);
    const index = r.hw.frame()!;
    await until(
      () => journalSince(r, `DQBUF ${index}`).includes(`QBUF ${index}`),
      2000,
      'the skipped buffer requeued',
    );
    expect(r.out.received).toBe(1);
    expect(intact(kept)).toBe(true);
  });
});

describe('V4L2 source on a fake device: renegotiation', () => {
  it('on a source change waits for the frames out, keeps their memory mapped, then streams the new size', async () => {
    const r = await started();
    await streaming(r, 64, 32);
    const a = await sendFrame(r);
    const b = await sendFrame(r);
    r.hw.retime(128, 64, 30);
    await until(() => r.hw.journal.includes('STREAMOFF'), 2000, 'capture to stop');
    // Half the drain bound passes with both frames still being encoded: nothing is unmapped and
    // the device is not opened again.
    await r.clock.advance(DRAIN_MS / 2);
    expect(r.hw.journal).not.toContain('unmap');
    expect(r.hw.opens.length).toBe(1);
    expect(intact(a) && intact(b)).toBe(true);
    r.out.release(a);
    await r.clock.advance(0);
    expect(r.hw.journal).not.toContain('unmap');
    expect(r.hw.opens.length).toBe(1);
    r.out.release(b);
    await streaming(r, 128, 64);
    // The old buffers went away first, and were not handed back to a device that stopped.
    expect(journalSince(r, 'STREAMOFF').slice(0, 3)).toEqual(['unmap', 'close', 'open']);
    expect(r.hw.violations).toEqual([]);
    expect(r.out.statuses.filter((s) => !s.signal)).toEqual([]);
    const f = await sendFrame(r);
    expect(f).toMatchObject({ width: 128, height: 64, strides: [256] });
    expect(intact(f)).toBe(true);
  });

  it('does not wait for a frame held past the drain bound: it retries until the frame returns', async () => {
    const r = await started();
    await streaming(r, 64, 32);
    const leaked = await sendFrame(r);
    r.hw.retime(128, 64);
    await until(() => r.hw.journal.includes('STREAMOFF'), 2000, 'capture to stop');
    await r.clock.advance(DRAIN_MS);
    // The old file still holds its buffers: the driver refuses the new format, which is state.
    await until(() => r.out.last?.signal === false, 2000, 'the refusal to show');
    expect(r.out.last!.reason).toMatch(/EBUSY/);
    expect(intact(leaked)).toBe(true);
    r.out.release(leaked);
    await r.clock.advance(BACKOFF_MS.first);
    await streaming(r, 128, 64);
  });
});

describe('V4L2 source on a fake device: faults are state', () => {
  it('device gone mid-encode: memory stays mapped until the frame returns; back-off; capture resumes', async () => {
    const r = await started();
    await streaming(r);
    const inEncoder = await sendFrame(r);
    r.hw.unplug();
    await until(() => r.out.last?.signal === false, 2000, 'the loss to show');
    expect(r.out.last).toMatchObject({ signal: false, reason: 'device gone' });
    expect(r.hw.journal).not.toContain('unmap');
    expect(intact(inEncoder)).toBe(true);
    r.out.release(inEncoder);
    expect(r.hw.journal.slice(-2)).toEqual(['unmap', 'close']);
    expect(r.hw.violations).toEqual([]);

    // Retries while the device is away, doubling up to the cap.
    const lost = r.clock.monotonic();
    await r.clock.advance(20_000);
    const gaps = r.hw.opens.slice(1).map((t, i, all) => t - (i === 0 ? lost : all[i - 1]!));
    expect(gaps).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(r.out.statuses.filter((s) => s.signal).length).toBe(1);

    r.hw.plug();
    await r.clock.advance(BACKOFF_MS.faultCap);
    await streaming(r);
    const f = await sendFrame(r);
    expect(intact(f)).toBe(true);
    // After streaming again, the next loss starts the back-off over.
    r.out.release(f);
    r.hw.unplug();
    await until(() => r.out.last?.signal === false, 2000, 'the second loss');
    const again = r.clock.monotonic();
    const opens = r.hw.opens.length;
    await r.clock.advance(BACKOFF_MS.first);
    expect(r.hw.opens.length).toBe(opens + 1);
    expect(r.hw.opens.at(-1)! - again).toBe(BACKOFF_MS.first);
  });

  it('a device absent at start is state, and stop() does not wait out the back-off', async () => {
    const r = rig();
    r.hw.unplug();
    await r.start();
    await until(() => r.out.statuses.length > 0, 2000, 'a status');
    expect(r.out.last).toMatchObject({ signal: false, reason: 'device gone', width: 0, height: 0 });
    await r.clock.advance(20_000); // the back-off is at its 5 s cap now
    await r.source.stop(); // the clock does not move: the pause ends at once
    expect(r.clock.pending()).toBe(0);
  });

  it('no signal (ENOLINK, ENOLCK) is state with its reason, retried at most each second, until it returns', async () => {
    const r = await started();
    await streaming(r);
    r.out.release(await sendFrame(r));
    r.hw.setSignal('ENOLINK');
    await until(() => r.out.last?.signal === false, 2000, 'no signal');
    expect(r.out.last).toMatchObject({ signal: false, reason: 'no signal (no cable or source off)' });
    const lost = r.clock.monotonic();
    const before = r.hw.opens.length;
    await r.clock.advance(5000);
    const tries = r.hw.opens.slice(before).map((t) => t - lost);
    expect(tries).toEqual([250, 750, 1750, 2750, 3750, 4750]);

    r.hw.noSignal = 'ENOLCK';
    await r.clock.advance(1000);
    expect(r.out.last).toMatchObject({
      signal: false,
      reason: 'no signal lock (unstable or unsupported timing)',
    });

    r.hw.noSignal = null;
    await r.clock.advance(1000);
    await streaming(r);
    expect(intact(await sendFrame(r))).toBe(true);
    expect(r.logs.filter((l) => l.msg.startsWith('video: no signal (')).length).toBe(1);
  });

  it('a dongle without DV timings captures at the configured size', async () => {
    const r = await started({ width: 320, height: 240 }, { dvTimings: false, formats: ['YUYV'] });
    await streaming(r, 320, 240);
    expect(r.out.last).toMatchObject({ format: 'YUYV', fps: 30 });
    expect(r.hw.journal).not.toContainEqual(expect.stringMatching(/^S_DV_TIMINGS/));
  });
});

describe('V4L2 source on a fake device: EDID', () => {
  // The file shipped for firmware that shows nothing with 1080p EDIDs: hex text with comments.
  const edidFile = path.resolve('overlays/edid/bios-720p.hex');

  it('loads the EDID once per appearance of the device: not on renegotiation, again when it returns', async () => {
    const r = await started({ edidFile });
    await streaming(r);
    expect(r.hw.edids.length).toBe(1);
    const edid = Buffer.from(r.hw.edids[0]!);
    // One 128-byte block with the EDID header and a checksum that sums to 0 (VESA E-EDID 1.3).
    expect(edid.length).toBe(128);
    expect(edid.subarray(0, 8).toString('hex')).toBe('00ffffffffffff00');
    expect(edid.reduce((a, b) => a + b, 0) % 256).toBe(0);
    // Before the format is set: the target reads it while the bridge is not yet streaming.
    const j = r.hw.journal;
    expect(j.indexOf('S_EDID 1 blocks')).toBeLessThan(j.findIndex((e) => e.startsWith('S_FMT')));

    r.hw.retime(128, 64);
    await streaming(r, 128, 64);
    expect(r.hw.edids.length).toBe(1);

    r.hw.unplug();
    await until(() => r.out.last?.signal === false, 2000, 'the loss');
    r.hw.plug();
    await r.clock.advance(BACKOFF_MS.first);
    await streaming(r, 128, 64);
    expect(r.hw.edids.map((e) => Buffer.from(e))).toEqual([edid, edid]);
    expect(r.logs.filter((l) => l.msg.startsWith('video: loaded EDID')).length).toBe(2);
  });

  it('a refused EDID is logged and capture goes on; the next session tries again', async () => {
    const r = rig({ edidFile });
    r.hw.edidError = 'EBUSY';
    await r.start();
    await streaming(r);
    expect(r.hw.edids).toEqual([]);
    expect(r.logs.find((l) => l.msg === 'video: loading the EDID failed; capturing anyway')?.err).toBe(
      'VIDIOC_S_EDID: EBUSY',
    );
    expect(intact(await sendFrame(r))).toBe(true);
    r.out.releaseAll();
    r.hw.edidError = null;
    r.hw.retime(128, 64);
    await streaming(r, 128, 64);
    expect(r.hw.edids.length).toBe(1);
  });

  it('a file that is not whole 128-byte blocks is refused by name, and capture goes on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edid-'));
    const file = path.join(dir, 'short.bin');
    writeFileSync(file, Buffer.alloc(100, 1));
    const r = await started({ edidFile: file });
    await streaming(r);
    expect(r.hw.edids).toEqual([]);
    const warning = r.logs.find((l) => l.msg === 'video: loading the EDID failed; capturing anyway');
    expect(warning?.err).toBe(`${file}: an EDID is whole 128-byte blocks`);
    expect(intact(await sendFrame(r))).toBe(true);
  });
});
