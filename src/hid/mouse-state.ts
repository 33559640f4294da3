import { KvmError } from '../core/errors.js';
import type { MouseButtons } from './api.js';
import { ABS_MAX, BUTTON, encodeMouseAbs, encodeMouseRel, splitRel, splitRel2 } from './reports.js';
import type { HidFunctionName } from './types.js';

type Write = (fn: HidFunctionName, report: Uint8Array) => Promise<void>;

/**
 * Pointer state over the absolute (`mouse`) and relative (`mouse_rel`) functions. Buttons and the
 * wheel go to the mouse that moved last (absolute first, if the gadget has it), so a BIOS that
 * only understands the relative boot mouse gets its clicks there.
 */
export class MouseState {
  private bits = 0;
  private x = ABS_MAX >> 1;
  private y = ABS_MAX >> 1;
  private active: 'mouse' | 'mouse_rel' | null;

  constructor(
    private readonly fns: readonly HidFunctionName[],
    private readonly write: Write,
  ) {
    this.active = fns.includes('mouse') ? 'mouse' : fns.includes('mouse_rel') ? 'mouse_rel' : null;
  }

  async moveAbs(x: number, y: number): Promise<void> {
    this.need('mouse');
    if (!inUnit(x) || !inUnit(y)) {
      throw new KvmError('BAD_REQUEST', `absolute position must be 0..1 on each axis, got ${x}, ${y}`);
    }
    this.active = 'mouse';
    this.x = Math.round(x * ABS_MAX);
    this.y = Math.round(y * ABS_MAX);
    await this.write('mouse', this.abs());
  }

  async moveRel(dx: number, dy: number): Promise<void> {
    this.need('mouse_rel');
    if (!Number.isFinite(dx) || !Number.isFinite(dy) || Math.abs(dx) > 100_000 || Math.abs(dy) > 100_000) {
      throw new KvmError('BAD_REQUEST', `relative move must be finite and within ±100000, got ${dx}, ${dy}`);
    }
    this.active = 'mouse_rel';
    for (const [sx, sy] of splitRel2(dx, dy)) {
      await this.write('mouse_rel', encodeMouseRel({ buttons: this.bits, dx: sx, dy: sy }));
    }
  }

  async buttons(b: MouseButtons): Promise<void> {
    const fn = this.current();
    let next = this.bits;
    for (const [name, down] of Object.entries(b)) {
      const bit = BUTTON[name as keyof typeof BUTTON];
      if (bit === undefined) throw new KvmError('BAD_REQUEST', `unknown mouse button '${name}'`);
      if (down === true) next |= bit;
      else if (down === false) next &= ~bit;
    }
    if (next === this.bits) return;
    this.bits = next;
    await this.write(fn, fn === 'mouse' ? this.abs() : encodeMouseRel({ buttons: next }));
  }

  /** Positive vertical scrolls up, positive horizontal right; the relative mouse has no horizontal wheel. */
  async wheel(vertical: number, horizontal: number): Promise<void> {
    const fn = this.current();
    if (!Number.isFinite(vertical) || !Number.isFinite(horizontal)) {
      throw new KvmError('BAD_REQUEST', 'wheel steps must be finite numbers');
    }
    if (Math.abs(vertical) > 10_000 || Math.abs(horizontal) > 10_000) {
      throw new KvmError('BAD_REQUEST', 'wheel steps must be within ±10000');
    }
    if (fn === 'mouse') {
      for (const [h, v] of splitRel2(horizontal, vertical)) {
        await this.write(
          'mouse',
          encodeMouseAbs({ buttons: this.bits, x: this.x, y: this.y, wheel: v, hwheel: h }),
        );
      }
    } else {
      for (const v of splitRel(vertical))
        await this.write('mouse_rel', encodeMouseRel({ buttons: this.bits, wheel: v }));
    }
  }

  /** All-up reports; the absolute one keeps the pointer where it is (zeros would jump to a corner). */
  releaseReports(): Array<[HidFunctionName, Uint8Array]> {
    const out: Array<[HidFunctionName, Uint8Array]> = [];
    if (this.fns.includes('mouse')) out.push(['mouse', encodeMouseAbs({ buttons: 0, x: this.x, y: this.y })]);
    if (this.fns.includes('mouse_rel')) out.push(['mouse_rel', encodeMouseRel({ buttons: 0 })]);
    return out;
  }

  clear(): void {
    this.bits = 0;
  }

  held(): number {
    let n = 0;
    for (let b = this.bits; b; b &= b - 1) n++;
    return n;
  }

  private abs(): Uint8Array {
    return encodeMouseAbs({ buttons: this.bits, x: this.x, y: this.y });
  }

  private current(): 'mouse' | 'mouse_rel' {
    if (!this.active)
      throw new KvmError('BAD_REQUEST', 'the USB gadget has no mouse function (see gadget.functions)');
    return this.active;
  }

  private need(fn: 'mouse' | 'mouse_rel'): void {
    if (!this.fns.includes(fn)) {
      throw new KvmError('BAD_REQUEST', `the USB gadget has no ${fn} function (see gadget.functions)`, {
        fn,
      });
    }
  }
}

function inUnit(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && v <= 1;
}
