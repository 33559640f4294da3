import { OptionalKind, type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { checkInput, checkText, INPUT_LIMITS, Input } from '../commands/inputs.js';
import { KvmError } from '../core/errors.js';

/**
 * Client → server WebSocket messages (docs/websocket.md), each field checked with the shared input
 * schemas (commands/inputs.ts), so a relative move or a wheel turn has the same limits and the
 * same error as over MQTT or in a macro file. Unknown extra fields are ignored: the panel and the
 * card may be newer than the daemon.
 */
const fields = {
  ping: {},
  video: { quality: Type.Optional(Input.quality), max_fps: Type.Optional(Input.maxFps) },
  key: {
    code: Type.String({ minLength: 1, maxLength: 32, reason: 'must be a KeyboardEvent.code such as KeyA' }),
    down: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
  },
  mouse_abs: { x: Input.unit, y: Input.unit },
  mouse_rel: { dx: Input.relAxis, dy: Input.relAxis },
  buttons: {
    left: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
    right: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
    middle: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
    back: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
    forward: Type.Optional(Type.Boolean({ reason: 'must be true or false' })),
  },
  wheel: { v: Type.Optional(Input.wheel), h: Type.Optional(Input.wheel) },
  /** Text length is counted in characters by checkText. */
  type: { text: Type.String(), layout: Type.Optional(Input.layout), typing: Type.Optional(Input.typing) },
  cancel: {},
  macro: { name: Input.macroName, params: Type.Optional(Input.macroParams) },
} satisfies Record<string, Record<string, TSchema>>;

type Fields = typeof fields;
export type WsMessageType = keyof Fields;
export type WsMessage = {
  [K in WsMessageType]: { t: K } & Static<TObject<Fields[K]>>;
}[WsMessageType];

export const WS_MESSAGE_TYPES = Object.keys(fields) as WsMessageType[];

/** Messages that drive the target or change what others see: refused to viewers. */
export const WS_CONTROL: ReadonlySet<WsMessageType> = new Set<WsMessageType>([
  'key',
  'mouse_abs',
  'mouse_rel',
  'buttons',
  'wheel',
  'type',
  'cancel',
  'macro',
  'video',
]);

/** Validates one parsed message; throws KvmError BAD_REQUEST "<field>: <reason>". */
export function parseWsMessage(m: Record<string, unknown>, maxText: number = INPUT_LIMITS.text): WsMessage {
  const t = m.t;
  if (typeof t !== 'string' || !Object.hasOwn(fields, t))
    throw new KvmError('BAD_REQUEST', `unknown message type ${JSON.stringify(t)}`);
  const own = fields[t as WsMessageType] as Record<string, TSchema>;
  for (const [name, schema] of Object.entries(own)) {
    if (m[name] === undefined && OptionalKind in schema) continue;
    checkInput(schema, m[name], name);
  }
  if (t === 'type') checkText(m.text, maxText, 'text');
  return m as WsMessage;
}
