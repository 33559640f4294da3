import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { KvmError } from '../core/errors.js';
import { redactUrl } from '../core/log.js';
import { type Config, ConfigSchema } from './schema.js';

/** One thing wrong with the configuration, with where it came from. */
export interface ConfigProblem {
  /** `file:line:col`, `env KVMR0CK_X__Y`, or `defaults`. */
  where: string;
  /** Dotted path, e.g. `video.quality`; empty for syntax errors. */
  path: string;
  message: string;
}

export class ConfigError extends KvmError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('CONFIG_INVALID', formatProblems(problems), { problems });
    this.problems = problems;
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.where}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');
}

interface Layer {
  /** For messages: a file name or `env`. */
  label: string;
  data: Record<string, unknown>;
  /** Finds the line of a path in this layer, when it is a file. */
  locate(p: (string | number)[]): string | undefined;
}

export interface LoadOptions {
  /** Main config file; optional (defaults alone are a valid config). */
  file?: string;
  /** Directory of `*.yaml` overrides applied in name order; default `<file dir>/override.d`. */
  overrideDir?: string;
  /** Environment to read `KVMR0CK_SECTION__KEY=value` overrides from. */
  env?: NodeJS.ProcessEnv;
  /** Applied last, for the CLI's `demo` and tests. */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** Files that contributed, in order. */
  files: string[];
}

export const ENV_PREFIX = 'KVMR0CK_';

/**
 * Loads defaults ← file ← override.d/*.yaml ← KVMR0CK_* env ← explicit overrides, validates the
 * result against the schema and reports every problem at once, each with its file and line.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const layers: Layer[] = [];
  const problems: ConfigProblem[] = [];
  const files: string[] = [];

  if (opts.file) {
    if (!existsSync(opts.file)) {
      throw new KvmError('CONFIG_NOT_FOUND', `${opts.file}: config file not found`);
    }
    layers.push(yamlLayer(opts.file, readFileSync(opts.file, 'utf8'), problems));
    files.push(opts.file);
  }
  const overrideDir =
    opts.overrideDir ?? (opts.file ? path.join(path.dirname(opts.file), 'override.d') : undefined);
  if (overrideDir && existsSync(overrideDir)) {
    for (const name of readdirSync(overrideDir).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const f = path.join(overrideDir, name);
      layers.push(yamlLayer(f, readFileSync(f, 'utf8'), problems));
      files.push(f);
    }
  }
  if (opts.env) layers.push(envLayer(opts.env, problems));
  if (opts.overrides) layers.push({ label: 'overrides', data: opts.overrides, locate: () => undefined });

  if (problems.length > 0) throw new ConfigError(problems);

  let merged: Record<string, unknown> = {};
  for (const l of layers) merged = deepMerge(merged, l.data);
  const config = validate(ConfigSchema, merged, layers);
  return { config, files };
}

/** Parses YAML text into a layer; syntax errors are added to `problems` with line and column. */
/** The parser's message in the words of someone editing a config file (yaml's error codes). */
function plainYamlError(code: string, message: string): string {
  // The position is already in `where`; drop the parser's own " at line N, column M:" tail.
  const own = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'BAD_INDENT':
      if (/end with a [\]}]/.test(own)) return 'a [ or { is not closed';
      return 'the indentation does not line up with the lines above (indent each level by two spaces)';
    case 'TAB_AS_INDENT':
      return 'a tab is used to indent: YAML needs spaces';
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'the indentation does not line up with the lines above (indent each level by two spaces)';
    case 'DUPLICATE_KEY':
      return 'this key is given twice in the same section';
    case 'MISSING_CHAR':
      return `a bracket or quote is not closed (${own})`;
    case 'UNEXPECTED_TOKEN':
      return `this line is not "key: value" (${own})`;
    default:
      return own;
  }
}

function yamlLayer(label: string, text: string, problems: ConfigProblem[]): Layer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const seenLines = new Set<number>();
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    // One problem per line: a bad indent makes the parser report the same line two or three ways.
    if (pos && seenLines.has(pos.line)) continue;
    if (pos) seenLines.add(pos.line);
    problems.push({
      where: pos ? `${label}:${pos.line}:${pos.col}` : label,
      path: '',
      message: plainYamlError(e.code, e.message),
    });
  }
  const data = doc.errors.length === 0 ? doc.toJS() : {};
  if (
    doc.errors.length === 0 &&
    data !== null &&
    data !== undefined &&
    (typeof data !== 'object' || Array.isArray(data))
  ) {
    problems.push({
      where: `${label}:1:1`,
      path: '',
      message: 'the top level must be a mapping of sections',
    });
  }
  return {
    label,
    data: data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    locate: (p) => locateInDoc(doc, lineCounter, label, p),
  };
}

function locateInDoc(
  doc: Document,
  lc: LineCounter,
  label: string,
  p: (string | number)[],
): string | undefined {
  // Point at the key of the deepest pair the document has on this path: that is the line a user edits,
  // whether the value is a scalar on the same line or a nested block below it.
  for (let depth = p.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(p.slice(0, depth - 1), true);
    if (parent && isMap(parent)) {
      const pair = parent.items.find(
        (it) => isScalar(it.key) && String(it.key.value) === String(p[depth - 1]),
      );
      if (pair && isScalar(pair.key) && pair.key.range)
        return `${label}:${lc.linePos(pair.key.range[0]).line}`;
    }
    const node = doc.getIn(p.slice(0, depth), true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) {
      return `${label}:${lc.linePos(node.range[0]).line}`;
    }
  }
  return undefined;
}

