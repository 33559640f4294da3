import type { AppState } from '../core/app-state.js';
import type { Clock } from '../core/clock.js';
import { errorMessage, KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import type { HidApi, HidSession, MouseButtons, TypeOptions } from './api.js';
import type { HidConfig } from './config.js';
import { KeyboardState } from './keyboard-state.js';
import { type KeyDef, lookupKey } from './keys.js';
import type { LayoutRegistry } from './layout.js';
import { MouseState } from './mouse-state.js';
import { encodeConsumer, encodeKeyboard, encodeSystem, systemBit } from './reports.js';
import { ClientSession } from './session.js';
import type { HidFunctionName, HidSink } from './types.js';
import type { PaceResult } from './typing/pace.js';
import { typingReports } from './typing/plan.js';
import { typingProfile } from './typing/profiles.js';

export interface HidServiceOptions {
  sink: HidSink;
  store: StateStore<AppState>;
  log: Logger;
  clock: Clock;
  layouts: LayoutRegistry;
  config: HidConfig;
}

/** After this long without the host taking a report, state says the job waits for the host. */
const WAITING_NOTICE_MS = 200;

function cancelled(done: number, total: number): KvmError {
  return new KvmError('MACRO_CANCELLED', `typing cancelled after ${done} of ${total} characters`, {
    done,
    total,
  });
}

/**
 * The HID side of the daemon (HidApi): key and pointer state machines over the sink. The sink
 * writes each function's reports in call order, so a release never overtakes its press; the
 * reports are not chained here, so a stalled device lets the sink drop superseded ones instead of
 * building a backlog. Whatever is held, `releaseAll` sends an all-up report on every function.
 */
export class HidService implements Service, HidApi {
  readonly name = 'hid';
  private readonly kb = new KeyboardState();
  private mouse!: MouseState;
  private consumerUsage = 0;
  private systemBits = 0;
  private typing: Promise<unknown> = Promise.resolve();
  private written = 0;
  private online = false;
  private readonly sessions = new Map<string, ClientSession>();

  constructor(private readonly o: HidServiceOptions) {}

  async start(): Promise<void> {
    this.mouse = new MouseState(this.o.sink.functions(), (fn, r) => this.write(fn, r));
    this.o.store.patch('hid', { sink: this.o.sink.name });
    await this.o.sink.start({
      online: (online, error) => {
        // Back online: the sink has sent all-up reports to the host, so nothing is held any more.
        if (online && !this.online) this.forgetHeld();
        this.online = online;
        this.o.store.patch('hid', { online, error });
      },
      leds: (bits) =>
        this.o.store.patch('hid', {
          numLock: (bits & 0x01) !== 0,
          capsLock: (bits & 0x02) !== 0,
          scrollLock: (bits & 0x04) !== 0,
        }),
    });
  }

  async stop(): Promise<void> {
    for (const s of [...this.sessions.values()]) await s.close();
    await this.releaseAll();
    await this.o.sink.stop();
  }

  isKey(name: string): boolean {
    return lookupKey(name) !== undefined;
  }

  layouts(): readonly string[] {
    return this.o.layouts.names();
  }

  async keyDown(key: string): Promise<void> {
    const def = this.resolve(key);
    if (def.page === 'keyboard') {
      if (!this.kb.down(def.usage)) return;
      try {
        await this.write('keyboard', this.kb.report());
      } catch (err) {
        this.kb.up(def.usage); // the host never saw it
        throw err;
      } finally {
        this.updateHeld();
      }
    } else await this.setConsumerOrSystem(def, true);
  }

  async keyUp(key: string): Promise<void> {
    const def = this.resolve(key);
    if (def.page === 'keyboard') {
      if (!this.kb.up(def.usage)) return;
      this.updateHeld();
      await this.write('keyboard', this.kb.report());
    } else await this.setConsumerOrSystem(def, false);
  }

  async press(keys: readonly string[], holdMs = this.o.config.press_hold_ms): Promise<void> {
    const defs = keys.map((k) => this.resolve(k)); // refuse unknown names before sending anything
    if (!Number.isFinite(holdMs) || holdMs < 0 || holdMs > 60_000) {
      throw new KvmError('BAD_REQUEST', `hold time must be 0..60000 ms, got ${holdMs}`);
    }
    const down: string[] = [];
    try {
      for (const d of defs) {
        await this.keyDown(d.name);
        down.push(d.name);
      }
      await this.o.clock.sleep(holdMs);
    } finally {
      for (const k of down.reverse()) await this.keyUp(k).catch(() => {});
    }
  }

  checkText(text: string, layout = this.o.config.layout): void {
    this.o.layouts.plan(text, layout);
  }

  type(text: string, opts: TypeOptions = {}): Promise<void> {
    // One text at a time: two interleaved texts would be garbage on the target.
    const run = this.typing.then(() => this.typeNow(text, opts));
    this.typing = run.catch(() => {});
    return run;
  }

  private async typeNow(text: string, opts: TypeOptions): Promise<void> {
    const plan = this.o.layouts.plan(text, opts.layout ?? this.o.config.layout);
    const profile = typingProfile(opts.profile ?? this.o.config.typing);
    const delay = opts.delayMs ?? this.o.config.type_delay_ms;
    if (!Number.isFinite(delay) || delay < 0 || delay > 10_000) {
      throw new KvmError('BAD_REQUEST', `typing delay must be 0..10000 ms, got ${delay}`);
    }
    this.need('keyboard');
    if (opts.signal?.aborted) throw cancelled(0, plan.length);
    // Our layouts are generated for Caps Lock off: with it on, Shift+letter would type lowercase.
    const { reports, chars } = typingReports(plan, profile, this.o.store.slice('hid').capsLock);
    const total = plan.length;
    const received = (taken: number) => (taken > 0 ? chars[taken - 1]! : 0);
    let told = 0;
    this.o.store.patch('hid', { typing: 'typing' });
    let r: PaceResult;
    try {
      r = await this.o.sink.stream('keyboard', reports, {
        gapMs: profile.gapMs + delay,
        noticeMs: WAITING_NOTICE_MS,
        stallMs: this.o.config.stall_timeout_s * 1000,
        signal: opts.signal,
        onTaken: (n) => {
          if (received(n) === told) return;
          told = received(n);
          opts.onProgress?.(told, total);
        },
        onWaiting: (on) => this.o.store.patch('hid', { typing: on ? 'waiting for the host' : 'typing' }),
      });
    } finally {
      this.o.store.patch('hid', { typing: 'idle' });
    }
    this.written += r.written;
    this.o.store.patch('hid', { reportsWritten: this.written });
    const done = received(r.taken);
    if (done !== told) opts.onProgress?.(done, total);
    if (r.outcome === 'done') {
      // Keys an interactive client holds were left out of the typed reports: put them back.
      if (this.kb.count() > 0) await this.write('keyboard', this.kb.report());
      return;
    }
    // The stream ended with an all-up report (or the link is gone): nothing is held any more.
    this.kb.clear();
    this.updateHeld();
    if (r.outcome === 'cancelled') throw cancelled(done, total);
    // One report was handed to the gadget but not confirmed taken: say what it would add.
    const maybe = received(r.written) - done;
    const note =
      maybe === 0
        ? ''
        : r.outcome === 'stalled'
          ? ` (the gadget still holds the press of character ${done + 1}: it arrives, then a release, if the host wakes up)`
          : ` (and character ${done + 1} if the host took its key press just before the link went down)`;
    throw new KvmError(
      r.code === 'HID_OFFLINE' ? 'HID_OFFLINE' : 'HID_WRITE_FAILED',
      `typing stopped after ${done} of ${total} characters${note}: ${r.message ?? r.outcome}`,
      { done, total, unconfirmed: maybe, outcome: r.outcome },
    );
  }

  mouseMoveAbs(x: number, y: number): Promise<void> {
    return this.mouse.moveAbs(x, y);
  }

  mouseMoveRel(dx: number, dy: number): Promise<void> {
    return this.mouse.moveRel(dx, dy);
  }

  mouseButtons(buttons: MouseButtons): Promise<void> {
    return this.mouse.buttons(buttons);
  }

  mouseWheel(vertical: number, horizontal = 0): Promise<void> {
    return this.mouse.wheel(vertical, horizontal);
  }

  async releaseAll(): Promise<void> {
    const fns = this.o.sink.functions();
    const reports: Array<[HidFunctionName, Uint8Array]> = [];
    if (fns.includes('keyboard')) reports.push(['keyboard', encodeKeyboard(0, [])]);
    if (fns.includes('consumer'))
      reports.push(['consumer', encodeConsumer(0)], ['consumer', encodeSystem(0)]);
    reports.push(...(this.mouse?.releaseReports() ?? []));
    this.forgetHeld();
    for (const [fn, report] of reports) {
      try {
        await this.write(fn, report);
      } catch (err) {
        this.o.log.debug({ fn, err: errorMessage(err) }, 'release-all write failed');
      }
    }
  }

  session(clientId: string): HidSession {
    let s = this.sessions.get(clientId);
    if (!s) {
      s = new ClientSession(clientId, {
        hid: this,
        clock: this.o.clock,
        log: this.o.log,
        keepaliveMs: this.o.config.keepalive_ms,
        modifierKeepaliveMs: this.o.config.modifier_keepalive_ms,
        onClosed: (closed) => {
          if (this.sessions.get(clientId) === closed) this.sessions.delete(clientId);
        },
      });
      this.sessions.set(clientId, s);
    }
    return s;
  }

  private async setConsumerOrSystem(def: KeyDef, down: boolean): Promise<void> {
    this.need('consumer');
    if (def.page === 'consumer') {
      const next = down ? def.usage : this.consumerUsage === def.usage ? 0 : this.consumerUsage;
      if (next === this.consumerUsage) return;
      this.consumerUsage = next;
      this.updateHeld();
      await this.write('consumer', encodeConsumer(next));
    } else {
      const bit = systemBit(def.usage);
      const next = down ? this.systemBits | bit : this.systemBits & ~bit;
      if (next === this.systemBits) return;
      this.systemBits = next;
      this.updateHeld();
      await this.write('consumer', encodeSystem(next));
    }
  }

  private forgetHeld(): void {
    this.kb.clear();
    this.mouse?.clear();
    this.consumerUsage = 0;
    this.systemBits = 0;
    this.updateHeld();
  }

  private resolve(key: string): KeyDef {
    const def = lookupKey(key);
    if (!def) throw new KvmError('UNKNOWN_KEY', `unknown key '${key}'`, { key });
    return def;
  }

  private need(fn: HidFunctionName): void {
    if (!this.o.sink.functions().includes(fn)) {
      throw new KvmError('BAD_REQUEST', `the USB gadget has no ${fn} function (see gadget.functions)`, {
        fn,
      });
    }
  }

  private updateHeld(): void {
    let n = this.kb.count() + (this.consumerUsage ? 1 : 0);
    for (let b = this.systemBits; b; b &= b - 1) n++;
    this.o.store.patch('hid', { keysHeld: n });
  }

  /** Hands one report to the sink; rejects with the sink's error. */
  private async write(fn: HidFunctionName, report: Uint8Array): Promise<void> {
    await this.o.sink.write(fn, report);
    this.written++;
    this.o.store.patch('hid', { reportsWritten: this.written });
  }
}
