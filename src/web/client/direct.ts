// A direct session with the daemon: the WebSocket for input and state, the MJPEG stream for the
// picture, and the picture's message kept in step with both (link down, credentials, no signal).

import type { InputSink } from './input.js';
import { KvmSocket, type LinkState, type ServerMessage } from './socket.js';
import type { StreamView } from './stream.js';

export interface DirectOptions {
  /** The daemon's base URL, ending in `/`. */
  base: string;
  token?: string;
  sameOrigin: boolean;
  view: StreamView;
  maxFps?: number;
  onLink?(s: LinkState): void;
  onMessage?(m: ServerMessage): void;
}

export class DirectSession {
  readonly socket: KvmSocket;
  /**
   * The soft keyboard's input, in order: text typed while an earlier text is still being typed,
   * and keys (Backspace, Enter) that must not overtake it.
   */
  private queue: ({ text: string; layout: string | undefined } | { code: string })[] = [];
  private typing = false;

  constructor(private readonly o: DirectOptions) {
    this.socket = new KvmSocket({
      base: o.base,
      ...(o.token ? { token: o.token } : {}),
      sameOrigin: o.sameOrigin,
      onLink: (s) => this.onLink(s),
      onMessage: (m) => this.onMessage(m),
    });
  }

  start(): void {
    this.socket.start();
  }

  stop(): void {
    this.socket.stop();
    this.o.view.pause();
  }

  /** Changes the per-viewer frame cap and reopens the stream with it. */
  /** The daemon's live JPEG quality, for every viewer (admin only; video.quality in state follows). */
  setQuality(quality: number): void {
    this.socket.send({ t: 'video', quality });
  }

  setMaxFps(fps: number): void {
    this.o.maxFps = fps;
    this.o.view.setSource(this.streamSource());
  }

  readonly sink: InputSink = {
    key: (code, down) => this.socket.send({ t: 'key', code, down }),
    moveAbs: (x, y) => this.socket.send({ t: 'mouse_abs', x, y }),
    moveRel: (dx, dy) => this.socket.send({ t: 'mouse_rel', dx, dy }),
    buttons: (b) => this.socket.send({ t: 'buttons', ...b }),
    wheel: (v, h) => this.socket.send({ t: 'wheel', v, h }),
  };

  /**
   * Types text in the target's layout with a typing profile (the configured ones unless `layout`
   * or `typing` say otherwise).
   */
  type(text: string, layout?: string, typing?: string): void {
    this.socket.send({ t: 'type', text, ...(layout ? { layout } : {}), ...(typing ? { typing } : {}) });
  }

  /** Like `type`, but after what was queued before instead of replacing it. */
  typeQueued(text: string, layout?: string): void {
    this.queue.push({ text, layout });
    this.pump();
  }

  /** Taps a key after what was queued before. */
  tapQueued(code: string): void {
    this.queue.push({ code });
    this.pump();
  }

  cancel(): void {
    this.queue = [];
    this.socket.send({ t: 'cancel' });
  }

  macro(name: string, params: Record<string, unknown> = {}): void {
    this.socket.send({ t: 'macro', name, params });
  }

  private pump(): void {
    while (!this.typing && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if ('code' in next) {
        this.socket.send({ t: 'key', code: next.code, down: true });
        this.socket.send({ t: 'key', code: next.code, down: false });
      } else {
        const text = next.text.slice(0, 4096);
        if (next.text.length > text.length)
          this.queue.unshift({ ...next, text: next.text.slice(text.length) });
        const layout = next.layout ? { layout: next.layout } : {};
        this.typing = this.socket.send({ t: 'type', text, ...layout });
      }
    }
  }

  private streamSource() {
    const u = new URL('stream', this.o.base);
    if (this.o.token) u.searchParams.set('token', this.o.token);
    return { url: u.href, ...(this.o.maxFps ? { maxFps: this.o.maxFps } : {}) };
  }

  private onLink(s: LinkState): void {
    if (s === 'online') {
      // The stream died with the old connection (or never opened): open it afresh.
      this.o.view.setSource(this.streamSource());
      this.showSignal();
    } else {
      this.typing = false;
      this.o.view.show(s);
    }
    this.o.onLink?.(s);
  }

  private onMessage(m: ServerMessage): void {
    if (m.t === 'state') this.showSignal();
    else if (m.t === 'type_done' || m.t === 'error') {
      this.typing = false;
      this.pump();
    }
    this.o.onMessage?.(m);
  }

  private showSignal(): void {
    if (this.socket.link !== 'online') return;
    const v = this.socket.state.video;
    if (v && v.signal === false) this.o.view.show('nosignal', v.signalReason ?? '');
    else if (this.o.view.troubleNow !== 'broken') this.o.view.show('online');
  }
}
