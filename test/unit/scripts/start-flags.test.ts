import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../../bench/memory.js';
import { packageRoot } from '../../../src/core/paths.js';

/**
 * The memory bench measures the daemon started with its first variant's flags: every way the
 * daemon really starts must use the same ones, or the figures describe a daemon nobody runs.
 */
const shipped = VARIANTS[0]!;
const read = (file: string) => readFileSync(path.join(packageRoot(), file), 'utf8');
const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;

describe('start flags', () => {
  const starts: [string, string][] = [
    ['npm start', scripts.start!],
    ['npm run demo', scripts.demo!],
    [
      'systemd unit',
      read('packaging/kvmr0ck.service')
        .split('\n')
        .find((l) => l.startsWith('ExecStart='))!,
    ],
    [
      'add-on run script',
      read('ha-addon/run.sh')
        .split('\n')
        .find((l) => l.startsWith('exec env'))!,
    ],
  ];
  it.each(starts)('%s starts the bundle the bench measured, with its V8 flags', (_, line) => {
    const node = line.slice(line.indexOf('node '));
    // The bench's default entry: the bundle scripts/bundle.mjs makes (not tsc's dist/src/cli.js).
    expect(shipped.entry).toBeUndefined();
    const at = node.indexOf('dist/kvmr0ck.js');
    expect(at, 'runs dist/kvmr0ck.js').toBeGreaterThan(0);
    for (const flag of shipped.args) expect(node.slice(0, at).split(/\s+/)).toContain(flag);
  });
  it.each([
    ['the kvmr0ck command', read('packaging/kvmr0ck')],
    ['the gadget unit', read('packaging/kvmr0ck-gadget.service')],
  ])('%s runs the bundle too', (_, text) => {
    expect(text).toContain('/opt/kvmr0ck/dist/kvmr0ck.js');
    expect(text).not.toContain('dist/src/cli.js');
  });
  it.each(starts)('%s sets the measured allocator environment', (_, line) => {
    const unit = read('packaging/kvmr0ck.service');
    for (const [k, v] of Object.entries(shipped.env)) {
      const set =
        line.includes(`${k}=${v}`) ||
        (line.startsWith('ExecStart=') && unit.includes(`Environment=${k}=${v}`));
      expect(set, `${k}=${v}`).toBe(true);
    }
  });
});
