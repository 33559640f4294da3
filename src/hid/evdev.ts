/**
 * HID Keyboard page usage → Linux evdev key code (`<linux/input-event-codes.h>`), the mapping the
 * kernel's hid-input driver applies on the target. The layout generator and its proof test use it
 * to drive libxkbcommon (xkb keycode = evdev code + 8), and the lab tests to predict the events a
 * Linux host sees. Only usages Linux maps are listed.
 */
const ROWS: ReadonlyArray<readonly [usage: number, codes: readonly number[]]> = [
  // a..z (0x04..0x1D)
  [
    0x04,
    [30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44],
  ],
  // 1..0 (0x1E..0x27) are KEY_1..KEY_0 = 2..11
  [0x1e, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
  // enter esc backspace tab space - = [ ] \ non-US# ; ' ` , . / capslock (0x28..0x39)
  [0x28, [28, 1, 14, 15, 57, 12, 13, 26, 27, 43, 43, 39, 40, 41, 51, 52, 53, 58]],
  // F1..F12 (0x3A..0x45)
  [0x3a, [59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 87, 88]],
  // printscreen scrolllock pause insert home pgup delete end pgdn right left down up numlock (0x46..0x53)
  [0x46, [99, 70, 119, 110, 102, 104, 111, 107, 109, 106, 105, 108, 103, 69]],
  // keypad / * - + enter 1..9 0 . (0x54..0x63)
  [0x54, [98, 55, 74, 78, 96, 79, 80, 81, 75, 76, 77, 71, 72, 73, 82, 83]],
  // non-US \ (KEY_102ND), application (KEY_COMPOSE), power, keypad = (0x64..0x67)
  [0x64, [86, 127, 116, 117]],
  // F13..F24 (0x68..0x73) are KEY_F13..KEY_F24 = 183..194
  [0x68, [183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194]],
  // execute help menu select stop again undo cut copy paste find mute volup voldown (0x74..0x81)
  [0x74, [134, 138, 130, 132, 128, 129, 131, 137, 133, 135, 136, 113, 115, 114]],
  [0x85, [121]], // keypad comma
  // International1..6: RO, KATAKANAHIRAGANA, YEN, HENKAN, MUHENKAN, KPJPCOMMA (0x87..0x8C)
  [0x87, [89, 93, 124, 92, 94, 95]],
  // LANG1..5: HANGEUL, HANJA, KATAKANA, HIRAGANA, ZENKAKUHANKAKU (0x90..0x94)
  [0x90, [122, 123, 90, 91, 85]],
  [0xb6, [179, 180]], // keypad ( )
  // left ctrl shift alt meta, right ctrl shift alt meta (0xE0..0xE7)
  [0xe0, [29, 42, 56, 125, 97, 54, 100, 126]],
];

const TO_EVDEV = new Map<number, number>();
for (const [start, codes] of ROWS) for (const [i, c] of codes.entries()) TO_EVDEV.set(start + i, c);

export function usageToEvdev(usage: number): number | undefined {
  return TO_EVDEV.get(usage);
}

/** Every usage with an evdev code, ascending. */
export function mappedUsages(): number[] {
  return [...TO_EVDEV.keys()].sort((a, b) => a - b);
}

/** evdev codes of the modifier bits of report byte 0, bit 0 first. */
export const MODIFIER_EVDEV = [29, 42, 56, 125, 97, 54, 100, 126] as const;

/** The order a host applies the changes of one keyboard report in (see `reportKeyEvents`). */
export type ReportOrder = 'releases first' | 'presses first' | 'keys before modifiers';

/**
 * The key events (evdev codes) a host makes from a sequence of boot keyboard reports, each
 * compared with the one before (starting all up). Linux's hid-input applies the modifier byte
 * first, then each key slot's release and press ('releases first'); the other orders are for
 * proving that a sequence of reports means the same whatever order a host uses.
 */
export function reportKeyEvents(
  reports: readonly Uint8Array[],
  order: ReportOrder = 'releases first',
): Array<{ code: number; down: boolean }> {
  const out: Array<{ code: number; down: boolean }> = [];
  let prev: Uint8Array = new Uint8Array(8);
  for (const r of reports) {
    const mods: Array<{ code: number; down: boolean }> = [];
    MODIFIER_EVDEV.forEach((code, bit) => {
      const is = (r[0]! >> bit) & 1;
      if (((prev[0]! >> bit) & 1) !== is) mods.push({ code, down: is === 1 });
    });
    const before = [...prev.subarray(2)].filter((u) => u);
    const after = [...r.subarray(2)].filter((u) => u);
    const key = (u: number, down: boolean) => ({ code: usageToEvdev(u) ?? 0, down });
    const up = before.filter((u) => !after.includes(u)).map((u) => key(u, false));
    const down = after.filter((u) => !before.includes(u)).map((u) => key(u, true));
    if (order === 'releases first') out.push(...mods, ...up, ...down);
    else if (order === 'presses first') out.push(...mods, ...down, ...up);
    else out.push(...up, ...down, ...mods);
    prev = r;
  }
  return out;
}
