import type { Clock, TimerHandle } from '../../core/clock.js';
import {
  type CaptureBuffer,
  type CaptureDevice,
  type CaptureDeviceFactory,
  type Dequeued,
  type DeviceInfo,
  errnoOf,
  FOURCC_FORMAT,
  type NegotiatedFormat,
  POLLERR,
  POLLIN,
  POLLPRI,
  type Timings,
  V4l2Error,
} from './capture-device.js';

export interface FakeCaptureOptions {
  /** Drives poll timeouts. */
  clock: Clock;
  /** What ENUM_FMT lists; UYVY, YUYV, NV12 and MJPG are filled with frames. */
  formats?: string[];
  width?: number;
  height?: number;
  fps?: number;
  /** false: a USB dongle without DV timings (QUERY_DV_TIMINGS fails with ENOTTY). */
  dvTimings?: boolean;
}

type BufferState = 'user' | 'queued' | 'done';

/**
 * The hardware behind fake capture devices, scripted by a test: an HDMI bridge whose input can
 * lose its signal or change timing, and which can vanish (USB unplug, driver unbound) and come
 * back. It keeps the rules a vb2 driver enforces, so a source that breaks them is caught:
 * - a buffer queued twice is refused (EINVAL) and recorded in `violations`;
 * - while one open file still holds buffers, another cannot set a format or allocate (EBUSY);
 * - the driver fills only buffers that are queued, each byte with the frame's sequence number,
 *   so a frame whose buffer went back to the driver too early shows another frame's bytes;
 * - `close()` detaches the buffers' memory, as munmap would, so a view into it reads as empty.
 */
export class FakeCaptureHardware {
  readonly devices: CaptureDeviceFactory = (path) => new FakeCaptureDevice(this, path);
  /** Every ioctl-level call, in order: `open`, `S_FMT UYVY 64x32`, `QBUF 1`, `close`, ... */
  readonly journal: string[] = [];
  /** Broken driver rules: should stay empty. */
  readonly violations: string[] = [];
  /** Clock times of every open() call, successful or not (the back-off schedule). */
  readonly opens: number[] = [];
  /** Every EDID written with S_EDID, as loaded. */
  readonly edids: Uint8Array[] = [];
  readonly formats: string[];
  width: number;
  height: number;
  fps: number;
  readonly dvTimings: boolean;
  /** The errno name QUERY_DV_TIMINGS fails with, or null while the input has a signal. */
  noSignal: 'ENOLINK' | 'ENOLCK' | 'ERANGE' | null = null;
  /** The errno name S_EDID fails with (null: accepted). */
  edidError: string | null = null;
  private present = true;
  /** Bumped on each plug(): a device that returns is a new device. */
  private appearance = 0;
  private sequence = 0;
  readonly open: FakeCaptureDevice[] = [];

  constructor(readonly o: FakeCaptureOptions) {
    this.formats = o.formats ?? ['UYVY', 'YUYV'];
    this.width = o.width ?? 64;
    this.height = o.height ?? 32;
    this.fps = o.fps ?? 60;
    this.dvTimings = o.dvTimings ?? true;
  }

  get clock(): Clock {
    return this.o.clock;
  }

  get isPresent(): boolean {
    return this.present;
  }

  get currentAppearance(): number {
    return this.appearance;
  }

  /** The device that is streaming, if one is. */
  get streaming(): FakeCaptureDevice | null {
    return this.open.find((d) => d.isStreaming) ?? null;
  }

  /**
   * The input sends a frame: the driver fills the oldest queued buffer of the streaming device.
   * Returns its index, or null when no buffer is queued (the driver drops the frame).
   */
  frame(): number | null {
    const dev = this.streaming;
    if (!dev) return null;
    return dev.fill(++this.sequence);
  }

  /** The input changes timing: open devices that subscribed get a source-change event. */
  retime(width: number, height: number, fps = this.fps): void {
    this.width = width;
    this.height = height;
    this.fps = fps;
    for (const d of this.open) d.sourceChanged();
  }

  /**
   * The input loses its signal (`ENOLINK`: no cable, `ENOLCK`: no lock, `ERANGE`: out of range) or,
   * with null, gets it back; like a bridge, it raises a source-change event on the open devices.
   */
  setSignal(lost: 'ENOLINK' | 'ENOLCK' | 'ERANGE' | null): void {
    this.noSignal = lost;
    for (const d of this.open) d.sourceChanged();
  }

  /** The device disappears: open files fail with ENODEV (poll: POLLERR), open() with ENOENT. */
  unplug(): void {
    this.present = false;
    for (const d of this.open) d.vanish();
  }

