import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppState } from '../core/app-state.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { SystemPaths } from '../core/paths.js';
import type { StateStore } from '../core/state.js';

export function listUdcs(paths: SystemPaths): string[] {
  try {
    return readdirSync(path.join(paths.sys, 'class/udc')).sort();
  } catch {
    return [];
  }
}

const NO_UDC =
  'no USB device controller found in /sys/class/udc: the board’s OTG port must be in peripheral ' +
  '(or otg) mode, which on the Radxa ZERO 3W / RK3566 takes a device-tree overlay setting ' +
  'dr_mode (see overlays/README.md), and on a Raspberry Pi dtoverlay=dwc2 in config.txt';

/** The UDC named in config, or the only one present; otherwise a GADGET error saying what to do. */
export function pickUdc(paths: SystemPaths, configured: string): string {
  const udcs = listUdcs(paths);
  if (configured) {
    if (udcs.includes(configured)) return configured;
    throw new KvmError(
      'GADGET',
      udcs.length
        ? `gadget.udc '${configured}' not found; present: ${udcs.join(', ')}`
        : `gadget.udc '${configured}' not found: ${NO_UDC}`,
    );
  }
  if (udcs.length === 1) return udcs[0]!;
  if (udcs.length === 0) throw new KvmError('GADGET', NO_UDC);
  throw new KvmError('GADGET', `several USB device controllers (${udcs.join(', ')}): set gadget.udc to one`);
}

/** /sys/class/udc/<udc>/state: `configured`, `suspended`, `not attached`, ... or `unknown`. */
export function readUdcState(paths: SystemPaths, udc: string): string {
  try {
    return readFileSync(path.join(paths.sys, 'class/udc', udc, 'state'), 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Keeps state `usb` current by reading the UDC state file (sysfs offers no change events for it). */
export class UsbStateMonitor implements Service {
  readonly name = 'usb-state';
  private timer: TimerHandle | null = null;

  constructor(
    private readonly o: {
      paths: SystemPaths;
      udc: string;
      pollMs: number;
      clock: Clock;
      store: StateStore<AppState>;
    },
  ) {}

  async start(): Promise<void> {
    this.poll();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
  }

  private poll(): void {
    const udcs = listUdcs(this.o.paths);
    const udc = this.o.udc || (udcs.length === 1 ? udcs[0]! : null);
    this.o.store.patch('usb', { udc, state: udc ? readUdcState(this.o.paths, udc) : 'unknown' });
    this.timer = this.o.clock.setTimeout(() => this.poll(), this.o.pollMs);
  }
}
