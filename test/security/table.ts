import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatTable } from '../reliability/figures.js';

/** Each attack's row: what the review saw with the old defaults, and what the test sees now. */
export interface AttackRow {
  attack: string;
  /** As reproduced in the review (issue 14), before the fix. */
  before: string;
  now: string;
}

const FILE = path.join(tmpdir(), 'kvmr0ck-security-table.jsonl');

export function recordAttack(row: AttackRow): void {
  appendFileSync(FILE, `${JSON.stringify(row)}\n`);
}

export function resetAttacks(): void {
  if (existsSync(FILE)) rmSync(FILE);
}

export function attackTable(): string {
  if (!existsSync(FILE)) return 'no attacks recorded';
  const rows = readFileSync(FILE, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return formatTable(rows, ['attack', 'before', 'now']);
}
