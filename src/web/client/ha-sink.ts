// Input in Home Assistant mode: nothing of the board is reachable from the browser, so input goes
// as commands (src/commands/schema.ts) published through HA's `mqtt.publish` service. MQTT is no
// channel for a stream of key-downs and pointer moves, so keys go as combos (the modifiers held,
// then the key), the absolute pointer as clicks at a position, and relative motion summed over
// REL_MS into one `move_rel` command (at most 20 a second, each a service call through HA).

import { keyNameForCode } from '../../hid/browser-codes.js';
import type { InputSink } from './input.js';

export interface Hass {
  states: Record<string, { state: string; attributes: Record<string, unknown> } | undefined>;
  callService(domain: string, service: string, data: Record<string, unknown>): unknown;
  themes?: { darkMode?: boolean };
}

const MODIFIERS = new Set([
  'ControlLeft',
  'ControlRight',
  'ShiftLeft',
  'ShiftRight',
  'AltLeft',
  'AltRight',
  'MetaLeft',
  'MetaRight',
]);

/** Relative motion is summed this long before it goes out as one command. */
export const REL_MS = 50;
/** The command schema's bound for one move_rel (src/commands/schema.ts). */
const MAX_REL = 4096;

export class HaCommands {
  private readonly mods = new Set<string>();
  private pos = { x: 0.5, y: 0.5 };
  private held = { left: false, right: false, middle: false };
  /** The pointer last moved relatively: clicks and the wheel then go without an absolute move. */
  private relative = false;
  private rel = { dx: 0, dy: 0 };
  private relTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly hass: () => Hass | undefined,
    private readonly topic: string,
  ) {}

  /** Drops motion not yet sent (the card going away). */
  stop(): void {
    if (this.relTimer) clearTimeout(this.relTimer);
    this.relTimer = null;
    this.rel = { dx: 0, dy: 0 };
  }

  /** Publishes one command; the timestamp lets the daemon refuse it if it arrives stale. */
  send(command: Record<string, unknown>): void {
    this.hass()?.callService('mqtt', 'publish', {
      topic: this.topic,
      payload: JSON.stringify({ ...command, ts: Date.now() }),
    });
  }

  /** Sends the summed relative motion (a click must not overtake it); the rest waits for the next. */
  flushRel(): void {
    if (this.relTimer) clearTimeout(this.relTimer);
    this.relTimer = null;
    const clamp = (v: number) => Math.max(-MAX_REL, Math.min(MAX_REL, Math.round(v)));
    const dx = clamp(this.rel.dx);
    const dy = clamp(this.rel.dy);
    this.rel = { dx: this.rel.dx - dx, dy: this.rel.dy - dy };
    if (dx !== 0 || dy !== 0) this.send({ action: 'mouse', move_rel: { dx, dy } });
    if (Math.abs(this.rel.dx) >= 1 || Math.abs(this.rel.dy) >= 1) this.schedule();
  }

  private schedule(): void {
    this.relTimer ??= setTimeout(() => this.flushRel(), REL_MS);
  }

  /** Where a click or the wheel goes: at the absolute pointer, or wherever relative motion left it. */
  private at(): { move?: { x: number; y: number } } {
    return this.relative ? {} : { move: this.pos };
  }

  readonly sink: InputSink = {
    key: (code, down) => {
      if (MODIFIERS.has(code)) {
        if (down) this.mods.add(code);
        else this.mods.delete(code);
        return;
      }
      const key = keyNameForCode(code);
      if (!down || !key) return;
      const keys = [...this.mods].map((m) => keyNameForCode(m)!).concat(key);
      this.send({ action: 'press', keys });
    },
    moveAbs: (x, y) => {
      this.pos = { x, y };
      this.relative = false;
    },
    moveRel: (dx, dy) => {
      this.relative = true;
      this.rel = { dx: this.rel.dx + dx, dy: this.rel.dy + dy };
      this.schedule();
    },
    buttons: (b) => {
      this.flushRel();
      for (const name of ['left', 'right', 'middle'] as const) {
        if (b[name] && !this.held[name]) this.send({ action: 'mouse', ...this.at(), click: name });
      }
      this.held = { ...b };
    },
    wheel: (v, h) => {
      this.flushRel();
      this.send({ action: 'mouse', ...this.at(), scroll: { vertical: v, horizontal: h } });
    },
  };
}
