import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';

/**
 * mqtt.js is loaded on the first connect (issue 19: ~3 MiB resident): a daemon without a broker
 * never loads it. Checked in a fresh process on the built daemon, since this test process shares
 * its module cache with tests that do use MQTT.
 */
function loadedAfterStart(mqttUrl: string): boolean {
  const state = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-lazy-'));
  const script = `
    import { createRequire } from 'node:module';
    const { loadConfig } = await import('./dist/src/config/load.js');
    const { createLogger } = await import('./dist/src/core/log.js');
    const { createApp } = await import('./dist/src/main.js');
    const { config } = loadConfig({ overrides: {
      server: { host: '127.0.0.1', port: 0 }, auth: { mode: 'none' }, hid: { sink: 'recording' },
      video: { source: 'test-pattern', width: 320, height: 240, fps: 5 },
      mqtt: { url: ${JSON.stringify(mqttUrl)}, reconnect_min_ms: 60000 }, paths: { state: ${JSON.stringify(state)} } } });
    const app = await createApp({ config, log: createLogger({ level: 'silent', format: 'json' }), version: 't' });
    await app.start();
    const cache = createRequire(import.meta.url).cache;
    const loaded = Object.keys(cache).some((k) => k.includes('/node_modules/mqtt/'));
    await app.stop();
    console.log(JSON.stringify({ loaded }));
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageRoot(),
    env: { ...process.env, KVMR0CK_CONFIG: '/dev/null' },
  }).toString();
  return (JSON.parse(out.trim().split('\n').pop()!) as { loaded: boolean }).loaded;
}

describe('mqtt.js is loaded only when a broker is configured', () => {
  it('no broker: never loaded', () => {
    expect(loadedAfterStart('')).toBe(false);
  });
  it('a broker configured: loaded on connect (even when it is not there)', () => {
    expect(loadedAfterStart('mqtt://127.0.0.1:1')).toBe(true);
  });
});
