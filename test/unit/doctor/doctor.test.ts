import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { runChecks } from '../../../src/doctor/checks.js';

/** A board's /sys, /dev and configfs as files in a temp tree (paths.* moved there). */
function board(opts: { udcState?: string; bound?: boolean } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'doctor-'));
  const sys = path.join(root, 'sys');
  const dev = path.join(root, 'dev');
  const configfs = path.join(root, 'configfs');
  mkdirSync(path.join(sys, 'class', 'udc', 'fcc00000.usb'), { recursive: true });
  writeFileSync(
    path.join(sys, 'class', 'udc', 'fcc00000.usb', 'state'),
    `${opts.udcState ?? 'configured'}\n`,
  );
  mkdirSync(path.join(configfs, 'usb_gadget', 'kvmr0ck'), { recursive: true });
  writeFileSync(
    path.join(configfs, 'usb_gadget', 'kvmr0ck', 'UDC'),
    opts.bound === false ? '\n' : 'fcc00000.usb\n',
  );
  mkdirSync(dev);
  writeFileSync(path.join(dev, 'hidg0'), '');
  return loadConfig({
    overrides: {
      paths: { sys, dev, configfs, state: path.join(root, 'state') },
      video: { device: path.join(dev, 'video0') },
    },
  }).config;
}

describe('kvmr0ck doctor', () => {
  it('passes a board with a configured UDC and a bound gadget, and warns about a missing capture device', async () => {
    const checks = await runChecks(board());
    const by = (n: string) => checks.find((c) => c.name.startsWith(n));
    expect(by('USB device controller')).toMatchObject({
      level: 'ok',
      detail: 'fcc00000.usb, state configured',
    });
    expect(by('USB gadget')).toMatchObject({ level: 'ok' });
    expect(by('HID device')).toMatchObject({ level: 'ok', detail: 'writable' });
    expect(by('capture device')).toMatchObject({ level: 'warn' });
    expect(by('capture device')?.fix).toContain('v4l2-ctl --list-devices');
    expect(checks.filter((c) => c.level === 'fail')).toEqual([]);
  });

  it('explains an unbound gadget and a target that has not configured the USB device', async () => {
    const checks = await runChecks(board({ udcState: 'not attached', bound: false }));
    expect(checks.find((c) => c.name === 'USB gadget')).toMatchObject({
      level: 'fail',
      fix: expect.stringContaining('kvmr0ck gadget up'),
    });
    expect(checks.find((c) => c.name === 'USB device controller')).toMatchObject({
      level: 'warn',
      detail: 'fcc00000.usb, state not attached',
    });
  });

  it('flags an unreachable broker and a clock still in 1970', async () => {
    const config = board();
    config.mqtt.url = 'mqtt://127.0.0.1:1';
    const checks = await runChecks(config, new Date(0));
    expect(checks.find((c) => c.name === 'MQTT broker')).toMatchObject({ level: 'fail' });
    expect(checks.find((c) => c.name === 'clock')).toMatchObject({ level: 'warn' });
  });

  it('on this bare machine: names the missing UDC with the overlay fix and exits 1', () => {
    let out = '';
    let code = 0;
    try {
      out = execFileSync(process.execPath, ['dist/kvmr0ck.js', 'doctor', '--config', '/dev/null'], {
        env: {
          ...process.env,
          KVMR0CK_PATHS__SYS: '/nonexistent/sys',
          KVMR0CK_PATHS__STATE: mkdtempSync(path.join(tmpdir(), 'st-')),
        },
      }).toString();
    } catch (e) {
      out = String((e as { stdout: Buffer }).stdout);
      code = (e as { status: number }).status;
    }
    expect(code).toBe(1);
    expect(out).toMatch(/\[FAIL\] USB device controller: none/);
    expect(out).toContain('overlays/README.md');
  });
});
