/**
 * The little the command layer needs from a macro service. `src/macros/api.ts` (when it lands)
 * should satisfy it structurally; until then macro commands answer "macros not available".
 */
export interface MacroInfo {
  name: string;
  title: string;
  /** Marked `dangerous: true` (a reboot): Home Assistant offers no one-tap button for it by default. */
  dangerous?: boolean;
}

export interface MacroEvent {
  type: 'started' | 'finished' | 'failed' | 'cancelled';
  name: string;
  error?: string;
}

export interface MacroLike {
  list(): readonly MacroInfo[];
  run(name: string, params: Record<string, unknown>, opts: { origin: string }): Promise<unknown>;
  cancel(): unknown;
  /** Optional: lets MQTT publish macro status and events for runs started elsewhere. */
  onEvent?(listener: (e: MacroEvent) => void): () => void;
  /** Optional: list changes (files added/removed), so discovery can follow. */
  onChange?(listener: () => void): () => void;
}
