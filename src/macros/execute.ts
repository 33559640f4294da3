import path from 'node:path';
import type { AppState } from '../core/app-state.js';
import type { Clock } from '../core/clock.js';
import { KvmError } from '../core/errors.js';
import type { StateStore } from '../core/state.js';
import type { HidApi } from '../hid/api.js';
import type { StreamHub } from '../video/stream-hub.js';
import { CHANGED, difference, SAME, thumbnail } from './screen.js';
import type { Macro, Step, TextValue, WaitCondition } from './types.js';
import { sendWakeOnLan } from './wol.js';

export interface Publisher {
  publish(topic: string, payload: string, opts: { retain: boolean }): Promise<void>;
}

export interface ExecDeps {
  hid: HidApi;
  clock: Clock;
  hub: StreamHub;
  store: StateStore<AppState>;
  secrets: (name: string) => string | undefined;
  macros: (name: string) => Macro | undefined;
  publisher: () => Publisher | null;
  /** Directory reference images are resolved against. */
  imageDir: string;
  log: (line: string) => void;
  progress: (done: number) => void;
}

const POLL_MS = 200;

/**
 * Runs compiled steps against the HID with the injected clock. Every wait listens to the abort
 * signal; the caller releases all keys when this throws (cancel or failure).
 */
export class StepRunner {
  private done = 0;

  constructor(
    private readonly d: ExecDeps,
    private readonly signal: AbortSignal,
  ) {}

  async steps(list: Step[], params: Record<string, unknown>, depth: number): Promise<void> {
    for (const step of list) {
      this.checkAborted();
      await this.step(step, params, depth);
      this.done++;
      this.d.progress(this.done);
    }
  }

  private checkAborted(): void {
    if (this.signal.aborted) throw new KvmError('MACRO_CANCELLED', 'cancelled');
  }

  private sleep(ms: number): Promise<void> {
    return this.d.clock.sleep(ms, this.signal).catch(() => {
      throw new KvmError('MACRO_CANCELLED', 'cancelled');
    });
  }

  private keys(keys: string[], params: Record<string, unknown>): string[] {
    return keys.map((k) => subst(k, params));
  }

  private async step(s: Step, params: Record<string, unknown>, depth: number): Promise<void> {
    const { hid } = this.d;
    switch (s.kind) {
      case 'press':
        this.d.log(`press ${this.keys(s.keys, params).join('+')}`);
        return hid.press(this.keys(s.keys, params), s.holdMs);
      case 'down':
        for (const k of this.keys(s.keys, params)) await hid.keyDown(k);
        return;
      case 'up':
        for (const k of this.keys(s.keys, params)) await hid.keyUp(k);
        return;
      case 'tap': {
        const key = subst(s.key, params);
        for (let i = 0; i < s.repeat; i++) {
          this.checkAborted();
          await hid.press([key], 30);
          if (i < s.repeat - 1) await this.sleep(s.intervalMs);
        }
        return;
      }
      case 'type': {
        const text = this.text(s.text, params);
        // Typed text may be a password: the log names the secret, never the text.
        this.d.log('secret' in s.text ? `type <secret:${s.text.secret}>` : `type ${text.length} characters`);
        hid.checkText(text, s.layout);
        return hid.type(text, { layout: s.layout, profile: s.typing, signal: this.signal });
      }
      case 'wait':
        return this.sleep(s.ms);
      case 'mouse': {
        const op = s.op;
        if ('move' in op) return hid.mouseMoveAbs(op.move[0], op.move[1]);
        if ('move_rel' in op) return hid.mouseMoveRel(op.move_rel[0], op.move_rel[1]);
        if ('scroll' in op) return hid.mouseWheel(op.scroll);
        await hid.mouseButtons({ [op.click]: true });
        await this.sleep(30);
        return hid.mouseButtons({ [op.click]: false });
      }
      case 'repeat': {
        // A macro looking at the screen counts as a viewer while it looks (see watch()).
        const watching = this.watch(s.until);
        try {
          const start = this.d.clock.monotonic();
          const baseline = s.until ? await this.baseline(s.until, start) : null;
          for (let i = 0; ; i++) {
            if (s.times !== undefined && i >= s.times) return;
            if (s.forMs !== undefined && this.d.clock.monotonic() - start >= s.forMs) return;
            await this.steps(s.steps, params, depth);
            if (s.until && (await this.satisfied(s.until, baseline))) return;
          }
        } finally {
          watching();
        }
      }
      case 'wait_for': {
        const watching = this.watch(s.cond);
        try {
          const start = this.d.clock.monotonic();
          const baseline = await this.baseline(s.cond, start);
          while (!(await this.satisfied(s.cond, baseline))) {
            if (this.d.clock.monotonic() - start >= s.timeoutMs) {
              if (s.onTimeout === 'continue') return;
              throw new KvmError(
                'TIMEOUT',
                `wait_for ${Object.keys(s.cond)[0]} timed out after ${s.timeoutMs / 1000} s (line ${s.line})`,
              );
            }
            await this.sleep(POLL_MS);
          }
          return;
        } finally {
          watching();
        }
      }
      case 'run': {
        const m = this.d.macros(s.macro);
        if (!m) throw new KvmError('MACRO_NOT_FOUND', `run: no macro named '${s.macro}'`);
        if (depth >= 8) throw new KvmError('MACRO_INVALID', 'run: macros nested more than 8 deep');
        return this.steps(m.steps, resolveParams(m, s.params), depth + 1);
      }
      case 'publish': {
        const pub = this.d.publisher();
        if (!pub) throw new KvmError('MACRO_FAILED', 'publish: MQTT is not configured (mqtt.url)');
        return pub.publish(subst(s.topic, params), subst(s.payload, params), { retain: s.retain });
      }
      case 'wake_on_lan':
        this.d.log(`wake_on_lan ${s.mac}`);
        return sendWakeOnLan(s.mac, s.broadcast);
      default:
        // A new step kind that is compiled but not run here is a type error, not a silent no-op.
        return assertNever(s);
    }
  }