function envLayer(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): Layer {
  const data: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || !name.includes('__') || raw === undefined) continue;
    const keys = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (keys.some((k) => k === '')) {
      problems.push({ where: `env ${name}`, path: '', message: 'empty key in variable name' });
      continue;
    }
    let value: unknown = raw;
    // VAR= means an empty string, not YAML's null.
    if (raw !== '')
      try {
        // Values are YAML scalars, so numbers and booleans arrive typed: KVMR0CK_VIDEO__QUALITY=90.
        const doc = parseDocument(raw);
        if (doc.errors.length === 0) value = doc.toJS();
      } catch {
        value = raw;
      }
    let cur = data;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]!] = value;
    origin.set(keys.join('.'), name);
  }
  return {
    label: 'env',
    data,
    locate: (p) => {
      const name = origin.get(p.join('.'));
      return name ? `env ${name}` : undefined;
    },
  };
}

export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Fills defaults and checks `data` against `schema`; every problem is reported with the layer
 * (file:line or env variable) that last set the offending path.
 */
export function validate<T extends TSchema>(
  schema: T,
  data: unknown,
  layers: Layer[] = [],
): import('@sinclair/typebox').Static<T> {
  // Filling defaults would turn a list where a mapping belongs into an object with keys 0, 1, ...:
  // report such shape errors against the data as written first.
  const shapeErrors = [...Value.Errors(schema, data)].filter(
    (e) => e.type === ValueErrorType.Object && e.value !== undefined,
  );
  const withDefaults = shapeErrors.length > 0 ? data : Value.Default(schema, structuredClone(data));
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const err of shapeErrors.length > 0 ? shapeErrors : Value.Errors(schema, withDefaults)) {
    const segs = err.path.split('/').slice(1).map(unescapePointer);
    const key = segs.join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    let where = 'defaults';
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (hasPath(layer.data, segs)) {
        where = layer.locate(segs) ?? layer.label;
        break;
      }
    }
    problems.push({ where, path: key, message: describe(err) });
  }
  // A wrong type on a section explains everything below it: report only the outermost problem.
  const outer = problems.filter(
    (p) => !problems.some((q) => q !== p && q.path !== '' && p.path.startsWith(q.path + '.')),
  );
  if (outer.length > 0) throw new ConfigError(outer);
  return withDefaults as import('@sinclair/typebox').Static<T>;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function hasPath(data: unknown, segs: string[]): boolean {
  let cur = data;
  for (const s of segs) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return false;
    if (!(s in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[s];
  }
  return true;
}

/** Keys whose values are secrets: an error about them names the key and the kind of value, never the value. */
const SECRET_KEY = /(^|_)(password|token|secret)$/i;

function show(v: unknown): string {
  if (typeof v === 'string') {
    const safe = redactUrl(v);
    return JSON.stringify(safe.length > 60 ? safe.slice(0, 57) + '...' : safe);
  }
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** What was given: its kind, and for a scalar its value unless `hide` (a secret's). */
function typeName(v: unknown, hide = false): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return hide ? `a ${typeof v}` : `${typeof v} ${show(v)}`;
}

/** Turns a schema violation into a sentence a user can act on. */
function describe(err: ValueError): string {
  const key = err.path.split('/').pop() ?? '';
  // A secret's value is described by its kind only ("got a number"), never shown.
  const secret = SECRET_KEY.test(key);
  const v = () => (secret ? typeName(err.value, true) : show(err.value));
  const t = () => typeName(err.value, secret);
  const s = err.schema as Record<string, unknown>;
  const range = () => {
    const min = s.minimum ?? s.exclusiveMinimum;
    const max = s.maximum ?? s.exclusiveMaximum;
    if (min !== undefined && max !== undefined) return `must be ${min}..${max}, got ${v()}`;
    if (min !== undefined) return `must be at least ${min}, got ${v()}`;
    return `must be at most ${max}, got ${v()}`;
  };
  switch (err.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown key${suggest(err)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return range();
    case ValueErrorType.Integer:
      return `must be a whole number, got ${t()}`;
    case ValueErrorType.Number:
      return `must be a number, got ${t()}`;
    case ValueErrorType.String:
      return `must be a string, got ${t()}`;
    case ValueErrorType.Boolean:
      return `must be true or false, got ${t()}`;
    case ValueErrorType.Object:
      return `must be a mapping, got ${t()}`;
    case ValueErrorType.Array:
      return `must be a list, got ${t()}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${s.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return `${(s.errorMessage as string | undefined) ?? (s.description as string | undefined) ?? `must match ${s.pattern}`}, got ${v()}`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${s.maxItems} entries`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${s.minItems} entries`;
    case ValueErrorType.Union: {
      const options = (s.anyOf as Record<string, unknown>[] | undefined)
        ?.map((o) => o.const)
        .filter((c) => c !== undefined);
      if (options && options.length > 0) return `must be one of ${options.join(', ')}, got ${v()}`;
      return `has the wrong form: ${err.message}`;
    }
    default:
      return err.message;
  }
}

function suggest(err: ValueError): string {
  const key = err.path.split('/').pop() ?? '';
  // The error's schema is the parent object's; offer the closest known key.
  const props = Object.keys(((err.schema as Record<string, unknown>).properties as object | undefined) ?? {});
  let best: string | undefined;
  let bestD = 3;
  for (const p of props) {
    const d = editDistance(key, p);
    if (d < bestD) {
      bestD = d;
      best = p;
    }
  }
  if (best) return ` (did you mean '${best}'?)`;
  return props.length > 0 ? ` (known keys: ${props.join(', ')})` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
