import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger, type Logger } from '../../../src/core/log.js';
import type { Frame, FrameConsumer, SourceStatus } from '../../../src/video/types.js';
import { FakeCaptureHardware, type FakeCaptureOptions } from '../../../src/video/v4l2/fake-device.js';
import { V4l2Source, type V4l2SourceOptions } from '../../../src/video/v4l2/source.js';
import { until } from '../../helpers/wait.js';

/** Keeps every frame until the test releases it, and every status the source reported. */
export class Holder implements FrameConsumer {
  readonly held: Frame[] = [];
  readonly statuses: SourceStatus[] = [];
  received = 0;
  frame(f: Frame): void {
    this.received++;
    this.held.push(f);
  }
  status(s: SourceStatus): void {
    this.statuses.push(s);
  }
  get last(): SourceStatus | undefined {
    return this.statuses.at(-1);
  }
  release(f: Frame): void {
    const i = this.held.indexOf(f);
    if (i >= 0) this.held.splice(i, 1);
    f.release();
  }
  releaseAll(): void {
    for (const f of this.held.splice(0)) f.release();
  }
}

/** The frame's bytes are still the ones the driver wrote for it (the fake fills with the sequence). */
export function intact(f: Frame): boolean {
  const v = f.data[0]!;
  return v.byteLength > 0 && v[0] === (f.sequence & 0xff) && v[v.byteLength - 1] === (f.sequence & 0xff);
}

export interface Rig {
  clock: FakeClock;
  hw: FakeCaptureHardware;
  source: V4l2Source;
  out: Holder;
  /** Log lines as pino wrote them (msg, err, ...). */
  logs: { msg: string; err?: string }[];
  log: Logger;
  /** Starts the source into `out`, or into the consumer given. */
  start(consumer?: FrameConsumer): Promise<void>;
}

const rigs: Rig[] = [];

/** A V4L2 source on fake hardware and a fake clock; `start()` it after scripting the hardware. */
export function rig(o: Partial<V4l2SourceOptions> = {}, hw: Partial<FakeCaptureOptions> = {}): Rig {
  const clock = new FakeClock();
  const fake = new FakeCaptureHardware({ clock, ...hw });
  const logs: Rig['logs'] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: new Writable({
      write(c: Buffer, _e, cb) {
        logs.push(JSON.parse(c.toString()));
        cb();
      },
    }),
  });
  const source = new V4l2Source({
    device: '/dev/video0',
    format: 'auto',
    width: 1280,
    height: 720,
    fps: 30,
    idleFps: 1,
    buffers: 4,
    edidFile: '',
    devices: fake.devices,
    clock,
    log,
    ...o,
  });
  const out = new Holder();
  const r: Rig = { clock, hw: fake, source, out, logs, log, start: (c) => source.start(c ?? out) };
  rigs.push(r);
  return r;
}

/** Stops every rig made since the last call: `afterEach(stopRigs)` in each file (isolate: false shares this module). */
export async function stopRigs(): Promise<void> {
  for (const r of rigs.splice(0)) {
    r.out.releaseAll();
    const stopped = r.source.stop();
    // The stream loop may be waiting in poll, whose timeout runs on the fake clock.
    await r.clock.advance(1000);
    await stopped;
  }
}

/** Lets a frame interval pass, has the input send a frame, and waits until the source delivered it. */
export async function sendFrame(r: Rig): Promise<Frame> {
  await r.clock.advance(40);
  const before = r.out.received;
  expect(r.hw.frame(), 'a buffer was queued for the driver to fill').not.toBeNull();
  await until(() => r.out.received > before, 2000, 'the frame to be delivered');
  return r.out.held.at(-1)!;
}

export async function streaming(r: Rig, width = r.hw.width, height = r.hw.height): Promise<void> {
  await until(
    () => r.out.last?.signal === true && r.out.last.width === width && r.out.last.height === height,
    2000,
    `streaming at ${width}x${height}`,
  );
}

/** Journal entries after the last one equal to `mark`. */
export function journalSince(r: Rig, mark: string): string[] {
  const i = r.hw.journal.lastIndexOf(mark);
  return i < 0 ? [] : r.hw.journal.slice(i + 1);
}
