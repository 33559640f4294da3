// The picture: an <img> on the MJPEG stream with a message over it whenever it cannot show the
// target, saying why (credentials, board unreachable, no signal from the target). The stream is
// reopened whenever the link comes back: a multipart <img> never retries by itself, so after a
// daemon restart it would keep the last frame forever.

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

export class StreamView {
  readonly img: HTMLImageElement;
  readonly overlay: HTMLDivElement;
  private source: StreamSource | null = null;
  private generation = 0;
  private trouble: StreamTrouble = 'connecting';
  private detail = '';

  constructor(private readonly host: HTMLElement) {
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
    if (!this.source) {
      this.img.removeAttribute('src');
      return;
    }
    if (this.trouble === 'broken') this.show('online');
    const u = new URL(this.source.url, location.href);
    if (this.source.maxFps) u.searchParams.set('fps', String(this.source.maxFps));
    u.searchParams.set('r', String(++this.generation));
    this.img.src = u.href;
  }

  /** Stops the stream (the card while detached), keeping the last picture. */
  pause(): void {
    this.img.removeAttribute('src');
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
