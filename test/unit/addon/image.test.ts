import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Broker, probe, startMosquitto } from '../../helpers/mosquitto.js';

/**
 * The add-on image, built as the Supervisor builds it (ha-addon/ as the only context) with
 * buildah, and its run script started against the fake Supervisor and a real Mosquitto. It takes
 * minutes (apt and npm inside the build), so it runs on request: `npm run test:addon-image`
 * (KVMR0CK_ADDON_IMAGE=1). With no container registry in reach, KVMR0CK_ADDON_ROOTFS names a
 * Debian trixie rootfs tarball to import as the base (`mmdebstrap --variant=minbase trixie x.tar`).
 * KVMR0CK_ADDON_IMAGE_TAG reuses an image built before (scripts/build-addon.sh).
 */
const enabled = process.env.KVMR0CK_ADDON_IMAGE === '1';
const store = process.env.KVMR0CK_ADDON_STORE ?? '/var/tmp/kvmr0ck-buildah';
const B = ['--storage-driver', 'vfs', '--root', `${store}/root`, '--runroot', `${store}/run`];
const buildah = (...args: string[]) =>
  execFileSync('buildah', [...B, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

let broker: Broker;
beforeAll(async () => {
  if (enabled) broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe.skipIf(!enabled)('add-on image (buildah, vfs)', () => {
  it('builds from ha-addon/ alone; its run.sh brings the device up on the broker', {
    timeout: 3_600_000,
  }, async () => {
    let tag = process.env.KVMR0CK_ADDON_IMAGE_TAG ?? '';
    if (tag === '') {
      tag = 'localhost/kvmr0ck-addon:test';
      const rootfs = process.env.KVMR0CK_ADDON_ROOTFS;
      execFileSync(
        'bash',
        [
          'scripts/build-addon.sh',
          '--local',
          '--tag',
          tag,
          '--store',
          store,
          ...(rootfs ? ['--base-rootfs', rootfs] : []),
        ],
        { stdio: 'inherit' },
      );
    }
    const ctr = buildah('from', tag);
    let proc: ChildProcess | null = null;
    try {
      // Node from Debian, new enough; npm stayed in the build stage.
      const [major, minor] = buildah('run', '--isolation', 'chroot', ctr, '--', 'node', '--version')
        .replace(/^v/, '')
        .split('.')
        .map(Number);
      expect(major! > 20 || (major === 20 && minor! >= 19)).toBe(true);
      expect(() =>
        buildah('run', '--isolation', 'chroot', ctr, '--', 'sh', '-c', 'command -v npm'),
      ).toThrow();
      const pkg = JSON.parse(
        buildah('run', '--isolation', 'chroot', ctr, '--', 'cat', '/app/package.json'),
      ) as {
        version: string;
      };

      const data = mkdtempSync(path.join(tmpdir(), 'addon-image-data-'));
      const addon = parse(readFileSync('ha-addon/config.yaml', 'utf8')) as { options: object };
      writeFileSync(
        path.join(data, 'options.json'),
        JSON.stringify({ ...addon.options, video_device: '/nonexistent/video0' }),
      );
      const node = `addon_image_${process.pid}`;
      const env = {
        BASHIO: '/fake/bashio.sh',
        FAKE_MQTT_HOST: '127.0.0.1',
        FAKE_MQTT_PORT: String(broker.port),
        FAKE_MQTT_USERNAME: '',
        FAKE_MQTT_PASSWORD: '',
        FAKE_ADDON_SLUG: 'a0d7b954_kvmr0ck',
        KVMR0CK_SERVER__HOST: '127.0.0.1',
        KVMR0CK_HID__SINK: 'recording',
        KVMR0CK_MQTT__NODE_ID: node,
        KVMR0CK_MQTT__DISCOVERY_DELAY_MS: '0',
      };
      const p = await probe(broker.url, [`homeassistant/device/${node}/config`, `kvmr0ck/${node}/#`]);
      let out = '';
      // chroot isolation shares the host's network: the container reaches the broker on 127.0.0.1.
      proc = spawn(
        'buildah',
        [
          ...B,
          'run',
          '--isolation',
          'chroot',
          '-v',
          `${path.resolve('test/fixtures/fake-bashio')}:/fake:ro`,
          '-v',
          `${data}:/data`,
          ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
          ctr,
          '--',
          '/run.sh',
          '--port',
          '0',
        ],
        { detached: true },
      );
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      proc.stderr?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      try {
        const disc = JSON.parse(
          (await p.wait((t) => t.startsWith('homeassistant/device/'), 120_000)).toString(),
        ) as {
          dev: Record<string, unknown>;
          cmps: Record<string, { p: string }>;
        };
        expect(disc.dev).toMatchObject({
          ids: [node],
          sw: pkg.version,
          cu: 'homeassistant://hassio/ingress/a0d7b954_kvmr0ck',
        });
        expect(disc.cmps.macro_ctrl_alt_del?.p).toBe('button');
        await p.client.publishAsync(
          `kvmr0ck/${node}/command`,
          JSON.stringify({ id: 'img1', action: 'press', keys: ['a'] }),
          { qos: 1 },
        );
        const r = await p.wait(
          (t, pl) => t === `kvmr0ck/${node}/command/result` && pl.includes('"img1"'),
          30_000,
        );
        expect(JSON.parse(r.toString())).toEqual({ id: 'img1', ok: true });
        expect(out).toContain(`MQTT broker from the Supervisor: 127.0.0.1:${broker.port}`);
      } finally {
        await p.close();
      }
    } finally {
      if (proc?.pid && proc.exitCode === null) {
        const exited = new Promise((r) => proc!.once('exit', r));
        process.kill(-proc.pid, 'SIGTERM');
        await exited;
      }
      buildah('rm', ctr);
    }
  });
});