  private text(t: TextValue, params: Record<string, unknown>): string {
    if ('literal' in t) return subst(t.literal, params);
    const v = this.d.secrets(t.secret);
    if (v === undefined) throw new KvmError('MACRO_FAILED', `secret '${t.secret}' is no longer defined`);
    return v;
  }

  /** A macro looking at the screen wants frames (the pipeline encodes only on demand); no viewer. */
  private watch(c: WaitCondition | undefined): () => void {
    return c && !('signal' in c) ? this.d.hub.wantFrames() : () => {};
  }

  /** What a screen condition compares against: the picture when the step started. */
  private async baseline(c: WaitCondition, start: number): Promise<Baseline> {
    const f = this.d.hub.latest();
    // The reference image is a picture of the region itself (cut from a snapshot), not of the screen.
    if ('match' in c)
      return {
        ref: await thumbnail(path.resolve(this.d.imageDir, c.match.image)),
        lastId: 0,
        stillSince: start,
      };
    if ('change' in c || 'still' in c)
      return { ref: f ? await thumbnail(f.jpeg) : null, lastId: f?.id ?? 0, stillSince: start };
    return { ref: null, lastId: 0, stillSince: start };
  }

  private async satisfied(c: WaitCondition, base: Baseline | null): Promise<boolean> {
    if ('signal' in c) return this.d.store.get().video.signal === c.signal;
    const f = this.d.hub.latest();
    if (!f || !base) return false;
    if ('match' in c)
      return (
        base.ref !== null &&
        difference(await thumbnail(f.jpeg, c.match.region), base.ref) <= c.match.threshold
      );
    if (f.id === base.lastId)
      return 'still' in c ? this.d.clock.monotonic() - base.stillSince >= c.still : false;
    const now = await thumbnail(f.jpeg);
    const diff = base.ref ? difference(now, base.ref) : 1;
    base.lastId = f.id;
    if ('change' in c) return diff > CHANGED;
    // still: the picture stayed the same for the whole duration.
    if (diff > SAME) base.stillSince = this.d.clock.monotonic();
    base.ref = now;
    return this.d.clock.monotonic() - base.stillSince >= c.still;
  }
}

/**
 * What one screen condition compares against. Each wait has its own: a second `still` in the same
 * macro must not inherit the first one's "still since" and end before the new picture has settled.
 */
interface Baseline {
  ref: Buffer | null;
  lastId: number;
  /** Monotonic ms since when the picture has matched `ref` (the step's start at first). */
  stillSince: number;
}

/** `{{name}}` → the parameter's value. */
export function subst(s: string, params: Record<string, unknown>): string {
  return s.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n: string) => String(params[n] ?? ''));
}

/** Checks and completes the parameters of a run: unknown, missing, wrongly typed or not among the choices. */
export function resolveParams(m: Macro, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) {
    if (!m.params[k]) throw new KvmError('BAD_REQUEST', `macro '${m.name}' has no parameter '${k}'`);
  }
  for (const [k, spec] of Object.entries(m.params)) {
    let v = given[k] ?? spec.default;
    if (v === undefined) throw new KvmError('BAD_REQUEST', `macro '${m.name}' needs parameter '${k}'`);
    if (spec.type === 'number') v = Number(v);
    if (spec.type === 'boolean') v = v === true || v === 'true';
    if (spec.type === 'number' && !Number.isFinite(v))
      throw new KvmError('BAD_REQUEST', `parameter '${k}' must be a number`);
    if (spec.type === 'string' && typeof v !== 'string')
      throw new KvmError('BAD_REQUEST', `parameter '${k}' must be text`);
    if (spec.choices && !spec.choices.map(String).includes(String(v))) {
      throw new KvmError('BAD_REQUEST', `parameter '${k}' must be one of ${spec.choices.join(', ')}`);
    }
    out[k] = v;
  }
  return out;
}

function assertNever(x: never): never {
  throw new KvmError('MACRO_INVALID', `unknown step ${JSON.stringify(x)}`);
}
