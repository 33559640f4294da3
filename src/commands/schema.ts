import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { KvmError } from '../core/errors.js';
import { checkText, INPUT_LIMITS, Input, inputError } from './inputs.js';

/**
 * JSON commands, as they arrive on `<prefix>/<node>/command` (and, later, any other channel).
 * Each action is its own closed object so a typo in a field name is refused, not ignored.
 */
export interface CommandLimits {
  maxTextLength: number;
  maxKeys: number;
  maxPayloadBytes: number;
}

export const DEFAULT_LIMITS: CommandLimits = {
  maxTextLength: INPUT_LIMITS.text,
  maxKeys: INPUT_LIMITS.keys,
  maxPayloadBytes: 16_384,
};

function common() {
  return {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** When the sender made it: Unix ms (or s), or an ISO 8601 string. Stale commands are refused. */
    ts: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.String({ maxLength: 40 })])),
  };
}

function closed<T extends Record<string, TSchema>>(props: T) {
  return Type.Object(props, { additionalProperties: false });
}

export function commandSchemas(l: CommandLimits) {
  return {
    press: closed({
      action: Type.Literal('press'),
      keys: Input.keys(l.maxKeys),
      hold_ms: Type.Optional(Input.holdMs),
      ...common(),
    }),
    type: closed({
      action: Type.Literal('type'),
      /** Its length is checked in characters by checkText (JSON Schema counts UTF-16 units). */
      text: Type.String(),
      layout: Type.Optional(Input.layout),
      /** Typing profile (hid.typing): fast, safe or bios. */
      typing: Type.Optional(Input.typing),
      ...common(),
    }),
    macro: closed({
      action: Type.Literal('macro'),
      name: Input.macroName,
      params: Type.Optional(Input.macroParams),
      ...common(),
    }),
    mouse: closed({
      action: Type.Literal('mouse'),
      /** Absolute position, each axis 0..1 of the target screen. */
      move: Type.Optional(closed({ x: Input.unit, y: Input.unit })),
      move_rel: Type.Optional(closed({ dx: Input.relAxis, dy: Input.relAxis })),
      click: Type.Optional(Input.button),
      scroll: Type.Optional(
        closed({ vertical: Type.Optional(Input.wheel), horizontal: Type.Optional(Input.wheel) }),
      ),
      ...common(),
    }),
    release_all: closed({ action: Type.Literal('release_all'), ...common() }),
    snapshot: closed({ action: Type.Literal('snapshot'), ...common() }),
    cancel: closed({ action: Type.Literal('cancel'), ...common() }),
  } satisfies Record<string, TObject>;
}

type Schemas = ReturnType<typeof commandSchemas>;
export type CommandAction = keyof Schemas;
export type Command = { [K in CommandAction]: Static<Schemas[K]> }[CommandAction];
export type CommandOf<K extends CommandAction> = Static<Schemas[K]>;
export const COMMAND_ACTIONS = Object.keys(commandSchemas(DEFAULT_LIMITS)) as CommandAction[];

/** Parses and validates one payload. Throws KvmError TOO_LARGE / BAD_REQUEST naming the problem. */
export function parseCommand(payload: Uint8Array | string, limits: CommandLimits): Command {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (bytes > limits.maxPayloadBytes) {
    throw new KvmError('TOO_LARGE', `payload is ${bytes} bytes, the limit is ${limits.maxPayloadBytes}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    throw new KvmError('BAD_REQUEST', 'payload is not JSON');
  }
  return validateCommand(raw, limits);
}

export function validateCommand(raw: unknown, limits: CommandLimits): Command {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new KvmError('BAD_REQUEST', 'a command is a JSON object with an "action"');
  }
  const action = (raw as { action?: unknown }).action;
  const schemas = commandSchemas(limits);
  if (typeof action !== 'string' || !Object.hasOwn(schemas, action)) {
    throw new KvmError(
      'BAD_REQUEST',
      `unknown action ${typeof action === 'string' ? `'${action.slice(0, 32)}'` : '(missing)'}; expected one of ${COMMAND_ACTIONS.join(', ')}`,
    );
  }
  const schema = schemas[action as CommandAction];
  const problem = firstProblem(schema, raw);
  if (problem) {
    // The path names the field; the value itself is never echoed (it may be typed text).
    throw inputError(problem.path === '' ? action : `${action}${problem.path}`, problem.reason);
  }
  if (action === 'type') checkText((raw as CommandOf<'type'>).text, limits.maxTextLength, 'type.text');
  if (action === 'mouse') {
    const m = raw as CommandOf<'mouse'>;
    if (!m.move && !m.move_rel && !m.click && !m.scroll) {
      throw new KvmError('BAD_REQUEST', 'mouse: give at least one of move, move_rel, click, scroll');
    }
  }
  return raw as Command;
}

/** The first refused field as a dotted path (`.move_rel.dx`) and the shared reason for it. */
function firstProblem(schema: TSchema, raw: unknown): { path: string; reason: string } | null {
  const first = Value.Errors(schema, raw).First();
  if (!first) return null;
  const own = (first.schema as { reason?: unknown }).reason;
  return {
    path: first.path.replaceAll('/', '.'),
    reason: typeof own === 'string' ? own : first.message.toLowerCase(),
  };
}

/** The sender's timestamp in Unix ms, or null when absent or unreadable. */
export function commandTimeMs(ts: number | string | undefined): number | null {
  if (ts === undefined) return null;
  if (typeof ts === 'number') return ts < 1e11 ? ts * 1000 : ts;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? null : t;
}
