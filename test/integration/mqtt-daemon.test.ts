import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttEnv, startDaemon } from '../helpers/daemon.js';
import { type Broker, probe, startMosquitto } from '../helpers/mosquitto.js';

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('the built daemon on a real broker', () => {
  it('types a command into the recording sink, logs no typed text, and leaves a retained offline when killed -9', async () => {
    const node = `daemon_${process.pid}`;
    const base = `kvmr0ck/${node}`;
    const p = await probe(broker.url, [`${base}/#`]);
    const d = await startDaemon({
      command: 'demo',
      env: {
        ...mqttEnv(broker.url, node),
        KVMR0CK_HID__TYPE_DELAY_MS: '0',
      },
    });
    try {
      await p.wait((t, pl) => t === `${base}/availability` && pl.toString() === 'online');
      await p.wait((t) => t === `${base}/state`);
      const secret = 'Pw';
      await p.client.publishAsync(
        `${base}/command`,
        JSON.stringify({ id: 'd1', action: 'type', text: secret }),
        { qos: 1 },
      );
      const r = JSON.parse(
        (await p.wait((t, pl) => t === `${base}/command/result` && pl.includes('"d1"'))).toString(),
      );
      expect(r).toEqual({ id: 'd1', ok: true });
      const rec = (await (await fetch(`${d.url}api/hid/recorded`, { headers: d.authHeaders })).json()) as
        | { reports?: { fn: string; hex: string }[] }
        | { fn: string; hex: string }[];
      const reports = Array.isArray(rec) ? rec : (rec.reports ?? []);
      const kb = reports.filter((x) => x.fn === 'keyboard').map((x) => x.hex.replaceAll(' ', ''));
      // Shift+p, release, w, release (HID usages p = 0x13, w = 0x1a).
      expect(kb).toEqual(['0200130000000000', '0000000000000000', '00001a0000000000', '0000000000000000']);
      expect(d.output()).not.toContain(`"${secret}"`);
      expect(d.logs.some((l) => l.msg === 'mqtt: connected')).toBe(true);
    } finally {
      await d.stop('SIGKILL');
    }
    // The broker publishes the will as soon as the socket dies; a new subscriber sees it retained.
    await p.wait((t, pl) => t === `${base}/availability` && pl.toString() === 'offline', 10_000);
    const late = await probe(broker.url, [`${base}/availability`]);
    const m = await late.wait((t) => t === `${base}/availability`);
    expect(m.toString()).toBe('offline');
    expect(late.messages[0]!.retain).toBe(true);
    await late.close();
    await p.close();
  });
});
