import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, ConfigSchema } from '../../../src/config/schema.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createHidSink } from '../../../src/hid/sinks.js';
import { createApp } from '../../../src/main.js';
import { quietLog } from './helpers.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('the daemon with a gadget present', () => {
  it('picks the hidg sink, reports USB and HID state, and releases everything on stop', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-wiring-'));
    roots.push(root);
    const paths = {
      dev: path.join(root, 'dev'),
      sys: path.join(root, 'sys'),
      configfs: path.join(root, 'configfs'),
      state: path.join(root, 'state'),
    };
    mkdirSync(paths.dev);
    for (const i of [0, 1, 2]) writeFileSync(path.join(paths.dev, `hidg${i}`), '');
    mkdirSync(path.join(paths.sys, 'class/udc/fe800000.usb'), { recursive: true });
    writeFileSync(path.join(paths.sys, 'class/udc/fe800000.usb/state'), 'configured\n');
    const config = Value.Default(ConfigSchema, {
      paths,
      server: { host: '127.0.0.1', port: 0 },
      video: { source: 'test-pattern', fps: 1 },
    }) as Config;
    const app = await createApp({ config, log: quietLog, version: 'test' });
    await app.start();
    try {
      expect(app.store.slice('hid')).toMatchObject({ sink: 'hidg', online: true });
      expect(app.store.slice('usb')).toEqual({ udc: 'fe800000.usb', state: 'configured' });
      await app.hid.keyDown('a');
      expect(app.store.slice('hid').keysHeld).toBe(1);
    } finally {
      await app.stop();
    }
    const kb = [...readFileSync(path.join(paths.dev, 'hidg0'))];
    expect(kb.slice(-16)).toEqual([0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(app.store.slice('hid').keysHeld).toBe(0);
  });
});

describe('sink choice (hid.sink: auto)', () => {
  function paths() {
    const root = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-auto-'));
    roots.push(root);
    return { dev: path.join(root, 'dev'), sys: path.join(root, 'sys'), configfs: root, state: root };
  }

  it('records when there is neither a gadget device nor a UDC', async () => {
    const config = Value.Default(ConfigSchema, { paths: paths() }) as Config;
    const sink = await createHidSink({ ...config, clock: new FakeClock(), log: quietLog });
    expect(sink.name).toBe('recording');
  });

  it('waits for the gadget, offline with a reason, when the board has a UDC', async () => {
    const p = paths();
    mkdirSync(path.join(p.sys, 'class/udc/fe800000.usb'), { recursive: true });
    const config = Value.Default(ConfigSchema, { paths: p }) as Config;
    const clock = new FakeClock();
    const sink = await createHidSink({ ...config, clock, log: quietLog });
    expect(sink.name).toBe('hidg');
    const seen: string[] = [];
    await sink.start({ online: (on, err) => seen.push(on ? 'online' : `offline: ${err}`), leds: () => {} });
    expect(seen).toEqual([`offline: ${path.join(p.dev, 'hidg0')}: missing (is the gadget up?)`]);
    mkdirSync(p.dev);
    for (const i of [0, 1, 2]) writeFileSync(path.join(p.dev, `hidg${i}`), '');
    await clock.advance(500);
    expect(seen.at(-1)).toBe('online');
    await sink.stop();
  });
});
