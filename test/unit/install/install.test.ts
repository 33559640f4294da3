import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** scripts/install.sh into a directory tree standing in for a Raspberry Pi's root file system. */
function fakePi(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'install-root-'));
  mkdirSync(path.join(root, 'proc', 'device-tree'), { recursive: true });
  writeFileSync(path.join(root, 'proc', 'device-tree', 'model'), 'Raspberry Pi 4 Model B Rev 1.5\0');
  mkdirSync(path.join(root, 'boot', 'firmware'), { recursive: true });
  writeFileSync(path.join(root, 'boot', 'firmware', 'config.txt'), '[all]\narm_64bit=1\n');
  return root;
}
const run = (...args: string[]) => execFileSync('bash', ['scripts/install.sh', ...args]).toString();

/** PATH with a `node` that reports `version` first, as Debian bookworm's nodejs package (18) would. */
function pathWithNode(version: string): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'install-node-'));
  writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}

describe('scripts/install.sh', () => {
  it('--dry-run says what it would do and changes nothing', () => {
    const root = fakePi();
    const out = run('--dry-run', '--root', root);
    expect(out).toMatch(/would: copy .*dist -> .*\/opt\/kvmr0ck\/dist/);
    expect(out).toContain('would: install unit kvmr0ck-gadget.service');
    expect(out).toContain('(dry run: none made)');
    expect(existsSync(path.join(root, 'opt'))).toBe(false);
    expect(readFileSync(path.join(root, 'boot', 'firmware', 'config.txt'), 'utf8')).toBe(
      '[all]\narm_64bit=1\n',
    );
  });

  it('installs the daemon, config, units, udev rule and the Pi overlay lines; a second run changes nothing', () => {
    const root = fakePi();
    const first = run('--root', root);
    expect(first).toContain('board: Raspberry Pi 4 Model B Rev 1.5 (rpi)');
    for (const f of [
      'opt/kvmr0ck/dist/kvmr0ck.js',
      'opt/kvmr0ck/src/web/index.html',
      'etc/kvmr0ck/kvmr0ck.yaml',
      'etc/systemd/system/kvmr0ck.service',
      'etc/systemd/system/kvmr0ck-gadget.service',
      'etc/udev/rules.d/99-kvmr0ck-hidg.rules',
      'usr/local/bin/kvmr0ck',
    ]) {
      expect(existsSync(path.join(root, f)), f).toBe(true);
    }
    const cfg = readFileSync(path.join(root, 'boot', 'firmware', 'config.txt'), 'utf8');
    expect(cfg).toContain('dtoverlay=dwc2,dr_mode=peripheral');
    expect(cfg).toContain('dtoverlay=tc358743');
    expect(readFileSync(path.join(root, 'etc/systemd/system/kvmr0ck-gadget.service'), 'utf8')).toContain(
      'gadget up',
    );
    // The config may hold tokens and the broker password: not readable by other users.
    expect(statSync(path.join(root, 'etc/kvmr0ck/kvmr0ck.yaml')).mode & 0o777).toBe(0o640);
    // The gadget unit runs this code as root: root owns it and nobody else may write it.
    const cli = statSync(path.join(root, 'opt/kvmr0ck/dist/kvmr0ck.js'));
    if (process.getuid?.() === 0) expect(cli.uid).toBe(0);
    expect(cli.mode & 0o022).toBe(0);
    // The user's config survives a reinstall; nothing else differs, so nothing changes.
    writeFileSync(path.join(root, 'etc/kvmr0ck/kvmr0ck.yaml'), 'video:\n  quality: 70\n', { mode: 0o640 });
    const second = run('--root', root);
    expect(second).toContain('nothing to change');
    expect(readFileSync(path.join(root, 'etc/kvmr0ck/kvmr0ck.yaml'), 'utf8')).toBe('video:\n  quality: 70\n');
    expect(readFileSync(path.join(root, 'boot', 'firmware', 'config.txt'), 'utf8')).toBe(cfg);
  });
});

describe('scripts/install.sh: Node', () => {
  const dryRun = (version: string) =>
    execFileSync('bash', ['scripts/install.sh', '--dry-run', '--root', fakePi()], {
      env: { ...process.env, PATH: pathWithNode(version) },
    }).toString();

  it("uses the system's Node when it meets package.json's engines", () => {
    const out = dryRun('20.19.0');
    expect(out).toMatch(/^Node: \/.*\/node 20\.19\.0 \(>= 20\.19\)$/m);
    expect(out).not.toContain('would install Node');
  });

  it("installs its own Node beside a too old one (bookworm's 18), leaving that one alone", () => {
    const out = dryRun('18.19.0');
    expect(out).toMatch(
      /^Node: \/.*\/node 18\.19\.0 is older than 20\.19: kvmr0ck uses its own Node 20\.\d+\.\d+/m,
    );
    expect(out).toMatch(/^would install Node 20\.\d+\.\d+ \((x64|arm64)\) in \/opt\/kvmr0ck\/node$/m);
    expect(out).toContain('would link /opt/kvmr0ck/bin/node -> /opt/kvmr0ck/node/bin/node');
  });

  it('runs the units and the command on the Node it chose', () => {
    for (const f of ['kvmr0ck.service', 'kvmr0ck-gadget.service', 'kvmr0ck']) {
      const text = readFileSync(path.join('packaging', f), 'utf8');
      expect(text, f).toMatch(/\/opt\/kvmr0ck\/bin\/node (-\S+ )*\/opt\/kvmr0ck\/dist\/kvmr0ck\.js/);
      expect(text, f).not.toMatch(/env node/);
    }
  });
});

describe('systemd units', () => {
  // systemd's own offline scorer (systemd.exec(5) sandboxing), as `systemd-analyze security` on a board.
  const exposure = (unit: string) => {
    const out = execFileSync('systemd-analyze', [
      'security',
      '--offline=yes',
      `packaging/${unit}`,
    ]).toString();
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(out);
    expect(m, out).not.toBeNull();
    return Number(m![1]);
  };
  it('sandbox the daemon to an exposure of at most 3.5 and the root-run gadget unit to at most 2', () => {
    expect(exposure('kvmr0ck.service')).toBeLessThanOrEqual(3.5);
    expect(exposure('kvmr0ck-gadget.service')).toBeLessThanOrEqual(2);
  });
});
