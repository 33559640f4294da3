import { describe, expect, it } from 'vitest';
import { initialAppState } from '../../../src/core/app-state.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/log.js';
import { StateStore } from '../../../src/core/state.js';
import { VideoPipeline } from '../../../src/video/pipeline.js';
import { StreamHub } from '../../../src/video/stream-hub.js';
import type { Frame, FrameConsumer, FrameSource, JpegEncoder } from '../../../src/video/types.js';

/** A source the test drives by hand, counting releases so no capture buffer is ever lost. */
class ManualSource implements FrameSource {
  readonly name = 'manual';
  consumer: FrameConsumer | null = null;
  released = 0;
  async start(c: FrameConsumer) {
    this.consumer = c;
  }
  async stop() {}
  setIdle() {}
  push(seq: number, at: number): void {
    const f: Frame = {
      format: 'I420',
      width: 2,
      height: 2,
      data: [new Uint8Array(6)],
      strides: [2, 1, 1],
      bytesUsed: 6,
      sequence: seq,
      capturedAt: at,
      release: () => {
        this.released++;
      },
    };
    this.consumer!.frame(f);
  }
}

/** Encodes when the test says so, in any order, like a pool of workers finishing out of order. */
class ManualEncoder implements JpegEncoder {
  readonly name = 'manual';
  readonly concurrency = 2;
  jobs: { seq: number; resolve(b: Buffer): void }[] = [];
  async start() {}
  async stop() {}
  encode(f: Frame): Promise<Buffer> {
    return new Promise((resolve) => this.jobs.push({ seq: f.sequence, resolve }));
  }
  finish(seq: number): void {
    const i = this.jobs.findIndex((j) => j.seq === seq);
    this.jobs.splice(i, 1)[0]!.resolve(Buffer.from(`jpeg${seq}`));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

/** Drop-same on, with a keepalive no test reaches: every repeat of a picture is skipped. */
function dropSamePipeline(source: FrameSource, encoder: JpegEncoder, hub: StreamHub): VideoPipeline {
  return new VideoPipeline({
    source,
    encoder,
    hub,
    store: new StateStore(initialAppState()),
    clock: new FakeClock(),
    log: createLogger({ level: 'silent', format: 'json' }),
    quality: () => 80,
    dropSame: () => ({ enabled: true, keepaliveMs: 60_000 }),
  });
}

describe('video pipeline with a concurrent encoder', () => {
  it('keeps only the newest waiting frame, never publishes an older frame after a newer one, releases every buffer', async () => {
    const source = new ManualSource();
    const encoder = new ManualEncoder();
    const hub = new StreamHub();
    const store = new StateStore(initialAppState());
    const p = new VideoPipeline({
      source,
      encoder,
      hub,
      store,
      clock: new FakeClock(),
      log: createLogger({ level: 'silent', format: 'json' }),
      quality: () => 80,
    });
    await p.start();
    hub.addViewer(); // someone is watching: frames are encoded
    source.push(1, 10);
    source.push(2, 20); // both workers busy now
    source.push(3, 30); // waits
    source.push(4, 40); // replaces 3, which is released unencoded
    expect(encoder.jobs.map((j) => j.seq)).toEqual([1, 2]);
    expect(source.released).toBe(1);
    encoder.finish(2);
    await tick();
    expect(hub.latest()?.jpeg.toString()).toBe('jpeg2');
    expect(encoder.jobs.map((j) => j.seq)).toEqual([1, 4]);
    encoder.finish(1); // older than what is on screen: dropped, not published
    await tick();
    expect(hub.latest()?.jpeg.toString()).toBe('jpeg2');
    encoder.finish(4);
    await tick();
    expect(hub.latest()?.jpeg.toString()).toBe('jpeg4');
    expect(source.released).toBe(4);
    await p.stop();
  });

  it('drop-same compares with what the device delivered, not what it wrote into the buffer after release', async () => {
    // A passed-through MJPEG frame is released (queued back to the driver) within the same call;
    // a driver may write the next capture into it at once, as this source does on release.
    const hub = new StreamHub();
    let consumer: FrameConsumer | null = null;
    let sequence = 0;
    const push = (bytes: number[], format: 'MJPEG' | 'I420') => {
      const data = Uint8Array.from(bytes);
      consumer!.frame({
        format,
        width: 2,
        height: 2,
        data: [data],
        strides: [2, 1, 1],
        bytesUsed: data.length,
        sequence: ++sequence,
        capturedAt: sequence,
        release: () => data.fill(0xee),
      });
    };
    const source: FrameSource = {
      name: 'reused-buffers',
      async start(c) {
        consumer = c;
      },
      async stop() {},
      setIdle() {},
    };
    const encoder = new ManualEncoder();
    const p = dropSamePipeline(source, encoder, hub);
    await p.start();
    hub.addViewer();
    push([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9], 'MJPEG');
    const first = hub.latest()!.id;
    push([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9], 'MJPEG'); // the same picture again: dropped
    push([0xff, 0xd8, 4, 5, 6, 0xff, 0xd9], 'MJPEG'); // a new one: sent
    expect(hub.latest()!.jpeg).toEqual(Buffer.from([0xff, 0xd8, 4, 5, 6, 0xff, 0xd9]));
    expect(hub.latest()!.id).toBe(first + 1);
    // Encoded frames: the luma is remembered while the encoder holds the buffer.
    push([7, 7, 7, 7, 1, 1], 'I420');
    encoder.finish(sequence);
    await tick();
    push([7, 7, 7, 7, 1, 1], 'I420'); // the same: dropped, nothing to encode
    expect(encoder.jobs).toEqual([]);
    await p.stop();
  });

  it('compares frames only for stream viewers: a snapshot of a static screen is encoded, and the copy goes with the last viewer', async () => {
    const hub = new StreamHub();
    const source = new ManualSource();
    const encoder = new ManualEncoder();
    const p = dropSamePipeline(source, encoder, hub);
    await p.start();
    // ManualSource sends the same (all-zero) picture every time.
    const encodeOne = async (seq: number) => {
      source.push(seq, seq);
      expect(encoder.jobs.map((j) => j.seq)).toEqual([seq]);
      encoder.finish(seq);
      await tick();
    };
    const leave = hub.addViewer();
    await encodeOne(1);
    source.push(2, 2); // a viewer watching a static screen: the same picture is skipped
    expect(encoder.jobs).toEqual([]);
    leave();
    // Only a snapshot waits: it gets the screen as it is now, not a comparison with the stream's.
    const done = hub.wantFrames();
    await encodeOne(3);
    await encodeOne(4);
    done();
    // A new viewer's first frame is encoded: the copy was dropped when the last viewer left.
    hub.addViewer();
    await encodeOne(5);
    source.push(6, 6);
    expect(encoder.jobs).toEqual([]);
    expect(source.released).toBe(6);
    await p.stop();
  });
});
