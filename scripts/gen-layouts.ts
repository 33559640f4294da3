/**
 * Generates `src/hid/layouts/*.ts`: for each target layout, the key strokes that type each
 * character, read from the layout data Linux itself uses (Debian xkb-data, through libxkbcommon).
 *
 *   npx tsx scripts/gen-layouts.ts
 *
 * For every key the HID keyboard can send and each of four modifier states (none, Shift, AltGr,
 * Shift+AltGr) it asks xkb what the key produces. Characters come from single strokes where
 * possible; otherwise from a dead key followed by a base stroke, resolved through the en_US.UTF-8
 * Compose table (the same table X and Wayland apply). The cheapest stroke wins: fewer modifiers,
 * main block before keypad and before keys that ANSI keyboards lack.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mappedUsages, usageToEvdev } from '../src/hid/evdev.js';
import { MOD } from '../src/hid/keys.js';
import { LAYOUT_NAMES, type LayoutName, packChars } from '../src/hid/layout.js';
import { openXkb, type XkbKeymap } from '../src/hid/xkb.js';

/**
 * The Compose table (X11 locale) dead keys are resolved with: en_US.UTF-8, except for layouts
 * whose language's locale has its own table that changes a sequence (compose.dir):
 * fi_FI.UTF-8 makes dead ring + space '˚' where en_US makes '°' (kvmr0ck issue 18).
 */
export function composeLocale(name: LayoutName): string {
  return name === 'fi' ? 'fi_FI.UTF-8' : 'en_US.UTF-8';
}

/** Our layout name → xkb [layout, variant]. */
export const XKB_LAYOUTS: Record<LayoutName, readonly [string, string]> = {
  us: ['us', ''],
  'us-intl': ['us', 'intl'],
  uk: ['gb', ''],
  de: ['de', ''],
  'de-ch': ['ch', ''],
  fr: ['fr', ''],
  'fr-ch': ['ch', 'fr'],
  be: ['be', ''],
  es: ['es', ''],
  it: ['it', ''],
  pt: ['pt', ''],
  'pt-br': ['br', ''],
  nl: ['nl', ''],
  se: ['se', ''],
  no: ['no', ''],
  dk: ['dk', ''],
  fi: ['fi', ''],
  pl: ['pl', ''],
  cz: ['cz', ''],
  hu: ['hu', ''],
  ru: ['ru', ''],
  ua: ['ua', ''],
  jp: ['jp', ''],
  tr: ['tr', ''],
};

const SHIFT_EVDEV = 42;
const ALTGR_EVDEV = 100;
/**
 * Modifier states tried, with the report bits and the evdev keys xkb is given for them. AltGr
 * levels cost more than an ISO/JIS key: xkb adds many level-3/4 characters that other systems'
 * versions of the same layout lack, while the plain levels agree everywhere.
 */
const MOD_STATES = [
  { bits: 0, keys: [] as number[], cost: 0 },
  { bits: MOD.leftShift, keys: [SHIFT_EVDEV], cost: 1 },
  { bits: MOD.rightAlt, keys: [ALTGR_EVDEV], cost: 4 },
  { bits: MOD.leftShift | MOD.rightAlt, keys: [SHIFT_EVDEV, ALTGR_EVDEV], cost: 8 },
];

/** Keys that never type: modifiers and lock keys (Caps Lock would change later strokes). */
const SKIP = new Set([0x39, 0x47, 0x53, 0x32, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7]);

interface Stroke {
  usage: number;
  mods: number;
  sym: number;
  cost: number;
}

/** X11 dead keysyms (dead_grave 0xFE50 … dead_longsolidusoverlay 0xFE93). */
function isDead(sym: number): boolean {
  return sym >= 0xfe50 && sym <= 0xfe93;
}

function keyCost(usage: number): number {
  if (usage >= 0x54 && usage <= 0x63) return 16; // keypad: its meaning depends on Num Lock
  if (usage === 0x64 || usage > 0x65) return 2; // ISO/JIS extras: absent on ANSI keyboards
  return 0;
}

