import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, ConfigSchema } from '../../../src/config/schema.js';
import { type AppState, initialAppState } from '../../../src/core/app-state.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/log.js';
import { StateStore } from '../../../src/core/state.js';
import { type ConfigfsOps, realConfigfs } from '../../../src/gadget/configfs.js';
import { hidDevices } from '../../../src/gadget/functions.js';
import { gadgetDown, gadgetStatus, gadgetUp } from '../../../src/gadget/gadget.js';
import { describeChange } from '../../../src/gadget/plan.js';
import { UsbStateMonitor } from '../../../src/gadget/udc.js';
import { FUNCTION_SPECS } from '../../../src/hid/descriptors.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/**
 * configfs removes a directory with its attribute files and its (empty) default groups such as
 * `strings/`; a plain temp directory needs them gone first. A leftover symlink or a non-empty
 * subdirectory still fails, as it does on configfs.
 */
const configfsLike: ConfigfsOps = {
  ...realConfigfs,
  rmdir(p) {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const sub = path.join(p, e.name);
      if (e.isFile()) rmSync(sub);
      else if (e.isDirectory() && readdirSync(sub).length === 0) rmdirSync(sub);
    }
    rmdirSync(p);
  },
};

function setup(udcs: string[] = ['dummy_udc.0'], gadget: Record<string, unknown> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-gadget-'));
  roots.push(root);
  const paths = {
    dev: path.join(root, 'dev'),
    sys: path.join(root, 'sys'),
    configfs: path.join(root, 'configfs'),
    state: path.join(root, 'state'),
  };
  mkdirSync(path.join(paths.configfs, 'usb_gadget'), { recursive: true });
  for (const u of udcs) {
    mkdirSync(path.join(paths.sys, 'class/udc', u), { recursive: true });
    writeFileSync(path.join(paths.sys, 'class/udc', u, 'state'), 'configured\n');
  }
  const config = Value.Default(ConfigSchema, { paths, gadget }) as Config;
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(String(JSON.parse(l).msg));
        cb();
      },
    }),
  });
  const dir = path.join(paths.configfs, 'usb_gadget/kvmr0ck');
  const up = (c: Config = config) => gadgetUp({ ...c, log, ops: configfsLike }).map(describeChange);
  const down = () => gadgetDown({ ...config, log, ops: configfsLike }).map(describeChange);
  const withGadget = (g: Record<string, unknown>) =>
    Value.Default(ConfigSchema, { paths, gadget: { ...gadget, ...g } }) as Config;
  return { root, paths, config, lines, dir, up, down, withGadget, log };
}

