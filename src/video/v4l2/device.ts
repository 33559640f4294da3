import koffi from 'koffi';
import type { SampleRange } from '../types.js';
import * as A from './abi.js';
import {
  type CaptureDevice,
  type CaptureDeviceFactory,
  type Dequeued,
  type DeviceInfo,
  ERRNO,
  FOURCC_FORMAT,
  type NegotiatedFormat,
  type Timings,
  V4l2Error,
} from './capture-device.js';
import { type Libc, loadLibc, MAP_SHARED, O_NONBLOCK, O_RDWR, PROT_READ, PROT_WRITE } from './libc.js';

export { V4l2Error } from './capture-device.js';

export interface MappedBuffer {
  index: number;
  planes: { addr: unknown; length: number; view: Uint8Array }[];
}

/** One open capture device: thin, synchronous wrappers over the ioctls (all non-blocking). */
export class V4l2Device implements CaptureDevice {
  fd = -1;
  multiplanar = false;
  bufType = A.V4L2_BUF_TYPE_VIDEO_CAPTURE;
  buffers: MappedBuffer[] = [];
  private planesScratch: Buffer | null = null;

  constructor(readonly path: string) {}

  /** libc is bound on first use (loadLibc caches it), so constructing a device does nothing. */
  private get c(): Libc {
    return loadLibc();
  }

  open(): void {
    this.fd = this.c.open(this.path, O_RDWR | O_NONBLOCK);
    if (this.fd < 0) throw new V4l2Error(`open ${this.path}`, this.c.errno());
  }

  close(): void {
    this.unmap();
    if (this.fd >= 0) this.c.close(this.fd);
    this.fd = -1;
  }

  private ioctl(name: string, req: number, arg: Buffer | Int32Array | null): void {
    if (this.c.ioctl(this.fd, req, arg) < 0) throw new V4l2Error(name, this.c.errno());
  }

