import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { HubFrame, StreamHub } from '../video/stream-hub.js';
import { makeThumbnail } from '../video/thumbnail.js';
import { PictureChange } from './picture.js';

/**
 * A small JPEG for the image entity: HA shows stills only, so a few hundred pixels high keeps a
 * message around 20-60 KB instead of a full-HD frame.
 */
export function resizeSnapshot(jpeg: Buffer, height: number, quality: number): Promise<Buffer> {
  return makeThumbnail(jpeg, { height, quality });
}

export interface ScreenOptions {
  hub: StreamHub;
  size: () => { height: number; quality: number };
  /** Sends the JPEG (retained, so HA shows the screen right after it restarts). */
  send(jpeg: Buffer): void;
  log: Logger;
}

/**
 * The image entity's pictures: one resize at a time (callers during one share it), and only when
 * the picture changed, since every message is a row in HA's recorder. `force` publishes anyway:
 * after a (re)connect the broker may have lost the retained image, and a user who asks for a
 * snapshot expects one.
 */
export class ScreenPublisher {
  private readonly picture = new PictureChange();
  private inFlight: Promise<void> | null = null;

  constructor(private readonly o: ScreenOptions) {}

  /** Our own waits for a frame, which are not stream clients a user would count. */
  publish(force: boolean): Promise<void> {
    if (this.inFlight) return force ? this.inFlight.then(() => this.publish(true)) : this.inFlight;
    this.inFlight = this.run(force)
      .catch((e: unknown) => this.o.log.warn({ err: errorMessage(e) }, 'mqtt: snapshot failed'))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Resolves once no snapshot is being made (stop waits for it). */
  idle(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  private async run(force: boolean): Promise<void> {
    const f = await this.freshFrame();
    if (!f) return;
    if (!force && this.picture.sameSource(f.jpeg)) return;
    const { height, quality } = this.o.size();
    const jpeg = await resizeSnapshot(f.jpeg, height, quality);
    if (await this.picture.accept(f.jpeg, jpeg, force)) this.o.send(jpeg);
  }

  /**
   * Wants frames while waiting (no viewer, so not in the stream clients sensor): with nobody watching the pipeline does not encode, so
   * hub.latest() may be minutes old (same as /snapshot.jpg?fresh=1). Waits 3 s at most.
   */
  private async freshFrame(): Promise<HubFrame | null> {
    const hub = this.o.hub;
    const release = hub.wantFrames();
    try {
      const last = hub.latest();
      return (await hub.next(last?.id ?? 0, { timeoutMs: 3000 })) ?? hub.latest();
    } finally {
      release();
    }
  }
}
