import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { HidApi, HidSession, MouseButtons } from './api.js';
import { lookupKey, modifierBit } from './keys.js';

export interface SessionDeps {
  hid: HidApi;
  clock: Clock;
  log: Logger;
  keepaliveMs: number;
  modifierKeepaliveMs: number;
  onClosed(session: ClientSession): void;
}

/**
 * Tracks what one interactive client holds and lets go of it when the client goes quiet. Timers
 * run only while something is held, so an idle client costs nothing.
 */
export class ClientSession implements HidSession {
  private readonly keys = new Set<string>();
  private readonly buttons = new Set<keyof MouseButtons>();
  private keysTimer: TimerHandle | null = null;
  private modsTimer: TimerHandle | null = null;
  private closed = false;

  constructor(
    readonly clientId: string,
    private readonly d: SessionDeps,
  ) {}

  async keyDown(key: string): Promise<void> {
    this.keepalive();
    await this.d.hid.keyDown(key);
    this.keys.add(lookupKey(key)!.name);
    this.arm();
  }

  async keyUp(key: string): Promise<void> {
    this.keepalive();
    const def = lookupKey(key);
    if (def) this.keys.delete(def.name);
    await this.d.hid.keyUp(key);
    this.arm();
  }

  async mouseMoveAbs(x: number, y: number): Promise<void> {
    this.keepalive();
    await this.d.hid.mouseMoveAbs(x, y);
  }

  async mouseMoveRel(dx: number, dy: number): Promise<void> {
    this.keepalive();
    await this.d.hid.mouseMoveRel(dx, dy);
  }

  async mouseButtons(b: MouseButtons): Promise<void> {
    this.keepalive();
    await this.d.hid.mouseButtons(b);
    for (const [name, down] of Object.entries(b) as Array<[keyof MouseButtons, boolean | undefined]>) {
      if (down === true) this.buttons.add(name);
      else if (down === false) this.buttons.delete(name);
    }
    this.arm();
  }

  async mouseWheel(vertical: number, horizontal?: number): Promise<void> {
    this.keepalive();
    await this.d.hid.mouseWheel(vertical, horizontal);
  }

  keepalive(): void {
    if (this.closed) return;
    this.arm();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimers();
    await this.releaseHeld(() => true);
    this.d.onClosed(this);
  }

  /** Restarts the release timers for what is held now. */
  private arm(): void {
    this.cancelTimers();
    if (this.closed) return;
    const mods = [...this.keys].filter(isModifier);
    if (this.keys.size > mods.length || this.buttons.size > 0) {
      this.keysTimer = this.d.clock.setTimeout(() => {
        this.keysTimer = null;
        void this.expire('keys', (k) => !isModifier(k));
      }, this.d.keepaliveMs);
    }
    if (mods.length > 0) {
      this.modsTimer = this.d.clock.setTimeout(() => {
        this.modsTimer = null;
        void this.expire('modifiers', isModifier);
      }, this.d.modifierKeepaliveMs);
    }
  }

  private async expire(what: 'keys' | 'modifiers', which: (k: string) => boolean): Promise<void> {
    const keys = [...this.keys].filter(which);
    const buttons = what === 'keys' ? [...this.buttons] : [];
    this.d.log.warn(
      { client: this.clientId, keys, buttons },
      `client ${this.clientId}: no keepalive, releasing held ${what}`,
    );
    await this.releaseHeld(which, what === 'keys');
  }

  private async releaseHeld(which: (k: string) => boolean, buttons = true): Promise<void> {
    for (const k of [...this.keys].filter(which)) {
      this.keys.delete(k);
      try {
        await this.d.hid.keyUp(k);
      } catch (err) {
        this.d.log.debug({ client: this.clientId, err }, 'release failed');
      }
    }
    if (buttons && this.buttons.size > 0) {
      const up: MouseButtons = {};
      for (const b of this.buttons) up[b] = false;
      this.buttons.clear();
      try {
        await this.d.hid.mouseButtons(up);
      } catch (err) {
        this.d.log.debug({ client: this.clientId, err }, 'release failed');
      }
    }
  }

  private cancelTimers(): void {
    this.keysTimer?.cancel();
    this.modsTimer?.cancel();
    this.keysTimer = null;
    this.modsTimer = null;
  }
}

function isModifier(name: string): boolean {
  const def = lookupKey(name);
  return def !== undefined && modifierBit(def) !== 0;
}
