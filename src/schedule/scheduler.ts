import cron from 'node-cron';
import type { AppState } from '../core/app-state.js';
import { errorMessage, KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import type { StateStore } from '../core/state.js';
import type { ScheduleEntry } from './config.js';

export interface MacroRunner {
  run(
    name: string,
    params: Record<string, unknown>,
    opts: { origin: string },
  ): Promise<{ done: Promise<void> }>;
}

/** The cron library behind a seam, so tests fire jobs by hand. */
export interface CronBackend {
  validate(expr: string): boolean;
  schedule(expr: string, fn: () => void, tz: string | undefined): { stop(): void; next(): Date | null };
}

export const nodeCron: CronBackend = {
  validate: (e) => cron.validate(e),
  schedule(expr, fn, tz) {
    const task = cron.schedule(expr, fn, tz ? { timezone: tz } : {});
    return {
      stop: () => void task.stop(),
      next: () => {
        const t = task as unknown as { getNextRun?: () => Date | null };
        return t.getNextRun?.() ?? null;
      },
    };
  },
};

/** Checks schedule entries at load: a bad cron expression or time zone is a config error. */
export function checkSchedule(entries: ScheduleEntry[], backend: CronBackend = nodeCron): string[] {
  const problems: string[] = [];
  entries.forEach((e, i) => {
    if (!backend.validate(e.cron))
      problems.push(`schedule.${i}.cron: not a valid cron expression: '${e.cron}'`);
    if (e.timezone) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: e.timezone });
      } catch {
        problems.push(`schedule.${i}.timezone: unknown time zone '${e.timezone}'`);
      }
    }
  });
  return problems;
}

/**
 * Runs macros on cron schedules. A run that is still going when its next time comes is skipped
 * (never two of the same schedule at once); next and last runs are in state.
 */
export class Scheduler implements Service {
  readonly name = 'schedule';
  private tasks: {
    entry: ScheduleEntry;
    task: { stop(): void; next(): Date | null };
    running: boolean;
    last: string | null;
    lastResult: string | null;
  }[] = [];

  constructor(
    private readonly o: {
      entries: ScheduleEntry[];
      macros: MacroRunner;
      store: StateStore<AppState>;
      log: Logger;
      backend?: CronBackend;
    },
  ) {}

  async start(): Promise<void> {
    const backend = this.o.backend ?? nodeCron;
    const problems = checkSchedule(this.o.entries, backend);
    if (problems.length > 0) throw new KvmError('CONFIG_INVALID', problems.join('\n'));
    for (const entry of this.o.entries) {
      const slot = {
        entry,
        task: { stop() {}, next: () => null as Date | null },
        running: false,
        last: null as string | null,
        lastResult: null as string | null,
      };
      slot.task = backend.schedule(entry.cron, () => void this.fire(slot), entry.timezone || undefined);
      this.tasks.push(slot);
    }
    this.publish();
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) t.task.stop();
    this.tasks = [];
  }

  private async fire(slot: Scheduler['tasks'][number]): Promise<void> {
    if (slot.running) {
      this.o.log.warn(`schedule ${slot.entry.name}: previous run still going, skipped`);
      return;
    }
    slot.running = true;
    slot.last = new Date().toISOString();
    this.o.log.info(`schedule ${slot.entry.name}: running macro ${slot.entry.macro}`);
    try {
      const ticket = await this.o.macros.run(slot.entry.macro, slot.entry.params, {
        origin: `schedule:${slot.entry.name}`,
      });
      await ticket.done;
      slot.lastResult = 'finished';
    } catch (err) {
      slot.lastResult = `failed: ${errorMessage(err)}`;
      this.o.log.warn(`schedule ${slot.entry.name}: ${slot.lastResult}`);
    } finally {
      slot.running = false;
      this.publish();
    }
  }

  private publish(): void {
    this.o.store.patch('schedule', {
      entries: this.tasks.map((t) => ({
        name: t.entry.name,
        macro: t.entry.macro,
        cron: t.entry.cron,
        next: t.task.next()?.toISOString() ?? null,
        last: t.last,
        lastResult: t.lastResult,
      })),
    });
  }
}
