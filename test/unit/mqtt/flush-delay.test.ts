import { Value } from '@sinclair/typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/log.js';
import { BrokerConnection } from '../../../src/mqtt/client.js';
import { type MqttConfig, MqttConfigSchema } from '../../../src/mqtt/config.js';
import { type Broker, probe, startMosquitto } from '../../helpers/mosquitto.js';
import { until } from '../../helpers/wait.js';

// A result finished while the broker was away is held and sent 1 s after the reconnect (subscribers
// reconnecting after the same broker restart would miss it otherwise). The delay runs on the
// daemon's clock, so here it is the fake clock's to give: nothing goes out until it is advanced.
describe('BrokerConnection: held messages after a reconnect', () => {
  let broker: Broker | null = null;
  let conn: BrokerConnection | null = null;
  afterEach(async () => {
    await conn?.close();
    await broker?.stop();
    conn = null;
    broker = null;
  });

  it('sends what was held only when the flush delay has passed on its clock', async () => {
    broker = await startMosquitto();
    const clock = new FakeClock();
    let connects = 0;
    conn = new BrokerConnection({
      config: Value.Default(MqttConfigSchema, { url: broker.url, reconnect_min_ms: 100 }) as MqttConfig,
      clientId: 'flush-test',
      availabilityTopic: 'kvmr0ck/flush/availability',
      log: createLogger({ level: 'silent', format: 'json' }),
      clock,
      handlers: { onConnect: () => connects++, onMessage: () => undefined },
    });
    // Not connected yet: the result is held.
    conn.publishQueued('kvmr0ck/flush/result', '{"id":"a1","ok":true}');
    const p = await probe(broker.url, ['kvmr0ck/flush/result']);
    try {
      conn.open();
      await until(() => connects === 1, 10_000, 'the connection');
      // A round trip through the broker: anything sent at connect would have arrived by then.
      await p.client.publishAsync('kvmr0ck/flush/result', 'marker', { qos: 1 });
      await until(() => p.messages.some((m) => m.payload.toString() === 'marker'), 5000, 'the marker');
      expect(p.messages.map((m) => m.payload.toString())).toEqual(['marker']);
      await clock.advance(999);
      await p.client.publishAsync('kvmr0ck/flush/result', 'marker2', { qos: 1 });
      await until(() => p.messages.some((m) => m.payload.toString() === 'marker2'), 5000, 'marker 2');
      expect(p.messages.map((m) => m.payload.toString())).toEqual(['marker', 'marker2']);
      await clock.advance(1);
      await until(() => p.messages.length === 3, 5000, 'the held result');
      expect(p.messages[2]!.payload.toString()).toBe('{"id":"a1","ok":true}');
    } finally {
      await p.close();
    }
  });
});
