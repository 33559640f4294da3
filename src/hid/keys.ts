/**
 * Key names → HID usages. Names are lowercase with underscores; the first name in each row is the
 * canonical one, the others are aliases. Sources: USB HID Usage Tables 1.4 (HUT), chapter 10
 * (Keyboard/Keypad page 0x07), chapter 15 (Consumer page 0x0C) and chapter 4 (Generic Desktop page
 * 0x01, System Control usages 0x81–0x83).
 *
 * Alias notes: `ctrl`/`control`, `shift`, `alt`/`option`, `meta`/`win`/`super`/`cmd`/`gui` are the
 * left-hand modifiers; `altgr` is `right_alt`. `return` is `enter` (0x28) because that is the key
 * people mean; HUT's separate "Keyboard Return" 0x9E is `keyboard_return`. `menu` is the context-menu
 * key `application` (0x65), which every OS honours; HUT's "Keyboard Menu" 0x76 is `keyboard_menu`.
 * `mute`/`volume_up`/`volume_down` are consumer-page keys (what media keyboards send); the
 * keyboard-page ones are `kb_mute`/`kb_volume_up`/`kb_volume_down`. `power`/`sleep`/`wake` are
 * Generic Desktop system controls; the keyboard-page 0x66 is `keyboard_power`.
 */
export type KeyPage = 'keyboard' | 'consumer' | 'system';

export interface KeyDef {
  /** Canonical name. */
  name: string;
  page: KeyPage;
  usage: number;
}

