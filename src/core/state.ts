/**
 * An observable store of the daemon's state, split in named slices (video, hid, macro, ...).
 * Publishers (MQTT, WebSocket, /api/state) subscribe instead of polling; a patch that changes
 * nothing notifies nobody, so chatty sources cost nothing downstream.
 */
export type StateListener<S> = <K extends keyof S>(slice: K, value: S[K], previous: S[K]) => void;
export type SliceListener<V> = (value: V, previous: V) => void;

interface SliceEntry<S> {
  slice: keyof S;
  fn: SliceListener<never>;
  owner: object | undefined;
}

export class StateStore<S extends Record<string, object>> {
  private state: S;
  private readonly listeners = new Set<StateListener<S>>();
  private readonly sliceListeners = new Set<SliceEntry<S>>();

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
    for (const e of this.sliceListeners) {
      if (e.slice !== slice) continue;
      try {
        (e.fn as SliceListener<S[K]>)(next, previous);
      } catch {
        // A broken subscriber must not break the publisher; subscribers log their own errors.
      }
    }
    for (const l of this.listeners) {
      try {
        l(slice, next, previous);
      } catch {
        // As above.
      }
    }
  }

  /**
   * Hears about one slice, typed: `store.on('hid', (v, prev) => ...)`. `owner` (the subscribing
   * service) lets `off(owner)` drop all of its listeners at stop; the returned function drops this one.
   */
  on<K extends keyof S>(slice: K, fn: SliceListener<S[K]>, owner?: object): () => void {
    const e: SliceEntry<S> = { slice, fn: fn as SliceListener<never>, owner };
    this.sliceListeners.add(e);
    return () => this.sliceListeners.delete(e);
  }

  /** Removes every slice listener `owner` added. */
  off(owner: object): void {
    for (const e of this.sliceListeners) if (e.owner === owner) this.sliceListeners.delete(e);
  }

  /** Slice listeners still registered by `owner` (0 after its stop). */
  listenerCount(owner?: object): number {
    let n = 0;
    for (const e of this.sliceListeners) if (owner === undefined || e.owner === owner) n++;
    return owner === undefined ? n + this.listeners.size : n;
  }

  /** Hears about every slice (the WebSocket forwards them all); prefer `on` for one slice. */
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
