import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { KvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { devPath, type SystemPaths } from '../core/paths.js';
import type { GadgetConfig } from '../gadget/config.js';
import { hidDevices } from '../gadget/functions.js';
import { listUdcs } from '../gadget/udc.js';
import type { HidConfig } from './config.js';
import { HidgSink } from './sinks/hidg.js';
import { RecordingSink } from './sinks/recording.js';
import type { HidSink } from './types.js';

export interface SinkDeps {
  hid: HidConfig;
  /** Which HID functions the gadget has, hence which /dev/hidgN to open. */
  gadget: GadgetConfig;
  paths: SystemPaths;
  clock: Clock;
  log: Logger;
}

/**
 * Picks the HID sink from config. `auto` takes the gadget when its device exists or the board has
 * a USB device controller (the gadget may come up after the daemon: the sink then waits for it,
 * offline with a reason, instead of silently recording); otherwise the recording sink.
 */
export async function createHidSink(deps: SinkDeps): Promise<HidSink> {
  const h = deps.hid;
  const recording = () =>
    new RecordingSink({
      capacity: h.recording.capacity,
      file: h.recording.file || undefined,
      clock: deps.clock,
    });
  const keyboardDev = devPath(deps.paths, 'hidg0');
  const gadgetLikely = existsSync(keyboardDev) || listUdcs(deps.paths).length > 0;
  if (h.sink === 'recording' || (h.sink === 'auto' && !gadgetLikely)) {
    deps.log.info(
      h.sink === 'recording'
        ? 'hid: using the recording HID sink, as configured (reports are kept in memory, see /api/hid/recorded)'
        : `hid: no USB gadget at ${keyboardDev} and no USB device controller: using the recording HID sink (reports are kept in memory, see /api/hid/recorded)`,
    );
    return recording();
  }
  const devices = hidDevices(deps.paths, deps.gadget);
  if (devices.length === 0) {
    throw new KvmError('CONFIG_INVALID', 'hid.sink: gadget.functions enables no HID function');
  }
  deps.log.info({ devices }, 'hid: writing to the USB gadget devices');
  return new HidgSink({
    devices,
    clock: deps.clock,
    log: deps.log.child({ component: 'hidg' }),
    eagainTimeoutMs: h.hidg.eagain_timeout_ms,
    staleMs: h.hidg.stale_ms,
    reopenMs: h.hidg.reopen_ms,
    ledPollMs: h.hidg.led_poll_ms,
  });
}
