import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
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
  private viewerCount = 0;
  private wantCount = 0;
  private readonly demandListeners = new Set<(demand: number, viewers: number) => void>();
  private readonly sentListeners = new Set<() => void>();

  /** `clock` drives the wait timeouts of `next` (tests pass a FakeClock). */
  constructor(private readonly clock: Clock = systemClock) {}

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
      let timer: TimerHandle | undefined;
      const done = (f: HubFrame | null) => {
        this.waiters.delete(waiter);
        timer?.cancel();
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
      if (opts.timeoutMs !== undefined) timer = this.clock.setTimeout(() => done(null), opts.timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Registers a viewer: someone watching the stream (an MJPEG client), counted in the stream
   * clients sensor. The returned function unregisters it.
   */
  addViewer(): () => void {
    return this.hold(
      () => this.viewerCount++,
      () => this.viewerCount--,
    );
  }

  /**
   * Registers demand for frames without watching: a snapshot, a macro waiting on the screen, the
   * MQTT picture. It keeps the encoder running (idle capture ends) but is not a viewer.
   */
  wantFrames(): () => void {
    return this.hold(
      () => this.wantCount++,
      () => this.wantCount--,
    );
  }

  /** Stream viewers only (the stream clients sensor). */
  get viewers(): number {
    return this.viewerCount;
  }

  /** Viewers plus frame waiters: zero means nobody needs a new frame (idle capture). */
  get demand(): number {
    return this.viewerCount + this.wantCount;
  }

  onDemand(listener: (demand: number, viewers: number) => void): () => void {
    this.demandListeners.add(listener);
    return () => this.demandListeners.delete(listener);
  }

  private hold(add: () => void, remove: () => void): () => void {
    add();
    this.notifyDemand();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      this.notifyDemand();
    };
  }

  /** Stream routes call this per frame written, for the sent-fps figure. */
  markSent(): void {
    for (const l of this.sentListeners) l();
  }

  onSent(listener: () => void): () => void {
    this.sentListeners.add(listener);
    return () => this.sentListeners.delete(listener);
  }

  private notifyDemand(): void {
    for (const l of this.demandListeners) l(this.demand, this.viewerCount);
  }
}
