import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { fileBroker } from '../helpers/mosquitto.js';

const broker = fileBroker();

/**
 * Issue 19: mqtt.js by default fills a table of 65,536 two-byte Buffers (one per packet id) on its
 * first publish and keeps it for the life of the process: 6 MiB of the idle daemon's heap, measured
 * in a heap snapshot. The daemon turns that table off. Checked in a fresh process running the
 * built daemon, since any other MQTT client in this test process would fill the shared table.
 */
describe('the MQTT client keeps no number table', () => {
  it('publishes discovery and state without filling mqtt-packet’s number cache', async () => {
    const state = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-numcache-'));
    const script = `
      import { createRequire } from 'node:module';
      const { loadConfig } = await import('./dist/src/config/load.js');
      const { createLogger } = await import('./dist/src/core/log.js');
      const { createApp } = await import('./dist/src/main.js');
      const { config } = loadConfig({ overrides: {
        server: { host: '127.0.0.1', port: 0 }, auth: { mode: 'none' }, hid: { sink: 'recording' },
        video: { source: 'test-pattern', width: 320, height: 240, fps: 5 },
        mqtt: { url: ${JSON.stringify(broker.url)}, node_id: 'numcache_${process.pid}', discovery_delay_ms: 0 },
        paths: { state: ${JSON.stringify(state)} } } });
      const app = await createApp({ config, log: createLogger({ level: 'silent', format: 'json' }), version: 't' });
      await app.start();
      const end = Date.now() + 20000;
      while (app.mqtt.stateCounts.sent === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const req = createRequire(createRequire(import.meta.url).resolve('mqtt'));
      const numbers = req('mqtt-packet/numbers.js');
      console.log(JSON.stringify({ sent: app.mqtt.stateCounts.sent, cached: Object.keys(numbers.cache).length }));
      await app.stop();
      process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot(),
      env: { ...process.env, KVMR0CK_CONFIG: '/dev/null' },
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { sent: number; cached: number };
    expect(r.sent).toBeGreaterThan(0);
    expect(r.cached).toBe(0);
  }, 60_000);
});
