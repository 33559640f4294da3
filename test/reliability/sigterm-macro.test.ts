import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/daemon.js';
import { recordFigure } from './figures.js';

/** SIGTERM while a macro holds keys: the daemon releases them before it exits, and exits 0. */
describe('SIGTERM during a macro', () => {
  it('releases every key before exit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sigterm-'));
    writeFileSync(
      path.join(dir, 'hold.yaml'),
      'hold:\n  steps:\n    - down: [ctrl, shift, a]\n    - wait: 60s\n',
    );
    const reports = path.join(dir, 'reports.jsonl');
    const d = await startDaemon({
      command: 'demo',
      env: { KVMR0CK_MACROS__DIRS: `[${dir}]`, KVMR0CK_HID__RECORDING__FILE: reports },
    });
    const r = await fetch(`${d.url}api/macros/hold/run`, { method: 'POST', headers: d.authHeaders });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 500));
    const held = readFileSync(reports, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fn: string; hex: string });
    expect(held.filter((x) => x.fn === 'keyboard').at(-1)?.hex).toBe('03 00 04 00 00 00 00 00');
    const { code, ms } = await d.stop('SIGTERM');
    const all = readFileSync(reports, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fn: string; hex: string });
    const last = all.filter((x) => x.fn === 'keyboard').at(-1)?.hex;
    recordFigure({
      surface: 'sigterm',
      figure: 'exit code / ms',
      value: `${code} / ${ms}`,
      target: '0 / < 2000',
    });
    recordFigure({
      surface: 'sigterm',
      figure: 'last keyboard report',
      value: last ?? '',
      target: 'all zero',
    });
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
    expect(last).toBe('00 00 00 00 00 00 00 00');
  });
});