/** Keyboard/Keypad page 0x07 (HUT 1.4 §10): [usage, canonical name, ...aliases]. */
const KEYBOARD: ReadonlyArray<readonly [number, ...string[]]> = [
  [0x28, 'enter', 'return'],
  [0x29, 'escape', 'esc'],
  [0x2a, 'backspace', 'bksp'],
  [0x2b, 'tab'],
  [0x2c, 'space', 'spacebar'],
  [0x2d, 'minus', 'dash'],
  [0x2e, 'equal', 'equals'],
  [0x2f, 'left_bracket', 'bracket_left'],
  [0x30, 'right_bracket', 'bracket_right'],
  [0x31, 'backslash'],
  [0x32, 'non_us_hash'],
  [0x33, 'semicolon'],
  [0x34, 'apostrophe', 'quote'],
  [0x35, 'grave', 'backtick', 'backquote'],
  [0x36, 'comma'],
  [0x37, 'period', 'dot'],
  [0x38, 'slash'],
  [0x39, 'caps_lock', 'capslock'],
  [0x46, 'print_screen', 'printscreen', 'prtsc'],
  [0x47, 'scroll_lock', 'scrolllock'],
  [0x48, 'pause', 'break'],
  [0x49, 'insert', 'ins'],
  [0x4a, 'home'],
  [0x4b, 'page_up', 'pageup', 'pgup'],
  [0x4c, 'delete', 'del'],
  [0x4d, 'end'],
  [0x4e, 'page_down', 'pagedown', 'pgdn'],
  [0x4f, 'right', 'arrow_right'],
  [0x50, 'left', 'arrow_left'],
  [0x51, 'down', 'arrow_down'],
  [0x52, 'up', 'arrow_up'],
  [0x53, 'num_lock', 'numlock'],
  [0x54, 'kp_divide', 'kp_slash'],
  [0x55, 'kp_multiply', 'kp_asterisk'],
  [0x56, 'kp_minus', 'kp_subtract'],
  [0x57, 'kp_plus', 'kp_add'],
  [0x58, 'kp_enter'],
  [0x62, 'kp_0'],
  [0x63, 'kp_decimal', 'kp_period'],
  [0x64, 'non_us_backslash', 'iso_backslash', 'less_greater'],
  [0x65, 'application', 'menu', 'context_menu', 'compose'],
  [0x66, 'keyboard_power'],
  [0x67, 'kp_equal'],
  [0x74, 'execute'],
  [0x75, 'help'],
  [0x76, 'keyboard_menu'],
  [0x77, 'select'],
  [0x78, 'stop'],
  [0x79, 'again'],
  [0x7a, 'undo'],
  [0x7b, 'cut'],
  [0x7c, 'copy'],
  [0x7d, 'paste'],
  [0x7e, 'find'],
  [0x7f, 'kb_mute'],
  [0x80, 'kb_volume_up'],
  [0x81, 'kb_volume_down'],
  [0x82, 'locking_caps_lock'],
  [0x83, 'locking_num_lock'],
  [0x84, 'locking_scroll_lock'],
  [0x85, 'kp_comma'],
  [0x86, 'kp_equal_as400'],
  // International1..9 (0x87–0x8F) and LANG1..9 (0x90–0x98): the JIS/Korean keys that 0x65-capped
  // descriptors cannot send. HUT 1.4 §10 notes 15–20 name them.
  [0x87, 'international1', 'ro'],
  [0x88, 'international2', 'katakana_hiragana', 'kana'],
  [0x89, 'international3', 'yen'],
  [0x8a, 'international4', 'henkan', 'convert'],
  [0x8b, 'international5', 'muhenkan', 'nonconvert'],
  [0x8c, 'international6', 'kp_jp_comma'],
  [0x8d, 'international7'],
  [0x8e, 'international8'],
  [0x8f, 'international9'],
  [0x90, 'lang1', 'hangul', 'hangeul'],
  [0x91, 'lang2', 'hanja', 'eisu'],
  [0x92, 'lang3', 'katakana'],
  [0x93, 'lang4', 'hiragana'],
  [0x94, 'lang5', 'zenkaku_hankaku'],
  [0x95, 'lang6'],
  [0x96, 'lang7'],
  [0x97, 'lang8'],
  [0x98, 'lang9'],
  [0x99, 'alternate_erase'],
  [0x9a, 'sysreq', 'sys_rq'],
  [0x9b, 'cancel'],
  [0x9c, 'clear'],
  [0x9d, 'prior'],
  [0x9e, 'keyboard_return'],
  [0x9f, 'separator'],
  [0xa0, 'out'],
  [0xa1, 'oper'],
  [0xa2, 'clear_again'],
  [0xa3, 'crsel'],
  [0xa4, 'exsel'],
  [0xb0, 'kp_00'],
  [0xb1, 'kp_000'],
  [0xb2, 'thousands_separator'],
  [0xb3, 'decimal_separator'],
  [0xb4, 'currency_unit'],
  [0xb5, 'currency_subunit'],
  [0xb6, 'kp_left_paren'],
  [0xb7, 'kp_right_paren'],
  [0xb8, 'kp_left_brace'],
  [0xb9, 'kp_right_brace'],
  [0xba, 'kp_tab'],
  [0xbb, 'kp_backspace'],
  [0xbc, 'kp_a'],
  [0xbd, 'kp_b'],
  [0xbe, 'kp_c'],
  [0xbf, 'kp_d'],
  [0xc0, 'kp_e'],
  [0xc1, 'kp_f'],
  [0xc2, 'kp_xor'],
  [0xc3, 'kp_caret'],
  [0xc4, 'kp_percent'],
  [0xc5, 'kp_less'],
  [0xc6, 'kp_greater'],
  [0xc7, 'kp_ampersand'],
  [0xc8, 'kp_double_ampersand'],
  [0xc9, 'kp_bar'],
  [0xca, 'kp_double_bar'],
  [0xcb, 'kp_colon'],
  [0xcc, 'kp_hash'],
  [0xcd, 'kp_space'],
  [0xce, 'kp_at'],
  [0xcf, 'kp_exclamation'],
  [0xd0, 'kp_memory_store'],
  [0xd1, 'kp_memory_recall'],
  [0xd2, 'kp_memory_clear'],
  [0xd3, 'kp_memory_add'],
  [0xd4, 'kp_memory_subtract'],
  [0xd5, 'kp_memory_multiply'],
  [0xd6, 'kp_memory_divide'],
  [0xd7, 'kp_plus_minus'],
  [0xd8, 'kp_clear'],
  [0xd9, 'kp_clear_entry'],
  [0xda, 'kp_binary'],
  [0xdb, 'kp_octal'],
  [0xdc, 'kp_decimal_base'],
  [0xdd, 'kp_hexadecimal'],
  // Modifiers 0xE0–0xE7 travel as bits of report byte 0, not in the key array (HID 1.11 §8.3).
  [0xe0, 'left_ctrl', 'ctrl', 'control', 'lctrl'],
  [0xe1, 'left_shift', 'shift', 'lshift'],
  [0xe2, 'left_alt', 'alt', 'option', 'lalt'],
  [0xe3, 'left_meta', 'meta', 'win', 'super', 'cmd', 'command', 'gui', 'left_win', 'left_gui', 'lmeta'],
  [0xe4, 'right_ctrl', 'rctrl'],
  [0xe5, 'right_shift', 'rshift'],
  [0xe6, 'right_alt', 'altgr', 'alt_gr', 'ralt'],
  [0xe7, 'right_meta', 'right_win', 'right_gui', 'rmeta'],
];

