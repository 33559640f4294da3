import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { KvmError } from '../core/errors.js';
import { TYPING_PROFILES } from '../hid/typing/profiles.js';

/**
 * The one input model: every value that drives the target (a relative move, a wheel turn, a held
 * combo, typed text, ...) has one schema here, with one limit, whichever door it came in by: a
 * WebSocket message (http/ws.ts), an MQTT command (commands/schema.ts) or a macro step
 * (macros/compile.ts). The doors differ only in how a message is shaped; what a value may be, and
 * the reason given when it may not, is decided here.
 */
export const INPUT_LIMITS = {
  /**
   * One relative move, per axis. The relative mouse carries dX/dY as int8 (−127..127, the
   * descriptor's Logical Minimum/Maximum in hid/descriptors.ts), and HidService splits a larger
   * move into reports (hid/reports.ts splitRel). 4096 crosses a 4K screen at 1:1 in at most 33
   * reports, about 33 ms at 1 kHz polling: more is a client bug, not a gesture.
   */
  relMove: 4096,
  /**
   * Wheel detents per command, per axis: the wheel and AC Pan fields are int8 (−127..127) in both
   * mouse reports, so a command is always exactly one report.
   */
  wheel: 127,
  /** How long a combo may be held; longer is an auto-repeat storm on the target, not a press. */
  holdMs: 10_000,
  /** Keys in one combo: the boot keyboard reports 6 at once; modifiers ride in their own byte. */
  keys: 16,
  /** Characters of text in one command or step, unless the door's config lowers or raises it. */
  text: 4096,
} as const;

export const MOUSE_BUTTONS = ['left', 'right', 'middle', 'back', 'forward'] as const;
export type MouseButton = (typeof MOUSE_BUTTONS)[number];

/** `reason` is what the error says after the field's name: the same words at every door. */
const int = (min: number, max: number) =>
  Type.Integer({ minimum: min, maximum: max, reason: `must be an integer ${min}..${max}` });

export const Input = {
  /** Absolute pointer position, one axis, as a fraction of the target screen. */
  unit: Type.Number({ minimum: 0, maximum: 1, reason: 'must be a number 0..1 (a fraction of the screen)' }),
  relAxis: int(-INPUT_LIMITS.relMove, INPUT_LIMITS.relMove),
  wheel: int(-INPUT_LIMITS.wheel, INPUT_LIMITS.wheel),
  holdMs: int(0, INPUT_LIMITS.holdMs),
  button: Type.Union(
    MOUSE_BUTTONS.map((b) => Type.Literal(b)),
    { reason: `must be one of ${MOUSE_BUTTONS.join(', ')}` },
  ),
  keyName: Type.String({ minLength: 1, maxLength: 32, reason: 'must be a key name of 1..32 characters' }),
  keys: (max: number = INPUT_LIMITS.keys) =>
    Type.Array(
      Type.String({ minLength: 1, maxLength: 32, reason: 'must be a key name of 1..32 characters' }),
      {
        minItems: 1,
        maxItems: max,
        reason: `must be a list of 1..${max} key names`,
      },
    ),
  layout: Type.String({ minLength: 1, maxLength: 16, reason: 'must be a layout name of 1..16 characters' }),
  typing: Type.Union(
    TYPING_PROFILES.map((n) => Type.Literal(n)),
    { reason: `must be one of ${TYPING_PROFILES.join(', ')}` },
  ),
  macroName: Type.String({ minLength: 1, maxLength: 64, reason: 'must be a macro name of 1..64 characters' }),
  macroParams: Type.Record(
    Type.String(),
    Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]),
    { reason: 'must be a mapping of names to strings (at most 1024 characters), numbers or booleans' },
  ),
  quality: int(1, 100),
  maxFps: int(1, 120),
};

/** The reason a value is refused, without the value (it may be typed text). */
export function reasonOf(schema: TSchema, value: unknown): string | null {
  return firstProblem(schema, value)?.reason ?? null;
}

/** The first refused part of a value: its JSON pointer ('' for the value itself) and why. */
export function firstProblem(schema: TSchema, value: unknown): { path: string; reason: string } | null {
  const first = Value.Errors(schema, value).First();
  if (!first) return null;
  const own = (first.schema as { reason?: unknown }).reason;
  // An error deep inside (an array item, a record value) reports that part's own schema; when it has
  // no reason of its own, the enclosing field's says what was wanted.
  if (typeof own === 'string') return { path: first.path, reason: own };
  const outer = (schema as { reason?: unknown }).reason;
  return { path: first.path, reason: typeof outer === 'string' ? outer : first.message.toLowerCase() };
}

/**
 * Checks one field. Throws KvmError BAD_REQUEST "<where>: <reason>", `details.field` and
 * `details.reason` set, so callers that place errors differently (a macro file names a line)
 * keep the same words.
 */
export function checkInput<T extends TSchema>(schema: T, value: unknown, where: string): Static<T> {
  const reason = reasonOf(schema, value);
  if (reason !== null) throw inputError(where, reason);
  return value as Static<T>;
}

/** Text is counted in characters (code points), as a person counts them, at every door. */
export function checkText(value: unknown, max: number, where: string): string {
  if (typeof value !== 'string' || value.length === 0) throw inputError(where, 'must be non-empty text');
  const n = [...value].length;
  if (n > max) throw inputError(where, `is ${n} characters, over the limit of ${max}`);
  return value;
}

export function inputError(field: string, reason: string): KvmError {
  return new KvmError('BAD_REQUEST', `${field}: ${reason}`, { field, reason });
}
