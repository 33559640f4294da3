import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AddonOptions, addonConfig, INGRESS_PORT } from '../../../src/addon/options.js';
import { loadConfig } from '../../../src/config/load.js';

const addon = parse(readFileSync('ha-addon/config.yaml', 'utf8')) as Record<string, unknown>;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('Home Assistant add-on', () => {
  it('config.yaml has the keys the Supervisor needs, in sync with package.json', () => {
    // Keys from the add-on configuration docs (developers.home-assistant.io/docs/add-ons/configuration).
    for (const k of [
      'name',
      'version',
      'slug',
      'description',
      'arch',
      'ingress',
      'ingress_port',
      'panel_icon',
      'services',
      'video',
      'devices',
      'options',
      'schema',
    ]) {
      expect(addon, k).toHaveProperty(k);
    }
    expect(addon.version).toBe(pkg.version);
    expect(addon.arch).toEqual(['aarch64', 'amd64']);
    expect(addon.ingress_port).toBe(INGRESS_PORT);
    expect(addon.services).toEqual(['mqtt:need']);
    expect(addon.devices).toEqual(['/dev/video0', '/dev/hidg0', '/dev/hidg1', '/dev/hidg2']);
    // Every option has a schema entry of a type the Supervisor knows.
    const schema = addon.schema as Record<string, string>;
    expect(Object.keys(schema).sort()).toEqual(Object.keys(addon.options as object).sort());
    for (const t of Object.values(schema))
      expect(t).toMatch(/^(str|bool|int(\(\d+,\d+\))?|list\(.+\)|match\(.+\))\??$/);
    expect(readFileSync('ha-addon/translations/en.yaml', 'utf8')).toContain('video_device');
  });

  it('turns the default options and the Supervisor broker into a valid daemon config', () => {
    const cfg = addonConfig(addon.options as AddonOptions, {
      host: 'core-mosquitto',
      port: 1883,
      username: 'addons',
      password: 'pw',
      ssl: false,
    });
    const { config } = loadConfig({ overrides: cfg });
    expect(config.server.port).toBe(INGRESS_PORT);
    expect(config.mqtt).toMatchObject({
      url: 'mqtt://core-mosquitto:1883',
      username: 'addons',
      topic_prefix: 'kvmr0ck',
    });
    expect(config.video.edid).toBe('/app/overlays/edid/1080p60.hex');
    expect(config.paths.state).toBe('/data');
    const none = addonConfig({ ...(addon.options as AddonOptions), edid: 'none' }, null);
    expect(loadConfig({ overrides: none }).config.mqtt.url).toBe('');
    // The sample range option passes through; a config saved before it existed means auto.
    const limited = addonConfig({ ...(addon.options as AddonOptions), video_range: 'limited' }, null);
    expect(loadConfig({ overrides: limited }).config.video.range).toBe('limited');
    const { video_range: _, ...older } = addon.options as AddonOptions;
    expect(loadConfig({ overrides: addonConfig(older, null) }).config.video.range).toBe('auto');
  });

  it('run.sh starts the real daemon from options.json and the (fake) Supervisor broker', async () => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json']);
    const data = mkdtempSync(path.join(tmpdir(), 'addon-data-'));
    writeFileSync(
      path.join(data, 'options.json'),
      JSON.stringify({ ...(addon.options as object), video_device: '/nonexistent/video0' }),
    );
    const proc = spawn('bash', ['ha-addon/run.sh', '--port', '0'], {
      env: {
        ...process.env,
        BASHIO: path.resolve('test/fixtures/fake-bashio/bashio.sh'),
        KVMR0CK_APP: process.cwd(),
        KVMR0CK_DATA: data,
        FAKE_MQTT_HOST: '127.0.0.1',
        FAKE_MQTT_PORT: '1',
        FAKE_MQTT_USERNAME: 'addons',
        FAKE_MQTT_PASSWORD: 'sup3r-secret-pw',
        KVMR0CK_SERVER__HOST: '127.0.0.1',
        KVMR0CK_HID__SINK: 'recording',
      },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 15_000;
    while (!/serving the panel at/.test(out) && Date.now() < deadline && proc.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    expect(out).toContain('MQTT broker from the Supervisor: 127.0.0.1:1');
    expect(out).toMatch(/serving the panel at/);
    expect(out).not.toContain('sup3r-secret-pw');
    const written = parse(readFileSync(path.join(data, 'kvmr0ck.yaml'), 'utf8')) as {
      mqtt: { password: string };
    };
    expect(written.mqtt.password).toBe('sup3r-secret-pw');
  });
});
