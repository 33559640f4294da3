import { createServer, type Server, type Socket } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createLogger, redactUrl } from '../../../src/core/log.js';
import { BrokerConnection } from '../../../src/mqtt/client.js';
import { type MqttConfig, MqttConfigSchema } from '../../../src/mqtt/config.js';
import { until } from '../../helpers/wait.js';

/** A broker that only speaks MQTT 3.1.1: it refuses a v5 CONNECT with reason 132, as old brokers do. */
function oldBroker(): Promise<{ server: Server; port: number; versions: number[]; sockets: Set<Socket> }> {
  const versions: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock: Socket) => {
    sockets.add(sock);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p) => {
      if (p.cmd === 'connect') {
        versions.push(p.protocolVersion ?? 4);
        if (p.protocolVersion === 5) {
          sock.end(
            mqttPacket.generate(
              { cmd: 'connack', reasonCode: 132, sessionPresent: false },
              { protocolVersion: 5 },
            ),
          );
        } else {
          sock.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
        }
      } else if (p.cmd === 'pingreq') sock.write(mqttPacket.generate({ cmd: 'pingresp' }));
    });
    sock.on('data', (d) => parser.parse(d));
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0, versions, sockets });
    }),
  );
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('BrokerConnection', () => {
  it('falls back to MQTT 3.1.1 when the broker refuses 5', async () => {
    const b = await oldBroker();
    const config = Value.Default(MqttConfigSchema, {
      url: `mqtt://127.0.0.1:${b.port}`,
      reconnect_min_ms: 100,
    }) as MqttConfig;
    let connects = 0;
    const conn = new BrokerConnection({
      config,
      clientId: 'fallback-test',
      availabilityTopic: 'kvmr0ck/x/availability',
      log: createLogger({ level: 'silent', format: 'json' }),
      clock: systemClock,
      handlers: { onConnect: () => connects++, onMessage: () => undefined },
    });
    cleanup = async () => {
      await conn.close();
      for (const s of b.sockets) s.destroy();
      await new Promise((r) => b.server.close(r));
    };
    conn.open();
    const end = Date.now() + 5000;
    while (connects === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(connects).toBe(1);
    expect(conn.protocolVersion).toBe(4);
    expect(b.versions).toEqual([5, 4]);
  });

  it('backs off exponentially between reconnects, up to reconnect_max_ms', async () => {
    // The delay the connection chose before each attempt: behaviour, not stopwatch readings (a
    // busy machine stretches real gaps at random).
    const delays: number[] = [];
    const sockets = new Set<Socket>();
    let conn: BrokerConnection | null = null;
    // A broker that hangs up at once: every attempt fails.
    const server = createServer((sock) => {
      delays.push(conn?.retryDelayMs ?? 0);
      sockets.add(sock);
      sock.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const config = Value.Default(MqttConfigSchema, {
      url: `mqtt://127.0.0.1:${port}`,
      reconnect_min_ms: 100,
      reconnect_max_ms: 800,
    }) as MqttConfig;
    conn = new BrokerConnection({
      config,
      clientId: 'backoff-test',
      availabilityTopic: 'kvmr0ck/y/availability',
      log: createLogger({ level: 'silent', format: 'json' }),
      clock: systemClock,
      handlers: { onConnect: () => undefined, onMessage: () => undefined },
    });
    const c = conn;
    cleanup = async () => {
      await c.close();
      await new Promise((r) => server.close(r));
    };
    c.open();
    await until(() => delays.length >= 7, 20_000, 'seven connection attempts');
    // Starts at reconnect_min_ms, then doubles with ±20 % jitter (so a fleet spreads out) up to the cap.
    expect(delays[0]).toBe(100);
    for (let i = 1; i < delays.length; i++) {
      const want = delays[i - 1]! * 2;
      expect(delays[i]!, `delay ${i}`).toBeGreaterThanOrEqual(Math.min(800, Math.floor(want * 0.8)));
      expect(delays[i]!, `delay ${i}`).toBeLessThanOrEqual(Math.min(800, Math.ceil(want * 1.2)));
    }
    expect(delays.at(-1)).toBe(800);
  });

  it('keeps user:password out of logged URLs', () => {
    expect(redactUrl('mqtts://user:s3cret@broker:8883/x')).toBe('mqtts://broker:8883/x');
  });
});
