import { describe, expect, it } from 'vitest';
import { FakeClock, type TimerHandle } from '../../../src/core/clock.js';
import { LayoutRegistry } from '../../../src/hid/layout.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { toHex } from '../../../src/hid/types.js';
import { runPace, type WriteResult } from '../../../src/hid/typing/pace.js';
import { typingReports } from '../../../src/hid/typing/plan.js';
import { typingProfile } from '../../../src/hid/typing/profiles.js';

/**
 * A gadget keyboard the way Linux's f_hid (drivers/usb/gadget/function/f_hid.c, Debian's 6.1)
 * and its host behave, on a fake clock:
 * - one IN request: write() sets `write_pending` and queues it; a non-blocking write while it is
 *   set fails with EAGAIN (f_hidg_write);
 * - the request sets `req->zero`, and the endpoint's wMaxPacketSize is the report length, so the
 *   host takes the report on one poll and a zero-length packet on the next; only then does the
 *   request complete, clear `write_pending` and wake the write queue (f_hidg_req_complete);
 * - poll(2) says POLLOUT exactly when `write_pending` is clear (f_hidg_poll), and a waiter in
 *   poll wakes at that completion.
 * The host polls every `pollMs`, except while `stalled` (a host that stops polling for a while).
 */
class FHid {
  readonly taken: Array<{ hex: string; at: number }> = [];
  stalled = false;
  private req: Uint8Array | null = null;
  private dataSent = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly clock: FakeClock,
    private readonly pollMs = 1,
  ) {}

  start(): void {
    const poll = () => {
      if (!this.stalled && this.req) {
        if (!this.dataSent) {
          this.taken.push({ hex: toHex(this.req), at: this.clock.monotonic() });
          this.dataSent = true; // the ZLP is still due
        } else {
          this.req = null; // completion: write_pending = 0; wake_up(&hidg->write_queue)
          this.dataSent = false;
          for (const w of this.waiters.splice(0)) w();
        }
      }
      this.clock.setTimeout(poll, this.pollMs);
    };
    this.clock.setTimeout(poll, this.pollMs);
  }

  write(r: Uint8Array): WriteResult {
    if (this.req) return 'again';
    this.req = r;
    return 'ok';
  }

  /** poll(fd, POLLOUT, ms). */
  waitWritable(ms: number): Promise<void> {
    if (!this.req) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const done = () => {
        timer?.cancel();
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      timer = this.clock.setTimeout(done, ms);
      this.waiters.push(done);
    });
  }
}

const reg = new LayoutRegistry(LAYOUTS);
const TEXT = 'Grüße aus München, die Straße ist naß. ';

async function typeInto(dev: FHid, clock: FakeClock, stallAfterMs: number, stallMs: number) {
  const { reports } = typingReports(reg.plan(TEXT, 'de'), typingProfile('fast'));
  const start = clock.monotonic();
  dev.start();
  const job = runPace(
    { reports, gapMs: 0, noticeMs: 1000, stallMs: 10_000 },
    {
      now: () => clock.monotonic(),
      cancelled: () => false,
      write: (r) => dev.write(r),
      sleep: (ms) => clock.sleep(ms),
      // The worker's poll(2): the next report follows the completion, not the next retry timer.
      waitWritable: (ms) => dev.waitWritable(ms),
      tell: () => {},
    },
  );
  let result: Awaited<typeof job> | null = null;
  void job.then((r) => {
    result = r;
  });
  await clock.advance(stallAfterMs);
  dev.stalled = true;
  await clock.advance(stallMs);
  dev.stalled = false;
  for (let i = 0; i < 200 && !result; i++) await clock.advance(10);
  await clock.advance(5); // the host also takes the confirming all-up, still in the gadget
  return { reports, start, result: result as Awaited<typeof job> | null };
}

describe('typing into f_hid', () => {
  it('every report reaches the host once, in order, and a key is released on the poll after the host is back', async () => {
    const clock = new FakeClock();
    const dev = new FHid(clock, 1);
    const stallAfter = 20;
    const stall = 120; // past the pacer's 50 ms, after which it retries only every 10 ms
    const { reports, start, result } = await typeInto(dev, clock, stallAfter, stall);
    expect(result?.outcome).toBe('done');
    // The job's reports, then the duplicate all-up that confirms the last one was taken.
    expect(dev.taken.map((t) => t.hex)).toEqual([...reports, new Uint8Array(8)].map(toHex));
    // Each report costs the host two polls (data, then the zero-length packet); the pacer adds
    // nothing: the report after one the host took goes out on the completion itself. Across the
    // stall, the next report follows the host's return by the same two polls, not by a retry
    // timer (the key pressed before the stall would otherwise stay down up to 10 ms longer).
    const back = start + stallAfter + stall;
    let spansStall = 0;
    for (const [i, b] of dev.taken.entries()) {
      if (i === 0) continue;
      const a = dev.taken[i - 1]!;
      if (a.at <= back && b.at > back) {
        spansStall++;
        expect(b.at - back, 'first report after the host is back').toBeLessThanOrEqual(2);
      } else expect(b.at - a.at, `polls between reports ${i - 1} and ${i}`).toBe(2);
    }
    expect(spansStall).toBe(1);
  });
});
