// Turns host-side evdev key events back into text the way a desktop does, through libxkbcommon's
// keymap for the layout and the locale's Compose table (dead keys): none of the daemon's layout
// tables is involved, so a wrong report shows up as wrong text.
import { reportKeyEvents } from '../../../dist/src/hid/evdev.js';
import { decodeKeyEvents, openXkb } from '../../../dist/src/hid/xkb.js';

const EV_KEY = 1;

let xkb = null; // one per process: koffi refuses to declare its types twice

/** `streams`: the raw events of each host-side device, in order (see decodeKeyEvents). */
export function decodeKeys(streams, layout, variant = '', locale = 'de_DE.UTF-8') {
  xkb ??= openXkb();
  const keymap = xkb.keymap(layout, variant);
  const compose = xkb.compose(locale);
  try {
    const keyEvents = streams.map((events) =>
      events
        .filter((e) => e.t === EV_KEY)
        .map((e) => ({ code: e.c, down: e.v !== 0, repeat: e.v === 2, ms: e.ms })),
    );
    // SYN_DROPPED: the reader fell behind and evdev threw events away (a fault of the instrument).
    const dropped = streams.flat().filter((e) => e.t === 0 && e.c === 3).length;
    return { ...decodeKeyEvents(keymap, compose, keyEvents), dropped };
  } finally {
    compose.close();
    keymap.close();
  }
}

/** Keyboard reports as the host took them (usbmon), applied the way Linux's hid-input does. */
export function decodeReports(reports, layout, variant = '', locale = 'de_DE.UTF-8') {
  xkb ??= openXkb();
  const keymap = xkb.keymap(layout, variant);
  const compose = xkb.compose(locale);
  try {
    return decodeKeyEvents(keymap, compose, [reportKeyEvents(reports)]);
  } finally {
    compose.close();
    keymap.close();
  }
}

/** Where `got` first differs from `want`, with a little context, or '' when equal. */
export function firstDifference(got, want) {
  if (got === want) return '';
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const around = (s) => JSON.stringify(s.slice(Math.max(0, i - 15), i + 15));
  return `differs at ${i} (got ${got.length}, want ${want.length} chars): got ${around(got)} want ${around(want)}`;
}
