/**
 * The shape of everything the daemon reports: /api/state, WebSocket pushes and MQTT states are
 * all views of this. Keep fields JSON-serialisable and free of secrets.
 */
export interface VideoState {
  /** Which source runs: `test-pattern`, `v4l2:/dev/video0`, `replay:...`. */
  source: string;
  signal: boolean;
  /** Why there is no signal (`no link`, `no lock`, `device gone`, ...), or null. */
  signalReason: string | null;
  width: number;
  height: number;
  /** Pixel format of the captured frames (UYVY, NV12, MJPG, ...). */
  format: string;
  captureFps: number;
  encodeFps: number;
  encodeMsP50: number;
  encodeMsP95: number;
  encoder: string;
  droppedFrames: number;
  unchangedFrames: number;
}

export interface StreamState {
  clients: number;
  sentFps: number;
}

export interface HidState {
  sink: string;
  online: boolean;
  /** Last error that took the sink offline, or null. */
  error: string | null;
  capsLock: boolean;
  numLock: boolean;
  scrollLock: boolean;
  keysHeld: number;
  reportsWritten: number;
}

export interface UsbState {
  /** From /sys/class/udc/<udc>/state: configured | suspended | not attached | unknown. */
  state: string;
  udc: string | null;
}

export interface AppState extends Record<string, object> {
  video: VideoState;
  stream: StreamState;
  hid: HidState;
  usb: UsbState;
}

export function initialAppState(): AppState {
  return {
    video: {
      source: 'none',
      signal: false,
      signalReason: 'starting',
      width: 0,
      height: 0,
      format: '',
      captureFps: 0,
      encodeFps: 0,
      encodeMsP50: 0,
      encodeMsP95: 0,
      encoder: '',
      droppedFrames: 0,
      unchangedFrames: 0,
    },
    stream: { clients: 0, sentFps: 0 },
    hid: {
      sink: 'none',
      online: false,
      error: null,
      capsLock: false,
      numLock: false,
      scrollLock: false,
      keysHeld: 0,
      reportsWritten: 0,
    },
    usb: { state: 'unknown', udc: null },
  };
}
