import type { TSchema } from '@sinclair/typebox';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { checkText, Input, type MouseButton, reasonOf } from '../commands/inputs.js';
import type { ErrorCode } from '../core/errors.js';
import type { TypingProfileName } from '../hid/typing/profiles.js';
import { parseDuration } from './duration.js';
import type { Macro, MouseOp, ParamSpec, Step, TextValue, WaitCondition } from './types.js';

export interface MacroProblem {
  /** `file:line` */
  where: string;
  macro: string;
  message: string;
  /**
   * BAD_REQUEST when a value breaks the shared input limits (commands/inputs.ts: the same code and
   * words as over the WebSocket or MQTT), MACRO_INVALID (or absent) for anything else wrong.
   */
  code?: ErrorCode;
}

export interface CompileContext {
  file: string;
  builtin: boolean;
  isKey(name: string): boolean;
  hasSecret(name: string): boolean;
  limits: { maxSteps: number; maxDurationMs: number; maxTextLength: number };
  wolBroadcast: string;
}

/** `!secret name` in a macro file: a reference, resolved only at the moment it is typed. */
class SecretRef {
  constructor(readonly name: string) {}
}

const secretTag = {
  tag: '!secret',
  resolve: (s: string) => new SecretRef(s.trim()),
  identify: (v: unknown) => v instanceof SecretRef,
};

class StepError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
    readonly code: ErrorCode = 'MACRO_INVALID',
  ) {
    super(message);
  }
}

/** A value checked against the shared input schema; `field` names it as the step writes it. */
function input<T>(schema: TSchema, v: unknown, field: string, path: (string | number)[]): T {
  const reason = reasonOf(schema, v);
  if (reason !== null) throw new StepError(`${field}: ${reason}`, path, 'BAD_REQUEST');
  return v as T;
}

const STEP_KINDS = [
  'press',
  'down',
  'up',
  'tap',
  'type',
  'wait',
  'mouse',
  'repeat',
  'wait_for',
  'run',
  'publish',
  'wake_on_lan',
];

/**
 * Parses one macro file (a mapping of macro name → definition) into compiled macros. A macro with
 * a problem is left out with a message naming file, line and reason; the others still load.
 */
export function compileMacroFile(
  text: string,
  ctx: CompileContext,
): { macros: Macro[]; problems: MacroProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    customTags: [secretTag],
    uniqueKeys: true,
    prettyErrors: true,
  });
  const problems: MacroProblem[] = [];
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      problems.push({
        where: `${ctx.file}:${pos?.line ?? 1}`,
        macro: '',
        message: (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''),
        code: 'MACRO_INVALID',
      });
    }
    return { macros: [], problems };
  }
  const lineOf = (path: (string | number)[]) => locate(doc, lc, path);
  const root = doc.toJS({ maxAliasCount: 50 }) as unknown;
  if (root === null || root === undefined) return { macros: [], problems };
  if (typeof root !== 'object' || Array.isArray(root)) {
    return {
      macros: [],
      problems: [
        {
          where: `${ctx.file}:1`,
          macro: '',
          message: 'a macro file is a mapping of macro names to macros',
          code: 'MACRO_INVALID',
        },
      ],
    };
  }
  const macros: Macro[] = [];
  for (const [name, def] of Object.entries(root as Record<string, unknown>)) {
    try {
      if (!/^[a-z0-9_]{1,48}$/.test(name))
        throw new StepError('macro names are lowercase letters, digits and _ (at most 48)', [name]);
      macros.push(compileMacro(name, def, ctx, lineOf));
    } catch (err) {
      const path = err instanceof StepError ? err.path : [name];
      problems.push({
        where: `${ctx.file}:${lineOf(path)}`,
        macro: name,
        message: (err as Error).message,
        code: err instanceof StepError ? err.code : 'MACRO_INVALID',
      });
    }
  }
  return { macros, problems };
}

function locate(doc: Document, lc: LineCounter, path: (string | number)[]): number {
  for (let d = path.length; d > 0; d--) {
    const node = doc.getIn(path.slice(0, d), true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range)
      return lc.linePos(node.range[0]).line;
  }
  return 1;
}

function obj(v: unknown, path: (string | number)[], what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new StepError(`${what} must be a mapping`, path);
  return v as Record<string, unknown>;
}

