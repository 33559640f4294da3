export interface Cost {
  /** Resident set of the whole daemon, MiB. */
  rssMiB: number;
  /** The daemon's CPU time (all threads) over the window, per frame encoded in it; 0 without frames. */
  cpuMsPerFrame: number;
}

/**
 * What video costs the machine, as users compare it with other KVMs (issue 19): resident memory
 * and CPU per encoded frame over a sliding window of `tick()` calls. Reads two cheap counters
 * (getrusage, /proc statm) once per tick; nothing runs between ticks.
 */
export class CostMeter {
  private readonly samples: { cpuMs: number; frames: number }[] = [];

  constructor(
    private readonly windowTicks = 5,
    private readonly cpuUsage: () => NodeJS.CpuUsage = () => process.cpuUsage(),
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {}

  tick(framesEncoded: number): Cost {
    const c = this.cpuUsage();
    this.samples.push({ cpuMs: (c.user + c.system) / 1000, frames: framesEncoded });
    if (this.samples.length > this.windowTicks + 1) this.samples.shift();
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const frames = last.frames - first.frames;
    return {
      rssMiB: this.rss() / 2 ** 20,
      cpuMsPerFrame: frames > 0 ? (last.cpuMs - first.cpuMs) / frames : 0,
    };
  }
}
