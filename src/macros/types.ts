import type { MouseButton } from '../commands/inputs.js';
import type { TypingProfileName } from '../hid/typing/profiles.js';
/** A compiled macro: validated, with durations in ms and every key name known to the HID side. */
export type Step =
  | { kind: 'press'; keys: string[]; holdMs: number; line: number }
  | { kind: 'down'; keys: string[]; line: number }
  | { kind: 'up'; keys: string[]; line: number }
  | { kind: 'tap'; key: string; repeat: number; intervalMs: number; line: number }
  | { kind: 'type'; text: TextValue; layout?: string; typing?: TypingProfileName; line: number }
  | { kind: 'wait'; ms: number; line: number }
  | { kind: 'mouse'; op: MouseOp; line: number }
  | { kind: 'repeat'; times?: number; forMs?: number; until?: WaitCondition; steps: Step[]; line: number }
  | { kind: 'wait_for'; cond: WaitCondition; timeoutMs: number; onTimeout: 'fail' | 'continue'; line: number }
  | { kind: 'run'; macro: string; params: Record<string, unknown>; line: number }
  | { kind: 'publish'; topic: string; payload: string; retain: boolean; line: number }
  | { kind: 'wake_on_lan'; mac: string; broadcast: string; line: number };

/** Literal text, a `{{param}}` template, or a secret that is resolved only when typed. */
export type TextValue = { literal: string } | { secret: string };

export type MouseOp =
  | { move: [number, number] }
  | { move_rel: [number, number] }
  | { click: MouseButton }
  | { scroll: number };

export type WaitCondition =
  | { signal: boolean }
  | { change: true }
  | { still: number }
  | { match: { image: string; region?: [number, number, number, number]; threshold: number } };

export interface ParamSpec {
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  description?: string;
  /** Allowed values (shown as a choice in the panel). */
  choices?: (string | number)[];
}

export interface Macro {
  name: string;
  title: string;
  description: string;
  /**
   * Needs a deliberate act (a reboot, a power cut): the panel and the card ask before running it,
   * and Home Assistant gets no one-tap button unless the user opts in.
   */
  dangerous: boolean;
  params: Record<string, ParamSpec>;
  steps: Step[];
  /** Where it was defined, for messages: `file:line`. */
  source: string;
  builtin: boolean;
}

/** What the API and Home Assistant may see of a macro: never step contents (they may hold secrets). */
export interface MacroInfo {
  name: string;
  title: string;
  description: string;
  dangerous: boolean;
  params: Record<string, ParamSpec>;
  builtin: boolean;
}
