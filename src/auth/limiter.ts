/**
 * Failed credential checks per client address, over a sliding minute. Only failures count: the
 * owner's own requests never use up the allowance. An address over the limit is refused before any
 * hashing, so a flood of guesses costs nothing; other addresses are not affected.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  /** Checks under way per address: 150 guesses sent at once must not all pass before the first fails. */
  private readonly pending = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
    /** Addresses kept at most; past it the oldest are dropped (a spoofing flood cannot grow the map). */
    private readonly maxAddresses = 10_000,
  ) {}

  /** True when `ip` may try a credential now; the try then counts until `end`. */
  begin(ip: string): boolean {
    const inFlight = this.pending.get(ip) ?? 0;
    if (this.recent(ip).length + inFlight >= this.perMinute) return false;
    this.pending.set(ip, inFlight + 1);
    return true;
  }

  /** The try that `begin` allowed is over; a failed one counts for the minute. */
  end(ip: string, failed: boolean): void {
    const inFlight = (this.pending.get(ip) ?? 1) - 1;
    if (inFlight > 0) this.pending.set(ip, inFlight);
    else this.pending.delete(ip);
    if (failed) this.fail(ip);
  }

  private fail(ip: string): void {
    const list = this.recent(ip);
    list.push(this.now());
    this.failures.delete(ip); // re-insert: Map order is then oldest activity first
    this.failures.set(ip, list);
    if (this.failures.size > this.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.sweep();
  }

  /** Seconds until `ip` may try again. */
  retryAfterS(ip: string): number {
    const first = this.recent(ip)[0];
    return first === undefined ? 0 : Math.max(1, Math.ceil((first + 60_000 - this.now()) / 1000));
  }

  get size(): number {
    return this.failures.size;
  }

  private recent(ip: string): number[] {
    const t = this.now();
    const list = (this.failures.get(ip) ?? []).filter((x) => t - x < 60_000);
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }

  /** Drops addresses with no failure in the last minute, at most once a minute. */
  private sweep(): void {
    const t = this.now();
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    for (const [ip, list] of this.failures) {
      if (list.every((x) => t - x >= 60_000)) this.failures.delete(ip);
    }
  }
}
