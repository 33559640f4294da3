import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDIDS, hexText } from '../../../scripts/gen-edid.js';

const ROOT = path.resolve('overlays');
const out = mkdtempSync(path.join(tmpdir(), 'dtbo-'));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe('device-tree overlays', () => {
  const sources = walk(ROOT).filter((f) => f.endsWith('.dts'));
  it('exist for the Radxa ZERO 3W (USB OTG mainline and vendor, TC358743)', () => {
    expect(sources.map((f) => path.basename(f)).sort()).toEqual([
      'rk3566-tc358743-vendor.dts',
      'rk3566-usb-otg-peripheral-vendor.dts',
      'rk3566-usb-otg-peripheral.dts',
    ]);
  });
  for (const src of sources) {
    it(`${path.relative(ROOT, src)} compiles with dtc -@ into an overlay with fixups`, () => {
      const dtbo = path.join(out, `${path.basename(src, '.dts')}.dtbo`);
      execFileSync('dtc', ['-@', '-q', '-I', 'dts', '-O', 'dtb', '-o', dtbo, src]);
      // Decompiled back: the label references became __fixups__, which the loader resolves on the board.
      const back = execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', dtbo]).toString();
      expect(back).toContain('__fixups__');
      expect(back).toContain('rockchip,rk3566');
    });
  }
  it('puts the OTG port in peripheral mode', () => {
    for (const f of sources.filter((s) => s.includes('usb-otg')))
      expect(readFileSync(f, 'utf8')).toMatch(/dr_mode = "peripheral"/);
  });
});

describe('EDIDs', () => {
  for (const e of EDIDS) {
    it(`${e.file} is what the generator makes, and edid-decode finds it conformant`, () => {
      const file = path.join(ROOT, 'edid', e.file);
      const text = readFileSync(file, 'utf8');
      expect(text).toBe(hexText(e));
      const bin = Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
      expect(bin.length).toBe(128);
      expect(bin.reduce((a, b) => a + b, 0) % 256).toBe(0);
      const binFile = path.join(out, `${e.file}.bin`);
      writeFileSync(binFile, bin);
      const report = execFileSync('edid-decode', ['--check', binFile]).toString();
      expect(report).toContain('EDID conformity: PASS');
    });
  }
});
