/**
 * Pure report encoders: state in, the exact bytes of one input report out. The layouts match
 * `descriptors.ts` byte for byte.
 */

/** HUT 1.4 §10: Keyboard ErrorRollOver, sent in every key slot when more keys are down than fit. */
export const ERROR_ROLL_OVER = 0x01;
export const KEY_SLOTS = 6;

/**
 * Keyboard: [modifier bits, reserved, key1..key6]. With more than six non-modifier keys down the
 * six slots all carry ErrorRollOver (HID 1.11 Appendix C): hosts then keep the keys they already
 * saw as held and ignore the report's key slots, so an overflow never produces a wrong key. The
 * modifier byte is still sent as is.
 */
export function encodeKeyboard(modifiers: number, keys: readonly number[]): Uint8Array {
  const r = new Uint8Array(8);
  r[0] = modifiers & 0xff;
  if (keys.length > KEY_SLOTS) r.fill(ERROR_ROLL_OVER, 2);
  else for (let i = 0; i < keys.length; i++) r[2 + i] = keys[i]! & 0xff;
  return r;
}

/** Mouse button bits in report byte 0 (Button page usages 1..5, HUT §12). */
export const BUTTON = { left: 0x01, right: 0x02, middle: 0x04, back: 0x08, forward: 0x10 } as const;
export type ButtonName = keyof typeof BUTTON;

/** Absolute axes run 0..32767 (the descriptor's Logical Maximum). */
export const ABS_MAX = 32767;

/** Clamps to a signed byte range −127..127 (the descriptors' logical limits; −128 is not allowed). */
export function clampRel(v: number): number {
  return Math.max(-127, Math.min(127, Math.trunc(v)));
}

export interface AbsMouseReport {
  buttons: number;
  x: number;
  y: number;
  wheel?: number;
  hwheel?: number;
}

/** Absolute mouse: [buttons, X lo, X hi, Y lo, Y hi, wheel, horizontal wheel]. */
export function encodeMouseAbs(m: AbsMouseReport): Uint8Array {
  const r = new Uint8Array(7);
  const x = Math.max(0, Math.min(ABS_MAX, Math.round(m.x)));
  const y = Math.max(0, Math.min(ABS_MAX, Math.round(m.y)));
  r[0] = m.buttons & 0x1f;
  r[1] = x & 0xff;
  r[2] = x >> 8;
  r[3] = y & 0xff;
  r[4] = y >> 8;
  r[5] = clampRel(m.wheel ?? 0) & 0xff;
  r[6] = clampRel(m.hwheel ?? 0) & 0xff;
  return r;
}

export interface RelMouseReport {
  buttons: number;
  dx?: number;
  dy?: number;
  wheel?: number;
}

/** Relative mouse (boot layout + wheel): [buttons, dX, dY, wheel], two's complement bytes. */
export function encodeMouseRel(m: RelMouseReport): Uint8Array {
  return Uint8Array.of(
    m.buttons & 0x1f,
    clampRel(m.dx ?? 0) & 0xff,
    clampRel(m.dy ?? 0) & 0xff,
    clampRel(m.wheel ?? 0) & 0xff,
  );
}

/** Report ID 1: the one pressed Consumer page usage, little-endian; 0 releases. */
export function encodeConsumer(usage: number): Uint8Array {
  return Uint8Array.of(0x01, usage & 0xff, (usage >> 8) & 0xff);
}

/** Report ID 2: System Control bits (bit 0 = 0x81 Power Down, 1 = 0x82 Sleep, 2 = 0x83 Wake Up). */
export function encodeSystem(bits: number): Uint8Array {
  return Uint8Array.of(0x02, bits & 0x07);
}

export function systemBit(usage: number): number {
  return usage >= 0x81 && usage <= 0x83 ? 1 << (usage - 0x81) : 0;
}

/**
 * Splits a relative movement into steps each within −127..127, the largest steps first, so a
 * long move arrives as few reports as possible and sums exactly to `total`.
 */
export function splitRel(total: number): number[] {
  const steps: number[] = [];
  let left = Math.trunc(total);
  while (left !== 0) {
    const s = Math.max(-127, Math.min(127, left));
    steps.push(s);
    left -= s;
  }
  return steps;
}

/** Pairs x/y step lists so both axes move in the same reports. */
export function splitRel2(dx: number, dy: number): Array<[number, number]> {
  const xs = splitRel(dx);
  const ys = splitRel(dy);
  const n = Math.max(xs.length, ys.length);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([xs[i] ?? 0, ys[i] ?? 0]);
  return out;
}
