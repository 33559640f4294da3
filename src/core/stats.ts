/** Counts events and reports their rate over the last completed window. */
export class RateMeter {
  private count = 0;
  private windowStart: number;
  private last = 0;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 1000,
  ) {
    this.windowStart = now();
  }

  mark(n = 1): void {
    this.roll();
    this.count += n;
  }

  /** Events per second in the last full window. */
  rate(): number {
    this.roll();
    return this.last;
  }

  private roll(): void {
    const t = this.now();
    const elapsed = t - this.windowStart;
    if (elapsed < this.windowMs) return;
    // More than two windows idle: the rate is zero, not the stale count.
    this.last = elapsed >= 2 * this.windowMs ? 0 : (this.count * 1000) / elapsed;
    this.count = 0;
    this.windowStart = t;
  }
}

/** Keeps the last `size` samples for percentiles; O(size log size) per query, fine for ~100s. */
export class SampleWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 120) {}

  add(v: number): void {
    if (this.samples.length < this.size) this.samples.push(v);
    else this.samples[this.next] = v;
    this.next = (this.next + 1) % this.size;
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i]!;
  }

  get length(): number {
    return this.samples.length;
  }
}

export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
