import { encodeKeyboard } from './reports.js';

/**
 * Which keyboard keys are down, in the order they went down. Modifiers (usages 0xE0–0xE7) are
 * bits; other keys fill the six report slots in press order. A seventh key is still tracked:
 * while more than six are down the report carries ErrorRollOver (see `encodeKeyboard`), and the
 * normal report returns as soon as a key goes up.
 */
export class KeyboardState {
  private mods = 0;
  private keys: number[] = [];

  /** Returns false when the key was already down (no report needed). */
  down(usage: number): boolean {
    if (usage >= 0xe0 && usage <= 0xe7) {
      const bit = 1 << (usage - 0xe0);
      if (this.mods & bit) return false;
      this.mods |= bit;
      return true;
    }
    if (this.keys.includes(usage)) return false;
    this.keys.push(usage);
    return true;
  }

  /** Returns false when the key was not down. */
  up(usage: number): boolean {
    if (usage >= 0xe0 && usage <= 0xe7) {
      const bit = 1 << (usage - 0xe0);
      if (!(this.mods & bit)) return false;
      this.mods &= ~bit;
      return true;
    }
    const i = this.keys.indexOf(usage);
    if (i < 0) return false;
    this.keys.splice(i, 1);
    return true;
  }

  isDown(usage: number): boolean {
    if (usage >= 0xe0 && usage <= 0xe7) return (this.mods & (1 << (usage - 0xe0))) !== 0;
    return this.keys.includes(usage);
  }

  clear(): void {
    this.mods = 0;
    this.keys = [];
  }

  /** Keys and modifiers down. */
  count(): number {
    let n = this.keys.length;
    for (let m = this.mods; m; m &= m - 1) n++;
    return n;
  }

  modifiers(): number {
    return this.mods;
  }

  report(): Uint8Array {
    return encodeKeyboard(this.mods, this.keys);
  }

  snapshot(): { mods: number; keys: number[] } {
    return { mods: this.mods, keys: [...this.keys] };
  }

  restore(s: { mods: number; keys: number[] }): void {
    this.mods = s.mods;
    this.keys = [...s.keys];
  }
}