/** Consumer page 0x0C (HUT 1.4 §15). */
const CONSUMER: ReadonlyArray<readonly [number, ...string[]]> = [
  [0x6f, 'brightness_up'],
  [0x70, 'brightness_down'],
  [0xb0, 'play'],
  [0xb1, 'media_pause'],
  [0xb2, 'record'],
  [0xb3, 'fast_forward'],
  [0xb4, 'rewind'],
  [0xb5, 'next_track', 'media_next'],
  [0xb6, 'prev_track', 'previous_track', 'media_prev'],
  [0xb7, 'media_stop'],
  [0xb8, 'eject'],
  [0xcd, 'play_pause', 'media_play_pause'],
  [0xe2, 'mute', 'volume_mute'],
  [0xe9, 'volume_up'],
  [0xea, 'volume_down'],
  [0x183, 'media_select'], // AL Consumer Control Configuration
  [0x18a, 'mail'], // AL Email Reader
  [0x192, 'calculator'], // AL Calculator
  [0x194, 'my_computer'], // AL Local Machine Browser
  [0x221, 'browser_search'], // AC Search
  [0x223, 'browser_home'], // AC Home
  [0x224, 'browser_back'], // AC Back
  [0x225, 'browser_forward'], // AC Forward
  [0x226, 'browser_stop'], // AC Stop
  [0x227, 'browser_refresh'], // AC Refresh
  [0x22a, 'browser_favorites'], // AC Bookmarks
];

/** Generic Desktop page 0x01, System Control collection (HUT 1.4 §4.5). */
const SYSTEM: ReadonlyArray<readonly [number, ...string[]]> = [
  [0x81, 'power', 'system_power', 'system_power_down'],
  [0x82, 'sleep', 'system_sleep'],
  [0x83, 'wake', 'system_wake', 'wake_up'],
];

function generatedKeyboardRows(): Array<readonly [number, ...string[]]> {
  const rows: Array<readonly [number, ...string[]]> = [];
  // a..z are 0x04..0x1D, 1..9 then 0 are 0x1E..0x27 (HUT §10).
  for (let i = 0; i < 26; i++) rows.push([0x04 + i, String.fromCharCode(97 + i)]);
  for (let i = 1; i <= 9; i++) rows.push([0x1d + i, String(i), `digit${i}`]);
  rows.push([0x27, '0', 'digit0']);
  // F1..F12 are 0x3A..0x45; F13..F24 are 0x68..0x73.
  for (let i = 1; i <= 12; i++) rows.push([0x39 + i, `f${i}`]);
  for (let i = 13; i <= 24; i++) rows.push([0x68 + i - 13, `f${i}`]);
  // Keypad 1..9 are 0x59..0x61 (keypad 0 is 0x62, above).
  for (let i = 1; i <= 9; i++) rows.push([0x58 + i, `kp_${i}`]);
  return rows;
}

function buildIndex(): { byName: Map<string, KeyDef>; canonical: KeyDef[] } {
  const byName = new Map<string, KeyDef>();
  const canonical: KeyDef[] = [];
  const add = (page: KeyPage, rows: ReadonlyArray<readonly [number, ...string[]]>) => {
    for (const [usage, ...names] of rows) {
      const def: KeyDef = { name: names[0]!, page, usage };
      canonical.push(def);
      for (const n of names) {
        if (byName.has(n)) throw new Error(`keys: duplicate key name ${n}`);
        byName.set(n, def);
      }
    }
  };
  add('keyboard', [...generatedKeyboardRows(), ...KEYBOARD]);
  add('consumer', CONSUMER);
  add('system', SYSTEM);
  return { byName, canonical };
}

const INDEX = buildIndex();

/** Looks a key up by name or alias (case-insensitive, `-` and ` ` taken as `_`). */
export function lookupKey(name: string): KeyDef | undefined {
  return INDEX.byName.get(normalizeKeyName(name));
}

export function normalizeKeyName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
}

/** Every key once, under its canonical name. */
export function allKeys(): readonly KeyDef[] {
  return INDEX.canonical;
}

/** Every accepted name (canonical and aliases). */
export function allKeyNames(): string[] {
  return [...INDEX.byName.keys()];
}

/** Keyboard usages 0xE0–0xE7 are the eight modifier bits of byte 0 (bit = usage − 0xE0). */
export function modifierBit(def: KeyDef): number {
  return def.page === 'keyboard' && def.usage >= 0xe0 && def.usage <= 0xe7 ? 1 << (def.usage - 0xe0) : 0;
}

export const MOD = {
  leftCtrl: 0x01,
  leftShift: 0x02,
  leftAlt: 0x04,
  leftMeta: 0x08,
  rightCtrl: 0x10,
  rightShift: 0x20,
  rightAlt: 0x40,
  rightMeta: 0x80,
} as const;
