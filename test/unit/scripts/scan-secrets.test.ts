import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../../helpers/secrets.js';

const scan = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/scan-secrets.mjs', ...args], { encoding: 'utf8' });

/** The run-wide scan npm test ends with: it must find a canary anywhere below a directory. */
describe('scripts/scan-secrets.mjs', () => {
  it('passes clean output and fails on a planted canary, naming file and line but not the secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scan-'));
    mkdirSync(path.join(dir, 'daemons'));
    writeFileSync(path.join(dir, 'vitest.out'), 'all good\n');
    writeFileSync(path.join(dir, 'daemons', 'daemon-1.log'), '{"msg":"started"}\n');
    const clean = scan(path.join(dir, 'vitest.out'), path.join(dir, 'daemons'));
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/over 2 files .*: 0 found/);

    writeFileSync(
      path.join(dir, 'daemons', 'daemon-2.log'),
      `line one\n{"password":"${TEST_SECRETS.mqttPassword}"}\n`,
    );
    const dirty = scan(path.join(dir, 'vitest.out'), path.join(dir, 'daemons'));
    expect(dirty.status).toBe(1);
    expect(dirty.stdout).toContain(`${path.join(dir, 'daemons', 'daemon-2.log')}:2: the mqttPassword canary`);
    expect(dirty.stdout).not.toContain(TEST_SECRETS.mqttPassword);
  });
});
