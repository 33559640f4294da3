import koffi from 'koffi';

type KoffiType = ReturnType<typeof koffi.struct>;

/**
 * A minimal libxkbcommon binding through koffi, for the layout generator and the test that proves
 * its output; the daemon itself never loads it. Keycodes here are evdev codes (xkb adds 8).
 */
export interface Xkb {
  /** A keymap for an xkb layout and variant from the system's xkb-data (`rules: evdev`). */
  keymap(layout: string, variant: string): XkbKeymap;
  /** The Compose table of `locale`, default the one given to `openXkb`. */
  compose(locale?: string): XkbCompose;
  close(): void;
}

export interface XkbKeymap {
  /** In a fresh state, presses `mods` (evdev codes) then `key`: the keysym and character the key gives. */
  probe(mods: readonly number[], key: number): { sym: number; utf32: number };
  /** A key state that lives across calls, for decoding a stream of key events. */
  state(): XkbState;
  close(): void;
}

export interface XkbState {
  /** A key event (evdev code): on a press, the keysym and character it gives under the keys already down. */
  key(code: number, down: boolean): { sym: number; utf32: number };
  close(): void;
}

export interface XkbCompose {
  /** Feeds one keysym; returns the composed text when a sequence completes, '' while composing, null if none. */
  feed(sym: number): string | null;
  reset(): void;
  close(): void;
}

const KEY_UP = 0;
const KEY_DOWN = 1;
const COMPOSE_COMPOSING = 1;
const COMPOSE_COMPOSED = 2;
const COMPOSE_CANCELLED = 3;

let ruleNames: KoffiType | null = null;

function ruleNamesType(): KoffiType {
  ruleNames ??= koffi.struct('xkb_rule_names', {
    rules: 'const char *',
    model: 'const char *',
    layout: 'const char *',
    variant: 'const char *',
    options: 'const char *',
  });
  return ruleNames;
}

export function openXkb(composeLocale = 'en_US.UTF-8'): Xkb {
  const lib = koffi.load('libxkbcommon.so.0');
  // koffi keeps named types for the whole process: a second openXkb (another test file in the
  // same worker) must reuse the first one's, or koffi throws "Duplicate type name".
  const RuleNames = ruleNamesType();
  const f = {
    contextNew: lib.func('void *xkb_context_new(int flags)'),
    contextUnref: lib.func('void xkb_context_unref(void *ctx)'),
    keymapNew: lib.func('xkb_keymap_new_from_names', 'void *', ['void *', koffi.pointer(RuleNames), 'int']),
    keymapUnref: lib.func('void xkb_keymap_unref(void *keymap)'),
    stateNew: lib.func('void *xkb_state_new(void *keymap)'),
    stateUnref: lib.func('void xkb_state_unref(void *state)'),
    updateKey: lib.func('int xkb_state_update_key(void *state, uint32_t key, int direction)'),
    oneSym: lib.func('uint32_t xkb_state_key_get_one_sym(void *state, uint32_t key)'),
    utf32: lib.func('uint32_t xkb_state_key_get_utf32(void *state, uint32_t key)'),
    composeTable: lib.func(
      'void *xkb_compose_table_new_from_locale(void *ctx, const char *locale, int flags)',
    ),
    composeTableUnref: lib.func('void xkb_compose_table_unref(void *table)'),
    composeStateNew: lib.func('void *xkb_compose_state_new(void *table, int flags)'),
    composeStateUnref: lib.func('void xkb_compose_state_unref(void *state)'),
    composeFeed: lib.func('int xkb_compose_state_feed(void *state, uint32_t sym)'),
    composeReset: lib.func('void xkb_compose_state_reset(void *state)'),
    composeStatus: lib.func('int xkb_compose_state_get_status(void *state)'),
    composeUtf8: lib.func('int xkb_compose_state_get_utf8(void *state, _Out_ uint8_t *buf, size_t size)'),
  };
  const ctx = f.contextNew(0);
  if (!ctx) throw new Error('xkb_context_new failed');
  return {
    keymap(layout, variant) {
      const km = f.keymapNew(ctx, { rules: 'evdev', model: 'pc105', layout, variant, options: null }, 0);
      if (!km) throw new Error(`xkb: no keymap for layout '${layout}' variant '${variant}'`);
      return {
        probe(mods, key) {
          const st = f.stateNew(km);
          for (const m of mods) f.updateKey(st, m + 8, KEY_DOWN);
          f.updateKey(st, key + 8, KEY_DOWN);
          const r = { sym: f.oneSym(st, key + 8) as number, utf32: f.utf32(st, key + 8) as number };
          f.updateKey(st, key + 8, KEY_UP);
          for (const m of mods) f.updateKey(st, m + 8, KEY_UP);
          f.stateUnref(st);
          return r;
        },
        state() {
          const st = f.stateNew(km);
          return {
            key(code, down) {
              const r = down
                ? { sym: f.oneSym(st, code + 8) as number, utf32: f.utf32(st, code + 8) as number }
                : { sym: 0, utf32: 0 };
              f.updateKey(st, code + 8, down ? KEY_DOWN : KEY_UP);
              return r;
            },
            close: () => f.stateUnref(st),
          };
        },
        close: () => f.keymapUnref(km),
      };
    },
    compose(locale = composeLocale) {
      const table = f.composeTable(ctx, locale, 0);
      if (!table) throw new Error(`xkb: no Compose table for ${locale} (Debian package libx11-data)`);
      const st = f.composeStateNew(table, 0);
      const buf = Buffer.alloc(64);
      return {
        feed(sym) {
          f.composeFeed(st, sym);
          const status = f.composeStatus(st) as number;
          if (status === COMPOSE_COMPOSING) return '';
          if (status === COMPOSE_CANCELLED) {
            f.composeReset(st);
            return null;
          }
          if (status !== COMPOSE_COMPOSED) return null;
          const n = f.composeUtf8(st, buf, buf.length) as number;
          f.composeReset(st);
          return buf.subarray(0, n).toString('utf8');
        },
        reset: () => f.composeReset(st),
        close() {
          f.composeStateUnref(st);
          f.composeTableUnref(table);
        },
      };
    },
    close: () => f.contextUnref(ctx),
  };
}

