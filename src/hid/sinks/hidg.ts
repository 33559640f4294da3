import type { Clock, TimerHandle } from '../../core/clock.js';
import { errnoCode, errorMessage, KvmError } from '../../core/errors.js';
import { type Logger, OnceLogger } from '../../core/log.js';
import type { HidFunctionName, HidSink, HidSinkListener, StreamOptions } from '../types.js';
import { type PaceResult, stepListener } from '../typing/pace.js';
import { InlinePacer, type PaceRun, type Pacer, WorkerPacer, workerAvailable } from '../typing/pacer.js';
import { type DeviceIo, fsDeviceIo, GONE_CODES, O_READ_WRITE, O_WRITE } from './device-io.js';
import { drainLedReports, releaseReports } from './hidg-reports.js';

export interface HidgDevice {
  fn: HidFunctionName;
  /** e.g. /dev/hidg0 (under the movable `paths.dev`). */
  path: string;
}

export interface HidgSinkOptions {
  devices: readonly HidgDevice[];
  clock: Clock;
  log: Logger;
  io?: DeviceIo;
  /** Keep retrying a write the host is not ready for (EAGAIN) this long, then fail it. */
  eagainTimeoutMs: number;
  /** A report that waited longer than this is dropped when a newer one for the same device is queued. */
  staleMs: number;
  /** While offline, try to reopen the devices this often. */
  reopenMs: number;
  /** How often the keyboard device is read for LED reports. */
  ledPollMs: number;
  /**
   * Where typed streams are paced. Default: a worker thread when the compiled worker exists (the
   * daemon), else the event loop through `io` (tests run from the TypeScript sources).
   */
  pacer?: Pacer;
}

interface Pending {
  report: Uint8Array;
  at: number;
  resolve(): void;
  reject(err: unknown): void;
  /** A typed stream, written as one item so nothing interleaves with it. */
  stream?: { reports: readonly Uint8Array[]; opts: StreamOptions; done(r: PaceResult): void };
}

interface Dev extends HidgDevice {
  fd: number | null;
  queue: Pending[];
  busy: boolean;
  /** Last report written, for a release that keeps the absolute pointer in place. */
  last: Uint8Array | null;
  /** A report that timed out on EAGAIN and is retried in the background until a newer one comes. */
  resync: Uint8Array | null;
  resyncTimer: TimerHandle | null;
  /** The typed stream being written, if any; its fd is closed only when it has ended. */
  running: PaceRun | null;
  closeWhenIdle: string | null;
}

/**
 * Writes reports to the gadget's /dev/hidgN devices. Device faults are state, not crashes: a
 * vanished device or an unplugged host (ENOENT, ESHUTDOWN, EPIPE, ...) turns the sink offline
 * (logged once), fails the writes in flight, and a timer reopens the devices when they return;
 * then an all-up report goes to every function so nothing stays held. Writes made while offline
 * fail at once and are never replayed later.
 */
export class HidgSink implements HidSink {
  readonly name = 'hidg';
  private readonly devs: Dev[];
  private readonly io: DeviceIo;
  private readonly pacer: Pacer;
  private listener: HidSinkListener | null = null;
  private online = false;
  private error: string | null = 'not started';
  private reopenTimer: TimerHandle | null = null;
  private ledTimer: TimerHandle | null = null;
  private stopped = false;
  private readonly once: OnceLogger;
  private readonly ledBuf = new Uint8Array(16);

  constructor(private readonly o: HidgSinkOptions) {
    this.devs = o.devices.map((d) => ({
      ...d,
      fd: null,
      queue: [],
      busy: false,
      last: null,
      resync: null,
      resyncTimer: null,
      running: null,
      closeWhenIdle: null,
    }));
    this.io = o.io ?? fsDeviceIo;
    this.pacer =
      o.pacer ??
      (workerAvailable()
        ? new WorkerPacer({
            clock: o.clock,
            onHello: (h) =>
              h.realtimeRefused === null
                ? o.log.info({ polls: h.polls }, 'hid: typing worker runs at real-time priority')
                : o.log.warn(
                    { polls: h.polls, reason: h.realtimeRefused },
                    'hid: typing worker at normal priority (real-time refused: run as root or grant CAP_SYS_NICE); on a busy board a key may stay down longer',
                  ),
          })
        : new InlinePacer(this.io, o.clock));
    this.once = new OnceLogger(60_000, () => o.clock.monotonic());
  }

  functions(): readonly HidFunctionName[] {
    return this.devs.map((d) => d.fn);
  }

  async start(listener: HidSinkListener): Promise<void> {
    this.listener = listener;
    this.stopped = false;
    if (!this.tryOpen()) {
      this.goOffline(this.error ?? 'devices missing');
      return;
    }
    this.setOnline();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reopenTimer?.cancel();
    this.ledTimer?.cancel();
    this.closeAll();
    await this.pacer.stop();
  }

