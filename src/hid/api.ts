/**
 * What the rest of the daemon (macros, MQTT, web panel, HTTP API) may ask of the HID side.
 * Key names are the lowercase names of `src/hid/keys.ts` (`a`, `enter`, `ctrl`, `left_alt`,
 * `f13`, `volume_up`, ...); unknown names are refused with KvmError UNKNOWN_KEY before anything
 * is sent. Every method writes whole reports to the sink; none leaves a key held on failure.
 *
 * - Web panel: map `KeyboardEvent.code` to these names with `keyNameForCode` in
 *   `src/hid/browser-codes.ts` (physical key positions; the target applies its own layout), and
 *   send input through `session(clientId)` so a dropped socket never leaves a key held.
 * - More than six non-modifier keys down: the keyboard report carries ErrorRollOver until one
 *   goes up (HID 1.11 Appendix C); the host keeps the six it saw, nothing wrong is typed.
 * - While the USB link is down, calls reject with HID_OFFLINE at once and nothing is replayed
 *   later; state `hid.online`/`hid.error` say why.
 */
export interface TypeOptions {
  /** Target keyboard layout (`us`, `de`, `fr`, ...); default from config. */
  layout?: string;
  /** Typing profile: fast, safe or bios (typing/profiles.ts); default from config `hid.typing`. */
  profile?: string;
  /** Extra pause after each report in ms, on top of the profile; default from config. */
  delayMs?: number;
  /** Aborting releases every key and rejects with KvmError MACRO_CANCELLED. */
  signal?: AbortSignal;
  /** Called as characters reach the target (counted from reports the host took) with the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface MouseButtons {
  left?: boolean;
  right?: boolean;
  middle?: boolean;
  back?: boolean;
  forward?: boolean;
}

export interface HidApi {
  /** True when `name` is a key this daemon can send. */
  isKey(name: string): boolean;
  keyDown(key: string): Promise<void>;
  keyUp(key: string): Promise<void>;
  /** Presses a combo: keys down in order, held `holdMs`, released in reverse order. */
  press(keys: readonly string[], holdMs?: number): Promise<void>;
  /** Checks every character of `text` maps in `layout`; throws UNMAPPABLE_CHAR naming the first that doesn't. */
  checkText(text: string, layout?: string): void;
  /** Types `text` as the target's layout needs it; rejects MACRO_CANCELLED if `signal` aborts (keys released). */
  type(text: string, opts?: TypeOptions): Promise<void>;
  /** Absolute pointer position, each axis 0..1 of the target screen. */
  mouseMoveAbs(x: number, y: number): Promise<void>;
  /** Relative move in device units (−127..127 per report; larger moves are split). */
  mouseMoveRel(dx: number, dy: number): Promise<void>;
  mouseButtons(buttons: MouseButtons): Promise<void>;
  /** Wheel steps: positive vertical scrolls up, positive horizontal scrolls right. */
  mouseWheel(vertical: number, horizontal?: number): Promise<void>;
  /** Releases every key, modifier and button on every function. Never throws. */
  releaseAll(): Promise<void>;
  /** Names of the layouts `type` supports. */
  layouts(): readonly string[];
  /**
   * The input channel of one interactive client (a WebSocket of the web panel, say). Keys and
   * buttons it holds are released when it calls `close()`, or when it stops calling `keepalive()`
   * (any input call counts as one): non-modifier keys and mouse buttons after
   * `hid.keepalive_ms`, modifiers after the longer `hid.modifier_keepalive_ms` (so a Ctrl held
   * while the user thinks survives a short stall, but nothing stays held on a dead link).
   * The same `clientId` returns the same open session.
   */
  session(clientId: string): HidSession;
}

export interface HidSession {
  readonly clientId: string;
  keyDown(key: string): Promise<void>;
  keyUp(key: string): Promise<void>;
  mouseMoveAbs(x: number, y: number): Promise<void>;
  mouseMoveRel(dx: number, dy: number): Promise<void>;
  mouseButtons(buttons: MouseButtons): Promise<void>;
  mouseWheel(vertical: number, horizontal?: number): Promise<void>;
  /** Call every few hundred ms while the client is connected, even when idle. */
  keepalive(): void;
  /** Releases whatever this client holds and forgets the session. Never throws. */
  close(): Promise<void>;
}