/** A host-side key event (evdev code); `repeat` is the kernel's autorepeat (value 2). */
export interface KeyEvent {
  code: number;
  down: boolean;
  repeat?: boolean;
  /** Event time in ms, for hold times. */
  ms?: number;
}

/** evdev codes of Ctrl, Shift, Alt, Meta (left and right): no text of their own. */
const MODIFIER_CODES = new Set([29, 42, 54, 56, 97, 100, 125, 126]);

/**
 * Turns key events back into text the way a desktop does: the keymap's state (modifiers, AltGr
 * levels) and the Compose table (dead keys). Each stream is one device with its own key state (a
 * device that went away and came back is a new stream); the Compose state runs on across them.
 * Also counts autorepeats and the longest a non-modifier key was held.
 */
export function decodeKeyEvents(
  km: XkbKeymap,
  compose: XkbCompose,
  streams: readonly (readonly KeyEvent[])[],
): { text: string; repeats: number; maxHoldMs: number } {
  let text = '';
  let repeats = 0;
  let maxHoldMs = 0;
  for (const events of streams) {
    const st = km.state();
    const downAt = new Map<number, number>();
    for (const e of events) {
      const modifier = MODIFIER_CODES.has(e.code);
      if (e.repeat) {
        if (!modifier) repeats++;
        continue;
      }
      if (e.down) downAt.set(e.code, e.ms ?? 0);
      else if (downAt.has(e.code)) {
        if (!modifier) maxHoldMs = Math.max(maxHoldMs, (e.ms ?? 0) - downAt.get(e.code)!);
        downAt.delete(e.code);
      }
      const { sym, utf32 } = st.key(e.code, e.down);
      if (!e.down || modifier) continue;
      const composed = compose.feed(sym);
      if (composed === '') continue; // a dead key: the next key completes it
      if (composed !== null) text += composed;
      else if (utf32 > 0) text += utf32 === 13 ? '\n' : String.fromCodePoint(utf32);
    }
    st.close();
  }
  return { text, repeats, maxHoldMs };
}
