import koffi, { type TypeObject } from 'koffi';

/**
 * The slice of the V4L2 userspace ABI kvmr0ck uses (linux/videodev2.h, kernel 6.1), declared for
 * koffi so layouts follow the platform (aarch64 boards, x86_64 here). `test/unit/video/v4l2-abi`
 * compiles a C program against the real header and compares every size, offset and ioctl number.
 */

/** videodev2.h: the buffer's data may be damaged (it is still dequeued, with this flag). */
export const V4L2_BUF_FLAG_ERROR = 0x40;
export const V4L2_BUF_TYPE_VIDEO_CAPTURE = 1;
export const V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE = 9;
export const V4L2_MEMORY_MMAP = 1;
export const V4L2_CAP_VIDEO_CAPTURE = 0x00000001;
export const V4L2_CAP_VIDEO_CAPTURE_MPLANE = 0x00001000;
export const V4L2_CAP_STREAMING = 0x04000000;
export const V4L2_CAP_DEVICE_CAPS = 0x80000000;
export const V4L2_EVENT_SOURCE_CHANGE = 5;
export const V4L2_EVENT_SRC_CH_RESOLUTION = 1;
export const V4L2_FIELD_NONE = 1;
// enum v4l2_quantization and enum v4l2_colorspace (videodev2.h).
export const V4L2_QUANTIZATION_FULL_RANGE = 1;
export const V4L2_QUANTIZATION_LIM_RANGE = 2;
export const V4L2_COLORSPACE_JPEG = 7;
export const VIDEO_MAX_PLANES = 8;

export const v4l2_capability = koffi.struct('v4l2_capability', {
  driver: koffi.array('uint8_t', 16),
  card: koffi.array('uint8_t', 32),
  bus_info: koffi.array('uint8_t', 32),
  version: 'uint32_t',
  capabilities: 'uint32_t',
  device_caps: 'uint32_t',
  reserved: koffi.array('uint32_t', 3),
});

export const v4l2_fmtdesc = koffi.struct('v4l2_fmtdesc', {
  index: 'uint32_t',
  type: 'uint32_t',
  flags: 'uint32_t',
  description: koffi.array('uint8_t', 32),
  pixelformat: 'uint32_t',
  mbus_code: 'uint32_t',
  reserved: koffi.array('uint32_t', 3),
});

export const v4l2_pix_format = koffi.struct('v4l2_pix_format', {
  width: 'uint32_t',
  height: 'uint32_t',
  pixelformat: 'uint32_t',
  field: 'uint32_t',
  bytesperline: 'uint32_t',
  sizeimage: 'uint32_t',
  colorspace: 'uint32_t',
  priv: 'uint32_t',
  flags: 'uint32_t',
  ycbcr_enc: 'uint32_t',
  quantization: 'uint32_t',
  xfer_func: 'uint32_t',
});

// Both mplane structs are __attribute__((packed)) in the header.
export const v4l2_plane_pix_format = koffi.pack('v4l2_plane_pix_format', {
  sizeimage: 'uint32_t',
  bytesperline: 'uint32_t',
  reserved: koffi.array('uint16_t', 6),
});

export const v4l2_pix_format_mplane = koffi.pack('v4l2_pix_format_mplane', {
  width: 'uint32_t',
  height: 'uint32_t',
  pixelformat: 'uint32_t',
  field: 'uint32_t',
  colorspace: 'uint32_t',
  plane_fmt: koffi.array(v4l2_plane_pix_format, VIDEO_MAX_PLANES),
  num_planes: 'uint8_t',
  flags: 'uint8_t',
  ycbcr_enc: 'uint8_t',
  quantization: 'uint8_t',
  xfer_func: 'uint8_t',
  reserved: koffi.array('uint8_t', 7),
});

// The real union also holds struct v4l2_window, whose pointers give it pointer alignment.
export const v4l2_format = koffi.struct('v4l2_format', {
  type: 'uint32_t',
  fmt: koffi.union('v4l2_format_fmt', {
    pix: v4l2_pix_format,
    pix_mp: v4l2_pix_format_mplane,
    raw_data: koffi.array('uint8_t', 200),
    align_: 'void *',
  }),
});

export const v4l2_requestbuffers = koffi.struct('v4l2_requestbuffers', {
  count: 'uint32_t',
  type: 'uint32_t',
  memory: 'uint32_t',
  capabilities: 'uint32_t',
  flags: 'uint8_t',
  reserved: koffi.array('uint8_t', 3),
});

