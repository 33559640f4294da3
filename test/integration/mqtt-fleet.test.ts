import { describe, expect, it } from 'vitest';
import { fileBroker, probe } from '../helpers/mosquitto.js';
import { mqttConfig, startApp, until } from '../unit/mqtt/app.js';

const broker = fileBroker();

describe('many kvmr0ck on one broker', () => {
  it('20 in-process apps with distinct node ids never collide', { timeout: 60_000 }, async () => {
    const N = 20;
    const nodes = Array.from({ length: N }, (_, i) => `fleet${process.pid}_${i}`);
    const p = await probe(broker.url, ['homeassistant/device/+/config', 'kvmr0ck/+/command/result']);
    const apps = await Promise.all(
      nodes.map((n) => startApp(mqttConfig(broker.url, n, { snapshot_interval_s: 0 }))),
    );
    try {
      await until(
        () => nodes.every((n) => p.messages.some((m) => m.topic === `homeassistant/device/${n}/config`)),
        20_000,
      );
      const ids = new Set<string>();
      for (const n of nodes) {
        const m = p.messages.find((x) => x.topic === `homeassistant/device/${n}/config`)!;
        const d = JSON.parse(m.payload.toString()) as {
          dev: { ids: string[] };
          cmps: Record<string, { unique_id: string }>;
        };
        expect(d.dev.ids).toEqual([n]);
        for (const c of Object.values(d.cmps)) {
          expect(ids.has(c.unique_id)).toBe(false);
          ids.add(c.unique_id);
        }
      }
      // A command to one node types on that node only.
      for (let i = 0; i < N; i++) {
        await p.client.publishAsync(
          `kvmr0ck/${nodes[i]}/command`,
          JSON.stringify({ id: `f${i}`, action: 'press', keys: [String.fromCharCode(97 + i)] }),
          { qos: 1 },
        );
      }
      await until(
        () =>
          nodes.every((n, i) =>
            p.messages.some(
              (m) => m.topic === `kvmr0ck/${n}/command/result` && m.payload.includes(`"f${i}"`),
            ),
          ),
        20_000,
      );
      for (let i = 0; i < N; i++) {
        const kb = apps[i]!.recording.records().filter((r) => r.fn === 'keyboard');
        expect(kb[0]!.hex.replaceAll(' ', '')).toBe(
          `0000${(0x04 + i).toString(16).padStart(2, '0')}0000000000`,
        );
        expect(kb).toHaveLength(2);
      }
      // Distinct client ids: no session take-over, so every app is still connected.
      await new Promise((r) => setTimeout(r, 500));
      expect(apps.every((a) => a.store.get().mqtt.connected)).toBe(true);
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
      await p.close();
    }
  });
});
