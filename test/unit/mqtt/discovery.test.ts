import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDiscovery, type DiscoveryContext, macroKey } from '../../../src/mqtt/discovery.js';
import { resolveNodeId, sanitizeId, topicsFor } from '../../../src/mqtt/node-id.js';
import { hostState } from '../../../src/mqtt/states.js';

function ctx(over: Partial<DiscoveryContext> = {}): DiscoveryContext {
  return {
    node: 'n1',
    topics: topicsFor('kvmr0ck', 'homeassistant', 'n1'),
    deviceName: 'kvm',
    version: '1.0',
    panelUrl: null,
    readOnly: false,
    textEntity: true,
    textMode: 'password',
    textMax: 4096,
    macros: null,
    ...over,
  };
}

describe('discovery payload', () => {
  it('without a macro service has no macro entities, and caps text max at 255 (HA text limit)', () => {
    const { payload } = buildDiscovery(ctx());
    expect(Object.keys(payload.cmps).sort()).toEqual(
      [
        'cancel',
        'caps_lock',
        'capture_fps',
        'ctrl_alt_del',
        'encode_ms',
        'host',
        'jpeg_quality',
        'max_fps',
        'num_lock',
        'resolution',
        'screen',
        'scroll_lock',
        'signal',
        'stream_clients',
        'type_text',
        'usb',
      ].sort(),
    );
    expect(payload.cmps.type_text!.max).toBe(255);
    expect(payload.dev).not.toHaveProperty('cu');
    expect(payload.o).toEqual({ name: 'kvmr0ck', sw: '1.0', url: expect.any(String) });
  });

  it('never uses entity_category config on sensors (HA refuses it)', () => {
    const { payload } = buildDiscovery(ctx({ macros: [{ name: 'a', title: 'A' }] }));
    for (const c of Object.values(payload.cmps)) {
      if (c.p === 'sensor' || c.p === 'binary_sensor') expect(c.ent_cat).not.toBe('config');
      expect(String(c.name ?? '')).not.toContain('kvm');
    }
  });

  it('sends a removed macro once as {p}', () => {
    const first = buildDiscovery(
      ctx({
        macros: [
          { name: 'a b', title: 'A' },
          { name: 'c', title: 'C' },
        ],
      }),
    );
    expect(first.payload.cmps[macroKey('a b')]).toMatchObject({
      p: 'button',
      cmd_t: 'kvmr0ck/n1/set/macro/a b',
    });
    const second = buildDiscovery(ctx({ macros: [{ name: 'c', title: 'C' }] }), first.current);
    expect(second.payload.cmps.macro_a_b).toEqual({ p: 'button' });
    const third = buildDiscovery(ctx({ macros: [{ name: 'c', title: 'C' }] }), second.current);
    expect(third.payload.cmps).not.toHaveProperty('macro_a_b');
  });
});

describe('host state rule', () => {
  it.each([
    [false, 'not attached', 0, 'off'],
    [false, 'suspended', 0, 'off'],
    [false, 'configured', 0, 'no signal'],
    [true, 'configured', 59_999, 'active'],
    [true, 'configured', 60_000, 'still'],
    [true, 'not attached', 0, 'active'],
  ] as const)('signal %s, usb %s, unchanged %d ms: %s', (sig, usb, ms, want) => {
    expect(hostState(sig, usb, ms, 60_000)).toBe(want);
  });
});

describe('node id', () => {
  it('is a stable hash of the machine id, never the id itself', () => {
    const f = path.join(tmpdir(), `mid-${process.pid}`);
    writeFileSync(f, '0123456789abcdef0123456789abcdef\n');
    const a = resolveNodeId('', f);
    expect(a).toMatch(/^kvmr0ck_[0-9a-f]{12}$/);
    expect(resolveNodeId('', f)).toBe(a);
    expect(a).not.toContain('0123456789ab');
    expect(resolveNodeId('My KVM', f)).toBe('my_kvm');
    expect(resolveNodeId('', '/nonexistent/machine-id')).toMatch(/^kvmr0ck_/);
    expect(sanitizeId('A/b+#c')).toBe('a_b_c');
  });
});
