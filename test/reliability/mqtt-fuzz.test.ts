import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, probe, startMosquitto } from '../helpers/mosquitto.js';
import { mqttConfig, startApp } from '../unit/mqtt/app.js';
import { recordFigure } from './figures.js';
import { commandish, deeplyNested, SEED } from './generators.js';

const CASES = Number(process.env.KVMR0CK_FUZZ_CASES ?? 10_000);

/**
 * The JSON command topic fed generated garbage over a real broker: every message gets exactly one
 * result (none lost, none doubled), a bad one an error naming the problem, and the daemon keeps
 * serving with nothing held.
 */
describe(`MQTT command fuzz (${CASES} cases, seed ${SEED})`, () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('answers every message once, with a clear error for bad input, and stays up', async () => {
    const node = 'fuzz';
    const app = await startApp(mqttConfig(broker.url, node));
    const base = `kvmr0ck/${node}`;
    const p = await probe(broker.url, [`${base}/command/result`]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const payload = fc.oneof(
        commandish().map((o) => JSON.stringify(o)),
        commandish().map((o) => JSON.stringify(o).slice(0, 20)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
        fc.constantFrom(
          deeplyNested(5000),
          'null',
          '[]',
          '{}',
          '"x"',
          '{"action":"press","keys":["ctrl","alt","nokey"]}',
        ),
        // Valid commands in the mix, so the paths that type are exercised under the same load.
        fc.constantFrom(
          '{"action":"press","keys":["a"]}',
          '{"action":"type","text":"ok"}',
          '{"action":"release_all"}',
        ),
      );
      const samples = fc.sample(payload, { seed: SEED, numRuns: CASES });
      // Each message carries a unique id when it is an object, so results can be matched; the
      // others (not JSON, arrays) are answered with id null and counted as such.
      let withId = 0;
      let withoutId = 0;
      // Messages larger than the daemon's MQTT 5 Maximum Packet Size (max_payload_bytes + 1 KiB)
      // are dropped by the broker and never reach it: they are sent, but no answer is expected.
      const maxPacket = app.config.mqtt.max_payload_bytes + 1024;
      const topicLen = Buffer.byteLength(`${base}/command`);
      let dropped = 0;
      const t0 = Date.now();
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < samples.length; i++) {
        let text = samples[i]!;
        let hasId = false;
        try {
          const o = JSON.parse(text) as unknown;
          if (o && typeof o === 'object' && !Array.isArray(o)) {
            text = JSON.stringify({ ...(o as object), id: `f${i}` });
            hasId = true;
          }
        } catch {
          // not JSON: answered with id null
        }
        // PUBLISH size (MQTT 5, 3.3): fixed header, topic, packet id, empty properties, payload.
        const remaining = 2 + topicLen + 2 + 1 + Buffer.byteLength(text);
        if (1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : 3) + remaining > maxPacket) {
          dropped++;
        } else if (hasId) withId++;
        else withoutId++;
        inflight.push(p.client.publishAsync(`${base}/command`, text, { qos: 1 }));
        if (inflight.length >= 200) await Promise.all(inflight.splice(0));
      }
      await Promise.all(inflight);
      const expected = withId + withoutId;
      const results = () => p.messages.filter((m) => m.topic === `${base}/command/result`);
      const deadline = Date.now() + 120_000;
      while (results().length < expected && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const seconds = (Date.now() - t0) / 1000;
      const parsed = results().map(
        (m) =>
          JSON.parse(m.payload.toString()) as {
            id: string | null;
            ok: boolean;
            error?: { code: string; message: string };
          },
      );
      const ids = parsed.filter((r) => r.id !== null).map((r) => r.id!);
      const dup = ids.length - new Set(ids).size;
      const unclear = parsed.filter((r) => !r.ok && (!r.error?.code || !r.error.message)).length;
      // Leave nothing running or held.
      await p.client.publishAsync(`${base}/command`, JSON.stringify({ action: 'cancel' }), { qos: 1 });
      await p.client.publishAsync(`${base}/command`, JSON.stringify({ action: 'release_all' }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      const state = await app.server.inject({ method: 'GET', url: '/api/state' });

      recordFigure({ surface: 'mqtt', figure: 'cases tried', value: samples.length });
      recordFigure({
        surface: 'mqtt',
        figure: 'over the packet size (dropped by the broker)',
        value: dropped,
      });
      recordFigure({
        surface: 'mqtt',
        figure: 'results (expected)',
        value: `${parsed.length} (${expected})`,
        target: 'equal',
      });
      recordFigure({
        surface: 'mqtt',
        figure: 'results ok / refused',
        value: `${parsed.filter((r) => r.ok).length} / ${parsed.filter((r) => !r.ok).length}`,
      });
      recordFigure({ surface: 'mqtt', figure: 'duplicated results', value: dup, target: '0' });
      recordFigure({ surface: 'mqtt', figure: 'errors without code+message', value: unclear, target: '0' });
      recordFigure({
        surface: 'mqtt',
        figure: 'messages/s through the daemon',
        value: (expected / seconds).toFixed(0),
      });
      recordFigure({
        surface: 'mqtt',
        figure: 'keys held after',
        value: app.store.get().hid.keysHeld,
        target: '0',
      });
      expect(parsed.length).toBe(expected);
      expect(dup).toBe(0);
      expect(unclear).toBe(0);
      expect(state.statusCode).toBe(200);
      expect(app.store.get().hid.keysHeld).toBe(0);
    } finally {
      await p.close();
      await app.stop();
    }
  });
});
