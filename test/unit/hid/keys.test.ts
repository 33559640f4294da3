import { describe, expect, it } from 'vitest';
import { browserCodeTable, keyNameForCode } from '../../../src/hid/browser-codes.js';
import { allKeyNames, allKeys, lookupKey } from '../../../src/hid/keys.js';

describe('key names', () => {
  it.each([
    ['a', 'keyboard', 0x04],
    ['Z', 'keyboard', 0x1d],
    ['1', 'keyboard', 0x1e],
    ['0', 'keyboard', 0x27],
    ['enter', 'keyboard', 0x28],
    ['return', 'keyboard', 0x28],
    ['f12', 'keyboard', 0x45],
    ['f13', 'keyboard', 0x68],
    ['f24', 'keyboard', 0x73],
    ['delete', 'keyboard', 0x4c],
    ['ctrl', 'keyboard', 0xe0],
    ['left-shift', 'keyboard', 0xe1],
    ['alt', 'keyboard', 0xe2],
    ['win', 'keyboard', 0xe3],
    ['meta', 'keyboard', 0xe3],
    ['altgr', 'keyboard', 0xe6],
    ['menu', 'keyboard', 0x65],
    ['international1', 'keyboard', 0x87],
    ['international9', 'keyboard', 0x8f],
    ['lang9', 'keyboard', 0x98],
    ['kp_hexadecimal', 'keyboard', 0xdd],
    ['volume_up', 'consumer', 0xe9],
    ['play_pause', 'consumer', 0xcd],
    ['browser_back', 'consumer', 0x224],
    ['power', 'system', 0x81],
    ['sleep', 'system', 0x82],
    ['wake', 'system', 0x83],
  ])('%s is %s usage %i', (name, page, usage) => {
    expect(lookupKey(name)).toMatchObject({ page, usage });
  });

  it('has one canonical lowercase name per key and no name twice', () => {
    const names = allKeys().map((k) => k.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of allKeyNames()) expect(n).toMatch(/^[a-z0-9_]+$/);
  });

  it('names every assigned Keyboard page usage 0x04–0xDD and 0xE0–0xE7', () => {
    const used = new Set(
      allKeys()
        .filter((k) => k.page === 'keyboard')
        .map((k) => k.usage),
    );
    // HUT 1.4 reserves 0xA5–0xAF and 0xDE–0xDF.
    for (let u = 0x04; u <= 0xe7; u++) {
      if ((u >= 0xa5 && u <= 0xaf) || u === 0xde || u === 0xdf) continue;
      expect(used.has(u), `usage 0x${u.toString(16)}`).toBe(true);
    }
  });
});

describe('browser KeyboardEvent.code', () => {
  it('maps physical keys to our names', () => {
    expect(keyNameForCode('KeyA')).toBe('a');
    expect(keyNameForCode('Digit0')).toBe('0');
    expect(keyNameForCode('ControlLeft')).toBe('left_ctrl');
    expect(keyNameForCode('AltRight')).toBe('right_alt');
    expect(keyNameForCode('IntlRo')).toBe('international1');
    expect(keyNameForCode('IntlBackslash')).toBe('non_us_backslash');
    expect(keyNameForCode('F24')).toBe('f24');
    expect(keyNameForCode('AudioVolumeUp')).toBe('volume_up');
    expect(keyNameForCode('Unidentified')).toBeUndefined();
  });

  it('only names keys that exist', () => {
    for (const [code, name] of Object.entries(browserCodeTable())) {
      expect(lookupKey(name), code).toBeDefined();
    }
  });
});
