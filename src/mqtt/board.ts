import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';

/**
 * The board's own health, for Home Assistant diagnostics (disabled by default there): what users
 * of PiKVM and JetKVM look at first when the picture stutters. Every field is null when the
 * system does not say (no thermal zone in a VM, /proc hidden in a container).
 */
export interface BoardStats {
  /** °C, whole degrees. */
  cpu_temp: number | null;
  load_1m: number | null;
  mem_used_pct: number | null;
  /** Of the file system holding paths.state (logs, tokens): a full disk is how a board dies. */
  disk_used_pct: number | null;
  /** ISO 8601, to the minute: a timestamp sensor, which changes only when the board reboots. */
  booted_at: string | null;
}

export interface BoardPaths {
  /** /proc (config.paths.proc). */
  proc: string;
  /** /sys (config.paths.sys). */
  sys: string;
  /** The directory whose file system is reported (config.paths.state). */
  disk: string;
}

/** Reads the board's figures from /proc, /sys and statfs; paths movable so tests use a fake tree. */
export class BoardMonitor {
  private zone: string | null | undefined;
  private bootedAt: number | null = null;

  constructor(
    private readonly paths: BoardPaths,
    private readonly now: () => number,
  ) {}

  read(): BoardStats {
    return {
      cpu_temp: this.cpuTemp(),
      load_1m: this.load(),
      mem_used_pct: this.memory(),
      disk_used_pct: this.disk(),
      booted_at: this.booted(),
    };
  }

  /** The SoC's zone if a zone says so (`cpu-thermal`, `soc-thermal`, `x86_pkg_temp`), else the first. */
  private findZone(): string | null {
    const dir = path.join(this.paths.sys, 'class/thermal');
    let zones: string[];
    try {
      zones = readdirSync(dir)
        .filter((z) => z.startsWith('thermal_zone'))
        .sort();
    } catch {
      return null;
    }
    const typed = zones.map((z) => ({ z, type: readText(path.join(dir, z, 'type')) ?? '' }));
    const cpu = typed.find((t) => /cpu|soc|x86_pkg/i.test(t.type)) ?? typed[0];
    return cpu ? path.join(dir, cpu.z, 'temp') : null;
  }

  private cpuTemp(): number | null {
    if (this.zone === undefined) this.zone = this.findZone();
    if (!this.zone) return null;
    // sysfs-class-thermal: millidegrees Celsius.
    const milli = Number(readText(this.zone));
    return Number.isFinite(milli) ? Math.round(milli / 1000) : null;
  }

  private load(): number | null {
    // proc(5) /proc/loadavg: the first field is the 1-minute load average.
    const v = Number(readText(path.join(this.paths.proc, 'loadavg'))?.split(/\s+/)[0]);
    return Number.isFinite(v) ? Math.round(v * 100) / 100 : null;
  }

  private memory(): number | null {
    // proc(5) /proc/meminfo: MemAvailable is what can be used without swapping (kernel 3.14+).
    const text = readText(path.join(this.paths.proc, 'meminfo'));
    const kb = (k: string) => Number(text?.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1]);
    const total = kb('MemTotal');
    const avail = kb('MemAvailable');
    if (!(total > 0) || !Number.isFinite(avail)) return null;
    return Math.round(((total - avail) / total) * 100);
  }

  private disk(): number | null {
    try {
      const s = statfsSync(this.paths.disk);
      // As df(1) counts it: used over what non-root users can have.
      const used = s.blocks - s.bfree;
      const size = used + s.bavail;
      return size > 0 ? Math.round((used / size) * 100) : null;
    } catch {
      return null;
    }
  }

  private booted(): string | null {
    const up = Number(readText(path.join(this.paths.proc, 'uptime'))?.split(/\s+/)[0]);
    if (!Number.isFinite(up)) return null;
    const at = Math.floor((this.now() - up * 1000) / 60_000) * 60_000;
    // now - uptime jitters by a second around a minute boundary: keep the first value unless the
    // clock really moved (a reboot, an NTP step), so the timestamp sensor does not flap.
    if (this.bootedAt === null || Math.abs(at - this.bootedAt) > 120_000) this.bootedAt = at;
    return new Date(this.bootedAt).toISOString();
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