describe('gadget up', () => {
  it('builds the gadget from config, logging every change, and binds the only UDC', () => {
    const t = setup();
    const changes = t.up();
    expect(changes.slice(0, 5)).toEqual([
      'MKDIR .',
      'MKDIR strings/0x409',
      'MKDIR configs/c.1',
      'MKDIR configs/c.1/strings/0x409',
      'MKDIR functions/hid.keyboard',
    ]);
    expect(changes).toContain('WRITE idVendor = "0x1d6b"');
    expect(changes).toContain('WRITE functions/hid.keyboard/protocol = "1"');
    expect(changes).toContain('WRITE functions/hid.mouse_rel/protocol = "2"');
    expect(changes).toContain('SYMLINK configs/c.1/hid.mouse -> functions/hid.mouse');
    expect(changes.at(-1)).toBe('WRITE UDC = "dummy_udc.0"');
    expect(changes.some((c) => c.includes('hid.consumer'))).toBe(false);
    expect(t.lines.filter((l) => l.startsWith('gadget: '))).toEqual([
      ...changes.map((c) => `gadget: ${c}`),
      'gadget: up on dummy_udc.0',
    ]);
    expect(readFileSync(path.join(t.dir, 'functions/hid.keyboard/report_desc'))).toEqual(
      Buffer.from(FUNCTION_SPECS.keyboard.descriptor),
    );
    expect(readlinkSync(path.join(t.dir, 'configs/c.1/hid.keyboard'))).toBe(
      path.join(t.dir, 'functions/hid.keyboard'),
    );
    expect(readFileSync(path.join(t.dir, 'UDC'), 'utf8')).toBe('dummy_udc.0');
  });

  it('is idempotent: a second run changes nothing', () => {
    const t = setup();
    t.up();
    expect(t.up()).toEqual([]);
    expect(gadgetStatus(t.config)).toMatchObject({
      present: true,
      udc: 'dummy_udc.0',
      state: 'configured',
      upToDate: true,
    });
  });

  it('adding a function relinks it unbound and changes bcdDevice so hosts re-read the descriptors', () => {
    const t = setup();
    t.up();
    const bcdBefore = readFileSync(path.join(t.dir, 'bcdDevice'), 'utf8');
    const changes = t.up(t.withGadget({ functions: { consumer: true } }));
    expect(changes[0]).toBe('WRITE UDC = ""');
    expect(changes.slice(1, 4)).toEqual([
      'UNLINK configs/c.1/hid.keyboard',
      'UNLINK configs/c.1/hid.mouse',
      'UNLINK configs/c.1/hid.mouse_rel',
    ]);
    expect(changes).toContain('MKDIR functions/hid.consumer');
    expect(changes.find((c) => c.startsWith('WRITE bcdDevice'))).toBeDefined();
    expect(changes.at(-1)).toBe('WRITE UDC = "dummy_udc.0"');
    expect(readFileSync(path.join(t.dir, 'bcdDevice'), 'utf8')).not.toBe(bcdBefore);
    expect(lstatSync(path.join(t.dir, 'configs/c.1/hid.consumer')).isSymbolicLink()).toBe(true);
  });

  it('removing a function removes its directory; a string change only rebinds', () => {
    const t = setup();
    t.up();
    const removed = t.up(t.withGadget({ functions: { mouse_rel: false } }));
    expect(removed).toContain('RMDIR functions/hid.mouse_rel');
    expect(existsSync(path.join(t.dir, 'functions/hid.mouse_rel'))).toBe(false);
    const renamed = t.up(t.withGadget({ functions: { mouse_rel: false }, product: 'Desk KVM' }));
    expect(renamed).toEqual([
      'WRITE UDC = ""',
      'WRITE strings/0x409/product = "Desk KVM"',
      'WRITE UDC = "dummy_udc.0"',
    ]);
  });

  it('refuses clearly when there is no UDC: the OTG port must be in peripheral mode', () => {
    const t = setup([]);
    expect(() => gadgetUp({ ...t.config, log: t.log })).toThrow(/peripheral \(or otg\) mode.*overlays/);
    expect(existsSync(t.dir)).toBe(false);
  });

  it('needs gadget.udc when there are several, and checks the one named', () => {
    const t = setup(['a.udc', 'b.udc']);
    expect(() => t.up()).toThrow(/several USB device controllers \(a.udc, b.udc\): set gadget.udc/);
    expect(t.up(t.withGadget({ udc: 'b.udc' })).at(-1)).toBe('WRITE UDC = "b.udc"');
    expect(() => t.up(t.withGadget({ udc: 'c.udc' }))).toThrow(/'c.udc' not found; present: a.udc, b.udc/);
  });
});

describe('gadget down', () => {
  it('unbinds and removes everything in the kernel’s order', () => {
    const t = setup();
    t.up();
    expect(t.down()).toEqual([
      'WRITE UDC = ""',
      'UNLINK configs/c.1/hid.keyboard',
      'UNLINK configs/c.1/hid.mouse',
      'UNLINK configs/c.1/hid.mouse_rel',
      'RMDIR configs/c.1/strings/0x409',
      'RMDIR configs/c.1',
      'RMDIR functions/hid.keyboard',
      'RMDIR functions/hid.mouse',
      'RMDIR functions/hid.mouse_rel',
      'RMDIR strings/0x409',
      'RMDIR .',
    ]);
    expect(existsSync(t.dir)).toBe(false);
    expect(t.down()).toEqual([]);
    expect(gadgetStatus(t.config)).toMatchObject({ present: false, upToDate: false });
  });
});

describe('devices and USB state', () => {
  it('finds /dev/hidgN from the minor number configfs reports', () => {
    const t = setup();
    t.up();
    writeFileSync(path.join(t.dir, 'functions/hid.keyboard/dev'), '239:3\n');
    expect(hidDevices(t.paths, t.config.gadget)).toEqual([
      { fn: 'keyboard', path: path.join(t.paths.dev, 'hidg3') },
      { fn: 'mouse', path: path.join(t.paths.dev, 'hidg1') },
      { fn: 'mouse_rel', path: path.join(t.paths.dev, 'hidg2') },
    ]);
  });

  it('puts the UDC state into state `usb` and follows it', async () => {
    const t = setup();
    const clock = new FakeClock();
    const store = new StateStore<AppState>(initialAppState());
    const mon = new UsbStateMonitor({ paths: t.paths, udc: '', pollMs: 1000, clock, store });
    await mon.start();
    expect(store.slice('usb')).toEqual({ udc: 'dummy_udc.0', state: 'configured' });
    writeFileSync(path.join(t.paths.sys, 'class/udc/dummy_udc.0/state'), 'suspended\n');
    await clock.advance(1000);
    expect(store.slice('usb').state).toBe('suspended');
    await mon.stop();
    expect(clock.pending()).toBe(0);
  });
});
