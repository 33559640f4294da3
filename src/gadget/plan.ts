import { FUNCTION_SPECS } from '../hid/descriptors.js';
import type { GadgetConfig } from './config.js';
import { enabledFunctions } from './functions.js';

/**
 * The configfs change set, planned without touching the filesystem (the way JetKVM plans its
 * gadget): from the wanted gadget and what configfs holds now, the list of MKDIR / WRITE /
 * SYMLINK / UNLINK / RMDIR steps, in the order the kernel accepts them (Linux
 * Documentation/usb/gadget_configfs.rst). Paths are relative to the gadget's directory.
 */
export type Change =
  | { op: 'MKDIR'; path: string }
  | { op: 'WRITE'; path: string; value: string | Uint8Array }
  | { op: 'SYMLINK'; path: string; target: string }
  | { op: 'UNLINK'; path: string }
  | { op: 'RMDIR'; path: string };

export type AttrKind = 'num' | 'str' | 'bin';

export interface Attr {
  path: string;
  value: string | Uint8Array;
  kind: AttrKind;
}

export interface DesiredGadget {
  /** Directories to exist, parents first. */
  dirs: string[];
  attrs: Attr[];
  /** Symlinks of functions into the configuration. */
  links: Array<{ path: string; target: string }>;
  udc: string;
}

/** What configfs holds now, read by `readCurrent` for the paths the plan cares about. */
export interface CurrentGadget {
  exists: boolean;
  /** Attribute contents by relative path (only those asked for). */
  attrs: Map<string, Uint8Array>;
  /** Function directories present, e.g. `functions/hid.keyboard`. */
  functions: string[];
  /** Symlinks in the configuration, e.g. `configs/c.1/hid.keyboard`. */
  links: string[];
  /** Bound UDC, '' when unbound. */
  udc: string;
}

export const CONFIG_DIR = 'configs/c.1';
const LANG = '0x409'; // US English, the string table hosts ask for first (USB 2.0 §9.6.7)

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/**
 * bcdDevice carries a hash of every report descriptor and the function list. Hosts (Windows
 * above all) cache descriptors per VID/PID/bcdDevice: when our descriptors change, the number
 * changes and the host re-reads them. The same descriptors give the same number, so `up` stays
 * idempotent without remembering anything.
 */
