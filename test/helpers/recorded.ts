import type { Daemon } from './daemon.js';
import { until } from './wait.js';

export interface Recorded {
  fn: string;
  hex: string;
  at: number;
}

/** The reports a daemon's recording sink wrote since `since` (ms since the epoch). */
export async function recorded(d: Daemon, since: number, fn?: string): Promise<Recorded[]> {
  const r = await fetch(`${d.url}api/hid/recorded?since=${since}`, { headers: d.authHeaders });
  const body = (await r.json()) as { reports: Recorded[] };
  return fn ? body.reports.filter((x) => x.fn === fn) : body.reports;
}

/** Waits until the reports of `fn` since `since` satisfy `cond`, and returns them. */
export async function untilRecorded(
  d: Daemon,
  since: number,
  fn: string,
  cond: (hex: string[]) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<string[]> {
  let hex: string[] = [];
  await until(
    async () => {
      hex = (await recorded(d, since, fn)).map((r) => r.hex);
      return cond(hex);
    },
    timeoutMs,
    what,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; got ${JSON.stringify(hex.slice(-12))}`);
  });
  return hex;
}

/** Decodes an absolute mouse report: [buttons, X lo, X hi, Y lo, Y hi, wheel, hwheel]. */
export function absReport(hex: string): { buttons: number; x: number; y: number; wheel: number } {
  const b = hex.split(' ').map((h) => Number.parseInt(h, 16));
  return { buttons: b[0]!, x: b[1]! | (b[2]! << 8), y: b[3]! | (b[4]! << 8), wheel: (b[5]! << 24) >> 24 };
}

/** Decodes a relative mouse report: [buttons, dX, dY, wheel], two's complement. */
export function relReport(hex: string): { buttons: number; dx: number; dy: number; wheel: number } {
  const b = hex.split(' ').map((h) => (Number.parseInt(h, 16) << 24) >> 24);
  return { buttons: b[0]! & 0xff, dx: b[1]!, dy: b[2]!, wheel: b[3]! };
}
