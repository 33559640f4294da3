import type { MacroInfo as FullMacroInfo } from '../macros/types.js';

/**
 * The little the command layer and MQTT need from a macro service (MacroService satisfies it; tests
 * pass a stand-in). Without one, macro commands answer "macros not available".
 */
export type MacroInfo = Pick<FullMacroInfo, 'name' | 'title'> & Partial<Pick<FullMacroInfo, 'dangerous'>>;

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
