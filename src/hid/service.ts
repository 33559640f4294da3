import type { AppState } from '../core/app-state.js';
import { errorMessage } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import type { HidFunctionName, HidSink } from './types.js';

export interface HidServiceOptions {
  sink: HidSink;
  store: StateStore<AppState>;
  log: Logger;
}

/** Report sizes of the gadget functions, for the all-released reports. */
const IDLE_REPORT: Record<HidFunctionName, number> = { keyboard: 8, mouse: 7, mouse_rel: 4, consumer: 2 };

/**
 * Owns the sink and the LED/online state. Key and pointer state machines build on this; whatever
 * they hold, `releaseAll` sends an all-up report on every function.
 */
export class HidService implements Service {
  readonly name = 'hid';

  constructor(private readonly o: HidServiceOptions) {}

  async start(): Promise<void> {
    this.o.store.patch('hid', { sink: this.o.sink.name });
    await this.o.sink.start({
      online: (online, error) => this.o.store.patch('hid', { online, error }),
      leds: (bits) =>
        this.o.store.patch('hid', {
          numLock: (bits & 0x01) !== 0,
          capsLock: (bits & 0x02) !== 0,
          scrollLock: (bits & 0x04) !== 0,
        }),
    });
  }

  async stop(): Promise<void> {
    await this.releaseAll();
    await this.o.sink.stop();
  }

  async releaseAll(): Promise<void> {
    for (const fn of this.o.sink.functions()) {
      try {
        await this.o.sink.write(fn, new Uint8Array(IDLE_REPORT[fn]));
      } catch (err) {
        this.o.log.debug({ fn, err: errorMessage(err) }, 'release-all write failed');
      }
    }
    this.o.store.patch('hid', { keysHeld: 0 });
  }
}