function typeable(cp: number): boolean {
  return cp === 0x09 || (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0));
}

export function generate(km: XkbKeymap, compose: ReturnType<ReturnType<typeof openXkb>['compose']>) {
  const best = new Map<string, { flat: number[]; cost: number }>();
  const offer = (ch: string, flat: number[], cost: number) => {
    const cur = best.get(ch);
    if (!cur || cost < cur.cost) best.set(ch, { flat, cost });
  };
  const strokes: Stroke[] = [];
  for (const usage of mappedUsages()) {
    if (SKIP.has(usage)) continue;
    const code = usageToEvdev(usage)!;
    for (const m of MOD_STATES) {
      const { sym, utf32 } = km.probe(m.keys, code);
      if (sym === 0) continue;
      const s: Stroke = { usage, mods: m.bits, sym, cost: m.cost + keyCost(usage) };
      strokes.push(s);
      if (!isDead(sym) && utf32 !== 0 && typeable(utf32)) {
        offer(String.fromCodePoint(utf32), [usage, m.bits], s.cost + usage / 1000);
      }
    }
  }
  for (const dead of strokes.filter((s) => isDead(s.sym))) {
    for (const base of strokes) {
      compose.reset();
      if (compose.feed(dead.sym) !== '') continue;
      const out = compose.feed(base.sym);
      if (!out || Array.from(out).length !== 1 || !typeable(out.codePointAt(0)!)) continue;
      offer(
        out,
        [dead.usage, dead.mods, base.usage, base.mods],
        40 + dead.cost + base.cost + base.usage / 1000,
      );
    }
  }
  // Enter is '\n' in text; xkb's Return gives '\r', which `LayoutRegistry.plan` folds into '\n'.
  best.set('\n', { flat: [0x28, 0], cost: 0 });
  return new Map(
    [...best].sort(([a], [b]) => a.codePointAt(0)! - b.codePointAt(0)!).map(([c, v]) => [c, v.flat]),
  );
}

function render(name: string, xkb: string, chars: Map<string, number[]>): string {
  return [
    `// Generated by scripts/gen-layouts.ts from xkb-data layout ${xkb}: do not edit.`,
    `// ${chars.size} characters, packed (see packedLayout): each is the character, its number of`,
    `// strokes, then per stroke the HID usage and the modifier bits (0x02 Shift, 0x40 AltGr) in hex.`,
    `import { type LayoutData, packedLayout } from '../layout.js';`,
    '',
    `export const layout: LayoutData = packedLayout(`,
    `  ${JSON.stringify(name)},`,
    `  ${JSON.stringify(xkb)},`,
    `  ${JSON.stringify(packChars(chars))},`,
    `);`,
    '',
  ].join('\n');
}

function ident(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

function main(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = path.join(root, 'src/hid/layouts');
  mkdirSync(outDir, { recursive: true });
  const xkb = openXkb();
  for (const name of LAYOUT_NAMES) {
    const [l, v] = XKB_LAYOUTS[name];
    const km = xkb.keymap(l, v);
    const compose = xkb.compose(composeLocale(name));
    const chars = generate(km, compose);
    compose.close();
    km.close();
    const xkbName = v ? `${l}(${v})` : l;
    writeFileSync(path.join(outDir, `${name}.ts`), render(name, xkbName, chars));
    process.stdout.write(`${name.padEnd(8)} ${xkbName.padEnd(10)} ${chars.size} characters\n`);
  }
  xkb.close();
  const index = [
    '// Generated by scripts/gen-layouts.ts: do not edit.',
    "import type { LayoutData } from '../layout.js';",
    ...LAYOUT_NAMES.map((n) => `import { layout as ${ident(n)} } from './${n}.js';`),
    '',
    `export const LAYOUTS: readonly LayoutData[] = [${LAYOUT_NAMES.map(ident).join(', ')}];`,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'index.ts'), index);
  // Committed output must pass the project's formatter as generated.
  spawnSync('npx', ['biome', 'check', '--write', outDir], { cwd: root, stdio: 'ignore' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
