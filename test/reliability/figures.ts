import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Reliability tests record their figures here; the global teardown prints them as one table, so a
 * CI log ends with the numbers a reviewer looks for (crashes, keys held, RSS, fd delta, p99s).
 */
const FILE = path.join(tmpdir(), 'kvmr0ck-reliability-figures.jsonl');

export interface Figure {
  surface: string;
  figure: string;
  value: string | number;
  /** What the figure must be, for the reader (e.g. `0`, `>= 0.8 of capture fps`). */
  target?: string;
}

export function recordFigure(f: Figure): void {
  appendFileSync(FILE, JSON.stringify(f) + '\n');
}

export function resetFigures(): void {
  if (existsSync(FILE)) rmSync(FILE);
}

export function figuresTable(): string {
  if (!existsSync(FILE)) return 'no figures recorded';
  const rows = readFileSync(FILE, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Figure);
  return formatTable(rows as unknown as Record<string, unknown>[], ['surface', 'figure', 'value', 'target']);
}

/** Rows as aligned columns with a header and a rule (the figures and the security attack table). */
export function formatTable(rows: Record<string, unknown>[], cols: string[]): string {
  const cell = (r: Record<string, unknown>, c: string) => String(r[c] ?? '');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [
    line([...cols]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r, c)))),
  ].join('\n');
}
