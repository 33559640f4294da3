import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type AddonOptions,
  addonConfig,
  DIRECT_PORT,
  INGRESS_PORT,
  INGRESS_PROXY,
} from '../../../src/addon/options.js';
import { loadConfig } from '../../../src/config/load.js';
import { LAYOUTS } from '../../../src/hid/layouts/index.js';
import { until } from '../../helpers/wait.js';

const addon = parse(readFileSync('ha-addon/config.yaml', 'utf8')) as Record<string, unknown>;
const build = parse(readFileSync('ha-addon/build.yaml', 'utf8')) as {
  build_from: Record<string, string>;
  args: Record<string, string>;
};
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const dockerfile = readFileSync('ha-addon/Dockerfile', 'utf8');

/** Dockerfile instructions with their continuation lines joined, comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe('Home Assistant add-on (app) files', () => {
  it('config.yaml has the keys the Supervisor needs, in sync with package.json and build.yaml', () => {
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
      'watchdog',
      'ports',
    ])
      expect(addon, k).toHaveProperty(k);
    expect(addon.version).toBe(pkg.version);
    expect(build.args.KVMR0CK_VERSION).toBe(pkg.version);
    expect(addon.arch).toEqual(['aarch64', 'amd64']);
    expect(addon.ingress_port).toBe(INGRESS_PORT);
    expect(addon.services).toEqual(['mqtt:need']);
    expect(addon.devices).toEqual(['/dev/video0', '/dev/hidg0', '/dev/hidg1', '/dev/hidg2']);
    // The watchdog checks the ingress port; the direct port is off until the user maps it.
    expect(addon.watchdog).toBe(`tcp://[HOST]:[PORT:${INGRESS_PORT}]`);
    expect(addon.ports).toEqual({ '8080/tcp': null });
    expect(addon.ports_description).toHaveProperty('8080/tcp');
    // Every option has a schema entry of a type the Supervisor knows.
    const schema = addon.schema as Record<string, string>;
    expect(Object.keys(schema).sort()).toEqual(Object.keys(addon.options as object).sort());
    for (const t of Object.values(schema))
      expect(t).toMatch(/^(str|bool|int(\(\d+,\d+\))?|list\(.+\)|match\(.+\))\??$/);
    // The layout is a list of exactly the layouts kvmr0ck has.
    const layouts = /^list\((.+)\)$/.exec(schema.hid_layout ?? '')?.[1]?.split('|');
    expect(layouts?.sort()).toEqual(LAYOUTS.map((l) => l.name).sort());
    const translations = parse(readFileSync('ha-addon/translations/en.yaml', 'utf8')) as {
      configuration: Record<string, { name: string }>;
    };
    expect(Object.keys(translations.configuration).sort()).toEqual(Object.keys(schema).sort());
  });

  it('the repository can be added to the store: repository.yaml at the root', () => {
    const repo = parse(readFileSync('repository.yaml', 'utf8')) as Record<string, string>;
    expect(repo.name).toBe('kvmr0ck');
    expect(repo.url).toBe(addon.url);
    expect(repo.maintainer).toBeTruthy();
  });

  it('build.yaml names a Debian base for every arch; the Dockerfile reads only inside ha-addon/', () => {
    for (const arch of addon.arch as string[])
      expect(build.build_from[arch]).toBe(`ghcr.io/home-assistant/${arch}-base-debian:trixie`);
    const lines = instructions(dockerfile);
    const args = lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=')[0]!);
    // Every build.yaml arg and the Supervisor's BUILD_FROM are declared.
    for (const a of ['BUILD_FROM', ...Object.keys(build.args)]) expect(args, a).toContain(a);
    const copies = lines.filter((l) => l.startsWith('COPY ') && !l.startsWith('COPY --from'));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const sources = c.split(/\s+/).slice(1, -1);
      for (const s of sources) {
        // The Supervisor's context is ha-addon/ alone: nothing above it, nothing absolute.
        expect(s, c).not.toMatch(/^\/|(^|\/)\.\.(\/|$)/);
        expect(existsSync(path.join('ha-addon', s)), `${c}: ha-addon/${s}`).toBe(true);
      }
    }
    // What the final stage takes from the build stage exists in a release tree (dist is built).
    for (const c of lines.filter((l) => l.startsWith('COPY --from=build '))) {
      for (const s of c.split(/\s+/).slice(2, -1)) {
        const rel = s.replace(/^\/build\//, '');
        if (rel !== 'node_modules' && rel !== 'dist') expect(existsSync(rel), c).toBe(true);
      }
    }
    // Node from Debian trixie, and the image refuses one older than package.json allows.
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bnodejs\b/);
    expect(dockerfile).toContain('a === 20 && b < 19');
    expect(dockerfile).toMatch(/KVMR0CK_SOURCE" = local/);
    expect(dockerfile).toContain('/v$KVMR0CK_VERSION.tar.gz');
  });

  it('DOCS.md names no script or option that does not exist, and says both add-on and app', () => {
    const docs = readFileSync('ha-addon/DOCS.md', 'utf8');
    expect(docs).not.toContain('--gadget-only');
    for (const m of docs.matchAll(/`(scripts\/[\w.-]+|overlays\/[\w.-]+)/g))
      expect(existsSync(m[1]!), m[1]).toBe(true);
    for (const m of docs.matchAll(/`(kvmr0ck-[\w-]+)` systemd unit/g))
      expect(existsSync(`packaging/${m[1]}.service`), m[1]).toBe(true);
    expect(docs).toMatch(/\badd-on\b/i);
    expect(docs).toMatch(/\bapps?\b/i);
  });
});

describe('add-on options to daemon config', () => {
  const supervisor = { host: 'core-mosquitto', port: 1883, username: 'addons', password: 'pw', ssl: false };

  it('turns the default options and the Supervisor broker into a valid daemon config', () => {
    const cfg = addonConfig(addon.options as AddonOptions, supervisor, '/data', 'a0d7b954_kvmr0ck');
    const { config } = loadConfig({ overrides: cfg });
    // Ingress on its own listener, where only the Supervisor's proxy is let in without a token;
    // the direct port (mapped only if the user wants it) always needs the token.
    expect(config.server.ingress_port).toBe(INGRESS_PORT);
    expect(config.server.port).toBe(DIRECT_PORT);
    expect(config.auth.trusted_proxies).toEqual([INGRESS_PROXY]);
    expect(addon.ports).toEqual({ [`${DIRECT_PORT}/tcp`]: null });
    // HA's device page links to the ingress panel, never to http://localhost.
    expect(config.server.public_url).toBe('homeassistant://hassio/ingress/a0d7b954_kvmr0ck');
    expect(config.mqtt).toMatchObject({
      url: 'mqtt://core-mosquitto:1883',
      username: 'addons',
      topic_prefix: 'kvmr0ck',
      dangerous_macro_buttons: false,
    });
    expect(config.video.edid).toBe('/app/overlays/edid/1080p60.hex');
    expect(config.paths.state).toBe('/data');
    const none = addonConfig({ ...(addon.options as AddonOptions), edid: 'none' }, null);
    expect(loadConfig({ overrides: none }).config.mqtt.url).toBe('');
    expect(loadConfig({ overrides: none }).config.server.public_url).toBe('');
    // A slug that is not one is not put in a URL.
    const odd = addonConfig(addon.options as AddonOptions, null, '/data', 'x/../y');
    expect(loadConfig({ overrides: odd }).config.server.public_url).toBe('');
  });

  it('options added later have defaults for configs saved before them', () => {
    const opts = addon.options as AddonOptions;
    const limited = addonConfig({ ...opts, video_range: 'limited' }, null);
    expect(loadConfig({ overrides: limited }).config.video.range).toBe('limited');
    const { video_range: _, dangerous_macro_buttons: __, ...older } = opts;
    const cfg = loadConfig({ overrides: addonConfig(older, supervisor) }).config;
    expect(cfg.video.range).toBe('auto');
    expect(cfg.mqtt.dangerous_macro_buttons).toBe(false);
    const on = addonConfig({ ...opts, dangerous_macro_buttons: true }, supervisor);
    expect(loadConfig({ overrides: on }).config.mqtt.dangerous_macro_buttons).toBe(true);
  });
});

describe('run.sh', () => {
  // dist/ is built once by the global setup (test/helpers/global-setup.ts).
  it('starts the real daemon from options.json and the (fake) Supervisor broker', {
    timeout: 60_000,
  }, async () => {
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
        FAKE_ADDON_SLUG: 'a0d7b954_kvmr0ck',
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
    try {
      await until(() => /serving the panel at/.test(out) || proc.exitCode !== null, 45_000, 'the daemon');
    } finally {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await new Promise((r) => proc.on('exit', r));
    }
    expect(out).toContain('MQTT broker from the Supervisor: 127.0.0.1:1');
    expect(out).toMatch(/serving the panel at/);
    expect(out).not.toContain('sup3r-secret-pw');
    const written = parse(readFileSync(path.join(data, 'kvmr0ck.yaml'), 'utf8')) as {
      mqtt: { password: string };
      server: { public_url: string };
    };
    expect(written.mqtt.password).toBe('sup3r-secret-pw');
    expect(written.server.public_url).toBe('homeassistant://hassio/ingress/a0d7b954_kvmr0ck');
  });
});
