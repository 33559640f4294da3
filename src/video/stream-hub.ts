import type { EncodedFrame } from './types.js';

export interface HubFrame extends EncodedFrame {
  /** Hub-assigned, strictly increasing: source sequence numbers may repeat or skip. */
  id: number;
}

/**
 * Holds only the newest JPEG and wakes whoever waits for a newer one. Each client pulls at its own
 * pace: a slow socket simply asks again later and gets the newest frame, so nothing queues and
 * memory stays at one frame per client in flight.
 */
export class StreamHub {
  private current: HubFrame | null = null;
  private nextId = 1;
  private waiters = new Set<(f: HubFrame) => void>();
  private clientCount = 0;
  private readonly clientListeners = new Set<(n: number) => void>();
  private readonly sentListeners = new Set<() => void>();

  publish(frame: EncodedFrame): HubFrame {
    const f: HubFrame = { ...frame, id: this.nextId++ };
    this.current = f;
    const ws = this.waiters;
    this.waiters = new Set();
    for (const w of ws) w(f);
    return f;
  }

  latest(): HubFrame | null {
    return this.current;
  }

  /**
   * Resolves with the first frame newer than `afterId` (immediately if there is one), or with
   * null when `signal` aborts or `timeoutMs` passes.
   */
  next(afterId: number, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HubFrame | null> {
    if (this.current && this.current.id > afterId) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (f: HubFrame | null) => {
        this.waiters.delete(waiter);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(f);
      };
      const waiter = (f: HubFrame) => done(f);
      const onAbort = () => done(null);
      if (opts.signal?.aborted) {
        resolve(null);
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => done(null), opts.timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Registers a viewer; the returned function unregisters it. Viewers decide idle capture. */
  addClient(): () => void {
    this.clientCount++;
    this.notifyClients();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.clientCount--;
      this.notifyClients();
    };
  }

  get clients(): number {
    return this.clientCount;
  }

  onClients(listener: (n: number) => void): () => void {
    this.clientListeners.add(listener);
    return () => this.clientListeners.delete(listener);
  }

  /** Stream routes call this per frame written, for the sent-fps figure. */
  markSent(): void {
    for (const l of this.sentListeners) l();
  }

  onSent(listener: () => void): () => void {
    this.sentListeners.add(listener);
    return () => this.sentListeners.delete(listener);
  }

  private notifyClients(): void {
    for (const l of this.clientListeners) l(this.clientCount);
  }
}