export const v4l2_plane = koffi.struct('v4l2_plane', {
  bytesused: 'uint32_t',
  length: 'uint32_t',
  m: koffi.union('v4l2_plane_m', { mem_offset: 'uint32_t', userptr: 'unsigned long', fd: 'int32_t' }),
  data_offset: 'uint32_t',
  reserved: koffi.array('uint32_t', 11),
});

export const v4l2_buffer = koffi.struct('v4l2_buffer', {
  index: 'uint32_t',
  type: 'uint32_t',
  bytesused: 'uint32_t',
  flags: 'uint32_t',
  field: 'uint32_t',
  timestamp: koffi.struct('timeval', { tv_sec: 'long', tv_usec: 'long' }),
  timecode: koffi.struct('v4l2_timecode', {
    type: 'uint32_t',
    flags: 'uint32_t',
    frames: 'uint8_t',
    seconds: 'uint8_t',
    minutes: 'uint8_t',
    hours: 'uint8_t',
    userbits: koffi.array('uint8_t', 4),
  }),
  sequence: 'uint32_t',
  memory: 'uint32_t',
  // For multi-planar buffers `planes` points at an array of v4l2_plane the caller owns.
  m: koffi.union('v4l2_buffer_m', {
    offset: 'uint32_t',
    userptr: 'unsigned long',
    planes: 'void *',
    fd: 'int32_t',
  }),
  length: 'uint32_t',
  reserved2: 'uint32_t',
  request_fd: 'int32_t',
});

/** struct v4l2_dv_timings is packed; kvmr0ck reads a few bt fields by offset (see dv-timings.ts). */
export const V4L2_DV_TIMINGS_SIZE = 132;

export const v4l2_event_subscription = koffi.struct('v4l2_event_subscription', {
  type: 'uint32_t',
  id: 'uint32_t',
  flags: 'uint32_t',
  reserved: koffi.array('uint32_t', 5),
});

export const v4l2_event = koffi.struct('v4l2_event', {
  type: 'uint32_t',
  u: koffi.union('v4l2_event_u', { data: koffi.array('uint8_t', 64), align_: 'int64_t' }),
  pending: 'uint32_t',
  sequence: 'uint32_t',
  timestamp: koffi.struct('timespec', { tv_sec: 'long', tv_nsec: 'long' }),
  id: 'uint32_t',
  reserved: koffi.array('uint32_t', 8),
});

export const v4l2_edid = koffi.struct('v4l2_edid', {
  pad: 'uint32_t',
  start_block: 'uint32_t',
  blocks: 'uint32_t',
  reserved: koffi.array('uint32_t', 5),
  edid: 'void *',
});

// ioctl request numbers: _IOC(dir, 'V', nr, size) from asm-generic/ioctl.h.
const IOC_WRITE = 1;
const IOC_READ = 2;
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (0x56 << 8) | nr) >>> 0;
}
const sz = (t: TypeObject) => koffi.sizeof(t);

export const VIDIOC = {
  QUERYCAP: ioc(IOC_READ, 0, sz(v4l2_capability)),
  ENUM_FMT: ioc(IOC_READ | IOC_WRITE, 2, sz(v4l2_fmtdesc)),
  G_FMT: ioc(IOC_READ | IOC_WRITE, 4, sz(v4l2_format)),
  S_FMT: ioc(IOC_READ | IOC_WRITE, 5, sz(v4l2_format)),
  REQBUFS: ioc(IOC_READ | IOC_WRITE, 8, sz(v4l2_requestbuffers)),
  QUERYBUF: ioc(IOC_READ | IOC_WRITE, 9, sz(v4l2_buffer)),
  QBUF: ioc(IOC_READ | IOC_WRITE, 15, sz(v4l2_buffer)),
  DQBUF: ioc(IOC_READ | IOC_WRITE, 17, sz(v4l2_buffer)),
  STREAMON: ioc(IOC_WRITE, 18, 4),
  STREAMOFF: ioc(IOC_WRITE, 19, 4),
  S_EDID: ioc(IOC_READ | IOC_WRITE, 41, sz(v4l2_edid)),
  S_DV_TIMINGS: ioc(IOC_READ | IOC_WRITE, 87, V4L2_DV_TIMINGS_SIZE),
  DQEVENT: ioc(IOC_READ, 89, sz(v4l2_event)),
  SUBSCRIBE_EVENT: ioc(IOC_WRITE, 90, sz(v4l2_event_subscription)),
  QUERY_DV_TIMINGS: ioc(IOC_READ, 99, V4L2_DV_TIMINGS_SIZE),
} as const;

export function fourcc(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

export function fourccName(n: number): string {
  return String.fromCharCode(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff);
}

export function cString(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
