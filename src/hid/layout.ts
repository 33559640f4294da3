import { KvmError } from '../core/errors.js';

/**
 * The target layouts `type()` supports. Each is generated from Debian xkb-data by
 * `scripts/gen-layouts.ts` into `src/hid/layouts/<name>.ts`; none is typed in by hand.
 */
export const LAYOUT_NAMES = [
  'us',
  'us-intl',
  'uk',
  'de',
  'de-ch',
  'fr',
  'fr-ch',
  'be',
  'es',
  'it',
  'pt',
  'pt-br',
  'nl',
  'se',
  'no',
  'dk',
  'fi',
  'pl',
  'cz',
  'hu',
  'ru',
  'ua',
  'jp',
  'tr',
] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/**
 * The xkb names (`setxkbmap`, /usr/share/X11/xkb/rules/evdev.lst) of layouts whose name here
 * differs, so people can use the names they know. Names are also matched in any case.
 */
export const LAYOUT_ALIASES: Readonly<Record<string, LayoutName>> = {
  gb: 'uk',
  ch: 'de-ch',
  'ch(de)': 'de-ch',
  'ch(fr)': 'fr-ch',
  br: 'pt-br',
  'us(intl)': 'us-intl',
};

/** One key press: a Keyboard page usage with the modifier bits held for it (0x02 Shift, 0x40 AltGr). */
export interface Stroke {
  usage: number;
  mods: number;
}

/** Generated data of one layout. */
export interface LayoutData {
  name: string;
  /** xkb layout(variant) it was generated from, e.g. `ch(fr)`. */
  xkb: string;
  /**
   * Character → flat [usage, mods, usage, mods, ...]: one pair per stroke; more than one pair is
   * a dead-key sequence (dead key, then the base key).
   */
  chars: Readonly<Record<string, readonly number[]>>;
}

/**
 * A layout as the generated files store it: one string, unpacked into `chars` the first time a
 * character is looked up. All 24 layouts as object literals held 2.5 MiB of heap for the life of
 * the daemon (measured after a full collection), though one is normally used; packed they hold
 * about 40 KiB until used.
 *
 * The packed form is a run of entries, each: the character (one code point), the number of
 * strokes (one digit), then per stroke four hex digits, usage then modifier bits. `a` typed
 * as usage 0x04 with no modifiers is `a10400`; a character typed as a dead key then a base key has
 * two strokes, its digit 2 followed by eight hex digits.
 */
export function packedLayout(name: string, xkb: string, packed: string): LayoutData {
  let chars: Record<string, readonly number[]> | null = null;
  return {
    name,
    xkb,
    get chars() {
      chars ??= unpackChars(packed, name);
      return chars;
    },
  };
}

/** The packed form of `chars` (see packedLayout), as the generator writes it. */
export function packChars(chars: Iterable<readonly [string, readonly number[]]>): string {
  let out = '';
  for (const [c, flat] of chars) {
    if (Array.from(c).length !== 1 || flat.length === 0 || flat.length % 2 !== 0 || flat.length > 18)
      throw new Error(`cannot pack ${JSON.stringify(c)} -> [${flat.join(', ')}]`);
    out += c + String(flat.length / 2);
    for (const n of flat) {
      if (!Number.isInteger(n) || n < 0 || n > 0xff)
        throw new Error(`cannot pack ${JSON.stringify(c)}: ${n}`);
      out += n.toString(16).padStart(2, '0');
    }
  }
  return out;
}

function unpackChars(packed: string, name: string): Record<string, readonly number[]> {
  const chars: Record<string, readonly number[]> = Object.create(null);
  let i = 0;
  while (i < packed.length) {
    const c = String.fromCodePoint(packed.codePointAt(i)!);
    i += c.length;
    const strokes = Number(packed[i++]);
    const flat: number[] = [];
    for (let k = 0; k < strokes * 2; k++, i += 2) flat.push(Number.parseInt(packed.slice(i, i + 2), 16));
    if (!(strokes > 0) || flat.some((n) => Number.isNaN(n)) || i > packed.length)
      throw new Error(`layout ${name}: packed data broken at offset ${i}`);
    chars[c] = Object.freeze(flat);
  }
  return Object.freeze(chars);
}

export class LayoutRegistry {
  private readonly byName: Map<string, LayoutData>;

  constructor(layouts: readonly LayoutData[]) {
    this.byName = new Map(layouts.map((l) => [l.name, l]));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The layout called `name` or one of its aliases (`gb`, `ch(fr)`), in any case. */
  get(name: string): LayoutData {
    const lower = name.toLowerCase();
    const l = this.byName.get(lower) ?? this.byName.get(LAYOUT_ALIASES[lower] ?? '');
    if (!l) {
      const alias = (n: string) => Object.keys(LAYOUT_ALIASES).filter((a) => LAYOUT_ALIASES[a] === n);
      const known = this.names().map((n) => (alias(n).length ? `${n} (${alias(n).join(', ')})` : n));
      throw new KvmError('BAD_REQUEST', `unknown keyboard layout '${name}' (known: ${known.join(', ')})`, {
        layout: name,
      });
    }
    return l;
  }

  /**
   * The strokes of every character of `text`, or UNMAPPABLE_CHAR naming the first character the
   * layout cannot produce and its position (1-based, counted in characters, not UTF-16 units).
   * `\r\n` and `\r` type as one Enter.
   */
  plan(text: string, layoutName: string): Stroke[][] {
    const layout = this.get(layoutName);
    const chars = Array.from(text.replace(/\r\n?/g, '\n'));
    const out: Stroke[][] = [];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      const flat = layout.chars[c];
      if (!flat) {
        const cp = c.codePointAt(0)!;
        const shown =
          cp < 0x20 || cp === 0x7f ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
        throw new KvmError(
          'UNMAPPABLE_CHAR',
          `character ${shown} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) at position ${i + 1} cannot be typed with the '${layout.name}' layout`,
          { char: c, codePoint: cp, position: i + 1, layout: layout.name },
        );
      }
      const strokes: Stroke[] = [];
      for (let j = 0; j + 1 < flat.length; j += 2) strokes.push({ usage: flat[j]!, mods: flat[j + 1]! });
      out.push(strokes);
    }
    return out;
  }
}