  write(fn: HidFunctionName, report: Uint8Array): Promise<void> {
    const dev = this.devs.find((d) => d.fn === fn);
    if (!dev) return Promise.reject(new KvmError('HID_WRITE_FAILED', `no gadget device for ${fn}`));
    if (!this.online || dev.fd === null) {
      return Promise.reject(
        new KvmError('HID_OFFLINE', `USB HID is offline: ${this.error ?? 'not started'}`),
      );
    }
    this.cancelResync(dev); // a newer report carries the current state
    return new Promise<void>((resolve, reject) => {
      dev.queue.push({ report, at: this.o.clock.monotonic(), resolve, reject });
      void this.pump(dev);
    });
  }

  stream(fn: HidFunctionName, reports: readonly Uint8Array[], opts: StreamOptions): Promise<PaceResult> {
    const dev = this.devs.find((d) => d.fn === fn);
    if (!dev) return Promise.reject(new KvmError('HID_WRITE_FAILED', `no gadget device for ${fn}`));
    if (!this.online || dev.fd === null) {
      return Promise.reject(
        new KvmError('HID_OFFLINE', `USB HID is offline: ${this.error ?? 'not started'}`),
      );
    }
    this.cancelResync(dev);
    return new Promise<PaceResult>((resolve, reject) => {
      const stream = { reports, opts, done: resolve };
      dev.queue.push({
        report: new Uint8Array(0),
        at: this.o.clock.monotonic(),
        resolve() {},
        reject,
        stream,
      });
      void this.pump(dev);
    });
  }

