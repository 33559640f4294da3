// The picture: an <img> on the MJPEG stream with a message over it whenever it cannot show the
// target, saying why (credentials, board unreachable, no signal from the target). The stream is
// reopened whenever the link comes back: a multipart <img> never retries by itself, so after a
// daemon restart it would keep the last frame forever.
//
// With `timed`, the stream is read by fetch() instead (mjpeg-reader.ts) and each JPEG is shown in
// the same <img> through a blob URL: that is what lets the panel see every frame's capture time
// and the moment it painted it. One frame is decoded at a time; parts that arrive meanwhile
// replace each other, so a slow device skips frames instead of queueing them. Every blob URL is
// revoked as soon as the next picture replaces it.

import { boundaryOf, type MjpegPart, readParts } from './mjpeg-reader.js';
import type { LinkState } from './socket.js';

export type StreamTrouble = LinkState | 'nosignal' | 'broken';

const MESSAGES: Record<Exclude<StreamTrouble, 'online'>, string> = {
  connecting: 'Connecting…',
  offline: 'The KVM is not reachable; retrying…',
  auth: 'The access token is wrong or the session ended.',
  nosignal: 'No signal from the target',
  broken: 'The picture cannot be loaded',
};

export interface StreamSource {
  /** URL of the MJPEG stream, absolute or relative to the page. */
  url: string;
  /** Appended as `fps=` (the daemon paces this one client); 0 for every frame. */
  maxFps?: number;
}

/** A frame on screen: when the board captured it (its wall clock) and when this page painted it. */
export interface PaintedFrame {
  /** Board wall-clock ms from the part's X-Timestamp; null when the stream does not say. */
  capturedAt: number | null;
  /** This page's wall-clock ms (performance.timeOrigin + the animation frame's time). */
  paintedAt: number;
}

export interface StreamViewOptions {
  /** Read the stream with fetch() and report each painted frame (see the top of this file). */
  timed?: boolean;
  onPaint?(f: PaintedFrame): void;
}

