import type { AppState, HidState } from '../core/app-state.js';
import type { BoardStats } from './board.js';
import type { HOST_STATES } from './entities.js';

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

/**
 * The retained JSON on `<prefix>/<node>/state`. No secrets: nothing typed, no config strings.
 * A field that is null renders as `None` in a value template, which HA's MQTT sensor reads as
 * "unknown" (PAYLOAD_NONE), so a missing reading never shows as a made-up value.
 */
export interface MqttState extends Partial<BoardStats> {
  signal: boolean;
  usb: string;
  caps_lock: boolean;
  num_lock: boolean;
  scroll_lock: boolean;
  resolution: string | null;
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
  /** null: board diagnostics are off (mqtt.board_diagnostics). */
  board: BoardStats | null;
}

/** The HID fields the retained state shows; any other HID change (a report written) is not news. */
export const HID_STATE_FIELDS = [
  'capsLock',
  'numLock',
  'scrollLock',
] as const satisfies readonly (keyof HidState)[];

export function buildState(s: Readonly<AppState>, x: StateExtras): MqttState {
  const v = s.video;
  return {
    signal: v.signal,
    usb: s.usb.state,
    caps_lock: s.hid.capsLock,
    num_lock: s.hid.numLock,
    scroll_lock: s.hid.scrollLock,
    resolution: v.signal && v.width > 0 ? `${v.width}x${v.height}` : null,
    capture_fps: Math.round(v.captureFps * 10) / 10,
    stream_clients: s.stream.clients,
    encode_ms: Math.round(v.encodeMsP50 * 10) / 10,
    host: x.host,
    macro: x.macro,
    jpeg_quality: x.jpegQuality,
    max_fps: x.maxFps,
    ...x.board,
  };
}

/**
 * Fields that move all the time (a capture rate, a temperature): a change of one of these alone
 * waits for the diagnostics interval. Everything else is a step a user acts on and goes out at once.
 */
const COUNTERS: ReadonlySet<string> = new Set([
  'capture_fps',
  'encode_ms',
  'cpu_temp',
  'load_1m',
  'mem_used_pct',
  'disk_used_pct',
]);

export function discreteChanged(a: MqttState | null, b: MqttState): boolean {
  if (!a) return true;
  for (const k of Object.keys(b) as (keyof MqttState)[]) {
    if (!COUNTERS.has(k) && a[k] !== b[k]) return true;
  }
  return false;
}

export function sameState(a: MqttState | null, b: MqttState): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