  querycap(): DeviceInfo {
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_capability));
    this.ioctl('VIDIOC_QUERYCAP', A.VIDIOC.QUERYCAP, b);
    const cap = koffi.decode(b, A.v4l2_capability) as {
      driver: number[];
      card: number[];
      capabilities: number;
      device_caps: number;
    };
    const caps = cap.capabilities & A.V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    // Prefer single-planar when a driver offers both; the RK3566 ISP offers only multi-planar.
    this.multiplanar = !(caps & A.V4L2_CAP_VIDEO_CAPTURE) && (caps & A.V4L2_CAP_VIDEO_CAPTURE_MPLANE) !== 0;
    this.bufType = this.multiplanar ? A.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : A.V4L2_BUF_TYPE_VIDEO_CAPTURE;
    return {
      driver: A.cString(cap.driver),
      card: A.cString(cap.card),
      multiplanar: this.multiplanar,
      streaming: (caps & A.V4L2_CAP_STREAMING) !== 0,
    };
  }

  enumFormats(): string[] {
    const out: string[] = [];
    const size = koffi.sizeof(A.v4l2_fmtdesc);
    for (let index = 0; index < 64; index++) {
      const b = Buffer.alloc(size);
      koffi.encode(b, A.v4l2_fmtdesc, { index, type: this.bufType });
      if (this.c.ioctl(this.fd, A.VIDIOC.ENUM_FMT, b) < 0) break;
      out.push(A.fourccName((koffi.decode(b, A.v4l2_fmtdesc) as { pixelformat: number }).pixelformat));
    }
    return out;
  }

  /** Current DV timings of the HDMI input; throws V4l2Error ENOLINK/ENOLCK/ERANGE when there is no usable signal. */
  queryDvTimings(): Timings {
    const raw = Buffer.alloc(A.V4L2_DV_TIMINGS_SIZE);
    this.ioctl('VIDIOC_QUERY_DV_TIMINGS', A.VIDIOC.QUERY_DV_TIMINGS, raw);
    // struct v4l2_bt_timings (packed) follows the u32 type: width@4 height@8 interlaced@12
    // pixelclock(u64)@20 hfrontporch@28 hsync@32 hbackporch@36 vfrontporch@40 vsync@44 vbackporch@48.
    const width = raw.readUInt32LE(4);
    const height = raw.readUInt32LE(8);
    const pixelclock = Number(raw.readBigUInt64LE(20));
    const htotal = width + raw.readUInt32LE(28) + raw.readUInt32LE(32) + raw.readUInt32LE(36);
    const vtotal = height + raw.readUInt32LE(40) + raw.readUInt32LE(44) + raw.readUInt32LE(48);
    const fps = htotal && vtotal ? Math.round((pixelclock / (htotal * vtotal)) * 100) / 100 : 0;
    return { width, height, interlaced: raw.readUInt32LE(12) !== 0, fps, raw };
  }

  setDvTimings(t: Timings): void {
    this.ioctl('VIDIOC_S_DV_TIMINGS', A.VIDIOC.S_DV_TIMINGS, Buffer.from(t.raw));
  }

  /** Loads an EDID (whole 128-byte blocks) into the bridge, as the target will read it. */
  setEdid(edid: Uint8Array): void {
    const data = Buffer.from(edid);
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_edid));
    koffi.encode(b, A.v4l2_edid, { pad: 0, start_block: 0, blocks: data.length / 128, edid: data });
    this.ioctl('VIDIOC_S_EDID', A.VIDIOC.S_EDID, b);
  }

  subscribeSourceChange(): void {
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_event_subscription));
    koffi.encode(b, A.v4l2_event_subscription, { type: A.V4L2_EVENT_SOURCE_CHANGE, id: 0, flags: 0 });
    this.ioctl('VIDIOC_SUBSCRIBE_EVENT', A.VIDIOC.SUBSCRIBE_EVENT, b);
  }

  /** Dequeues one pending event; true when it says the resolution changed. */
  dequeueEvent(): boolean {
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_event));
    if (this.c.ioctl(this.fd, A.VIDIOC.DQEVENT, b) < 0) return false;
    const ev = koffi.decode(b, A.v4l2_event) as { type: number; u: { data: number[] } };
    return (
      ev.type === A.V4L2_EVENT_SOURCE_CHANGE && ((ev.u.data[0] ?? 0) & A.V4L2_EVENT_SRC_CH_RESOLUTION) !== 0
    );
  }

  setFormat(fourcc: string, width: number, height: number): NegotiatedFormat {
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_format));
    const pf = A.fourcc(fourcc);
    if (this.multiplanar) {
      koffi.encode(b, A.v4l2_format, {
        type: this.bufType,
        fmt: { pix_mp: { width, height, pixelformat: pf, field: A.V4L2_FIELD_NONE } },
      });
    } else {
      koffi.encode(b, A.v4l2_format, {
        type: this.bufType,
        fmt: { pix: { width, height, pixelformat: pf, field: A.V4L2_FIELD_NONE } },
      });
    }
    this.ioctl('VIDIOC_S_FMT', A.VIDIOC.S_FMT, b);
    const off = koffi.offsetof(A.v4l2_format, 'fmt');
    if (this.multiplanar) {
      const mp = koffi.decode(b, off, A.v4l2_pix_format_mplane) as {
        width: number;
        height: number;
        pixelformat: number;
        num_planes: number;
        plane_fmt: { bytesperline: number }[];
        colorspace: number;
        quantization: number;
      };
      const name = A.fourccName(mp.pixelformat);
      const strides = mp.plane_fmt.slice(0, mp.num_planes).map((p) => p.bytesperline);
      const range = quantizationRange(name, mp.colorspace, mp.quantization);
      return this.describe(name, mp.width, mp.height, strides, mp.num_planes, range);
    }
    const pix = koffi.decode(b, off, A.v4l2_pix_format) as {
      width: number;
      height: number;
      pixelformat: number;
      bytesperline: number;
      colorspace: number;
      quantization: number;
    };
    const name = A.fourccName(pix.pixelformat);
    const range = quantizationRange(name, pix.colorspace, pix.quantization);
    return this.describe(name, pix.width, pix.height, [pix.bytesperline], 1, range);
  }

  private describe(
    name: string,
    width: number,
    height: number,
    strides: number[],
    memPlanes: number,
    range: SampleRange,
  ): NegotiatedFormat {
    const format = FOURCC_FORMAT[name];
    if (!format) throw new Error(`the device chose ${name}, which kvmr0ck cannot encode`);
    const s = [...strides];
    // One-buffer semi-planar/planar formats: chroma strides follow from the Y stride.
    if (memPlanes === 1 && (format === 'NV12' || format === 'NV21' || format === 'NV16' || format === 'NV61'))
      s.push(s[0]!);
    if (memPlanes === 1 && (format === 'I420' || format === 'I422')) s.push(s[0]! / 2, s[0]! / 2);
    return { fourcc: name, format, width, height, strides: s, memPlanes, range };
  }

  /** REQBUFS + QUERYBUF + mmap + QBUF for `count` buffers. */
  allocate(count: number, memPlanes: number): void {
    const rb = Buffer.alloc(koffi.sizeof(A.v4l2_requestbuffers));
    koffi.encode(rb, A.v4l2_requestbuffers, { count, type: this.bufType, memory: A.V4L2_MEMORY_MMAP });
    this.ioctl('VIDIOC_REQBUFS', A.VIDIOC.REQBUFS, rb);
    const got = (koffi.decode(rb, A.v4l2_requestbuffers) as { count: number }).count;
    this.planesScratch = Buffer.alloc(koffi.sizeof(A.v4l2_plane) * A.VIDEO_MAX_PLANES);
    for (let index = 0; index < got; index++) {
      const b = this.bufferStruct(index);
      this.ioctl('VIDIOC_QUERYBUF', A.VIDIOC.QUERYBUF, b);
      const planes = this.planeInfo(b, memPlanes).map(({ length, offset }) => {
        const addr = this.c.mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, this.fd, offset);
        if (this.c.MAP_FAILED(addr)) throw new V4l2Error('mmap', this.c.errno());
        // A view straight onto the driver's buffer: the encoder reads the frame where it was captured.
        return { addr, length, view: new Uint8Array(koffi.view(addr, length) as ArrayBuffer) };
      });
      this.buffers.push({ index, planes });
      this.queue(index);
    }
  }

  private bufferStruct(index: number): Buffer {
    const b = Buffer.alloc(koffi.sizeof(A.v4l2_buffer));
    const value: Record<string, unknown> = { index, type: this.bufType, memory: A.V4L2_MEMORY_MMAP };
    if (this.multiplanar) {
      this.planesScratch!.fill(0);
      value.m = { planes: this.planesScratch };
      value.length = A.VIDEO_MAX_PLANES;
    }
    koffi.encode(b, A.v4l2_buffer, value);
    return b;
  }

  /** Per memory plane: length and mmap offset (single-planar: the buffer itself). */
  private planeInfo(b: Buffer, memPlanes: number): { length: number; offset: number; bytesused: number }[] {
    const buf = koffi.decode(b, A.v4l2_buffer) as {
      length: number;
      bytesused: number;
      m: { offset: number };
    };
    if (!this.multiplanar) return [{ length: buf.length, offset: buf.m.offset, bytesused: buf.bytesused }];
    const ps = koffi.sizeof(A.v4l2_plane);
    return Array.from({ length: memPlanes }, (_, i) => {
      const p = koffi.decode(this.planesScratch!, i * ps, A.v4l2_plane) as {
        length: number;
        bytesused: number;
        m: { mem_offset: number };
      };
      return { length: p.length, offset: p.m.mem_offset, bytesused: p.bytesused };
    });
  }

  queue(index: number): void {
    this.ioctl('VIDIOC_QBUF', A.VIDIOC.QBUF, this.bufferStruct(index));
  }

  /** A filled buffer, or null when none is ready (EAGAIN). */
  dequeue(memPlanes: number): Dequeued | null {
    const b = this.bufferStruct(0);
    if (this.c.ioctl(this.fd, A.VIDIOC.DQBUF, b) < 0) {
      const e = this.c.errno();
      if (ERRNO[e] === 'EAGAIN') return null;
      throw new V4l2Error('VIDIOC_DQBUF', e);
    }
    const d = koffi.decode(b, A.v4l2_buffer) as { index: number; sequence: number; flags: number };
    return {
      index: d.index,
      sequence: d.sequence,
      bytesused: this.planeInfo(b, memPlanes).map((p) => p.bytesused),
      // V4L2_BUF_FLAG_ERROR: the data may be damaged (uvcvideo: a payload with the UVC error bit
      // or a lost packet; it hands such buffers over when its nodrop parameter is 1).
      error: (d.flags & A.V4L2_BUF_FLAG_ERROR) !== 0,
    };
  }

  streamOn(): void {
    this.ioctl('VIDIOC_STREAMON', A.VIDIOC.STREAMON, Int32Array.of(this.bufType));
  }

  streamOff(): void {
    if (this.fd >= 0) this.c.ioctl(this.fd, A.VIDIOC.STREAMOFF, Int32Array.of(this.bufType));
  }

  /** Unmaps and frees the buffers (REQBUFS 0), so the format can change. */
  unmap(): void {
    for (const b of this.buffers) for (const p of b.planes) this.c.munmap(p.addr, p.length);
    if (this.buffers.length > 0 && this.fd >= 0) {
      const rb = Buffer.alloc(koffi.sizeof(A.v4l2_requestbuffers));
      koffi.encode(rb, A.v4l2_requestbuffers, { count: 0, type: this.bufType, memory: A.V4L2_MEMORY_MMAP });
      this.c.ioctl(this.fd, A.VIDIOC.REQBUFS, rb);
    }
    this.buffers = [];
  }

  poll(events: number, timeoutMs: number): Promise<{ rc: number; revents: number }> {
    return this.c.pollAsync(this.fd, events, timeoutMs);
  }
}

/** The real device factory, handed to the source by the composition root. */
export const openV4l2Device: CaptureDeviceFactory = (path) => new V4l2Device(path);

/**
 * What range the samples are in. V4L2 "Colorspaces": V4L2_QUANTIZATION_DEFAULT means limited
 * range for Y'CbCr, except with the JPEG colorspace (full); MJPEG frames are JPEGs already.
 */
export function quantizationRange(fourcc: string, colorspace: number, quantization: number): SampleRange {
  if (fourcc === 'MJPG' || fourcc === 'JPEG') return 'full';
  if (quantization === A.V4L2_QUANTIZATION_FULL_RANGE) return 'full';
  if (quantization === A.V4L2_QUANTIZATION_LIM_RANGE) return 'limited';
  return colorspace === A.V4L2_COLORSPACE_JPEG ? 'full' : 'limited';
}
