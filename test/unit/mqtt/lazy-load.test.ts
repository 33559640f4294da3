import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inFreshDaemon } from '../../helpers/fresh-daemon.js';

/**
 * mqtt.js is loaded on the first connect (issue 19: ~3 MiB resident): a daemon without a broker
 * never loads it. Checked in a fresh process on the built daemon, since this test process shares
 * its module cache with tests that do use MQTT.
 */
function loadedAfterStart(mqttUrl: string): Promise<boolean> {
  const state = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-lazy-'));
  return inFreshDaemon<boolean>(
    {
      server: { host: '127.0.0.1', port: 0 },
      auth: { mode: 'none' },
      hid: { sink: 'recording' },
      video: { source: 'test-pattern', width: 320, height: 240, fps: 5 },
      mqtt: { url: mqttUrl, reconnect_min_ms: 60000 },
      paths: { state },
    },
    `const { createRequire } = await import('node:module');
     return Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/mqtt/'));`,
  );
}

describe('mqtt.js is loaded only when a broker is configured', () => {
  it('no broker: never loaded', async () => {
    expect(await loadedAfterStart('')).toBe(false);
  });
  it('a broker configured: loaded on connect (even when it is not there)', async () => {
    expect(await loadedAfterStart('mqtt://127.0.0.1:1')).toBe(true);
  });
});
