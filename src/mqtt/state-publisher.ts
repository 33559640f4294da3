import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { AppState } from '../core/app-state.js';
import type { Clock } from '../core/clock.js';
import type { StateStore } from '../core/state.js';
import type { StreamHub } from '../video/stream-hub.js';
import { BoardMonitor, type BoardStats } from './board.js';
import { buildState, discreteChanged, hostState, type MqttState, sameState } from './states.js';

export interface StatePublisherOptions {
  /** Its own section, and the board's paths for the diagnostics sensors. */
  config: Pick<Config, 'mqtt' | 'paths'>;
  store: StateStore<AppState>;
  hub: StreamHub;
  clock: Clock;
  /** Sends the retained state JSON; false while disconnected (nothing is then remembered). */
  send(json: string): boolean;
}

/**
 * Decides what the retained `state` JSON says and when it goes out: step changes at once,
 * counters (fps, encode time, board figures) at most every diagnostics_interval_s, nothing when
 * nothing changed. Every message is a row in Home Assistant's recorder.
 */
export class StatePublisher {
  private last: MqttState | null = null;
  private lastAt = 0;
  private lastFrameId = 0;
  private lastDigest = '';
  private lastChangeAt: number;
  private macro = 'idle';
  private readonly board: BoardMonitor | null;
  private boardStats: BoardStats | null = null;
  private boardAt = Number.NEGATIVE_INFINITY;
  /** How often the state was rebuilt and how often it was sent (diagnostics; the bench reads them). */
  readonly counts = { built: 0, sent: 0 };

  constructor(private readonly o: StatePublisherOptions) {
    const p = o.config.paths;
    this.board = o.config.mqtt.board_diagnostics
      ? new BoardMonitor({ proc: p.proc, sys: p.sys, disk: p.state }, () => o.clock.now())
      : null;
    this.lastChangeAt = o.clock.monotonic();
  }

  get hasBoard(): boolean {
    return this.board !== null;
  }

  set macroStatus(status: string) {
    this.macro = status;
  }

  /**
   * Every state_interval_s: notes whether the picture changed (for the host state) and rereads
   * the board when its figures are due. The pipeline publishes every captured frame, so a new
   * frame id does not mean a new picture: compare the JPEG bytes (same pixels + same encoder =
   * same bytes; HDMI capture is exact, noisy analog dongles read as always active).
   */
  tick(): void {
    const f = this.o.hub.latest();
    const now = this.o.clock.monotonic();
    if (f && f.id !== this.lastFrameId) {
      this.lastFrameId = f.id;
      const digest = createHash('sha1').update(f.jpeg).digest('hex');
      if (digest !== this.lastDigest) {
        this.lastDigest = digest;
        this.lastChangeAt = now;
      }
    }
    if (this.board && now - this.boardAt >= this.o.config.mqtt.diagnostics_interval_s * 1000) {
      this.boardAt = now;
      this.boardStats = this.board.read();
    }
    this.publish(false);
  }

  /** `force`: send even if nothing changed (after a connect, a number set from HA). */
  publish(force: boolean): void {
    const next = this.current();
    const now = this.o.clock.monotonic();
    const due = now - this.lastAt >= this.o.config.mqtt.diagnostics_interval_s * 1000;
    if (!force && (sameState(this.last, next) || (!discreteChanged(this.last, next) && !due))) return;
    if (!this.o.send(JSON.stringify(next))) return;
    this.counts.sent++;
    this.last = next;
    this.lastAt = now;
  }

  private current(): MqttState {
    this.counts.built++;
    const s = this.o.store.get();
    const c = this.o.config;
    const sinceChange = this.o.clock.monotonic() - this.lastChangeAt;
    return buildState(s, {
      host: hostState(s.video.signal, s.usb.state, sinceChange, c.mqtt.still_after_s * 1000),
      macro: this.macro,
      jpegQuality: s.video.quality,
      maxFps: s.video.maxFps,
      board: this.boardStats,
    });
  }
}
