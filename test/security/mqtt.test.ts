import { readFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { type Broker, probe, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import { recordAttack } from './table.js';

/** Resident and peak resident memory of a process, MiB (/proc/<pid>/status VmRSS, VmHWM). */
function memory(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function connected(d: Daemon): Promise<void> {
  await until(
    async () =>
      (
        (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as {
          mqtt: { connected: boolean };
        }
      ).mqtt.connected,
    15_000,
    'the daemon to connect to the broker',
  );
}

describe('over MQTT', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('a 200 MB publish on the command topic never reaches the daemon’s memory', async () => {
    const d = await startDaemon({ command: 'demo', env: mqttEnv(broker.url, 'bigpub') });
    try {
      await connected(d);
      const before = memory(d.proc.pid!);
      const attacker = await connectAsync(broker.url, { protocolVersion: 5 });
      await attacker.publishAsync('kvmr0ck/bigpub/command', Buffer.alloc(200 * 1024 * 1024, 0x61), {
        qos: 0,
      });
      // A normal command after it is answered: the daemon is alive and still connected.
      const p = await probe(broker.url, ['kvmr0ck/bigpub/command/result']);
      await attacker.publishAsync(
        'kvmr0ck/bigpub/command',
        JSON.stringify({ id: 'after-big', action: 'release_all' }),
        {
          qos: 1,
        },
      );
      const result = JSON.parse(String(await p.wait((_t, m) => String(m).includes('after-big'), 30_000)));
      const after = memory(d.proc.pid!);
      await attacker.endAsync();
      await p.close();
      expect(result.ok).toBe(true);
      expect(after.peak - before.rss).toBeLessThan(64);
      recordAttack({
        attack: '200 MB publish on the command topic',
        before: 'RSS 151 -> 717 MB before TOO_LARGE',
        now: `peak RSS ${before.rss.toFixed(0)} -> ${after.peak.toFixed(0)} MiB; next command answered`,
      });
    } finally {
      await d.stop('SIGKILL');
    }
  });

  it('read-only subscribes to no command topic: the broker finds nobody to deliver to', async () => {
    const d = await startDaemon({
      command: 'demo',
      env: { ...mqttEnv(broker.url, 'ro'), KVMR0CK_AUTH__READ_ONLY: 'true' },
    });
    try {
      await connected(d);
      const c = await connectAsync(broker.url, { protocolVersion: 5 });
      // MQTT 5 PUBACK reason code 0x10: "No matching subscribers" (3.4.2.1).
      const acks: number[] = [];
      c.on('packetreceive', (pk) => {
        if (pk.cmd === 'puback') acks.push((pk as { reasonCode?: number }).reasonCode ?? 0);
      });
      await c.publishAsync('kvmr0ck/ro/command', JSON.stringify({ action: 'type', text: 'x' }), { qos: 1 });
      await until(() => acks.length > 0);
      const ack = acks[0];
      await c.endAsync();
      expect(ack).toBe(0x10);
      recordAttack({
        attack: 'command while read-only',
        before: 'subscribed; refused after parsing',
        now: 'not subscribed (PUBACK 0x10)',
      });
    } finally {
      await d.stop('SIGKILL');
    }
  });
});