export class StreamView {
  readonly img: HTMLImageElement;
  readonly overlay: HTMLDivElement;
  private source: StreamSource | null = null;
  private generation = 0;
  private trouble: StreamTrouble = 'connecting';
  private detail = '';
  private reading: AbortController | null = null;
  /** The blob URL the picture shows; revoked when the next one has replaced it. */
  private shown: string | null = null;
  private next: MjpegPart | null = null;
  private decoding = false;
  /** Blob URLs created and not yet revoked (one while a frame shows): tests watch it for leaks. */
  liveUrls = 0;
  /** Frames painted since the page opened (timed mode). */
  painted = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly opts: StreamViewOptions = {},
  ) {
    this.img = document.createElement('img');
    this.img.className = 'kvm-picture';
    this.img.alt = 'target screen';
    this.img.draggable = false;
    this.overlay = document.createElement('div');
    this.overlay.className = 'kvm-overlay';
    this.overlay.setAttribute('role', 'status');
    this.img.addEventListener('error', () => {
      // An <img> says nothing about why; the socket's diagnosis (or the signal state) will.
      if (this.trouble === 'online') this.show('broken');
    });
    this.img.addEventListener('load', () => {
      if (this.trouble === 'broken') this.show('online');
    });
    host.append(this.img, this.overlay);
    this.show('connecting');
  }

  /** Points the picture at a stream and (re)opens it. */
  setSource(source: StreamSource | null): void {
    this.source = source;
    this.reload();
  }

  /** Reopens the stream with a fresh URL, so neither the browser nor a proxy hands back the old one. */
  reload(): void {
    this.stopReading();
    if (!this.source) {
      this.img.removeAttribute('src');
      return;
    }
    if (this.trouble === 'broken') this.show('online');
    const u = new URL(this.source.url, location.href);
    if (this.source.maxFps) u.searchParams.set('fps', String(this.source.maxFps));
    u.searchParams.set('r', String(++this.generation));
    // The stream's own URL, also when the picture shows it frame by frame through blob URLs.
    this.img.dataset.stream = u.href;
    if (this.opts.timed) void this.read(u.href);
    else this.img.src = u.href;
  }

  /**
   * Switches between the <img>'s own stream reader and the timed one (see the top of this file)
   * and reopens the stream. The timed reader costs the browser more CPU (measured: Chromium
   * 54-76% of a core against 36-46% for the same stream in an <img>), so it runs only while its
   * readout is wanted.
   */
  setTimed(on: boolean): void {
    if (this.opts.timed === on) return;
    this.opts.timed = on;
    this.reload();
    if (!on && this.shown) {
      URL.revokeObjectURL(this.shown);
      this.shown = null;
      this.liveUrls--;
      this.img.dataset.liveUrls = String(this.liveUrls);
    }
  }

  get timed(): boolean {
    return this.opts.timed === true;
  }

  /** Stops the stream (the card while detached), keeping the last picture. */
  pause(): void {
    this.stopReading();
    if (!this.opts.timed) this.img.removeAttribute('src');
  }

  private stopReading(): void {
    this.reading?.abort();
    this.reading = null;
    this.next = null;
  }

  private async read(url: string): Promise<void> {
    const ac = new AbortController();
    this.reading = ac;
    try {
      const r = await fetch(url, { signal: ac.signal, cache: 'no-store', credentials: 'same-origin' });
      if (!r.ok || !r.body) {
        // 503 BUSY says how many streams are open; 401 is the socket's to explain.
        const why = await r.json().then(
          (j: { message?: string }) => j.message ?? '',
          () => '',
        );
        if (r.status !== 401 && this.trouble === 'online') this.show('broken', why || `HTTP ${r.status}`);
        return;
      }
      await readParts(r.body, boundaryOf(r.headers.get('content-type')), (p) => {
        if (this.reading !== ac) return;
        this.next = p;
        void this.paint();
      });
    } catch (err) {
      if (ac.signal.aborted) return;
      if (this.trouble === 'online') this.show('broken', err instanceof Error ? err.message : String(err));
    }
  }

  /** Shows the newest part: decode it off-screen, swap it in, note the animation frame it paints in. */
  private async paint(): Promise<void> {
    if (this.decoding) return;
    this.decoding = true;
    try {
      while (this.next) {
        const part = this.next;
        this.next = null;
        const url = URL.createObjectURL(part.jpeg);
        this.liveUrls++;
        const old = this.shown;
        this.shown = url;
        this.img.src = url;
        await this.img.decode().catch(() => undefined); // a bad JPEG fires the img's error event
        const paintedAt = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        if (old) {
          URL.revokeObjectURL(old);
          this.liveUrls--;
        }
        this.painted++;
        this.img.dataset.painted = String(this.painted);
        this.img.dataset.liveUrls = String(this.liveUrls);
        const ts = Number(part.headers.get('x-timestamp'));
        this.opts.onPaint?.({
          capturedAt: Number.isFinite(ts) && ts > 0 ? ts * 1000 : null,
          paintedAt: performance.timeOrigin + paintedAt,
        });
      }
    } finally {
      this.decoding = false;
    }
  }

  /** What keeps the picture from showing the target, or 'online' when nothing does. */
  show(trouble: StreamTrouble, detail = ''): void {
    this.trouble = trouble;
    this.detail = detail;
    this.host.dataset.trouble = trouble;
    if (trouble === 'online') {
      this.overlay.hidden = true;
      this.overlay.textContent = '';
      return;
    }
    this.overlay.hidden = false;
    this.overlay.textContent = detail ? `${MESSAGES[trouble]}: ${detail}` : MESSAGES[trouble];
  }

  get troubleNow(): StreamTrouble {
    return this.trouble;
  }

  get detailNow(): string {
    return this.detail;
  }
}
