import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildDiscovery,
  configurationUrl,
  type DiscoveryContext,
  publishedComponents,
} from '../../../src/mqtt/discovery.js';
import { macroChoices, macroKey } from '../../../src/mqtt/entities.js';
import { resolveNodeId, sanitizeId, topicsFor } from '../../../src/mqtt/node-id.js';
import { hostState } from '../../../src/mqtt/states.js';
import { checkComponents } from './ha-schema.js';

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
    dangerousMacroButtons: false,
    board: false,
    restart: true,
    ...over,
  };
}

const MACROS = [
  { name: 'ctrl_alt_del', title: 'Ctrl+Alt+Del' },
  { name: 'sysrq_reboot', title: 'Emergency reboot', dangerous: true },
  { name: 'a b', title: 'Same' },
  { name: 'c', title: 'Same' },
];

describe('discovery payload', () => {
  it('without a macro service has no macro entities, and caps text max at 255 (HA text limit)', () => {
    const { payload } = buildDiscovery(ctx());
    expect(Object.keys(payload.cmps).sort()).toEqual(
      [
        'cancel',
        'caps_lock',
        'capture_fps',
        'command_error',
        'encode_ms',
        'host',
        'jpeg_quality',
        'max_fps',
        'num_lock',
        'resolution',
        'restart',
        'screen',
        'scroll_lock',
        'signal',
        'stream_clients',
        'type_text',
        'usb',
        'version',
      ].sort(),
    );
    expect(payload.cmps.type_text!.max).toBe(255);
    expect(payload.dev).not.toHaveProperty('cu');
    expect(payload.o).toEqual({ name: 'kvmr0ck', sw: '1.0', url: expect.any(String) });
  });

  it('passes the HA schema check for every option combination', () => {
    for (const over of [
      {},
      { macros: MACROS, board: true },
      { macros: MACROS, dangerousMacroButtons: true, textMode: 'text' as const },
      { readOnly: true, macros: MACROS, board: true, restart: false },
    ]) {
      expect(checkComponents(buildDiscovery(ctx(over)).payload.cmps, 'kvm')).toEqual([]);
    }
  });

  it('the schema check catches what HA refuses', () => {
    const bad = {
      a: { p: 'sensor', unique_id: 'x1', stat_t: 't', ent_cat: 'config' },
      b: { p: 'button', unique_id: 'x2', cmd_t: 't', default_entity_id: 'kvm_b' },
      c: { p: 'text', unique_id: 'x3', cmd_t: 't', max: 4096 },
      d: { p: 'sensor', unique_id: 'x4', stat_t: 't', dev_cla: 'temperature', unit_of_meas: 'C' },
      e: { p: 'select', unique_id: 'x5', cmd_t: 't', options: ['a', 'a'] },
      f: { p: 'binary_sensor', unique_id: 'x6', stat_t: 't', command_topic: 'x' },
      g: { p: 'sensor', unique_id: 'x7', stat_t: 't', dev_cla: 'timestamp', stat_cla: 'measurement' },
      h: { p: 'button', unique_id: 'x7', cmd_t: 't', name: 'KVM restart' },
    };
    const problems = checkComponents(bad, 'kvm').join('\n');
    for (const k of [
      'a: a sensor may not',
      'b: default_entity_id',
      'c: min 0 / max 4096',
      "d: unit 'C'",
      'e: options must be distinct',
      "f: 'command_topic' is not",
      'g: a timestamp sensor',
      'h: unique_id',
      'h: the name repeats',
    ])
      expect(problems).toContain(k);
  });

  it('pins entity ids with the domain prefix; one Ctrl+Alt+Del, from the macro', () => {
    const { payload } = buildDiscovery(ctx({ deviceName: 'Office KVM', macros: MACROS }));
    expect(payload.cmps.restart!.default_entity_id).toBe('button.office_kvm_restart');
    expect(payload.cmps.screen!.default_entity_id).toBe('image.office_kvm_screen');
    const cad = Object.values(payload.cmps).filter((c) => /ctrl.alt.del/i.test(String(c.name)));
    expect(cad).toHaveLength(1);
    expect(cad[0]).toMatchObject({ default_entity_id: 'button.office_kvm_macro_ctrl_alt_del' });
  });

  it('noisy diagnostics are diagnostic and disabled by default; steps are not', () => {
    const { payload } = buildDiscovery(ctx({ board: true }));
    for (const k of [
      'capture_fps',
      'encode_ms',
      'cpu_temp',
      'load_1m',
      'mem_used_pct',
      'disk_used_pct',
      'booted_at',
    ])
      expect(payload.cmps[k], k).toMatchObject({ ent_cat: 'diagnostic', en: false });
    for (const k of ['stream_clients', 'caps_lock', 'resolution', 'version', 'command_error'])
      expect(payload.cmps[k], k).toMatchObject({ ent_cat: 'diagnostic' });
    for (const k of ['signal', 'usb', 'host', 'screen']) {
      expect(payload.cmps[k], k).not.toHaveProperty('ent_cat');
      expect(payload.cmps[k], k).not.toHaveProperty('en');
    }
  });

  it('dangerous macros get no button and no option unless opted in; the select shows titles', () => {
    const off = buildDiscovery(ctx({ macros: MACROS })).payload.cmps;
    expect(off).not.toHaveProperty(macroKey('sysrq_reboot'));
    expect(off.macro_select!.options).toEqual(['(choose)', 'Ctrl+Alt+Del', 'Same (a b)', 'Same (c)']);
    const on = buildDiscovery(ctx({ macros: MACROS, dangerousMacroButtons: true })).payload.cmps;
    expect(on[macroKey('sysrq_reboot')]).toMatchObject({ p: 'button', name: 'Emergency reboot' });
    expect(on.macro_select!.options).toContain('Emergency reboot');
    expect(macroChoices([{ name: 'x', title: '' }])).toEqual([{ option: 'x', name: 'x' }]);
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

  it('reads back the components of an earlier run, ignoring removal markers and junk', () => {
    const earlier = buildDiscovery(ctx({ macros: [{ name: 'gone', title: 'Gone' }] })).payload;
    earlier.cmps.old = { p: 'sensor' };
    const back = publishedComponents(Buffer.from(JSON.stringify(earlier)));
    expect(back.macro_gone).toEqual({ p: 'button' });
    expect(back).not.toHaveProperty('old');
    expect(publishedComponents(Buffer.from('not json'))).toEqual({});
    expect(publishedComponents(Buffer.from(''))).toEqual({});
    const now = buildDiscovery(ctx({ macros: [] }), back).payload.cmps;
    expect(now.macro_gone).toEqual({ p: 'button' });
  });
});

describe('configuration_url', () => {
  const urls = ['http://localhost:8080/', 'http://192.168.1.20:8080/'];
  it('is the public URL, else an address others reach, never localhost for a wildcard listener', () => {
    expect(configurationUrl('homeassistant://hassio/ingress/abc_kvmr0ck', urls, true)).toBe(
      'homeassistant://hassio/ingress/abc_kvmr0ck',
    );
    expect(configurationUrl('', urls, true)).toBe('http://192.168.1.20:8080/');
    expect(configurationUrl('', ['http://localhost:8080/'], true)).toBeNull();
    expect(configurationUrl('', ['http://127.0.0.1:8080/'], false)).toBe('http://127.0.0.1:8080/');
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
