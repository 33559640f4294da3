import { describe, expect, it } from 'vitest';
import { initialAppState } from '../../../src/core/app-state.js';
import { createLogger } from '../../../src/core/log.js';
import { StateStore } from '../../../src/core/state.js';
import { type CronBackend, checkSchedule, nodeCron, Scheduler } from '../../../src/schedule/scheduler.js';

/** node-cron behind the seam; jobs fire when the test says so. */
function fakeCron() {
  const jobs: { expr: string; fn: () => void; tz?: string }[] = [];
  const backend: CronBackend = {
    validate: (e) => nodeCron.validate(e),
    schedule(expr, fn, tz) {
      jobs.push({ expr, fn, tz });
      return { stop() {}, next: () => new Date('2030-01-01T07:00:00Z') };
    },
  };
  return { backend, jobs };
}

const log = createLogger({ level: 'silent', format: 'json' });

describe('schedules', () => {
  it('refuses an invalid cron expression or time zone with the entry it is in', () => {
    expect(
      checkSchedule([
        { name: 'a', cron: '61 * * * *', macro: 'wake', params: {}, timezone: '' },
        { name: 'b', cron: '0 7 * * *', macro: 'wake', params: {}, timezone: 'Mars/Olympus' },
      ]),
    ).toEqual([
      "schedule.0.cron: not a valid cron expression: '61 * * * *'",
      "schedule.1.timezone: unknown time zone 'Mars/Olympus'",
    ]);
  });

  it('runs the macro with its time zone, never overlapping itself, and shows next/last in state', async () => {
    const { backend, jobs } = fakeCron();
    const store = new StateStore(initialAppState());
    let finish: () => void = () => {};
    const runs: string[] = [];
    const macros = {
      async run(name: string, _p: Record<string, unknown>, o: { origin: string }) {
        runs.push(`${name} by ${o.origin}`);
        return { done: new Promise<void>((r) => (finish = r)) };
      },
    };
    const s = new Scheduler({
      entries: [
        { name: 'morning', cron: '0 7 * * 1-5', macro: 'wake', params: {}, timezone: 'Europe/Berlin' },
      ],
      macros,
      store,
      log,
      backend,
    });
    await s.start();
    expect(jobs[0]).toMatchObject({ expr: '0 7 * * 1-5', tz: 'Europe/Berlin' });
    expect(store.get().schedule.entries[0]).toMatchObject({
      name: 'morning',
      next: '2030-01-01T07:00:00.000Z',
      last: null,
    });
    jobs[0]!.fn();
    jobs[0]!.fn(); // still running: skipped
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual(['wake by schedule:morning']);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(store.get().schedule.entries[0]).toMatchObject({ lastResult: 'finished' });
    expect(store.get().schedule.entries[0]!.last).not.toBeNull();
    await s.stop();
  });
});
