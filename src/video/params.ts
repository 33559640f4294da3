import type { AppState } from '../core/app-state.js';
import { KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { StateStore } from '../core/state.js';
import type { FrameSource } from './types.js';

export interface VideoParamsInput {
  quality?: number;
  maxFps?: number;
}

/**
 * The video settings people change while it runs (JPEG quality, max fps): one controller that
 * MQTT, the panel and the API all call, with the live values in state (`video.quality`,
 * `video.maxFps`). The loaded config is never written at run time: it stays what the file said.
 */
export class VideoParams implements Service {
  readonly name = 'video-params';
  private q: number;
  private fps: number;

  constructor(
    private readonly o: {
      store: StateStore<AppState>;
      source: Pick<FrameSource, 'setMaxFps'>;
      quality: number;
      maxFps: number;
    },
  ) {
    this.q = o.quality;
    this.fps = o.maxFps;
  }

  async start(): Promise<void> {
    this.o.store.patch('video', { quality: this.q, maxFps: this.fps });
  }

  async stop(): Promise<void> {}

  get quality(): number {
    return this.q;
  }

  get maxFps(): number {
    return this.fps;
  }

  /** Applies what is given; a value out of range is refused whole, naming it. */
  set(p: VideoParamsInput): void {
    if (p.quality !== undefined) check('quality', p.quality, 1, 100);
    if (p.maxFps !== undefined) check('max_fps', p.maxFps, 1, 120);
    if (p.quality !== undefined) this.q = p.quality;
    if (p.maxFps !== undefined && p.maxFps !== this.fps) {
      this.fps = p.maxFps;
      this.o.source.setMaxFps?.(p.maxFps);
    }
    this.o.store.patch('video', { quality: this.q, maxFps: this.fps });
  }
}

function check(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new KvmError('BAD_REQUEST', `${what} must be a whole number ${lo}..${hi}, got ${v}`);
  }
}
