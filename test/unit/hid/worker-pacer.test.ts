import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { PaceJob } from '../../../src/hid/typing/pace.js';

// The built pacer: its worker thread runs the compiled pace-worker.js (npm test builds first).
const built = new URL('../../../dist/src/hid/typing/pacer.js', import.meta.url).href;
const { WorkerPacer } = (await import(built)) as typeof import('../../../src/hid/typing/pacer.js');

const job = (n: number): PaceJob => ({
  reports: Array.from({ length: n }, (_, i) => Uint8Array.of(i, 0, 4, 0, 0, 0, 0, 0)),
  gapMs: 0,
  noticeMs: 1000,
  stallMs: 5000,
  takenOnWrite: true,
});

describe('the typing worker thread', () => {
  it('starts with the first job, types through it, and ends after the idle time', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kvmr0ck-pacer-')), 'hidg0');
    const fd = openSync(file, 'w');
    const clock = new FakeClock();
    const hellos: unknown[] = [];
    const pacer = new WorkerPacer({ clock, idleMs: 30_000, onHello: (h) => hellos.push(h) });
    try {
      // Nobody typed yet: no thread (a whole V8 isolate, ~13 MiB resident).
      expect(pacer.running).toBe(false);
      const first = await pacer.run(fd, file, job(3), () => undefined).result;
      expect(first).toMatchObject({ outcome: 'done', written: 3 });
      expect(readFileSync(file)).toHaveLength(24);
      expect(pacer.running).toBe(true);
      await clock.advance(29_000);
      expect(pacer.running).toBe(true);
      await clock.advance(1_000);
      expect(pacer.running).toBe(false);
      // The next job starts a thread again, and its hello, the same as the first, is not repeated.
      const again = await pacer.run(fd, file, job(2), () => undefined).result;
      expect(again).toMatchObject({ outcome: 'done', written: 2 });
      expect(readFileSync(file)).toHaveLength(40);
      expect(hellos).toHaveLength(1);
      // A job that starts within the idle time keeps the thread.
      await clock.advance(20_000);
      await pacer.run(fd, file, job(1), () => undefined).result;
      await clock.advance(20_000);
      expect(pacer.running).toBe(true);
    } finally {
      await pacer.stop();
      closeSync(fd);
    }
    expect(pacer.running).toBe(false);
  });
});
