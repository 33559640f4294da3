import type { PixelFormat, SampleRange } from '../types.js';

/**
 * What the V4L2 source needs from one capture device, so the source's buffer bookkeeping,
 * renegotiation and back-off can run against a scripted fake (fake-device.ts) as well as the
 * kernel (device.ts). Calls mirror the ioctls one to one; none of them blocks but `poll`.
 */
export interface CaptureDevice {
  /** The buffers `allocate` mapped, by index; their views are valid until `close`. */
  readonly buffers: readonly CaptureBuffer[];
  open(): void;
  /** Unmaps the buffers, frees them (REQBUFS 0) and closes the file. */
  close(): void;
  querycap(): DeviceInfo;
  enumFormats(): string[];
  /** Throws V4l2Error ENOLINK/ENOLCK/ERANGE without a usable signal, ENOTTY/EINVAL without DV timings. */
  queryDvTimings(): Timings;
  setDvTimings(t: Timings): void;
  setEdid(edid: Uint8Array): void;
  subscribeSourceChange(): void;
  /** Dequeues one pending event; true when it says the resolution changed. */
  dequeueEvent(): boolean;
  setFormat(fourcc: string, width: number, height: number): NegotiatedFormat;
  /** REQBUFS + QUERYBUF + mmap + QBUF of every buffer. */
  allocate(count: number, memPlanes: number): void;
  /** QBUF: gives buffer `index` back to the driver to fill. */
  queue(index: number): void;
  /** DQBUF: a filled buffer, or null when none is ready (EAGAIN). */
  dequeue(memPlanes: number): Dequeued | null;
  streamOn(): void;
  /** Safe on a device that is gone. */
  streamOff(): void;
  poll(events: number, timeoutMs: number): Promise<{ rc: number; revents: number }>;
}

/** Makes a device for a path without touching it: `open()` does the I/O. */
export type CaptureDeviceFactory = (path: string) => CaptureDevice;

export interface CaptureBuffer {
  index: number;
  planes: { view: Uint8Array }[];
}

export interface DeviceInfo {
  driver: string;
  card: string;
  multiplanar: boolean;
  streaming: boolean;
}

export interface Dequeued {
  index: number;
  bytesused: number[];
  sequence: number;
  /** V4L2_BUF_FLAG_ERROR: the driver says the data may be damaged (uvcvideo sets it per payload). */
  error: boolean;
}

export interface Timings {
  width: number;
  height: number;
  interlaced: boolean;
  fps: number;
  /** The raw struct, to hand back to S_DV_TIMINGS unchanged. */
  raw: Buffer;
}

export interface NegotiatedFormat {
  fourcc: string;
  format: PixelFormat;
  width: number;
  height: number;
  /** Bytes per line of each memory plane (or of Y, then chroma, for single-buffer formats). */
  strides: number[];
  /** Memory planes per buffer: 1 single-planar, 2+ for NV12M and friends. */
  memPlanes: number;
  /** From the driver's `quantization` (V4L2_QUANTIZATION_*). */
  range: SampleRange;
}

/** V4L2 fourcc → the pipeline's pixel format. Multi-planar variants (NM12) map to their layout. */
export const FOURCC_FORMAT: Record<string, PixelFormat> = {
  UYVY: 'UYVY',
  YUYV: 'YUYV',
  NV12: 'NV12',
  NM12: 'NV12',
  NV21: 'NV21',
  NM21: 'NV21',
  NV16: 'NV16',
  NM16: 'NV16',
  NV61: 'NV61',
  NM61: 'NV61',
  YU12: 'I420',
  '422P': 'I422',
  MJPG: 'MJPEG',
  JPEG: 'MJPEG',
};

/** poll(2) event bits (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

/** errno numbers (asm-generic/errno-base.h, errno.h) that V4L2 capture meets. */
export const ERRNO: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  11: 'EAGAIN',
  13: 'EACCES',
  16: 'EBUSY',
  19: 'ENODEV',
  22: 'EINVAL',
  25: 'ENOTTY',
  34: 'ERANGE',
  61: 'ENODATA',
  67: 'ENOLINK',
  37: 'ENOLCK',
};

/** A failed ioctl, with the errno name (ENOLINK, ENODEV, EAGAIN, ...) to branch on. */
export class V4l2Error extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
  ) {
    super(`${op}: ${ERRNO[errno] ?? `errno ${errno}`}`);
    this.name = 'V4l2Error';
  }
  get code(): string {
    return ERRNO[this.errno] ?? `E${this.errno}`;
  }
}

/** The errno number of a name in ERRNO, for raising V4l2Errors by name. */
export function errnoOf(name: string): number {
  const hit = Object.entries(ERRNO).find(([, n]) => n === name);
  if (!hit) throw new Error(`unknown errno name ${name}`);
  return Number(hit[0]);
}