export function bcdDevice(g: GadgetConfig): number {
  let h = 0x811c9dc5; // FNV-1a
  for (const fn of enabledFunctions(g)) {
    for (const b of [...Buffer.from(fn), ...FUNCTION_SPECS[fn].descriptor]) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return 0x0100 | (h & 0xff);
}

export function desiredGadget(g: GadgetConfig, udc: string): DesiredGadget {
  const fns = enabledFunctions(g);
  const attrs: Attr[] = [
    { path: 'idVendor', value: hex4(g.vendor_id), kind: 'num' },
    { path: 'idProduct', value: hex4(g.product_id), kind: 'num' },
    { path: 'bcdDevice', value: hex4(bcdDevice(g)), kind: 'num' },
    { path: 'bcdUSB', value: '0x0200', kind: 'num' }, // USB 2.0
    { path: `strings/${LANG}/manufacturer`, value: g.manufacturer, kind: 'str' },
    { path: `strings/${LANG}/product`, value: g.product, kind: 'str' },
    { path: `strings/${LANG}/serialnumber`, value: g.serial, kind: 'str' },
    // bmAttributes: bit 7 must be set (USB 2.0 §9.6.3), bit 5 = remote wakeup, so a key press
    // can wake a sleeping target.
    { path: `${CONFIG_DIR}/bmAttributes`, value: '0xa0', kind: 'num' },
    { path: `${CONFIG_DIR}/MaxPower`, value: String(g.max_power_ma), kind: 'num' },
    { path: `${CONFIG_DIR}/strings/${LANG}/configuration`, value: 'kvmr0ck HID', kind: 'str' },
  ];
  const dirs = ['', `strings/${LANG}`, CONFIG_DIR, `${CONFIG_DIR}/strings/${LANG}`];
  for (const fn of fns) {
    const spec = FUNCTION_SPECS[fn];
    const dir = `functions/hid.${fn}`;
    dirs.push(dir);
    attrs.push(
      { path: `${dir}/protocol`, value: String(spec.protocol), kind: 'num' },
      { path: `${dir}/subclass`, value: String(spec.subclass), kind: 'num' },
      { path: `${dir}/report_length`, value: String(spec.reportLength), kind: 'num' },
      { path: `${dir}/report_desc`, value: spec.descriptor, kind: 'bin' },
    );
  }
  const links = fns.map((fn) => ({ path: `${CONFIG_DIR}/hid.${fn}`, target: `functions/hid.${fn}` }));
  return { dirs, attrs, links, udc };
}

export function sameValue(a: Attr, current: Uint8Array | undefined): boolean {
  if (!current) return false;
  if (a.kind === 'bin') return Buffer.compare(Buffer.from(a.value as Uint8Array), Buffer.from(current)) === 0;
  const text = Buffer.from(current).toString('utf8').trim();
  if (a.kind === 'num') return Number(text) === Number(a.value);
  return text === a.value;
}

/** The steps from `current` to `want`; empty when configfs already matches (idempotent `up`). */
export function planUp(want: DesiredGadget, current: CurrentGadget): Change[] {
  const wantFns = new Set(want.links.map((l) => l.target));
  const wantLinks = new Set(want.links.map((l) => l.path));
  const changed = want.attrs.filter((a) => !sameValue(a, current.attrs.get(a.path)));
  const extraFns = current.functions.filter((f) => !wantFns.has(f));
  const extraLinks = current.links.filter((l) => !wantLinks.has(l));
  const missingLinks = want.links.filter((l) => !current.links.includes(l.path));
  if (
    current.exists &&
    changed.length === 0 &&
    extraFns.length === 0 &&
    extraLinks.length === 0 &&
    missingLinks.length === 0 &&
    current.udc === want.udc
  ) {
    return [];
  }
  const out: Change[] = [];
  // Nothing can change under a bound gadget, and f_hid attributes are locked (EBUSY) while the
  // function is linked into a configuration: unbind, and unlink if a function changes.
  if (current.udc) out.push({ op: 'WRITE', path: 'UDC', value: '' });
  const fnChanged = changed.some((a) => a.path.startsWith('functions/')) || extraFns.length > 0;
  const unlinked = fnChanged ? current.links : extraLinks;
  for (const l of unlinked) out.push({ op: 'UNLINK', path: l });
  for (const f of extraFns) out.push({ op: 'RMDIR', path: f });
  const present = new Set(current.exists ? ['', ...current.functions, ...dirsOf(current)] : []);
  for (const d of want.dirs) if (!present.has(d)) out.push({ op: 'MKDIR', path: d });
  for (const a of changed) out.push({ op: 'WRITE', path: a.path, value: a.value });
  for (const l of want.links) {
    if (!current.links.includes(l.path) || unlinked.includes(l.path)) {
      out.push({ op: 'SYMLINK', path: l.path, target: l.target });
    }
  }
  if (want.udc) out.push({ op: 'WRITE', path: 'UDC', value: want.udc });
  return out;
}

/** Directories that exist whenever any attribute below them was read. */
function dirsOf(current: CurrentGadget): string[] {
  const dirs = new Set<string>();
  for (const p of current.attrs.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs];
}

/** Tear-down in the kernel's order: unbind, unlink functions, remove config, functions, strings, gadget. */
export function planDown(current: CurrentGadget): Change[] {
  if (!current.exists) return [];
  const out: Change[] = [];
  if (current.udc) out.push({ op: 'WRITE', path: 'UDC', value: '' });
  for (const l of current.links) out.push({ op: 'UNLINK', path: l });
  out.push({ op: 'RMDIR', path: `${CONFIG_DIR}/strings/${LANG}` }, { op: 'RMDIR', path: CONFIG_DIR });
  for (const f of current.functions) out.push({ op: 'RMDIR', path: f });
  out.push({ op: 'RMDIR', path: `strings/${LANG}` }, { op: 'RMDIR', path: '' });
  return out;
}

/** One log line per change, as kvmd logs its gadget setup. */
export function describeChange(c: Change): string {
  switch (c.op) {
    case 'WRITE':
      return typeof c.value === 'string'
        ? `WRITE ${c.path} = ${JSON.stringify(c.value)}`
        : `WRITE ${c.path} (${c.value.length} bytes: ${Buffer.from(c.value).toString('hex')})`;
    case 'SYMLINK':
      return `SYMLINK ${c.path} -> ${c.target}`;
    default:
      return `${c.op} ${c.path || '.'}`;
  }
}
