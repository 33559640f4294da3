import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type AppState, initialAppState } from '../../src/core/app-state.js';
import { systemClock } from '../../src/core/clock.js';
import { isKvmError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { StateStore } from '../../src/core/state.js';
import { type HidConfig, HidConfigSchema } from '../../src/hid/config.js';
import { LayoutRegistry } from '../../src/hid/layout.js';
import { LAYOUTS } from '../../src/hid/layouts/index.js';
import { HidService } from '../../src/hid/service.js';
import { type DeviceIo, fsDeviceIo } from '../../src/hid/sinks/device-io.js';
import { HidgSink } from '../../src/hid/sinks/hidg.js';
import { typingReports } from '../../src/hid/typing/plan.js';
import { typingProfile } from '../../src/hid/typing/profiles.js';
import { recordFigure } from './figures.js';
import { SEED } from './generators.js';

const ROUNDS = Number(process.env.KVMR0CK_HID_FAULT_ROUNDS ?? 60);
type Fault = 'ESHUTDOWN' | 'EPIPE' | 'EAGAIN' | 'ENOENT';

/**
 * The gadget sink on files standing in for /dev/hidgN, with a fault struck in the middle of typing:
 * the host disconnects (ESHUTDOWN), the pipe breaks (EPIPE), the host stops reading (an EAGAIN
 * storm), or the device node vanishes (ENOENT, a UDC unbind). Each time typing must fail with a
 * clear error or finish, and once the device is back nothing may be held.
 */
describe(`HID faults during typing (${ROUNDS} rounds, seed ${SEED})`, () => {
  const dev = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-hidfault-'));
  afterAll(() => rmSync(dev, { recursive: true, force: true }));

  it('typing fails cleanly or completes, and no key is held after recovery', async () => {
    const devices = [
      { fn: 'keyboard' as const, path: path.join(dev, 'hidg0') },
      { fn: 'mouse' as const, path: path.join(dev, 'hidg1') },
    ];
    for (const d of devices) writeFileSync(d.path, '');
    let failNext: { code: Fault; count: number; after: number } | null = null;
    let writes = 0;
    const io: DeviceIo = {
      ...fsDeviceIo,
      write(fd, data) {
        writes++;
        if (failNext && writes > failNext.after && failNext.count > 0) {
          failNext.count--;
          if (failNext.code === 'ENOENT') for (const d of devices) rmSync(d.path, { force: true });
          throw Object.assign(new Error(`${failNext.code}: scripted`), {
            code: failNext.code === 'ENOENT' ? 'ESHUTDOWN' : failNext.code,
          });
        }
        return fsDeviceIo.write(fd, data);
      },
    };
    const store = new StateStore<AppState>(initialAppState());
    const log = createLogger({ level: 'silent', format: 'json' });
    const sink = new HidgSink({
      devices,
      clock: systemClock,
      log,
      io,
      eagainTimeoutMs: 100,
      staleMs: 1000,
      reopenMs: 30,
      ledPollMs: 200,
    });
    const hid = new HidService({
      sink,
      store,
      clock: systemClock,
      log,
      config: { ...(Value.Default(HidConfigSchema, {}) as HidConfig), typing: 'fast', type_delay_ms: 0 },
      layouts: new LayoutRegistry(LAYOUTS),
    });
    await hid.start();

    const plan = fc.sample(
      fc.record({
        code: fc.constantFrom<Fault>('ESHUTDOWN', 'EPIPE', 'EAGAIN', 'ENOENT'),
        count: fc.integer({ min: 1, max: 40 }),
        after: fc.integer({ min: 0, max: 60 }),
      }),
      { seed: SEED, numRuns: ROUNDS },
    );
    const outcomes = new Map<string, number>();
    let unclear = 0;
    let heldAfter = 0;
    let lost = 0;
    // A completed job ends with exactly its planned reports, then the all-up that confirms them.
    const text = 'The quick brown fox: 123 {}[]!';
    const { reports } = typingReports(new LayoutRegistry(LAYOUTS).plan(text, 'us'), typingProfile('fast'));
    const tail = Buffer.concat([...reports, new Uint8Array(8)]);
    for (const f of plan) {
      writes = 0;
      failNext = { ...f };
      let outcome = 'completed';
      try {
        await hid.type(text, { layout: 'us' });
        const kb = readFileSync(devices[0]!.path);
        if (!kb.subarray(kb.length - tail.length).equals(tail)) lost++;
      } catch (err) {
        outcome = isKvmError(err) ? err.code : 'unclear';
        if (!isKvmError(err)) unclear++;
      }
      outcomes.set(`${f.code}→${outcome}`, (outcomes.get(`${f.code}→${outcome}`) ?? 0) + 1);
      // Recovery: the device comes back (cable replugged) and the faults stop.
      failNext = null;
      for (const d of devices) {
        try {
          readFileSync(d.path);
        } catch {
          writeFileSync(d.path, '');
        }
      }
      await waitFor(() => store.get().hid.online, 3000);
      // No release-all here: the service and sink must have left nothing held on their own.
      await new Promise((r) => setTimeout(r, 150));
      const kb = readFileSync(devices[0]!.path);
      const last = kb.subarray(kb.length - 8);
      if (store.get().hid.keysHeld !== 0 || last.some((b) => b !== 0)) heldAfter++;
    }
    await hid.stop();

    recordFigure({ surface: 'hid faults', figure: 'rounds', value: ROUNDS });
    recordFigure({
      surface: 'hid faults',
      figure: 'outcomes',
      value: [...outcomes.entries()].map(([k, v]) => `${k}:${v}`).join(' '),
    });
    recordFigure({
      surface: 'hid faults',
      figure: 'failures without a clear error code',
      value: unclear,
      target: '0',
    });
    recordFigure({
      surface: 'hid faults',
      figure: 'rounds with a key held after recovery',
      value: heldAfter,
      target: '0',
    });
    recordFigure({
      surface: 'hid faults',
      figure: 'completed jobs whose reports differ from the plan',
      value: lost,
      target: '0',
    });
    expect(unclear).toBe(0);
    expect(heldAfter).toBe(0);
    expect(lost).toBe(0);
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the sink to come back online');
    await new Promise((r) => setTimeout(r, 10));
  }
}
