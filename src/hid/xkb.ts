import koffi from 'koffi';

/**
 * A minimal libxkbcommon binding through koffi, for the layout generator and the test that proves
 * its output; the daemon itself never loads it. Keycodes here are evdev codes (xkb adds 8).
 */
export interface Xkb {
  /** A keymap for an xkb layout and variant from the system's xkb-data (`rules: evdev`). */
  keymap(layout: string, variant: string): XkbKeymap;
  compose(): XkbCompose;
  close(): void;
}

export interface XkbKeymap {
  /** In a fresh state, presses `mods` (evdev codes) then `key`: the keysym and character the key gives. */
  probe(mods: readonly number[], key: number): { sym: number; utf32: number };
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

export function openXkb(composeLocale = 'en_US.UTF-8'): Xkb {
  const lib = koffi.load('libxkbcommon.so.0');
  const RuleNames = koffi.struct('xkb_rule_names', {
    rules: 'const char *',
    model: 'const char *',
    layout: 'const char *',
    variant: 'const char *',
    options: 'const char *',
  });
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
        close: () => f.keymapUnref(km),
      };
    },
    compose() {
      const table = f.composeTable(ctx, composeLocale, 0);
      if (!table) throw new Error(`xkb: no Compose table for ${composeLocale} (Debian package libx11-data)`);
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
