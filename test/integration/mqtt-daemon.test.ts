import { describe, expect, it } from 'vitest';
import { mqttEnv, startDaemon } from '../helpers/daemon.js';
import { fileBroker, probe } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const broker = fileBroker();

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

  it('the Restart button restarts the daemon in place: a new connection, discovery again, still serving', async () => {
    const node = `daemon_restart_${process.pid}`;
    const base = `kvmr0ck/${node}`;
    const p = await probe(broker.url, [`${base}/#`, `homeassistant/device/${node}/config`]);
    const d = await startDaemon({ command: 'demo', env: mqttEnv(broker.url, node) });
    try {
      await p.wait((t, pl) => t === `${base}/availability` && pl.toString() === 'online');
      await p.wait((t) => t === `homeassistant/device/${node}/config`);
      const d1 = JSON.parse(
        (await p.wait((t) => t === `homeassistant/device/${node}/config`)).toString(),
      ) as { cmps: Record<string, Record<string, unknown>> };
      expect(d1.cmps.restart).toMatchObject({
        p: 'button',
        dev_cla: 'restart',
        cmd_t: `${base}/set/restart`,
      });
      const connects = () => d.logs.filter((l) => l.msg === 'mqtt: connected').length;
      expect(connects()).toBe(1);
      await p.client.publishAsync(`${base}/set/restart`, 'PRESS', { qos: 1 });
      await until(() => connects() === 2, 20_000, 'a second MQTT connection');
      expect(d.logs.some((l) => l.msg === 'stopped: starting again')).toBe(true);
      // It went offline and came back online, and stays online (the old session's will must
      // not land after the new connection's `online`).
      const avail = () =>
        p.messages.filter((m) => m.topic === `${base}/availability`).map((m) => m.payload.toString());
      await until(() => avail().length >= 3, 10_000, 'availability after the restart');
      await p.wait(
        (t) =>
          t === `homeassistant/device/${node}/config` && p.messages.filter((m) => m.topic === t).length >= 2,
      );
      expect(avail()).toEqual(['online', 'offline', 'online']);
      // It serves again (on a new port here: tests ask for port 0).
      const serving = () => d.logs.filter((l) => String(l.msg).startsWith('serving the panel at'));
      await until(() => serving().length === 2, 20_000, 'the panel again');
      const url = String(serving()[1]!.msg).replace('serving the panel at ', '').split(' , ')[0]!;
      expect((await fetch(`${url}api/state`, { headers: d.authHeaders })).status).toBe(200);
    } finally {
      await d.stop('SIGTERM');
      await p.close();
    }
  });
});