  plug(): void {
    this.present = true;
    this.appearance++;
  }

  /** Another open file of the same device holds buffers: vb2 refuses S_FMT and REQBUFS (EBUSY). */
  busyFor(dev: FakeCaptureDevice): boolean {
    return this.open.some((d) => d !== dev && d.appearance === dev.appearance && d.buffers.length > 0);
  }
}

interface FakeBuffer extends CaptureBuffer {
  state: BufferState;
  bytesused: number;
  sequence: number;
  memory: ArrayBuffer[];
}

export class FakeCaptureDevice implements CaptureDevice {
  buffers: FakeBuffer[] = [];
  appearance = -1;
  private opened = false;
  private gone = false;
  private streamingOn = false;
  private subscribed = false;
  private events = 0;
  private format: NegotiatedFormat | null = null;
  private readonly done: number[] = [];
  private readonly pollers = new Set<() => void>();

  constructor(
    private readonly hw: FakeCaptureHardware,
    readonly path: string,
  ) {}

  get isStreaming(): boolean {
    return this.streamingOn && !this.gone;
  }

  private log(entry: string): void {
    this.hw.journal.push(entry);
  }

  private check(op: string): void {
    if (!this.opened) throw new Error(`${op} on a device that is not open`);
    if (this.gone) throw new V4l2Error(op, errnoOf('ENODEV'));
  }

  open(): void {
    this.hw.opens.push(this.hw.clock.monotonic());
    if (!this.hw.isPresent) throw new V4l2Error(`open ${this.path}`, errnoOf('ENOENT'));
    this.opened = true;
    this.appearance = this.hw.currentAppearance;
    this.hw.open.push(this);
    this.log('open');
  }

  close(): void {
    this.unmap();
    if (this.opened) this.log('close');
    this.opened = false;
    this.streamingOn = false;
    const i = this.hw.open.indexOf(this);
    if (i >= 0) this.hw.open.splice(i, 1);
  }

  private unmap(): void {
    if (this.buffers.length === 0) return;
    // munmap: transferring an ArrayBuffer detaches it, so every view into it now has length 0.
    for (const b of this.buffers) for (const m of b.memory) structuredClone(m, { transfer: [m] });
    this.buffers = [];
    this.done.length = 0;
    this.log('unmap');
  }

  querycap(): DeviceInfo {
    this.check('VIDIOC_QUERYCAP');
    return { driver: 'fake', card: 'Fake HDMI bridge', multiplanar: false, streaming: true };
  }

  enumFormats(): string[] {
    this.check('VIDIOC_ENUM_FMT');
    return [...this.hw.formats];
  }

  queryDvTimings(): Timings {
    this.check('VIDIOC_QUERY_DV_TIMINGS');
    if (!this.hw.dvTimings) throw new V4l2Error('VIDIOC_QUERY_DV_TIMINGS', errnoOf('ENOTTY'));
    if (this.hw.noSignal) throw new V4l2Error('VIDIOC_QUERY_DV_TIMINGS', errnoOf(this.hw.noSignal));
    const { width, height, fps } = this.hw;
    return { width, height, fps, interlaced: false, raw: Buffer.from(`${width}x${height}`) };
  }

  setDvTimings(t: Timings): void {
    this.check('VIDIOC_S_DV_TIMINGS');
    this.log(`S_DV_TIMINGS ${t.width}x${t.height}`);
  }

  setEdid(edid: Uint8Array): void {
    this.check('VIDIOC_S_EDID');
    if (this.hw.edidError) throw new V4l2Error('VIDIOC_S_EDID', errnoOf(this.hw.edidError));
    this.hw.edids.push(Uint8Array.from(edid));
    this.log(`S_EDID ${edid.length / 128} blocks`);
  }

  subscribeSourceChange(): void {
    this.check('VIDIOC_SUBSCRIBE_EVENT');
    this.subscribed = true;
  }

  dequeueEvent(): boolean {
    this.check('VIDIOC_DQEVENT');
    if (this.events === 0) return false;
    this.events--;
    this.log('DQEVENT source-change');
    return true;
  }

