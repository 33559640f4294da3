import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../../../src/commands/inputs.js';
import { DEFAULT_LIMITS, validateCommand } from '../../../src/commands/schema.js';
import { isKvmError } from '../../../src/core/errors.js';
import { parseWsMessage } from '../../../src/http/ws-messages.js';
import { type CompileContext, compileMacroFile } from '../../../src/macros/compile.js';

/**
 * One input model: the same value is accepted or refused alike, with the same code and the same
 * reason, whether it comes as a WebSocket message, an MQTT command or a macro step.
 */
type Outcome = { ok: true } | { ok: false; code: string; reason: string };

const ctx: CompileContext = {
  file: 'm.yaml',
  builtin: false,
  isKey: (k) => ['a', 'ctrl', 'alt', 'delete'].includes(k),
  hasSecret: () => false,
  limits: { maxSteps: 500, maxDurationMs: 3_600_000, maxTextLength: INPUT_LIMITS.text },
  wolBroadcast: '255.255.255.255',
};

function viaWs(msg: Record<string, unknown>): Outcome {
  return outcome(() => parseWsMessage(msg));
}

function viaMqtt(cmd: Record<string, unknown>): Outcome {
  return outcome(() => validateCommand(cmd, DEFAULT_LIMITS));
}

function viaMacro(step: string): Outcome {
  const { problems } = compileMacroFile(`m:\n  steps:\n    - ${step}\n`, ctx);
  const p = problems[0];
  if (!p) return { ok: true };
  // "<field>: <reason>": the field as the step writes it, the reason shared.
  return { ok: false, code: p.code ?? 'MACRO_INVALID', reason: p.message.replace(/^[\w.]+: /, '') };
}

function outcome(f: () => unknown): Outcome {
  try {
    f();
    return { ok: true };
  } catch (e) {
    if (!isKvmError(e)) throw e;
    return { ok: false, code: e.code, reason: String(e.details?.reason ?? e.message) };
  }
}

interface Row {
  action: string;
  /** Values at and just past each end of the range, with whether each is accepted. */
  values: [unknown, boolean][];
  ws?: (v: unknown) => Record<string, unknown>;
  mqtt: (v: unknown) => Record<string, unknown>;
  macro?: (v: unknown) => string;
}

const R = INPUT_LIMITS.relMove;
const W = INPUT_LIMITS.wheel;
const edges = (lo: number, hi: number): [unknown, boolean][] => [
  [lo - 1, false],
  [lo, true],
  [hi, true],
  [hi + 1, false],
  [0.5, false],
  ['3', false],
];

