// The WebSocket protocol client (docs/websocket.md), shared by the panel and the card: one socket,
// reconnected with backoff, a ping every second (the daemon releases a quiet client's keys), and a
// diagnosis when it cannot connect: the browser hides an upgrade's 401, so a plain request decides
// between "the credentials are wrong" and "the board is unreachable".

/** Why the link is down, as the views show it. */
export type LinkState = 'connecting' | 'online' | 'offline' | 'auth';

import type { AppState } from '../../core/app-state.js';
import type { MacroInfo } from '../../macros/types.js';

export type { MacroInfo };

export interface Hello {
  v: number;
  layouts: string[];
  /** The configured target layout (`hid.layout`), the default for typing. */
  layout?: string;
  /** The configured typing profile (`hid.typing`): fast, safe or bios. */
  typing?: string;
  macros?: MacroInfo[];
  /** A viewer sees but sends no input; a daemon that does not say is an admin-only one. */
  role?: 'admin' | 'viewer';
}

/** The daemon's state as pushed: whole at first, then slice by slice (so parts may be missing). */
export type KvmState = Partial<AppState>;

export type ServerMessage =
  | ({ t: 'hello' } & Hello)
  | { t: 'state'; state?: KvmState; slice?: string; value?: unknown }
  | { t: 'pong'; ts?: number }
  | { t: 'type_progress'; done: number; total: number }
  | { t: 'type_done' }
  | { t: 'macro'; name: string; status: string }
  | { t: 'error'; code: string; message: string };

export interface SocketOptions {
  /** Base URL of the daemon, ending in `/` (the page itself for the panel). */
  base: string;
  /** Sent as `?token=` (the card in direct mode); the panel relies on its session cookie. */
  token?: string;
  /** Same-origin pages can read the probe's status; cross-origin ones only learn reachability. */
  sameOrigin: boolean;
  onLink(state: LinkState): void;
  onMessage(m: ServerMessage): void;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8000;
const PING_MS = 1000;
/** Clock samples kept: the one with the shortest round trip of these is the best estimate. */
const CLOCK_SAMPLES = 10;

/** This page's wall clock in ms, finer than Date.now(). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * The board's clock relative to this page's, NTP-style: a ping sent at t0 and answered at t1 with
 * the board's time ts gives offset = ts - (t0 + t1) / 2, wrong by at most half that round trip.
 * The sample with the shortest round trip of the last few is the one kept.
 */
export class ClockOffset {
  private samples: { offset: number; rtt: number }[] = [];

  add(t0: number, t1: number, ts: number): void {
    this.samples.push({ offset: ts - (t0 + t1) / 2, rtt: t1 - t0 });
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
  }

  /** Board time minus page time, ms, with its error bound (half the round trip); null before a sample. */
  get best(): { offset: number; error: number } | null {
    let b: { offset: number; rtt: number } | null = null;
    for (const s of this.samples) if (!b || s.rtt < b.rtt) b = s;
    return b ? { offset: b.offset, error: b.rtt / 2 } : null;
  }

  clear(): void {
    this.samples = [];
  }
}

export class KvmSocket {
  state: KvmState = {};
  hello: Hello | null = null;
  link: LinkState = 'connecting';
  private ws: WebSocket | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private backoff = BACKOFF_MIN_MS;
  private running = false;
  private pingSentAt = 0;
  /** Round trip of the last ping, ms: what input waits for on this link (null until measured). */
  rttMs: number | null = null;
  /** The board's clock against this page's, from the pings (a restarted board may differ). */
  readonly clock = new ClockOffset();

  constructor(private readonly o: SocketOptions) {}

  /** True when input may be sent: connected, and not a viewer's session. */
  get canSend(): boolean {
    return this.link === 'online' && this.hello?.role !== 'viewer';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
    this.pinger = setInterval(() => {
      if (this.send({ t: 'ping' })) this.pingSentAt = wallNow();
    }, PING_MS);
  }

  stop(): void {
    this.running = false;
    if (this.retry) clearTimeout(this.retry);
    if (this.pinger) clearInterval(this.pinger);
    this.retry = null;
    this.pinger = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
  }

  /** Sends when open; input while the link is down is dropped, never replayed later. */
  send(m: Record<string, unknown>): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(m));
    return true;
  }

  private url(): string {
    const u = new URL('api/ws', this.o.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.o.token) u.searchParams.set('token', this.o.token);
    return u.href;
  }

  private setLink(s: LinkState): void {
    if (s === this.link) return;
    this.link = s;
    this.o.onLink(s);
  }

  private open(): void {
    let opened = false;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.clock.clear();
      this.backoff = BACKOFF_MIN_MS;
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      if (m.t === 'hello') {
        this.hello = m;
        this.setLink('online');
      } else if (m.t === 'pong' && this.pingSentAt) {
        const t1 = wallNow();
        this.rttMs = Math.round(t1 - this.pingSentAt);
        if (typeof m.ts === 'number') this.clock.add(this.pingSentAt, t1, m.ts);
        this.pingSentAt = 0;
      } else if (m.t === 'state') {
        if (m.state) this.state = m.state;
        else if (m.slice) this.state = { ...this.state, [m.slice]: m.value as object };
      }
      this.o.onMessage(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      void this.afterClose(opened);
    };
  }

  private async afterClose(wasOpen: boolean): Promise<void> {
    // A socket that was open went down with the daemon (or the network); one that never opened
    // was refused, and only a plain request tells a wrong credential from an unreachable board.
    this.setLink(wasOpen ? 'offline' : await this.probe());
    if (!this.running) return;
    const wait = this.backoff;
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.running) this.open();
    }, wait);
  }

  private async probe(): Promise<LinkState> {
    const u = new URL('api/health', this.o.base);
    if (this.o.token) u.searchParams.set('token', this.o.token);
    try {
      if (this.o.sameOrigin) {
        const r = await fetch(u, { cache: 'no-store', credentials: 'same-origin' });
        return r.status === 401 ? 'auth' : 'offline';
      }
      // Another origin (the card on Home Assistant's page) cannot read the status without CORS;
      // an opaque answer still proves the board is up, so the refusal was the token.
      await fetch(u, { cache: 'no-store', mode: 'no-cors', credentials: 'omit' });
      return 'auth';
    } catch {
      return 'offline';
    }
  }
}