  setFormat(fourcc: string, width: number, height: number): NegotiatedFormat {
    this.check('VIDIOC_S_FMT');
    if (this.buffers.length > 0 || this.hw.busyFor(this))
      throw new V4l2Error('VIDIOC_S_FMT', errnoOf('EBUSY'));
    const name = this.hw.formats.includes(fourcc) ? fourcc : this.hw.formats[0]!;
    const format = FOURCC_FORMAT[name];
    if (!format) throw new Error(`the fake cannot make ${name} frames`);
    // A bridge captures at the input's timings whatever size was asked for; a dongle scales.
    const w = this.hw.dvTimings ? this.hw.width : width;
    const h = this.hw.dvTimings ? this.hw.height : height;
    const strides = format === 'NV12' ? [w, w] : format === 'MJPEG' ? [0] : [w * 2];
    this.format = { fourcc: name, format, width: w, height: h, strides, memPlanes: 1, range: 'limited' };
    this.log(`S_FMT ${name} ${w}x${h}`);
    return this.format;
  }

  allocate(count: number, memPlanes: number): void {
    this.check('VIDIOC_REQBUFS');
    if (this.hw.busyFor(this)) throw new V4l2Error('VIDIOC_REQBUFS', errnoOf('EBUSY'));
    const f = this.format;
    if (!f || memPlanes !== 1) throw new V4l2Error('VIDIOC_REQBUFS', errnoOf('EINVAL'));
    const size = f.format === 'NV12' ? (f.width * f.height * 3) / 2 : f.width * f.height * 2;
    this.log(`REQBUFS ${count}`);
    for (let index = 0; index < count; index++) {
      const memory = new ArrayBuffer(size);
      this.buffers.push({
        index,
        planes: [{ view: new Uint8Array(memory) }],
        memory: [memory],
        state: 'user',
        bytesused: 0,
        sequence: 0,
      });
      this.queue(index);
    }
  }

  queue(index: number): void {
    this.check('VIDIOC_QBUF');
    const b = this.buffers[index];
    if (!b) throw new V4l2Error('VIDIOC_QBUF', errnoOf('EINVAL'));
    if (b.state !== 'user') {
      this.hw.violations.push(`QBUF ${index} while it is ${b.state}`);
      throw new V4l2Error('VIDIOC_QBUF', errnoOf('EINVAL'));
    }
    b.state = 'queued';
    this.log(`QBUF ${index}`);
  }

  dequeue(): Dequeued | null {
    this.check('VIDIOC_DQBUF');
    const index = this.done.shift();
    if (index === undefined) return null;
    const b = this.buffers[index]!;
    b.state = 'user';
    this.log(`DQBUF ${index}`);
    return { index, bytesused: [b.bytesused], sequence: b.sequence, error: false };
  }

  streamOn(): void {
    this.check('VIDIOC_STREAMON');
    this.streamingOn = true;
    this.log('STREAMON');
  }

  streamOff(): void {
    if (!this.opened || this.gone) return;
    // vb2: STREAMOFF takes every buffer back from the driver, filled or not.
    for (const b of this.buffers) b.state = 'user';
    this.done.length = 0;
    this.streamingOn = false;
    this.log('STREAMOFF');
  }

  poll(events: number, timeoutMs: number): Promise<{ rc: number; revents: number }> {
    const ready = () =>
      (this.gone ? POLLERR : 0) |
      (events & POLLIN && this.done.length > 0 ? POLLIN : 0) |
      (events & POLLPRI && this.events > 0 ? POLLPRI : 0);
    const now = ready();
    if (now) return Promise.resolve({ rc: 1, revents: now });
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const wake = () => {
        const revents = ready();
        if (!revents) return;
        timer?.cancel();
        this.pollers.delete(wake);
        resolve({ rc: 1, revents });
      };
      timer = this.hw.clock.setTimeout(() => {
        this.pollers.delete(wake);
        resolve({ rc: 0, revents: 0 });
      }, timeoutMs);
      this.pollers.add(wake);
    });
  }

  /** The driver writes frame `sequence` into the oldest queued buffer; null when none is queued. */
  fill(sequence: number): number | null {
    const b = this.buffers.find((x) => x.state === 'queued');
    if (!b || !this.format) return null;
    const bytes = this.format.format === 'MJPEG' ? 1000 : b.planes[0]!.view.length;
    b.planes[0]!.view.fill(sequence & 0xff, 0, bytes);
    b.bytesused = bytes;
    b.sequence = sequence;
    b.state = 'done';
    this.done.push(b.index);
    this.wakePollers();
    return b.index;
  }

  sourceChanged(): void {
    if (!this.subscribed || this.gone) return;
    this.events++;
    this.wakePollers();
  }

  vanish(): void {
    this.gone = true;
    this.wakePollers();
  }

  private wakePollers(): void {
    for (const w of [...this.pollers]) w();
  }
}
