import { errnoCode } from '../../core/errors.js';
import type { HidFunctionName } from '../types.js';
import { type DeviceIo, GONE_CODES } from './device-io.js';

/** All-up reports for one device; the absolute mouse keeps its last position (zeros would jump to a corner). */
export function releaseReports(fn: HidFunctionName, last: Uint8Array | null): Uint8Array[] {
  switch (fn) {
    case 'keyboard':
      return [new Uint8Array(8)];
    case 'mouse_rel':
      return [new Uint8Array(4)];
    case 'consumer':
      return [Uint8Array.of(1, 0, 0), Uint8Array.of(2, 0)];
    case 'mouse': {
      if (!last) return [];
      const r = Uint8Array.from(last);
      r[0] = 0; // buttons
      r[5] = 0; // wheel
      r[6] = 0; // horizontal wheel
      return [r];
    }
  }
}

/**
 * Reads every LED output report the host has queued on the keyboard device (f_hid keeps them,
 * including a stale one from enumeration); the newest is the host's current state: bit 0 Num,
 * 1 Caps, 2 Scroll Lock (LED page 0x08). `latest` is −1 when nothing was queued; `gone` names the
 * errno when the device has vanished.
 */
export function drainLedReports(
  io: DeviceIo,
  fd: number,
  buf: Uint8Array,
): { latest: number; gone?: string } {
  let latest = -1;
  for (;;) {
    let n: number;
    try {
      n = io.read(fd, buf);
    } catch (err) {
      const code = errnoCode(err);
      return code && GONE_CODES.has(code) ? { latest, gone: code } : { latest };
    }
    if (n <= 0) return { latest };
    latest = buf[n - 1]!;
  }
}
