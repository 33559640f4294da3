/**
 * An observable store of the daemon's state, split in named slices (video, hid, macro, ...).
 * Publishers (MQTT, WebSocket, /api/state) subscribe instead of polling; a patch that changes
 * nothing notifies nobody, so chatty sources cost nothing downstream.
 */
export type StateListener<S> = <K extends keyof S>(slice: K, value: S[K], previous: S[K]) => void;

export class StateStore<S extends Record<string, object>> {
  private state: S;
  private readonly listeners = new Set<StateListener<S>>();

  constructor(initial: S) {
    this.state = structuredClone(initial);
  }

  get(): Readonly<S> {
    return this.state;
  }

  slice<K extends keyof S>(slice: K): Readonly<S[K]> {
    return this.state[slice];
  }

  /** Shallow-merges `patch` into one slice; listeners hear about it only if a value changed. */
  patch<K extends keyof S>(slice: K, patch: Partial<S[K]>): void {
    const previous = this.state[slice];
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (!sameValue((previous as Record<string, unknown>)[k], v)) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    const next = { ...previous, ...patch };
    this.state = { ...this.state, [slice]: next };
    for (const l of this.listeners) {
      try {
        l(slice, next, previous);
      } catch {
        // A broken subscriber must not break the publisher; subscribers log their own errors.
      }
    }
  }

  subscribe(listener: StateListener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
