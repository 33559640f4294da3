import { Value } from '@sinclair/typebox/value';
import { type AppState, initialAppState } from '../../../src/core/app-state.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/log.js';
import { StateStore } from '../../../src/core/state.js';
import { HidConfigSchema } from '../../../src/hid/config.js';
import { LayoutRegistry } from '../../../src/hid/layout.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { type HidConfig, HidService } from '../../../src/hid/service.js';
import { RecordingSink } from '../../../src/hid/sinks/recording.js';
import type { HidSink } from '../../../src/hid/types.js';

export const quietLog = createLogger({ level: 'silent', format: 'json' });

export function hidConfig(over: Partial<HidConfig> = {}): HidConfig {
  return { ...(Value.Default(HidConfigSchema, {}) as HidConfig), ...over };
}

export async function makeHid(opts: { config?: Partial<HidConfig>; sink?: HidSink } = {}) {
  const clock = new FakeClock();
  const store = new StateStore<AppState>(initialAppState());
  const recording = new RecordingSink({ capacity: 10_000, clock });
  const sink = opts.sink ?? recording;
  const hid = new HidService({
    sink,
    store,
    clock,
    log: quietLog,
    config: hidConfig(opts.config),
    layouts: new LayoutRegistry(LAYOUTS),
  });
  await hid.start();
  /** Reports as `fn: hex`, in write order, then forgotten. */
  const take = (): string[] => {
    const r = recording.records().map((x) => `${x.fn}: ${x.hex}`);
    recording.clear();
    return r;
  };
  return { hid, clock, store, recording, take };
}
