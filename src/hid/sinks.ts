import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { KvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { devPath } from '../core/paths.js';
import { RecordingSink } from './sinks/recording.js';
import type { HidSink } from './types.js';

export interface SinkDeps {
  config: Config;
  clock: Clock;
  log: Logger;
}

/** Picks the HID sink from config; `auto` records when there is no gadget device. */
export async function createHidSink(deps: SinkDeps): Promise<HidSink> {
  const h = deps.config.hid;
  const recording = () =>
    new RecordingSink({
      capacity: h.recording.capacity,
      file: h.recording.file || undefined,
      clock: deps.clock,
    });
  const keyboardDev = devPath(deps.config.paths, 'hidg0');
  if (h.sink === 'recording' || (h.sink === 'auto' && !existsSync(keyboardDev))) {
    deps.log.info(
      h.sink === 'recording'
        ? 'hid: using the recording HID sink, as configured (reports are kept in memory, see /api/hid/recorded)'
        : `hid: no USB gadget at ${keyboardDev}: using the recording HID sink (reports are kept in memory, see /api/hid/recorded)`,
    );
    return recording();
  }
  // The /dev/hidgN sink lands with the HID work (issue 5).
  throw new KvmError(
    'HID_OFFLINE',
    `hid.sink: the USB gadget sink is not available in this build (${keyboardDev})`,
  );
}
