import { describe, expect, it } from 'vitest';
import * as D from '../../../src/hid/descriptors.js';
import { type DescriptorItem, FUNCTION_SPECS } from '../../../src/hid/descriptors.js';
import {
  encodeConsumer,
  encodeKeyboard,
  encodeMouseAbs,
  encodeMouseRel,
  encodeSystem,
  splitRel,
} from '../../../src/hid/reports.js';
import { toHex } from '../../../src/hid/types.js';

/**
 * A small HID 1.11 §6.2.2 short-item parser: checks every item's size bits match its data and
 * sums Input/Output bits per report ID, so each descriptor is proven to describe the bytes the
 * encoders produce.
 */
function reportBits(bytes: Uint8Array): { input: Map<number, number>; output: Map<number, number> } {
  const input = new Map<number, number>();
  const output = new Map<number, number>();
  let size = 0;
  let count = 0;
  let id = 0;
  let depth = 0;
  for (let i = 0; i < bytes.length; ) {
    const prefix = bytes[i]!;
    const len = [0, 1, 2, 4][prefix & 0x03]!;
    let value = 0;
    for (let j = 0; j < len; j++) value |= bytes[i + 1 + j]! << (8 * j);
    const tag = prefix & 0xfc;
    if (tag === 0x74) size = value;
    else if (tag === 0x94) count = value;
    else if (tag === 0x84) id = value;
    else if (tag === 0x80) input.set(id, (input.get(id) ?? 0) + size * count);
    else if (tag === 0x90) output.set(id, (output.get(id) ?? 0) + size * count);
    else if (tag === 0xa0) depth++;
    else if (tag === 0xc0) depth--;
    i += 1 + len;
    if (i > bytes.length) throw new Error('item runs past the end');
  }
  expect(depth).toBe(0);
  return { input, output };
}

function itemsWellFormed(items: readonly DescriptorItem[]): void {
  for (const [b, meaning] of items) {
    expect(b.length, meaning).toBe(1 + [0, 1, 2, 4][b[0]! & 0x03]!);
    expect(meaning.trim().length).toBeGreaterThan(0);
  }
}

describe('report descriptors', () => {
  it('keyboard: 8-byte input, 1-byte LED output, whole 0x00–0xFF range', () => {
    itemsWellFormed(D.KEYBOARD_DESCRIPTOR);
    const { input, output } = reportBits(FUNCTION_SPECS.keyboard.descriptor);
    expect(input.get(0)).toBe(64);
    expect(output.get(0)).toBe(8);
    expect(toHex(FUNCTION_SPECS.keyboard.descriptor)).toContain('2a ff 00 15 00 26 ff 00');
  });

  it('mice and consumer: inputs match the encoders', () => {
    for (const d of [D.MOUSE_ABS_DESCRIPTOR, D.MOUSE_REL_DESCRIPTOR, D.CONSUMER_DESCRIPTOR])
      itemsWellFormed(d);
    expect(reportBits(FUNCTION_SPECS.mouse.descriptor).input.get(0)).toBe(
      encodeMouseAbs({ buttons: 0, x: 0, y: 0 }).length * 8,
    );
    expect(reportBits(FUNCTION_SPECS.mouse_rel.descriptor).input.get(0)).toBe(
      encodeMouseRel({ buttons: 0 }).length * 8,
    );
    const c = reportBits(FUNCTION_SPECS.consumer.descriptor).input;
    expect(c.get(1)).toBe((encodeConsumer(0).length - 1) * 8);
    expect(c.get(2)).toBe((encodeSystem(0).length - 1) * 8);
    expect(FUNCTION_SPECS.consumer.reportLength).toBe(3);
  });
});

describe('report encoders', () => {
  it('keyboard', () => {
    expect(toHex(encodeKeyboard(0x22, [0x04, 0x87]))).toBe('22 00 04 87 00 00 00 00');
    expect(toHex(encodeKeyboard(0, [4, 5, 6, 7, 8, 9, 10]))).toBe('00 00 01 01 01 01 01 01');
  });

  it('absolute mouse: little-endian axes clamped to 0..32767, signed wheels', () => {
    expect(toHex(encodeMouseAbs({ buttons: 0x1f, x: 32767, y: 256, wheel: -1, hwheel: 200 }))).toBe(
      '1f ff 7f 00 01 ff 7f',
    );
    expect(toHex(encodeMouseAbs({ buttons: 0, x: -5, y: 40000 }))).toBe('00 00 00 ff 7f 00 00');
  });

  it('relative mouse: two’s complement, never −128', () => {
    expect(toHex(encodeMouseRel({ buttons: 1, dx: -1, dy: -500, wheel: 3 }))).toBe('01 ff 81 03');
  });

  it('consumer and system', () => {
    expect(toHex(encodeConsumer(0x224))).toBe('01 24 02');
    expect(toHex(encodeSystem(0x04))).toBe('02 04');
  });

  it('splitRel sums to the total in steps within ±127', () => {
    for (const t of [0, 1, -1, 127, 128, -255, 1000]) {
      const s = splitRel(t);
      expect(s.reduce((a, b) => a + b, 0)).toBe(t);
      for (const v of s) expect(Math.abs(v)).toBeLessThanOrEqual(127);
    }
  });
});
