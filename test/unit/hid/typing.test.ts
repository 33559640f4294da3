import { afterAll, describe, expect, it } from 'vitest';
import { composeLocale, XKB_LAYOUTS } from '../../../scripts/gen-layouts.js';
import { type ReportOrder, reportKeyEvents } from '../../../src/hid/evdev.js';
import { LAYOUT_NAMES, LayoutRegistry } from '../../../src/hid/layout.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { typingReports } from '../../../src/hid/typing/plan.js';
import { TYPING_PROFILES, typingProfile } from '../../../src/hid/typing/profiles.js';
import { decodeKeyEvents, openXkb } from '../../../src/hid/xkb.js';

/**
 * The proof that shared transitions change nothing on the target: the planned reports of every
 * character of a layout (twice, shuffled, so keys repeat and follow each other in all sorts of
 * ways) are turned into key events the way a host's HID driver might apply each report (modifier
 * changes first, then the key changes with releases first, or presses first), and libxkbcommon
 * with the Compose table must give back exactly the text in every order.
 */
const xkb = openXkb();
afterAll(() => xkb.close());
const reg = new LayoutRegistry(LAYOUTS);

/** Every character of the layout twice, in a fixed shuffled order, and a key repeated. */
function allChars(name: string): string {
  const chars = Object.keys(LAYOUTS.find((l) => l.name === name)!.chars).filter((c) => c !== '\n');
  const twice = [...chars, ...chars];
  let seed = 42;
  for (let i = twice.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [twice[i], twice[j]] = [twice[j]!, twice[i]!];
  }
  return `${twice.join('')}${chars[1]!.repeat(3)}`; // the same key three times running
}

describe('typing profiles', () => {
  it.each(LAYOUT_NAMES)(
    '%s: every profile types the text back exactly, whatever order a host applies a report in',
    (name) => {
      const [l, v] = XKB_LAYOUTS[name];
      const km = xkb.keymap(l, v);
      const compose = xkb.compose(composeLocale(name));
      const text = allChars(name);
      const plan = reg.plan(text, name);
      const counts: Record<string, number> = {};
      for (const p of TYPING_PROFILES) {
        const { reports, chars } = typingReports(plan, typingProfile(p));
        counts[p] = reports.length;
        expect(chars.at(-1)).toBe(plan.length);
        expect([...reports.at(-1)!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
        const orders: ReportOrder[] = ['releases first', 'presses first'];
        // Only bios never changes modifiers and keys in one report, so only it survives a host
        // that applies key changes before modifier changes.
        if (p === 'bios') orders.push('keys before modifiers');
        for (const order of orders) {
          compose.reset();
          const got = decodeKeyEvents(km, compose, [reportKeyEvents(reports, order)]).text;
          expect(got, `${p}, ${order}`).toBe(text);
        }
      }
      km.close();
      compose.close();
      expect(counts.fast!).toBeLessThan(counts.safe!);
      expect(counts.safe!).toBeLessThan(counts.bios!);
    },
  );

  it('counts a character when the press of its last stroke is in a report (dead key, then base)', () => {
    const { reports, chars } = typingReports(reg.plan('éa', 'de'), typingProfile('fast'));
    expect(reports.map((r) => r[2])).toEqual([0x2e, 0x08, 0x04, 0]); // dead ´, e, a, all up
    expect(chars).toEqual([0, 1, 2, 2]);
  });
});