const rows: Row[] = [
  {
    action: 'relative move, x',
    values: edges(-R, R),
    ws: (v) => ({ t: 'mouse_rel', dx: v, dy: 0 }),
    mqtt: (v) => ({ action: 'mouse', move_rel: { dx: v, dy: 0 } }),
    macro: (v) => `mouse: { move_rel: [${JSON.stringify(v)}, 0] }`,
  },
  {
    action: 'relative move, y',
    values: edges(-R, R),
    ws: (v) => ({ t: 'mouse_rel', dx: 0, dy: v }),
    mqtt: (v) => ({ action: 'mouse', move_rel: { dx: 0, dy: v } }),
    macro: (v) => `mouse: { move_rel: [0, ${JSON.stringify(v)}] }`,
  },
  {
    action: 'wheel, vertical',
    values: edges(-W, W),
    ws: (v) => ({ t: 'wheel', v }),
    mqtt: (v) => ({ action: 'mouse', scroll: { vertical: v } }),
    macro: (v) => `mouse: { scroll: ${JSON.stringify(v)} }`,
  },
  {
    action: 'wheel, horizontal',
    values: edges(-W, W),
    ws: (v) => ({ t: 'wheel', h: v }),
    mqtt: (v) => ({ action: 'mouse', scroll: { horizontal: v } }),
  },
  {
    action: 'absolute position',
    values: [
      [-0.01, false],
      [0, true],
      [1, true],
      [1.01, false],
      ['0.5', false],
    ],
    ws: (v) => ({ t: 'mouse_abs', x: v, y: 0.5 }),
    mqtt: (v) => ({ action: 'mouse', move: { x: v, y: 0.5 } }),
    macro: (v) => `mouse: { move: [${JSON.stringify(v)}, 0.5] }`,
  },
  {
    action: 'click button',
    values: [
      ['left', true],
      ['forward', true],
      ['thumb', false],
    ],
    mqtt: (v) => ({ action: 'mouse', click: v }),
    macro: (v) => `mouse: { click: ${JSON.stringify(v)} }`,
  },
  {
    action: 'combo hold',
    values: [
      [0, true],
      [INPUT_LIMITS.holdMs, true],
      [INPUT_LIMITS.holdMs + 1, false],
    ],
    mqtt: (v) => ({ action: 'press', keys: ['a'], hold_ms: v }),
    macro: (v) => `press: a\n      hold: ${String(v)}ms`,
  },
  {
    action: 'text length (characters, not UTF-16 units)',
    values: [
      ['é'.repeat(INPUT_LIMITS.text), true],
      ['😀'.repeat(INPUT_LIMITS.text), true],
      ['x'.repeat(INPUT_LIMITS.text + 1), false],
    ],
    ws: (v) => ({ t: 'type', text: v }),
    mqtt: (v) => ({ action: 'type', text: v }),
    macro: (v) => `type: ${JSON.stringify(v)}`,
  },
  {
    action: 'typing profile',
    values: [
      ['safe', true],
      ['turbo', false],
    ],
    ws: (v) => ({ t: 'type', text: 'hi', typing: v }),
    mqtt: (v) => ({ action: 'type', text: 'hi', typing: v }),
    macro: (v) => `type: hi\n      typing: ${String(v)}`,
  },
];

describe('one input model: each action has one set of limits at every door', () => {
  for (const row of rows) {
    for (const [value, accepted] of row.values) {
      const shown =
        typeof value === 'string' && value.length > 12 ? `${value.length} chars` : JSON.stringify(value);
      it(`${row.action}: ${shown} is ${accepted ? 'accepted' : 'refused'} alike`, () => {
        const seen: [string, Outcome][] = [['mqtt', viaMqtt(row.mqtt(value))]];
        if (row.ws) seen.push(['ws', viaWs(row.ws(value))]);
        if (row.macro) seen.push(['macro', viaMacro(row.macro(value))]);
        for (const [door, o] of seen) expect(o.ok, `${door}: ${JSON.stringify(o)}`).toBe(accepted);
        // Refused: the same stable code and the same words after the field's name.
        const first = seen[0]![1];
        for (const [door, o] of seen.slice(1)) expect(o, door).toEqual(first);
        if (!first.ok) expect(first.code).toBe('BAD_REQUEST');
      });
    }
  }

  it('the error names the field as each door spells it', () => {
    const ws = outcomeMessage(() => parseWsMessage({ t: 'mouse_rel', dx: 5000, dy: 0 }));
    const mqtt = outcomeMessage(() =>
      validateCommand({ action: 'mouse', move_rel: { dx: 5000, dy: 0 } }, DEFAULT_LIMITS),
    );
    const macro = compileMacroFile('m:\n  steps:\n    - mouse: { move_rel: [5000, 0] }\n', ctx).problems[0];
    expect(ws).toBe(`dx: must be an integer -${R}..${R}`);
    expect(mqtt).toBe(`mouse.move_rel.dx: must be an integer -${R}..${R}`);
    expect(macro?.message).toBe(`move_rel.x: must be an integer -${R}..${R}`);
    expect(macro?.where).toBe('m.yaml:3');
  });
});

function outcomeMessage(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}
