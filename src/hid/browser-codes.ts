/**
 * Browser `KeyboardEvent.code` values (W3C "UI Events KeyboardEvent code Values") → our key names,
 * for the web panel. `code` names the physical key position, independent of the viewer's layout,
 * which is what a KVM must forward: the target applies its own layout.
 */
const FIXED: Record<string, string> = {
  Enter: 'enter',
  Escape: 'escape',
  Backspace: 'backspace',
  Tab: 'tab',
  Space: 'space',
  Minus: 'minus',
  Equal: 'equal',
  BracketLeft: 'left_bracket',
  BracketRight: 'right_bracket',
  // On ISO boards browsers also report the key left of Enter (HUT 0x32) as Backslash; Linux and
  // Windows map 0x31 and 0x32 to the same scancode, so one mapping serves both.
  Backslash: 'backslash',
  Semicolon: 'semicolon',
  Quote: 'apostrophe',
  Backquote: 'grave',
  Comma: 'comma',
  Period: 'period',
  Slash: 'slash',
  CapsLock: 'caps_lock',
  PrintScreen: 'print_screen',
  ScrollLock: 'scroll_lock',
  Pause: 'pause',
  Insert: 'insert',
  Home: 'home',
  PageUp: 'page_up',
  Delete: 'delete',
  End: 'end',
  PageDown: 'page_down',
  ArrowRight: 'right',
  ArrowLeft: 'left',
  ArrowDown: 'down',
  ArrowUp: 'up',
  NumLock: 'num_lock',
  NumpadDivide: 'kp_divide',
  NumpadMultiply: 'kp_multiply',
  NumpadSubtract: 'kp_minus',
  NumpadAdd: 'kp_plus',
  NumpadEnter: 'kp_enter',
  NumpadDecimal: 'kp_decimal',
  NumpadEqual: 'kp_equal',
  NumpadComma: 'kp_comma',
  NumpadParenLeft: 'kp_left_paren',
  NumpadParenRight: 'kp_right_paren',
  NumpadBackspace: 'kp_backspace',
  NumpadClear: 'kp_clear',
  IntlBackslash: 'non_us_backslash',
  IntlRo: 'international1',
  KanaMode: 'international2',
  IntlYen: 'international3',
  Convert: 'international4',
  NonConvert: 'international5',
  Lang1: 'lang1',
  Lang2: 'lang2',
  Lang3: 'lang3',
  Lang4: 'lang4',
  Lang5: 'lang5',
  ContextMenu: 'application',
  Power: 'power',
  Sleep: 'sleep',
  WakeUp: 'wake',
  Help: 'help',
  Select: 'select',
  Again: 'again',
  Undo: 'undo',
  Cut: 'cut',
  Copy: 'copy',
  Paste: 'paste',
  Find: 'find',
  Props: 'keyboard_menu',
  Open: 'execute',
  ControlLeft: 'left_ctrl',
  ShiftLeft: 'left_shift',
  AltLeft: 'left_alt',
  MetaLeft: 'left_meta',
  OSLeft: 'left_meta', // pre-2017 Firefox name
  ControlRight: 'right_ctrl',
  ShiftRight: 'right_shift',
  AltRight: 'right_alt',
  MetaRight: 'right_meta',
  OSRight: 'right_meta',
  AudioVolumeMute: 'mute',
  AudioVolumeUp: 'volume_up',
  AudioVolumeDown: 'volume_down',
  VolumeMute: 'mute', // older Chrome names
  VolumeUp: 'volume_up',
  VolumeDown: 'volume_down',
  MediaPlayPause: 'play_pause',
  MediaStop: 'media_stop',
  MediaTrackNext: 'next_track',
  MediaTrackPrevious: 'prev_track',
  MediaSelect: 'media_select',
  Eject: 'eject',
  LaunchMail: 'mail',
  LaunchApp1: 'my_computer',
  LaunchApp2: 'calculator',
  BrowserHome: 'browser_home',
  BrowserBack: 'browser_back',
  BrowserForward: 'browser_forward',
  BrowserRefresh: 'browser_refresh',
  BrowserSearch: 'browser_search',
  BrowserStop: 'browser_stop',
  BrowserFavorites: 'browser_favorites',
  BrightnessUp: 'brightness_up',
  BrightnessDown: 'brightness_down',
};

function build(): Map<string, string> {
  const m = new Map(Object.entries(FIXED));
  for (let i = 0; i < 26; i++) {
    const c = String.fromCharCode(65 + i);
    m.set(`Key${c}`, c.toLowerCase());
  }
  for (let i = 0; i <= 9; i++) {
    m.set(`Digit${i}`, String(i));
    m.set(`Numpad${i}`, `kp_${i}`);
  }
  for (let i = 1; i <= 24; i++) m.set(`F${i}`, `f${i}`);
  return m;
}

const CODES = build();

/** Our key name for a browser `KeyboardEvent.code`, or undefined for codes we do not send. */
export function keyNameForCode(code: string): string | undefined {
  return CODES.get(code);
}

/** The whole table, for the web panel (which may ship it to the browser). */
export function browserCodeTable(): Readonly<Record<string, string>> {
  return Object.fromEntries(CODES);
}
