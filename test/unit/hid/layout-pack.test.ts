import { describe, expect, it } from 'vitest';
import { LayoutRegistry, packChars, packedLayout } from '../../../src/hid/layout.js';

describe('packed layout data', () => {
  const chars: [string, number[]][] = [
    ['a', [0x04, 0x00]],
    ['1', [0x1e, 0x00]], // a digit character right after a count digit
    ['ã', [0x30, 0x40, 0x04, 0x00]], // dead key, then the base key
    ['😀', [0x05, 0x02]], // outside the BMP: two UTF-16 units
  ];

  it('unpacks to exactly what was packed, and types from it', () => {
    const l = packedLayout('t', 't', packChars(chars));
    expect(l.chars).toEqual(Object.fromEntries(chars));
    const reg = new LayoutRegistry([l]);
    expect(reg.plan('ã1😀', 't')).toEqual([
      [
        { usage: 0x30, mods: 0x40 },
        { usage: 0x04, mods: 0 },
      ],
      [{ usage: 0x1e, mods: 0 }],
      [{ usage: 0x05, mods: 0x02 }],
    ]);
  });

  it('names the layout and the offset when the packed data is broken', () => {
    const broken = packedLayout('t', 't', `${packChars(chars).slice(0, 8)}zz`);
    expect(() => broken.chars).toThrow(/layout t: packed data broken at offset/);
  });

  it('refuses to pack what it could not unpack', () => {
    expect(() => packChars([['ab', [4, 0]]])).toThrow(/cannot pack/);
    expect(() => packChars([['a', [0x104, 0]]])).toThrow(/cannot pack/);
  });
});
