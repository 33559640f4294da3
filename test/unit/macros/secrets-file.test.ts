import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeMacros } from './helpers.js';

const MACRO = { 'unlock.yaml': 'unlock:\n  steps:\n    - type: !secret luks\n' };

function secretsFile(text: string): string {
  const f = path.join(tmpdir(), `secrets-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

/** A broken secrets file is reported with file and line, never with the text around the error. */
describe('macro secrets file', () => {
  it('loads a mapping and lets a macro use its secret', async () => {
    const m = await makeMacros(MACRO, { secrets_file: secretsFile('luks: s3cr3t-value\n') });
    expect(m.macros.loadProblems()).toEqual([]);
    expect(m.macros.list().map((x) => x.name)).toContain('unlock');
  });

  it.each([
    ['a YAML syntax error', 'other: 1\nluks: "s3cr3t-value\n', /:\d+$/, /not valid YAML/],
    ['a list at the top', '- s3cr3t-value\n', /yaml$/, /must be a mapping/],
    ['a nested value', 'luks:\n  inner: s3cr3t-value\n', /yaml$/, /secret 'luks' must be a single value/],
  ])('reports %s without the secret, and the macro needing it', async (_n, text, where, message) => {
    const m = await makeMacros(MACRO, { secrets_file: secretsFile(text) });
    const problems = m.macros.loadProblems();
    expect(problems[0]!.where).toMatch(where);
    expect(problems[0]!.message).toMatch(message);
    expect(problems.some((p) => /secret 'luks' is not defined/.test(p.message))).toBe(true);
    expect(JSON.stringify(problems) + m.lines.join('')).not.toContain('s3cr3t-value');
    expect(m.macros.list().map((x) => x.name)).not.toContain('unlock');
  });
});
