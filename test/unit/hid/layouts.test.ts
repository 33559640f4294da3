import { afterAll, describe, expect, it } from 'vitest';
import { composeLocale, generate, XKB_LAYOUTS } from '../../../scripts/gen-layouts.js';
import { MODIFIER_EVDEV, usageToEvdev } from '../../../src/hid/evdev.js';
import { LAYOUT_NAMES, LayoutRegistry } from '../../../src/hid/layout.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { encodeKeyboard } from '../../../src/hid/reports.js';
import { openXkb } from '../../../src/hid/xkb.js';

/**
 * The proof of the generated layouts: every stroke sequence, turned into the report bytes we
 * would send, decoded back to Linux key codes and fed through libxkbcommon (and its Compose table
 * for dead keys) with the layout it claims, must give back exactly the character.
 */
const xkb = openXkb();
const compose = xkb.compose();
afterAll(() => {
  compose.close();
  xkb.close();
});

function keysOfReport(report: Uint8Array): { mods: number[]; keys: number[] } {
  const mods = MODIFIER_EVDEV.filter((_, bit) => (report[0]! & (1 << bit)) !== 0);
  const keys = [...report.subarray(2)].filter((u) => u !== 0).map((u) => usageToEvdev(u)!);
  return { mods, keys };
}

describe('generated layouts', () => {
  it('cover every layout the config accepts', () => {
    expect(LAYOUTS.map((l) => l.name).sort()).toEqual([...LAYOUT_NAMES].sort());
  });

  it.each(LAYOUT_NAMES)('%s: every character types back as itself through xkb', (name) => {
    const layout = LAYOUTS.find((l) => l.name === name)!;
    const [l, v] = XKB_LAYOUTS[name];
    expect(layout.xkb).toBe(v ? `${l}(${v})` : l);
    const km = xkb.keymap(l, v);
    const compose = xkb.compose(composeLocale(name));
    const wrong: string[] = [];
    const reg = new LayoutRegistry(LAYOUTS);
    const chars = Object.keys(layout.chars);
    for (const ch of chars) {
      const [strokes] = reg.plan(ch, name);
      compose.reset();
      let out: string | null = null;
      for (const s of strokes!) {
        const { mods, keys } = keysOfReport(encodeKeyboard(s.mods, [s.usage]));
        expect(keys).toHaveLength(1);
        const { sym, utf32 } = km.probe(mods, keys[0]!);
        const composed = compose.feed(sym);
        out = composed === '' ? null : (composed ?? (utf32 ? String.fromCodePoint(utf32) : ''));
      }
      const expected = ch === '\n' ? '\r' : ch;
      if (out !== expected) wrong.push(`${JSON.stringify(ch)} gave ${JSON.stringify(out)}`);
    }
    km.close();
    compose.close();
    expect(wrong).toEqual([]);
    expect(chars.length).toBeGreaterThan(90);
  });

  // Fails when the data was edited by hand, or when a new xkb-data changed a layout: then
  // run `npx tsx scripts/gen-layouts.ts` and review the diff.
  it.each(LAYOUT_NAMES)('%s: the committed data is what the generator makes from this xkb-data', (name) => {
    const [l, v] = XKB_LAYOUTS[name];
    const km = xkb.keymap(l, v);
    const compose = xkb.compose(composeLocale(name));
    const fresh = Object.fromEntries(generate(km, compose));
    compose.close();
    km.close();
    expect(LAYOUTS.find((x) => x.name === name)!.chars).toEqual(fresh);
  });

  it('types the whole printable ASCII range on Latin layouts', () => {
    const reg = new LayoutRegistry(LAYOUTS);
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    for (const name of LAYOUT_NAMES.filter((n) => n !== 'ru' && n !== 'ua')) {
      expect(() => reg.plan(ascii, name), name).not.toThrow();
    }
  });

  it('types the language’s own letters', () => {
    const reg = new LayoutRegistry(LAYOUTS);
    const samples: Array<[string, string]> = [
      ['de', 'Grüße äöÜß €'],
      ['fr', 'ça été très où'],
      ['es', 'Año ñandú ¿qué? ¡sí!'],
      ['pl', 'Zażółć gęślą jaźń'],
      ['cz', 'Příliš žluťoučký kůň'],
      ['ru', 'Съешь же ещё этих'],
      ['ua', 'Їжак ґава є'],
      ['tr', 'Işık ğüşöç İ'],
      ['se', 'Räksmörgås'],
      ['jp', 'a\\_|'],
    ];
    for (const [name, text] of samples) expect(() => reg.plan(text, name), name).not.toThrow();
  });
});
