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
  /** Sample range of the captured YUV (`limited` is expanded for the JPEG), or '' without a picture. */
  range: string;
  captureFps: number;
  encodeFps: number;
  encodeMsP50: number;
  encodeMsP95: number;
  encoder: string;
  droppedFrames: number;
  unchangedFrames: number;
  /** The daemon's resident memory, MiB (all of it, not only video). */
  rssMiB: number;
  /** The daemon's CPU time per encoded frame over the last 5 s (all threads, sending included). */
  cpuMsPerFrame: number;
  /** Live JPEG quality (video.params: changed by MQTT, the panel or the API; starts at video.quality). */
  quality: number;
  /** Live capture rate cap, frames per second (starts at video.fps). */
  maxFps: number;
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
  /** A typing job: idle, typing, or waiting for the host (it takes no reports; the job resumes when it does). */
  typing: 'idle' | 'typing' | 'waiting for the host';
}

export interface UsbState {
  /** From /sys/class/udc/<udc>/state: configured | suspended | not attached | unknown. */
  state: string;
  udc: string | null;
}

export interface MqttLinkState {
  /** False when no broker is configured (mqtt.url empty). */
  enabled: boolean;
  connected: boolean;
  /** Why the last connection attempt failed (never carries credentials), or null. */
  error: string | null;
  /** Results and events held while disconnected, sent on reconnect. */
  queued: number;
}

export interface MacroState {
  /** Macros loaded and runnable. */
  available: number;
  /** Macro files or macros refused at load (see the log or GET /api/macros). */
  problems: number;
  running: string | null;
  step: number;
  steps: number;
  origin: string | null;
  status: 'idle' | 'running' | 'finished' | 'failed' | 'cancelled';
  queued: number;
  last: { name: string; result: string; error: string | null; at: string } | null;
}

export interface ScheduleState {
  entries: {
    name: string;
    macro: string;
    cron: string;
    next: string | null;
    last: string | null;
    lastResult: string | null;
  }[];
}

export interface AppState extends Record<string, object> {
  macro: MacroState;
  schedule: ScheduleState;
  video: VideoState;
  stream: StreamState;
  hid: HidState;
  usb: UsbState;
  mqtt: MqttLinkState;
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
      range: '',
      captureFps: 0,
      encodeFps: 0,
      encodeMsP50: 0,
      encodeMsP95: 0,
      encoder: '',
      droppedFrames: 0,
      unchangedFrames: 0,
      rssMiB: 0,
      cpuMsPerFrame: 0,
      quality: 0,
      maxFps: 0,
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
      typing: 'idle',
    },
    usb: { state: 'unknown', udc: null },
    mqtt: { enabled: false, connected: false, error: null, queued: 0 },
    macro: {
      available: 0,
      problems: 0,
      running: null,
      step: 0,
      steps: 0,
      origin: null,
      status: 'idle',
      queued: 0,
      last: null,
    },
    schedule: { entries: [] },
  };
}
