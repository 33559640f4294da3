import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inFreshDaemon } from '../helpers/fresh-daemon.js';
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
    const r = await inFreshDaemon<{ sent: number; cached: number }>(
      {
        server: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        hid: { sink: 'recording' },
        video: { source: 'test-pattern', width: 320, height: 240, fps: 5 },
        mqtt: { url: broker.url, node_id: `numcache_${process.pid}`, discovery_delay_ms: 0 },
        paths: { state },
      },
      `const end = Date.now() + 20000;
       while (app.mqtt.stateCounts.sent === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
       const { createRequire } = await import('node:module');
       const req = createRequire(createRequire(import.meta.url).resolve('mqtt'));
       return { sent: app.mqtt.stateCounts.sent, cached: Object.keys(req('mqtt-packet/numbers.js').cache).length };`,
    );
    expect(r.sent).toBeGreaterThan(0);
    expect(r.cached).toBe(0);
  }, 60_000);
});