function known(o: Record<string, unknown>, keys: string[], path: (string | number)[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      throw new StepError(`unknown key '${k}' (known: ${keys.join(', ')})`, [...path, k]);
}

function compileMacro(
  name: string,
  def: unknown,
  ctx: CompileContext,
  lineOf: (p: (string | number)[]) => number,
): Macro {
  const d = obj(def, [name], `macro '${name}'`);
  known(d, ['title', 'description', 'dangerous', 'params', 'steps'], [name]);
  if (d.dangerous !== undefined && typeof d.dangerous !== 'boolean')
    throw new StepError('dangerous must be true or false', [name, 'dangerous']);
  const params: Record<string, ParamSpec> = {};
  if (d.params !== undefined) {
    for (const [p, spec] of Object.entries(obj(d.params, [name, 'params'], 'params'))) {
      const s = obj(spec, [name, 'params', p], `param '${p}'`);
      known(s, ['type', 'default', 'description', 'choices'], [name, 'params', p]);
      const type = (s.type ?? 'string') as ParamSpec['type'];
      if (!['string', 'number', 'boolean'].includes(type))
        throw new StepError(`param type must be string, number or boolean`, [name, 'params', p, 'type']);
      params[p] = {
        type,
        default: s.default as ParamSpec['default'],
        description: s.description as string | undefined,
        choices: s.choices as ParamSpec['choices'],
      };
    }
  }
  if (!Array.isArray(d.steps) || d.steps.length === 0)
    throw new StepError('a macro needs a non-empty list of steps', [name, 'steps']);
  const counter = { steps: 0, ms: 0 };
  const steps = compileSteps(d.steps, [name, 'steps'], ctx, params, counter, lineOf);
  if (counter.steps > ctx.limits.maxSteps)
    throw new StepError(`too many steps: ${counter.steps} (limit ${ctx.limits.maxSteps})`, [name, 'steps']);
  if (counter.ms > ctx.limits.maxDurationMs) {
    throw new StepError(
      `may run ${(counter.ms / 1000).toFixed(0)} s, over the limit of ${ctx.limits.maxDurationMs / 1000} s`,
      [name, 'steps'],
    );
  }
  return {
    name,
    title:
      typeof d.title === 'string' ? d.title : name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    description: typeof d.description === 'string' ? d.description : '',
    dangerous: d.dangerous === true,
    params,
    steps,
    source: `${ctx.file}:${lineOf([name])}`,
    builtin: ctx.builtin,
  };
}

function compileSteps(
  list: unknown[],
  path: (string | number)[],
  ctx: CompileContext,
  params: Record<string, ParamSpec>,
  counter: { steps: number; ms: number },
  lineOf: (p: (string | number)[]) => number,
): Step[] {
  return list.map((raw, i) => {
    const p = [...path, i];
    const step = obj(raw, p, 'a step');
    const kind = STEP_KINDS.find((k) => k in step);
    if (!kind)
      throw new StepError(
        `unknown step '${Object.keys(step)[0] ?? ''}' (steps: ${STEP_KINDS.join(', ')})`,
        p,
      );
    counter.steps++;
    return compileStep(kind, step, p, ctx, params, counter, lineOf(p), lineOf);
  });
}

function keyList(
  v: unknown,
  path: (string | number)[],
  ctx: CompileContext,
  params: Record<string, ParamSpec>,
): string[] {
  const keys = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
  if (!keys || keys.length === 0 || keys.some((k) => typeof k !== 'string'))
    throw new StepError('expected a key name or a list of key names', path);
  for (const k of keys as string[]) checkKey(k, path, ctx, params);
  return keys as string[];
}

function checkKey(
  k: string,
  path: (string | number)[],
  ctx: CompileContext,
  params: Record<string, ParamSpec>,
): void {
  const tpl = /^\{\{\s*(\w+)\s*\}\}$/.exec(k);
  if (tpl) {
    const spec = params[tpl[1]!];
    if (!spec) throw new StepError(`unknown parameter '${tpl[1]}'`, path);
    for (const c of spec.choices ?? [])
      if (!ctx.isKey(String(c)))
        throw new StepError(`parameter '${tpl[1]}' offers '${c}', which is not a key`, path);
    return;
  }
  if (!ctx.isKey(k)) throw new StepError(`unknown key '${k}'`, path);
}

function duration(v: unknown, path: (string | number)[], what: string): number {
  const ms = parseDuration(v);
  if (ms === null)
    throw new StepError(`${what} must be a duration such as 500ms or 2s, got ${JSON.stringify(v)}`, path);
  return ms;
}

function compileStep(
  kind: string,
  s: Record<string, unknown>,
  p: (string | number)[],
  ctx: CompileContext,
  params: Record<string, ParamSpec>,
  counter: { steps: number; ms: number },
  line: number,
  lineOf: (p: (string | number)[]) => number,
): Step {
  const v = s[kind];
  switch (kind) {
    case 'press': {
      known(s, ['press', 'hold'], p);
      const holdMs =
        s.hold === undefined
          ? 50
          : input<number>(Input.holdMs, duration(s.hold, [...p, 'hold'], 'hold'), 'hold', [...p, 'hold']);
      counter.ms += holdMs;
      return { kind, keys: keyList(v, [...p, 'press'], ctx, params), holdMs, line };
    }
    case 'down':
    case 'up':
      known(s, [kind], p);
      return { kind, keys: keyList(v, [...p, kind], ctx, params), line };
    case 'tap': {
      known(s, ['tap', 'repeat', 'interval'], p);
      if (typeof v !== 'string') throw new StepError('tap takes one key name', [...p, 'tap']);
      checkKey(v, [...p, 'tap'], ctx, params);
      const repeat = s.repeat === undefined ? 1 : Number(s.repeat);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000)
        throw new StepError('repeat must be 1..1000', [...p, 'repeat']);
      const intervalMs =
        s.interval === undefined ? 100 : duration(s.interval, [...p, 'interval'], 'interval');
      counter.ms += repeat * intervalMs;
      counter.steps += repeat - 1;
      return { kind, key: v, repeat, intervalMs, line };
    }
    case 'type': {
      known(s, ['type', 'layout', 'typing'], p);
      if (s.typing !== undefined) input(Input.typing, s.typing, 'typing', [...p, 'typing']);
      if (s.layout !== undefined) input(Input.layout, s.layout, 'layout', [...p, 'layout']);
      let text: TextValue;
      if (v instanceof SecretRef) {
        if (!ctx.hasSecret(v.name))
          throw new StepError(
            `secret '${v.name}' is not defined (secrets file or KVMR0CK_SECRET_${v.name.toUpperCase()})`,
            [...p, 'type'],
          );
        text = { secret: v.name };
      } else if (typeof v === 'string') {
        try {
          checkText(v, ctx.limits.maxTextLength, 'type');
        } catch (e) {
          throw new StepError((e as Error).message, [...p, 'type'], 'BAD_REQUEST');
        }
        for (const m of v.matchAll(/\{\{\s*(\w+)\s*\}\}/g))
          if (!params[m[1]!]) throw new StepError(`unknown parameter '${m[1]}'`, [...p, 'type']);
        text = { literal: v };
      } else throw new StepError('type takes text or !secret name', [...p, 'type']);
      counter.ms += 30 * (('literal' in text ? text.literal.length : 64) || 1);
      const layout = typeof s.layout === 'string' ? s.layout : undefined;
      return { kind, text, layout, typing: s.typing as TypingProfileName | undefined, line };
    }
    case 'wait': {
      known(s, ['wait'], p);
      const ms = duration(v, [...p, 'wait'], 'wait');
      counter.ms += ms;
      return { kind, ms, line };
    }
    case 'mouse': {
      known(s, ['mouse'], p);
      const m = obj(v, [...p, 'mouse'], 'mouse');
      const op = mouseOp(m, [...p, 'mouse']);
      return { kind, op, line };
    }
    case 'repeat': {
      const r = obj(v, [...p, 'repeat'], 'repeat');
      known(r, ['times', 'for', 'until', 'steps'], [...p, 'repeat']);
      const until =
        r.until === undefined
          ? undefined
          : condition(obj(r.until, [...p, 'repeat', 'until'], 'until'), [...p, 'repeat', 'until']);
      if (!Array.isArray(r.steps) || r.steps.length === 0)
        throw new StepError('repeat needs steps', [...p, 'repeat', 'steps']);
      const inner = { steps: 0, ms: 0 };
      const steps = compileSteps(r.steps, [...p, 'repeat', 'steps'], ctx, params, inner, lineOf);
      if (r.times !== undefined) {
        const times = Number(r.times);
        if (!Number.isInteger(times) || times < 1 || times > 10_000)
          throw new StepError('times must be 1..10000', [...p, 'repeat', 'times']);
        counter.steps += inner.steps * times;
        counter.ms += inner.ms * times;
        return { kind, times, until, steps, line };
      }
      if (r.for === undefined) throw new StepError('repeat needs times or for', [...p, 'repeat']);
      const forMs = duration(r.for, [...p, 'repeat', 'for'], 'for');
      counter.steps += inner.steps;
      counter.ms += forMs;
      return { kind, forMs, until, steps, line };
    }
    case 'wait_for': {
      const w = obj(v, [...p, 'wait_for'], 'wait_for');
      known(w, ['signal', 'change', 'still', 'match', 'timeout', 'on_timeout'], [...p, 'wait_for']);
      const timeoutMs = duration(w.timeout ?? '30s', [...p, 'wait_for', 'timeout'], 'timeout');
      const onTimeout = (w.on_timeout ?? 'fail') as 'fail' | 'continue';
      if (onTimeout !== 'fail' && onTimeout !== 'continue')
        throw new StepError('on_timeout must be fail or continue', [...p, 'wait_for', 'on_timeout']);
      const cond = condition(w, [...p, 'wait_for']);
      counter.ms += timeoutMs;
      return { kind, cond, timeoutMs, onTimeout, line };
    }
    case 'run': {
      if (typeof v === 'string') return { kind, macro: v, params: {}, line };
      const r = obj(v, [...p, 'run'], 'run');
      if (typeof r.macro !== 'string') throw new StepError('run takes a macro name', [...p, 'run']);
      return { kind, macro: r.macro, params: (r.params as Record<string, unknown>) ?? {}, line };
    }
    case 'publish': {
      const r = obj(v, [...p, 'publish'], 'publish');
      known(r, ['topic', 'payload', 'retain'], [...p, 'publish']);
      if (typeof r.topic !== 'string' || r.topic.length === 0)
        throw new StepError('publish needs a topic', [...p, 'publish']);
      const payload = typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload ?? '');
      return { kind, topic: r.topic, payload, retain: r.retain === true, line };
    }
    case 'wake_on_lan': {
      const r = typeof v === 'string' ? { mac: v } : obj(v, [...p, 'wake_on_lan'], 'wake_on_lan');
      const mac = String(r.mac ?? '');
      if (!/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(mac))
        throw new StepError(`not a MAC address: '${mac}'`, [...p, 'wake_on_lan']);
      return { kind, mac, broadcast: typeof r.broadcast === 'string' ? r.broadcast : ctx.wolBroadcast, line };
    }
  }
  throw new StepError(`unknown step '${kind}'`, p);
}

