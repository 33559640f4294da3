import { describe, expect, it, vi } from 'vitest';
import { CommandExecutor } from '../../../src/commands/execute.js';
import { commandTimeMs, DEFAULT_LIMITS, parseCommand } from '../../../src/commands/schema.js';
import { KvmError } from '../../../src/core/errors.js';
import type { HidApi } from '../../../src/hid/api.js';

function fakeHid() {
  const calls: string[] = [];
  const hid = {
    isKey: (k: string) => ['a', 'ctrl', 'alt', 'delete'].includes(k),
    press: vi.fn(async (keys: readonly string[]) => void calls.push(`press ${keys.join('+')}`)),
    checkText: (text: string) => {
      const i = [...text].indexOf('€');
      if (i >= 0)
        throw new KvmError('UNMAPPABLE_CHAR', `character '€' at position ${i + 1}`, {
          char: '€',
          position: i + 1,
          layout: 'us',
        });
    },
    type: vi.fn(async (_t: string, o?: { signal?: AbortSignal }) => {
      calls.push('type');
      await new Promise((r) => setTimeout(r, 50));
      if (o?.signal?.aborted) throw new KvmError('MACRO_CANCELLED', 'cancelled');
    }),
    mouseMoveAbs: vi.fn(async () => void calls.push('abs')),
    mouseMoveRel: vi.fn(async () => void calls.push('rel')),
    mouseButtons: vi.fn(async (b: object) => void calls.push(`buttons ${JSON.stringify(b)}`)),
    mouseWheel: vi.fn(async () => void calls.push('wheel')),
    releaseAll: vi.fn(async () => void calls.push('release')),
  } satisfies Partial<HidApi>;
  return { hid, calls };
}

describe('parseCommand', () => {
  const bad: [string, string | object, string, RegExp][] = [
    ['not JSON', '{', 'BAD_REQUEST', /not JSON/],
    ['an array', [], 'BAD_REQUEST', /JSON object/],
    ['no action', {}, 'BAD_REQUEST', /unknown action \(missing\)/],
    ['unknown action', { action: 'x' }, 'BAD_REQUEST', /unknown action 'x'; expected one of press, type/],
    ['keys not an array', { action: 'press', keys: 'a' }, 'BAD_REQUEST', /^press\.keys: /],
    ['too many keys', { action: 'press', keys: Array(17).fill('a') }, 'BAD_REQUEST', /press\.keys/],
    ['text too long', { action: 'type', text: 'x'.repeat(4097) }, 'BAD_REQUEST', /type\.text/],
    ['unknown typing profile', { action: 'type', text: 'x', typing: 'turbo' }, 'BAD_REQUEST', /type\.typing/],
    ['unknown field', { action: 'cancel', force: true }, 'BAD_REQUEST', /cancel/],
    ['mouse x out of range', { action: 'mouse', move: { x: 2, y: 0 } }, 'BAD_REQUEST', /mouse\.move\.x/],
    ['empty mouse', { action: 'mouse' }, 'BAD_REQUEST', /at least one of/],
    ['bad id', { action: 'cancel', id: 5 }, 'BAD_REQUEST', /cancel\.id/],
  ];
  it.each(bad)('refuses %s', (_n, body, code, msg) => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const e = (() => {
      try {
        parseCommand(payload, DEFAULT_LIMITS);
      } catch (err) {
        return err as KvmError;
      }
      throw new Error('accepted');
    })();
    expect(e.code).toBe(code);
    expect(e.message).toMatch(msg);
  });

  it('refuses an oversized payload before parsing it', () => {
    expect(() => parseCommand('x'.repeat(20_000), DEFAULT_LIMITS)).toThrow(/20000 bytes, the limit is 16384/);
  });

  it('never echoes a refused text in the message', () => {
    expect(() =>
      parseCommand(JSON.stringify({ action: 'type', text: 'hunter2', extra: 1 }), DEFAULT_LIMITS),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });

  it('accepts every action', () => {
    for (const c of [
      { action: 'press', keys: ['ctrl', 'alt', 'delete'], hold_ms: 100 },
      { action: 'type', text: 'hi', layout: 'de' },
      { action: 'type', text: 'hi', layout: 'gb', typing: 'bios' },
      { action: 'macro', name: 'boot', params: { user: 'x', n: 2 } },
      { action: 'mouse', move: { x: 0.5, y: 1 }, click: 'left', scroll: { vertical: -3 } },
      { action: 'mouse', move_rel: { dx: -10, dy: 300 } },
      { action: 'release_all', id: 'r', ts: 1_700_000_000 },
      { action: 'snapshot' },
      { action: 'cancel', ts: '2026-01-01T00:00:00Z' },
    ]) {
      expect(parseCommand(JSON.stringify(c), DEFAULT_LIMITS)).toEqual(c);
    }
  });

  it('reads ts as seconds, milliseconds or ISO', () => {
    expect(commandTimeMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(commandTimeMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(commandTimeMs('1970-01-01T00:00:01Z')).toBe(1000);
    expect(commandTimeMs('soon')).toBeNull();
  });
});

describe('CommandExecutor', () => {
  it('checks every key before pressing anything', async () => {
    const { hid, calls } = fakeHid();
    const x = new CommandExecutor({ hid });
    const r = await x.run({ action: 'press', keys: ['ctrl', 'bogus'], id: 'k' }, 'test');
    expect(r).toEqual({ id: 'k', ok: false, error: { code: 'UNKNOWN_KEY', message: "unknown key 'bogus'" } });
    expect(calls).toEqual([]);
  });

  it('checks text before typing, and reports only the position of an untypable character', async () => {
    const { hid, calls } = fakeHid();
    const r = await new CommandExecutor({ hid }).run({ action: 'type', text: 'pa€s' }, 'test');
    expect(r.error).toEqual({
      code: 'UNMAPPABLE_CHAR',
      message: "character at position 3 cannot be typed with the 'us' layout",
    });
    expect(calls).toEqual([]);
  });

  it('refuses macros without a macro service, or an unknown macro', async () => {
    const { hid } = fakeHid();
    expect((await new CommandExecutor({ hid }).run({ action: 'macro', name: 'x' }, 't')).error).toEqual({
      code: 'MACRO_NOT_FOUND',
      message: 'macros not available',
    });
    const run = vi.fn(async () => undefined);
    const macros = { list: () => [{ name: 'boot', title: 'Boot' }], run, cancel: () => undefined };
    const x = new CommandExecutor({ hid, macros });
    expect((await x.run({ action: 'macro', name: 'x' }, 't')).error?.message).toBe("no macro named 'x'");
    expect((await x.run({ action: 'macro', name: 'boot', params: { a: 1 } }, 'mqtt')).ok).toBe(true);
    expect(run).toHaveBeenCalledWith('boot', { a: 1 }, { origin: 'mqtt' });
  });

  it('mouse runs move, click (down, up), scroll in order', async () => {
    const { hid, calls } = fakeHid();
    await new CommandExecutor({ hid }).execute(
      { action: 'mouse', move: { x: 0, y: 0 }, click: 'right', scroll: { vertical: 1 } },
      't',
    );
    expect(calls).toEqual(['abs', 'buttons {"right":true}', 'buttons {"right":false}', 'wheel']);
  });

  it('cancel aborts typing in progress and releases everything', async () => {
    const { hid, calls } = fakeHid();
    const x = new CommandExecutor({ hid });
    const typing = x.run({ action: 'type', text: 'long' }, 't');
    await x.execute({ action: 'cancel' }, 't');
    expect((await typing).error?.code).toBe('MACRO_CANCELLED');
    expect(calls).toEqual(['type', 'release']);
  });
});
