import type { AppState } from '../core/app-state.js';
import type { HOST_STATES } from './discovery.js';

export type HostState = (typeof HOST_STATES)[number];

/**
 * What the target computer is doing, from what we can see of it:
 * - `off`: no HDMI signal and its USB port has not configured our gadget (powered off, unplugged);
 * - `no signal`: USB configured but no picture (display asleep, or between modes);
 * - `still`: a picture that has not changed for `still_after_s` (idle desktop, waiting BIOS);
 * - `active`: a picture that changes.
 * USB `suspended` counts as not configured: the host is asleep.
 */
export function hostState(
  signal: boolean,
  usb: string,
  msSinceChange: number,
  stillAfterMs: number,
): HostState {
  if (!signal) return usb === 'configured' ? 'no signal' : 'off';
  return msSinceChange >= stillAfterMs ? 'still' : 'active';
}

export interface MqttState {
  signal: boolean;
  usb: string;
  caps_lock: boolean;
  num_lock: boolean;
  scroll_lock: boolean;
  resolution: string;
  capture_fps: number;
  stream_clients: number;
  encode_ms: number;
  host: HostState;
  macro: string;
  jpeg_quality: number;
  max_fps: number;
}

export interface StateExtras {
  host: HostState;
  macro: string;
  jpegQuality: number;
  maxFps: number;
}

/** The retained JSON on `<prefix>/<node>/state`. No secrets: nothing typed, no config strings. */
export function buildState(s: Readonly<AppState>, x: StateExtras): MqttState {
  const v = s.video;
  return {
    signal: v.signal,
    usb: s.usb.state,
    caps_lock: s.hid.capsLock,
    num_lock: s.hid.numLock,
    scroll_lock: s.hid.scrollLock,
    resolution: v.signal && v.width > 0 ? `${v.width}x${v.height}` : 'none',
    capture_fps: Math.round(v.captureFps * 10) / 10,
    stream_clients: s.stream.clients,
    encode_ms: Math.round(v.encodeMsP50 * 10) / 10,
    host: x.host,
    macro: x.macro,
    jpeg_quality: x.jpegQuality,
    max_fps: x.maxFps,
  };
}

/** Fields that change in steps (publish at once) versus counters (publish at most every interval). */
const COUNTERS: readonly (keyof MqttState)[] = ['capture_fps', 'encode_ms'];

export function discreteChanged(a: MqttState | null, b: MqttState): boolean {
  if (!a) return true;
  for (const k of Object.keys(b) as (keyof MqttState)[]) {
    if (!COUNTERS.includes(k) && a[k] !== b[k]) return true;
  }
  return false;
}
