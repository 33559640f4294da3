import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { MacroEvent, MacroLike } from '../commands/macros.js';
import type { AppState } from '../core/app-state.js';
import type { Clock } from '../core/clock.js';
import { errorMessage, isKvmError, KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import { packageRoot } from '../core/paths.js';
import type { StateStore } from '../core/state.js';
import type { HidApi } from '../hid/api.js';
import type { StreamHub } from '../video/stream-hub.js';
import { compileMacroFile, type MacroProblem } from './compile.js';
import type { MacrosConfig } from './config.js';
import { type Publisher, resolveParams, StepRunner } from './execute.js';
import type { Macro, MacroInfo, Step } from './types.js';

export interface MacroServiceOptions {
  config: MacrosConfig;
  hid: HidApi;
  hub: StreamHub;
  store: StateStore<AppState>;
  clock: Clock;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** The built-in macros' directory; default `config/macros` of the package. */
  builtinDir?: string;
}

export interface RunTicket {
  name: string;
  status: 'started' | 'queued';
  /** Settles when the run ends: resolves when it finished, rejects with its failure. */
  done: Promise<void>;
}

interface Queued {
  macro: Macro;
  params: Record<string, unknown>;
  origin: string;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * Server-side macros: loaded from YAML (built-ins first, user directories override by name), run one
 * at a time against the HID, cancellable at any step with every key released, progress in state.
 * The one entry point HTTP, MQTT, the web panel and schedules all call.
 */
export class MacroService implements Service, MacroLike {
  readonly name = 'macros';
  private macros = new Map<string, Macro>();
  private problems: MacroProblem[] = [];
  private secrets = new Map<string, string>();
  private queue: Queued[] = [];
  private current: { macro: Macro; abort: AbortController } | null = null;
  private publisher: Publisher | null = null;
  private readonly eventListeners = new Set<(e: MacroEvent) => void>();
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly o: MacroServiceOptions) {}

  async start(): Promise<void> {
    this.reload();
  }

  async stop(): Promise<void> {
    for (const q of this.queue.splice(0)) q.reject(new KvmError('MACRO_CANCELLED', 'daemon stopping'));
    await this.cancel();
  }

  setPublisher(p: Publisher | null): void {
    this.publisher = p;
  }

  /** (Re)reads secrets and every macro file; problems are logged with file and line and kept for the API. */
  reload(): void {
    const secretProblems = this.loadSecrets();
    const c = this.o.config;
    const dirs = [
      { dir: this.o.builtinDir ?? path.join(packageRoot(), 'config', 'macros'), builtin: true },
      ...c.dirs.map((dir) => ({ dir, builtin: false })),
    ];
    const macros = new Map<string, Macro>();
    const problems: MacroProblem[] = [...secretProblems];
    for (const { dir, builtin } of dirs) {
      if (!existsSync(dir)) {
        if (!builtin) problems.push({ where: dir, macro: '', message: 'macro directory not found' });
        continue;
      }
      for (const f of readdirSync(dir)
        .filter((n) => /\.ya?ml$/.test(n))
        .sort()) {
        const file = path.join(dir, f);
        const r = compileMacroFile(readFileSync(file, 'utf8'), {
          file,
          builtin,
          isKey: (k) => this.o.hid.isKey(k),
          hasSecret: (n) => this.secrets.has(n),
          limits: {
            maxSteps: c.max_steps,
            maxDurationMs: c.max_duration_s * 1000,
            maxTextLength: c.max_text_length,
          },
          wolBroadcast: c.wol_broadcast,
        });
        problems.push(...r.problems);
        for (const m of r.macros) macros.set(m.name, m);
      }
    }
    // `run` must name a macro that exists and must not come back to itself.
    for (const m of [...macros.values()]) {
      const why = runProblem(m, macros);
      if (why) {
        problems.push({ where: m.source, macro: m.name, message: why });
        macros.delete(m.name);
      }
    }
    for (const p of problems)
      this.o.log.warn(`macro ${p.where}: ${p.macro ? `${p.macro}: ` : ''}${p.message}`);
    this.macros = macros;
    this.problems = problems;
    this.o.store.patch('macro', { available: macros.size, problems: problems.length });
    for (const l of this.changeListeners) l();
  }

  /** Reads the secrets file and KVMR0CK_SECRET_* variables (these win). */
  private loadSecrets(): MacroProblem[] {
    this.secrets.clear();
    const f = this.o.config.secrets_file;
    const { values, problems } = f && existsSync(f) ? readSecretsFile(f) : { values: [], problems: [] };
    for (const [k, v] of values) this.secrets.set(k, v);
    for (const [k, v] of Object.entries(this.o.env ?? {})) {
      if (k.startsWith('KVMR0CK_SECRET_') && v !== undefined) this.secrets.set(k.slice(15).toLowerCase(), v);
    }
    return problems;
  }

  list(): MacroInfo[] {
    return [...this.macros.values()].map((m) => ({
      name: m.name,
      title: m.title,
      description: m.description,
      dangerous: m.dangerous,
      params: m.params,
      builtin: m.builtin,
    }));
  }

  loadProblems(): readonly MacroProblem[] {
    return this.problems;
  }

  get(name: string): Macro | undefined {
    return this.macros.get(name);
  }

  /** Starts (or queues) a macro; the ticket says which, and `done` settles when it ends. */
  async run(
    name: string,
    params: Record<string, unknown> = {},
    opts: { origin: string },
  ): Promise<RunTicket> {
    const macro = this.macros.get(name);
    if (!macro) throw new KvmError('MACRO_NOT_FOUND', `no macro named '${name}'`);
    const resolved = resolveParams(macro, params);
    if (this.current) {
      if (this.o.config.busy === 'refuse') {
        throw new KvmError(
          'MACRO_BUSY',
          `'${this.current.macro.name}' is running; '${name}' refused (macros.busy: refuse)`,
        );
      }
      if (this.queue.length >= this.o.config.queue_limit)
        throw new KvmError('MACRO_BUSY', `the macro queue is full (${this.o.config.queue_limit})`);
      let q!: Queued;
      const done = new Promise<void>((resolve, reject) => {
        q = { macro, params: resolved, origin: opts.origin, resolve, reject };
      });
      done.catch(() => {});
      this.queue.push(q);
      this.o.store.patch('macro', { queued: this.queue.length });
      this.o.log.info({ macro: name, origin: opts.origin }, `macro ${name} queued by ${opts.origin}`);
      return { name, status: 'queued', done };
    }
    const done = this.execute(macro, resolved, opts.origin);
    done.catch(() => {});
    return { name, status: 'started', done };
  }

  /** Stops the running macro at its current step; all keys are released. */
  async cancel(): Promise<boolean> {
    const c = this.current;
    if (!c) return false;
    c.abort.abort();
    return true;
  }

  onEvent(listener: (e: MacroEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private emit(e: MacroEvent): void {
    for (const l of this.eventListeners) l(e);
  }

  private async execute(macro: Macro, params: Record<string, unknown>, origin: string): Promise<void> {
    const abort = new AbortController();
    this.current = { macro, abort };
    const total = countSteps(macro.steps);
    const log = this.o.log.child({ macro: macro.name });
    log.info({ origin }, `macro ${macro.name} started by ${origin}`);
    this.o.store.patch('macro', { running: macro.name, step: 0, steps: total, origin, status: 'running' });
    this.emit({ type: 'started', name: macro.name });
    const runner = new StepRunner(
      {
        hid: this.o.hid,
        clock: this.o.clock,
        hub: this.o.hub,
        store: this.o.store,
        secrets: (n) => this.secrets.get(n),
        macros: (n) => this.macros.get(n),
        publisher: () => this.publisher,
        imageDir: path.dirname(macro.source.replace(/:\d+$/, '')),
        log: (line) => log.debug(`macro ${macro.name}: ${line}`),
        progress: (done) => this.o.store.patch('macro', { step: Math.min(done, total) }),
      },
      abort.signal,
    );
    try {
      await runner.steps(macro.steps, params, 0);
      this.finish(macro, 'finished', null, origin);
    } catch (err) {
      // Whatever the step held (a combo, a half-typed word), nothing stays pressed.
      await this.o.hid.releaseAll();
      const cancelled = abort.signal.aborted || (isKvmError(err) && err.code === 'MACRO_CANCELLED');
      this.finish(macro, cancelled ? 'cancelled' : 'failed', cancelled ? null : errorMessage(err), origin);
      throw cancelled ? new KvmError('MACRO_CANCELLED', `macro ${macro.name} cancelled`) : err;
    } finally {
      this.current = null;
      this.next();
    }
  }

  private finish(
    macro: Macro,
    result: 'finished' | 'failed' | 'cancelled',
    error: string | null,
    origin: string,
  ): void {
    const msg = `macro ${macro.name} ${result}${error ? `: ${error}` : ''}`;
    if (result === 'failed') this.o.log.warn({ origin }, msg);
    else this.o.log.info({ origin }, msg);
    this.o.store.patch('macro', {
      running: null,
      status: result,
      last: { name: macro.name, result, error, at: new Date(this.o.clock.now()).toISOString() },
    });
    this.emit(error ? { type: result, name: macro.name, error } : { type: result, name: macro.name });
  }

  private next(): void {
    const q = this.queue.shift();
    this.o.store.patch('macro', { queued: this.queue.length });
    if (!q) return;
    this.execute(q.macro, q.params, q.origin).then(q.resolve, q.reject);
  }
}

function countSteps(steps: Step[]): number {
  return steps.length;
}

function runProblem(m: Macro, all: Map<string, Macro>, seen: string[] = []): string | null {
  if (seen.includes(m.name)) return `run goes round in a circle: ${[...seen, m.name].join(' → ')}`;
  const walk = (steps: Step[]): string | null => {
    for (const s of steps) {
      if (s.kind === 'run') {
        const target = all.get(s.macro);
        if (!target) return `line ${s.line}: run: no macro named '${s.macro}'`;
        const p = runProblem(target, all, [...seen, m.name]);
        if (p) return p;
      }
      if (s.kind === 'repeat') {
        const p = walk(s.steps);
        if (p) return p;
      }
    }
    return null;
  };
  return walk(m.steps);
}

/**
 * A YAML mapping of secret names to values. Problems name the file, line and key, never the text:
 * the YAML parser's own message quotes the line, which may hold a secret.
 */
function readSecretsFile(f: string): { values: [string, string][]; problems: MacroProblem[] } {
  const text = readFileSync(f, 'utf8');
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = text.slice(0, err.pos[0]).split('\n').length;
    const message = 'secrets file is not valid YAML (the line is not shown: it may hold a secret)';
    return { values: [], problems: [{ where: `${f}:${line}`, macro: '', message }] };
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    return {
      values: [],
      problems: [{ where: f, macro: '', message: 'secrets file must be a mapping of name: value' }],
    };
  }
  const values: [string, string][] = [];
  const problems: MacroProblem[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values.push([k, String(v)]);
    else
      problems.push({
        where: f,
        macro: '',
        message: `secret '${k}' must be a single value, not a list or mapping`,
      });
  }
  return { values, problems };
}