  /** Writes one typed stream, paced by the host; the device queue waits for it. */
  private async runStream(dev: Dev, s: NonNullable<Pending['stream']>): Promise<PaceResult> {
    if (dev.fd === null) throw new KvmError('HID_OFFLINE', `USB HID is offline: ${this.error}`);
    const { signal, gapMs, noticeMs, stallMs, trace } = s.opts;
    const job = { reports: s.reports, gapMs, noticeMs, stallMs, trace }; // plain data: it may go to a worker
    const run = this.pacer.run(dev.fd, dev.path, job, stepListener(s.opts));
    dev.running = run;
    const onAbort = () => run.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) run.cancel();
    try {
      const r = await run.result;
      const offline = dev.closeWhenIdle;
      if (r.outcome === 'cancelled' && offline !== null) {
        // Stopped because another device of the gadget went away, not by the caller.
        return { ...r, outcome: 'failed', code: 'HID_OFFLINE', message: offline };
      }
      if (r.outcome === 'failed' && r.code === 'HID_OFFLINE') this.goOffline(r.message ?? 'device gone');
      // The host still has to take the report that stalled: keep offering the release after it.
      if (r.outcome === 'stalled') this.scheduleResync(dev, new Uint8Array(8));
      if (r.written > 0) dev.last = s.reports[r.written - 1]!;
      return r;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      dev.running = null;
      if (dev.closeWhenIdle !== null) {
        dev.closeWhenIdle = null;
        this.closeDev(dev);
      }
    }
  }

  private async pump(dev: Dev): Promise<void> {
    if (dev.busy) return;
    dev.busy = true;
    try {
      for (let item = dev.queue.shift(); item; item = dev.queue.shift()) {
        if (item.stream) {
          await this.runStream(dev, item.stream).then(item.stream.done, item.reject);
          continue;
        }
        // Every report carries the whole state of its device (keys, buttons, position), so a
        // stale one that a newer one follows is superseded: drop it rather than replay old input.
        if (dev.queue.length > 0 && this.o.clock.monotonic() - item.at > this.o.staleMs) {
          item.resolve();
          continue;
        }
        try {
          await this.writeNow(dev, item.report);
          item.resolve();
        } catch (err) {
          if (err instanceof KvmError && err.details?.eagain && dev.queue.length === 0)
            this.scheduleResync(dev, item.report);
          item.reject(err);
        }
      }
    } finally {
      dev.busy = false;
    }
  }

  private async writeNow(dev: Dev, report: Uint8Array): Promise<void> {
    const t0 = this.o.clock.monotonic();
    for (let wait = 1; ; wait = Math.min(wait * 2, 16)) {
      if (dev.fd === null) throw new KvmError('HID_OFFLINE', `USB HID is offline: ${this.error}`);
      try {
        this.io.write(dev.fd, report);
        dev.last = report;
        return;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          // The host has not collected the previous report yet (f_hid holds one at a time).
          if (this.o.clock.monotonic() - t0 < this.o.eagainTimeoutMs) {
            await this.o.clock.sleep(wait);
            continue;
          }
          throw new KvmError(
            'HID_WRITE_FAILED',
            `${dev.path}: the host did not read a report for ${this.o.eagainTimeoutMs} ms (is it asleep?)`,
            { eagain: true },
          );
        }
        if (code && GONE_CODES.has(code)) {
          const reason = `${dev.path}: ${code === 'ESHUTDOWN' ? 'USB host disconnected' : 'device gone'} (${code})`;
          this.goOffline(reason);
          throw new KvmError('HID_OFFLINE', `USB HID is offline: ${reason}`);
        }
        throw new KvmError('HID_WRITE_FAILED', `${dev.path}: ${errorMessage(err)}`, undefined, {
          cause: err,
        });
      }
    }
  }

  /**
   * f_hid still holds the previous report for the host, so the one that timed out would leave the
   * host with an old state (a key down whose release never went out). Keep offering the latest
   * report until the host takes it or a newer report replaces it.
   */
  private scheduleResync(dev: Dev, report: Uint8Array): void {
    this.cancelResync(dev);
    dev.resync = report;
    dev.resyncTimer = this.o.clock.setTimeout(() => {
      dev.resyncTimer = null;
      const r = dev.resync;
      if (!r || dev.fd === null || dev.busy || dev.queue.length > 0) return;
      try {
        this.io.write(dev.fd, r);
        dev.last = r;
        dev.resync = null;
      } catch (err) {
        const code = errnoCode(err);
        if (code && GONE_CODES.has(code)) this.goOffline(`${dev.path}: device gone (${code})`);
        else this.scheduleResync(dev, r);
      }
    }, this.o.eagainTimeoutMs);
  }

  private cancelResync(dev: Dev): void {
    dev.resyncTimer?.cancel();
    dev.resyncTimer = null;
    dev.resync = null;
  }

  /** Opens every device; false (with `error` set) if one is missing. */
  private tryOpen(): boolean {
    for (const d of this.devs) {
      try {
        d.fd ??= this.io.open(d.path, d.fn === 'keyboard' ? O_READ_WRITE : O_WRITE);
      } catch (err) {
        this.error = `${d.path}: ${errnoCode(err) === 'ENOENT' ? 'missing (is the gadget up?)' : errorMessage(err)}`;
        this.closeAll();
        return false;
      }
    }
    return true;
  }

  private setOnline(): void {
    this.online = true;
    this.error = null;
    this.once.reset();
    this.o.log.info({ devices: this.devs.map((d) => d.path) }, 'hid: gadget devices online');
    // Whatever the host saw before, nothing is held now.
    for (const d of this.devs) {
      for (const r of releaseReports(d.fn, d.last)) {
        try {
          this.io.write(d.fd!, r);
        } catch (err) {
          this.o.log.debug({ fn: d.fn, err: errorMessage(err) }, 'release on reconnect failed');
        }
      }
    }
    this.listener?.online(true, null);
    // A new connection starts with every LED off; the host sends its real state if it differs.
    this.listener?.leds(0);
    this.scheduleLedPoll();
  }

  private goOffline(reason: string): void {
    const wasOnline = this.online;
    this.online = false;
    this.error = reason;
    this.closeAll();
    for (const d of this.devs) {
      for (const p of d.queue.splice(0))
        p.reject(new KvmError('HID_OFFLINE', `USB HID is offline: ${reason}`));
    }
    if (this.once.shouldLog(reason)) this.o.log.warn({ reason }, `hid: offline: ${reason}; retrying`);
    if (wasOnline || this.listener) this.listener?.online(false, reason);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.stopped) return;
    this.reopenTimer?.cancel();
    this.reopenTimer = this.o.clock.setTimeout(() => {
      this.reopenTimer = null;
      if (this.stopped) return;
      if (this.tryOpen()) this.setOnline();
      else this.scheduleReopen();
    }, this.o.reopenMs);
  }

  private scheduleLedPoll(): void {
    const kb = this.devs.find((d) => d.fn === 'keyboard');
    if (!kb || this.stopped) return;
    this.ledTimer?.cancel();
    this.ledTimer = this.o.clock.setTimeout(() => {
      this.ledTimer = null;
      if (!this.online || kb.fd === null) return;
      this.readLeds(kb);
      if (this.online) this.scheduleLedPoll();
    }, this.o.ledPollMs);
  }

  private readLeds(kb: Dev): void {
    const r = drainLedReports(this.io, kb.fd!, this.ledBuf);
    if (r.gone) this.goOffline(`${kb.path}: device gone (${r.gone})`);
    else if (r.latest >= 0) this.listener?.leds(r.latest);
  }

  private closeAll(): void {
    this.ledTimer?.cancel();
    for (const d of this.devs) {
      this.cancelResync(d);
      if (d.running) {
        // The pacer may be writing to this fd right now (a worker thread): stop it first, and
        // close when it has ended, so a reused fd number never gets a report.
        d.closeWhenIdle = `USB HID is offline: ${this.error ?? 'stopped'}`;
        d.running.cancel();
      } else this.closeDev(d);
    }
  }

  private closeDev(d: Dev): void {
    if (d.fd === null) return;
    try {
      this.io.close(d.fd);
    } catch {
      // already gone
    }
    d.fd = null;
  }
}
