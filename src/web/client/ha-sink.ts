// Input in Home Assistant mode: nothing of the board is reachable from the browser, so input goes
// as commands (src/commands/schema.ts) published through HA's `mqtt.publish` service. MQTT is no
// channel for a stream of key-downs and pointer moves, so keys go as combos (the modifiers held,
// then the key) and the pointer as absolute clicks and wheel steps.

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

export class HaCommands {
  private readonly mods = new Set<string>();
  private pos = { x: 0.5, y: 0.5 };
  private held = { left: false, right: false, middle: false };

  constructor(
    private readonly hass: () => Hass | undefined,
    private readonly topic: string,
  ) {}

  /** Publishes one command; the timestamp lets the daemon refuse it if it arrives stale. */
  send(command: Record<string, unknown>): void {
    this.hass()?.callService('mqtt', 'publish', {
      topic: this.topic,
      payload: JSON.stringify({ ...command, ts: Date.now() }),
    });
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
    },
    moveRel: () => undefined, // a relative stream needs the WebSocket (direct mode)
    buttons: (b) => {
      for (const name of ['left', 'right', 'middle'] as const) {
        if (b[name] && !this.held[name]) this.send({ action: 'mouse', move: this.pos, click: name });
      }
      this.held = { ...b };
    },
    wheel: (v, h) => {
      this.send({ action: 'mouse', move: this.pos, scroll: { vertical: v, horizontal: h } });
    },
  };
}
