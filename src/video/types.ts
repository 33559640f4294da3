/**
 * The video pipeline's seams. A FrameSource (V4L2 device, test pattern) hands frames to a
 * consumer; a JpegEncoder turns them into JPEG; the StreamHub fans JPEGs out to clients.
 */

/** Pixel formats by their V4L2 names (see linux/videodev2.h `V4L2_PIX_FMT_*`). */
export type PixelFormat =
  | 'UYVY' // packed 4:2:2, U0 Y0 V0 Y1
  | 'YUYV' // packed 4:2:2, Y0 U0 Y1 V0
  | 'NV12' // Y plane + interleaved CbCr, 4:2:0
  | 'NV21' // Y plane + interleaved CrCb, 4:2:0
  | 'NV16' // Y plane + interleaved CbCr, 4:2:2
  | 'NV61' // Y plane + interleaved CrCb, 4:2:2
  | 'I420' // YU12: three planes Y, Cb, Cr, 4:2:0
  | 'I422' // 422P: three planes Y, Cb, Cr, 4:2:2
  | 'MJPEG'; // compressed, passed through

/**
 * Quantization of Y'CbCr samples (V4L2 `v4l2_quantization`). HDMI bridges send `limited` ("studio
 * swing": Y 16..235, Cb/Cr 16..240; the TC358743 driver programs BT.601 limited for UYVY). JPEG
 * (JFIF) reads every sample as full range, so limited frames are expanded before encoding
 * (native/range.ts), or blacks show as dark grey and whites as light grey.
 */
export type SampleRange = 'full' | 'limited';

export interface Frame {
  format: PixelFormat;
  width: number;
  height: number;
  /**
   * The image bytes, one entry per plane as laid out in memory. For contiguous multi-plane
   * formats captured single-planar (NV12 in one buffer) there is one entry; `planeOffsets` says
   * where each logical plane starts. Views may point into an mmap'ed capture buffer: they are
   * valid only until `release()`.
   */
  data: Uint8Array[];
  /** Bytes per line of each logical plane (Y, then chroma planes). */
  strides: number[];
  /** Bytes used (MJPEG: the JPEG's length). */
  bytesUsed: number;
  /** Driver or source sequence number. Not guaranteed to step by one. */
  sequence: number;
  /** Monotonic ms (performance.now()) when the frame was received from the device. */
  capturedAt: number;
  /** Absent: full. */
  range?: SampleRange;
  /** Drawn by the daemon (the no-signal picture), not captured. */
  synthetic?: boolean;
  /** Gives the buffer back to the source. Call exactly once; the frame is invalid afterwards. */
  release(): void;
}

export interface SourceStatus {
  signal: boolean;
  /** Why there is no signal: `no link`, `no lock`, `out of range`, `device gone`, ... */
  reason: string | null;
  width: number;
  height: number;
  format: PixelFormat | '';
  /** Nominal frame rate of the source (from DV timings or the configured rate). */
  fps: number;
  /** Of the frames that follow; absent: full. */
  range?: SampleRange;
}

export interface FrameConsumer {
  frame(frame: Frame): void;
  status(status: SourceStatus): void;
}

export interface FrameSource {
  /** Human-readable identity for logs and state, e.g. `test-pattern`, `v4l2:/dev/video0`. */
  readonly name: string;
  start(consumer: FrameConsumer): Promise<void>;
  stop(): Promise<void>;
  /**
   * With no viewers the source keeps capturing, slowly (USB dongles report "cable unplugged" to
   * the target when capture stops), and the pipeline skips encoding.
   */
  setIdle(idle: boolean): void;
  /** Changes the highest frame rate delivered, live (Home Assistant's max fps entity). */
  setMaxFps?(fps: number): void;
}

export interface EncodedFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  sequence: number;
  /** Monotonic ms when the source frame was captured. */
  capturedAt: number;
  /** Monotonic ms when encoding finished. */
  encodedAt: number;
  /** True for generated frames (no-signal image) rather than captured ones. */
  synthetic: boolean;
}

export interface JpegEncoder {
  readonly name: string;
  /** How many frames it can encode at once (worker threads); 1 when absent. */
  readonly concurrency?: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Encodes a raw frame. MJPEG frames are not given to encoders: the pipeline passes them through. */
  encode(frame: Frame, quality: number): Promise<Buffer>;
}
