import { type Static, type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { KvmError } from '../core/errors.js';
import { TYPING_PROFILES } from '../hid/typing/profiles.js';

/**
 * JSON commands, as they arrive on `<prefix>/<node>/command` (and, later, any other channel).
 * Each action is its own closed object so a typo in a field name is refused, not ignored.
 */
export interface CommandLimits {
  maxTextLength: number;
  maxKeys: number;
  maxPayloadBytes: number;
}

export const DEFAULT_LIMITS: CommandLimits = { maxTextLength: 4096, maxKeys: 16, maxPayloadBytes: 16_384 };

const MOUSE_BUTTONS = ['left', 'right', 'middle', 'back', 'forward'] as const;

function common() {
  return {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** When the sender made it: Unix ms (or s), or an ISO 8601 string. Stale commands are refused. */
    ts: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.String({ maxLength: 40 })])),
  };
}

function closed<T extends Record<string, import('@sinclair/typebox').TSchema>>(props: T) {
  return Type.Object(props, { additionalProperties: false });
}

export function commandSchemas(l: CommandLimits) {
  return {
    press: closed({
      action: Type.Literal('press'),
      keys: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: l.maxKeys }),
      hold_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
      ...common(),
    }),
    type: closed({
      action: Type.Literal('type'),
      text: Type.String({ minLength: 1, maxLength: l.maxTextLength }),
      layout: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
      /** Typing profile (hid.typing): fast, safe or bios. */
      typing: Type.Optional(Type.Union(TYPING_PROFILES.map((n) => Type.Literal(n)))),
      ...common(),
    }),
    macro: closed({
      action: Type.Literal('macro'),
      name: Type.String({ minLength: 1, maxLength: 64 }),
      params: Type.Optional(
        Type.Record(
          Type.String(),
          Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]),
        ),
      ),
      ...common(),
    }),
    mouse: closed({
      action: Type.Literal('mouse'),
      /** Absolute position, each axis 0..1 of the target screen. */
      move: Type.Optional(
        closed({ x: Type.Number({ minimum: 0, maximum: 1 }), y: Type.Number({ minimum: 0, maximum: 1 }) }),
      ),
      move_rel: Type.Optional(
        closed({
          dx: Type.Integer({ minimum: -4096, maximum: 4096 }),
          dy: Type.Integer({ minimum: -4096, maximum: 4096 }),
        }),
      ),
      click: Type.Optional(Type.Union(MOUSE_BUTTONS.map((b) => Type.Literal(b)))),
      scroll: Type.Optional(
        closed({
          vertical: Type.Optional(Type.Integer({ minimum: -127, maximum: 127 })),
          horizontal: Type.Optional(Type.Integer({ minimum: -127, maximum: 127 })),
        }),
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
  const first = Value.Errors(schema, raw).First();
  if (first) {
    // The path names the field; the value itself is never echoed (it may be typed text).
    const where = first.path === '' ? action : `${action}${first.path.replaceAll('/', '.')}`;
    throw new KvmError('BAD_REQUEST', `${where}: ${first.message.toLowerCase()}`);
  }
  if (action === 'mouse') {
    const m = raw as CommandOf<'mouse'>;
    if (!m.move && !m.move_rel && !m.click && !m.scroll) {
      throw new KvmError('BAD_REQUEST', 'mouse: give at least one of move, move_rel, click, scroll');
    }
  }
  return raw as Command;
}

/** The sender's timestamp in Unix ms, or null when absent or unreadable. */
export function commandTimeMs(ts: number | string | undefined): number | null {
  if (ts === undefined) return null;
  if (typeof ts === 'number') return ts < 1e11 ? ts * 1000 : ts;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? null : t;
}
