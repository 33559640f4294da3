import { afterEach, describe, expect, it } from 'vitest';
import { initialAppState } from '../../../src/core/app-state.js';
import { StateStore } from '../../../src/core/state.js';
import { VideoPipeline } from '../../../src/video/pipeline.js';
import { StreamHub } from '../../../src/video/stream-hub.js';
import type { Frame, JpegEncoder } from '../../../src/video/types.js';
import { BACKOFF_MS } from '../../../src/video/v4l2/source.js';
import { until } from '../../helpers/wait.js';
import { intact, journalSince, type Rig, rig, stopRigs } from './v4l2-rig.js';

/**
 * An encoder that finishes when the test says so. It reads the frame when it finishes, as a
 * native encode on the thread pool reads the mapped buffer while it runs.
 */
class GatedEncoder implements JpegEncoder {
  readonly name = 'gated';
  readonly concurrency = 1;
  readonly jobs: { frame: Frame; resolve(b: Buffer): void }[] = [];
  /** Per finished frame: were its bytes still the captured ones when the encode read them? */
  readonly readIntact: boolean[] = [];
  async start() {}
  async stop() {}
  /** No-signal pictures encoded meanwhile (not gated: the tests gate captured frames). */
  synthetic = 0;
  encode(frame: Frame): Promise<Buffer> {
    if (frame.synthetic) {
      this.synthetic++;
      return Promise.resolve(Buffer.from('nosignal'));
    }
    return new Promise((resolve) => this.jobs.push({ frame, resolve }));
  }
  finish(): Frame {
    const job = this.jobs.shift()!;
    this.readIntact.push(intact(job.frame));
    job.resolve(Buffer.from(`jpeg${job.frame.sequence}`));
    return job.frame;
  }
}

interface Bench {
  r: Rig;
  encoder: GatedEncoder;
  store: StateStore<ReturnType<typeof initialAppState>>;
  hub: StreamHub;
  pipeline: VideoPipeline;
}

const pipelines: Bench[] = [];

async function bench(): Promise<Bench> {
  const r = rig();
  const encoder = new GatedEncoder();
  const store = new StateStore(initialAppState());
  const hub = new StreamHub();
  const pipeline = new VideoPipeline({
    source: r.source,
    encoder,
    hub,
    store,
    clock: r.clock,
    log: r.log,
    quality: () => 80,
  });
  await pipeline.start();
  hub.addViewer(); // someone watches: frames are encoded
  const b = { r, encoder, store, hub, pipeline };
  pipelines.push(b);
  return b;
}

afterEach(async () => {
  for (const b of pipelines.splice(0)) {
    while (b.encoder.jobs.length > 0) b.encoder.finish();
    const stopped = b.pipeline.stop();
    await b.r.clock.advance(1000);
    await stopped;
  }
  await stopRigs();
});

/** The input sends a frame a frame interval later; resolves with its buffer index once the source took it. */
async function input(b: Bench): Promise<number> {
  await b.r.clock.advance(40);
  const taken = b.r.hw.journal.filter((e) => e.startsWith('DQBUF')).length;
  const index = b.r.hw.frame();
  expect(index, 'a buffer was queued for the driver to fill').not.toBeNull();
  await until(
    () => b.r.hw.journal.filter((e) => e.startsWith('DQBUF')).length > taken,
    2000,
    'the source to take the frame',
  );
  return index!;
}

const requeues = (b: Bench, index: number) =>
  journalSince(b.r, `DQBUF ${index}`).filter((e) => e === `QBUF ${index}`).length;

const video = (b: Bench) => b.store.get().video;

describe('V4L2 source into the video pipeline (fake device)', () => {
  it('a buffer goes back to the driver once every holder of its frame is done: encoder, waiting slot', async () => {
    const b = await bench();
    await until(() => video(b).signal && video(b).width === 64, 2000, 'streaming');
    const encoding = await input(b);
    const waiting = await input(b);
    expect(b.encoder.jobs.length).toBe(1);
    expect(requeues(b, encoding)).toBe(0);
    expect(requeues(b, waiting)).toBe(0); // held in the pipeline's waiting slot
    const newer = await input(b); // replaces the waiting frame, which goes back unencoded
    expect(requeues(b, waiting)).toBe(1);
    expect(requeues(b, encoding)).toBe(0);

    b.encoder.finish();
    await until(() => requeues(b, encoding) === 1, 2000, 'the encoded buffer back');
    expect(b.encoder.jobs.length).toBe(1); // the newer frame is being encoded now
    expect(requeues(b, newer)).toBe(0);
    b.encoder.finish();
    await until(() => requeues(b, newer) === 1, 2000, 'the last buffer back');
    expect(b.encoder.readIntact).toEqual([true, true]);
    expect(b.hub.latest()?.jpeg.toString()).toBe('jpeg3');
    expect(b.r.hw.violations).toEqual([]);
  });

  it('the device vanishes mid-encode: state says why, memory stays mapped until the encode ends, capture resumes', async () => {
    const b = await bench();
    await until(() => video(b).signal, 2000, 'streaming');
    await input(b);
    b.r.hw.unplug();
    await until(() => !video(b).signal, 2000, 'the loss in state');
    expect(video(b).signalReason).toBe('device gone');
    // Viewers get the no-signal picture, through the same encoder, while the lost frame's encode runs.
    await until(() => b.encoder.synthetic > 0, 2000, 'the no-signal picture');
    expect(b.r.hw.journal).not.toContain('unmap');
    b.encoder.finish();
    expect(b.encoder.readIntact).toEqual([true]);
    await until(() => b.r.hw.journal.includes('unmap'), 2000, 'the buffers unmapped');
    expect(b.r.hw.journal.slice(-2)).toEqual(['unmap', 'close']);
    expect(b.r.hw.violations).toEqual([]);

    b.r.hw.plug();
    await b.r.clock.advance(BACKOFF_MS.first);
    await until(() => video(b).signal && video(b).signalReason === null, 2000, 'capture back in state');
    await input(b);
    expect(b.encoder.jobs.length).toBe(1);
    b.encoder.finish();
    expect(b.encoder.readIntact).toEqual([true, true]);
  });
});