/** A screen or signal condition, for `wait_for` and `repeat … until`. */
function condition(w: Record<string, unknown>, p: (string | number)[]): WaitCondition {
  if (w.signal !== undefined) return { signal: w.signal !== false };
  if (w.change !== undefined) return { change: true };
  if (w.still !== undefined) return { still: duration(w.still, [...p, 'still'], 'still') };
  if (w.match !== undefined) {
    const m = obj(w.match, [...p, 'match'], 'match');
    known(m, ['image', 'region', 'threshold'], [...p, 'match']);
    if (typeof m.image !== 'string') throw new StepError('match needs an image file', [...p, 'match']);
    const region = m.region as [number, number, number, number] | undefined;
    if (
      region !== undefined &&
      (!Array.isArray(region) ||
        region.length !== 4 ||
        region.some((x) => typeof x !== 'number' || x < 0 || x > 1))
    ) {
      throw new StepError('region is [x, y, width, height], each 0..1 of the screen', [
        ...p,
        'match',
        'region',
      ]);
    }
    return {
      match: { image: m.image, region, threshold: m.threshold === undefined ? 0.05 : Number(m.threshold) },
    };
  }
  throw new StepError('needs one of signal, change, still, match', p);
}

/** The shared input schemas (commands/inputs.ts) decide what each value may be. */
function mouseOp(m: Record<string, unknown>, p: (string | number)[]): MouseOp {
  const pair = (v: unknown, what: string, axis: TSchema): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2) throw new StepError(`${what} takes [x, y]`, p);
    return [input<number>(axis, v[0], `${what}.x`, p), input<number>(axis, v[1], `${what}.y`, p)];
  };
  if (m.move !== undefined) return { move: pair(m.move, 'move', Input.unit) };
  if (m.move_rel !== undefined) return { move_rel: pair(m.move_rel, 'move_rel', Input.relAxis) };
  if (m.click !== undefined) return { click: input<MouseButton>(Input.button, m.click, 'click', p) };
  if (m.scroll !== undefined) return { scroll: input<number>(Input.wheel, m.scroll, 'scroll', p) };
  throw new StepError('mouse takes move, move_rel, click or scroll', p);
}
