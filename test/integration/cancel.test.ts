import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { type Broker, probe, startMosquitto } from '../helpers/mosquitto.js';
import { untilRecorded } from '../helpers/recorded.js';
import { until } from '../helpers/wait.js';

const A_DOWN = '00 00 04 00 00 00 00 00';
const ALL_UP = '00 00 00 00 00 00 00 00';

/**
 * `cancel` means one thing whichever door it comes in by: the sender's typing and the running macro
 * stop and every key on the target comes up. A panel holds a key; cancel arrives over MQTT, or over
 * a second WebSocket; either way the target sees the key released.
 */
describe('cancel has one meaning at every door (running daemon, real broker)', () => {
  let broker: Broker;
  let d: Daemon;
  const node = `cancel_${process.pid}`;
  const base = `kvmr0ck/${node}`;
  beforeAll(async () => {
    broker = await startMosquitto();
    d = await startDaemon({
      command: 'demo',
      env: {
        ...mqttEnv(broker.url, node),
        // Long enough that a held key is released by the cancel, not by the keepalive.
        KVMR0CK_HID__KEEPALIVE_MS: '60000',
        KVMR0CK_HID__MODIFIER_KEEPALIVE_MS: '60000',
      },
    });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
    await broker?.stop();
  });

  async function socket(): Promise<WebSocket> {
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}api/ws`, { headers: d.authHeaders });
    const hello = new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        if ((JSON.parse(m.toString()) as { t?: string }).t === 'hello') resolve();
      });
      ws.once('error', reject);
    });
    await hello;
    return ws;
  }

  /** A panel holds A down; `cancel` is sent by `send`; returns the keyboard reports since. */
  async function holdThenCancel(send: () => Promise<void>): Promise<string[]> {
    const holder = await socket();
    try {
      const t0 = Date.now() - 1;
      holder.send(JSON.stringify({ t: 'key', code: 'KeyA', down: true }));
      await untilRecorded(d, t0, 'keyboard', (h) => h.includes(A_DOWN), 'A held down');
      await send();
      return await untilRecorded(
        d,
        t0,
        'keyboard',
        (h) => h.indexOf(ALL_UP, h.indexOf(A_DOWN)) > 0,
        'every key released after cancel',
      );
    } finally {
      holder.close();
    }
  }

  it('over MQTT, {"action":"cancel"} releases the held key', async () => {
    const p = await probe(broker.url, [`${base}/#`]);
    try {
      await p.wait((t, pl) => t === `${base}/availability` && pl.toString() === 'online', 20_000);
      const hex = await holdThenCancel(async () => {
        await p.client.publishAsync(`${base}/command`, JSON.stringify({ id: 'c1', action: 'cancel' }), {
          qos: 1,
        });
      });
      expect(hex.at(-1)).toBe(ALL_UP);
      const r = await p.wait((t, pl) => t === `${base}/command/result` && pl.includes('"c1"'), 20_000);
      expect(JSON.parse(r.toString())).toEqual({ id: 'c1', ok: true });
    } finally {
      await p.close();
    }
  });

  it('over the WebSocket, {"t":"cancel"} releases the held key too', async () => {
    const other = await socket();
    try {
      const hex = await holdThenCancel(async () => {
        other.send(JSON.stringify({ t: 'cancel' }));
      });
      expect(hex.at(-1)).toBe(ALL_UP);
    } finally {
      other.close();
    }
  });

  it('the same bad relative move gets the same code and reason over MQTT and the WebSocket', async () => {
    const p = await probe(broker.url, [`${base}/command/result`]);
    const ws = await socket();
    const errors: { code: string; message: string }[] = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { t?: string; code: string; message: string };
      if (msg.t === 'error') errors.push(msg);
    });
    try {
      ws.send(JSON.stringify({ t: 'mouse_rel', dx: 5000, dy: 0 }));
      await p.client.publishAsync(
        `${base}/command`,
        JSON.stringify({ id: 'bad1', action: 'mouse', move_rel: { dx: 5000, dy: 0 } }),
        { qos: 1 },
      );
      const r = JSON.parse(
        (await p.wait((t, pl) => t === `${base}/command/result` && pl.includes('"bad1"'), 20_000)).toString(),
      ) as { error: { code: string; message: string } };
      await until(() => errors.length > 0, 10_000, 'the WebSocket error');
      expect(errors[0]!.code).toBe(r.error.code);
      expect(r.error.code).toBe('BAD_REQUEST');
      const reason = (m: string) => m.slice(m.indexOf(': ') + 2);
      expect(reason(errors[0]!.message)).toBe(reason(r.error.message));
      expect(reason(r.error.message)).toBe('must be an integer -4096..4096');
    } finally {
      ws.close();
      await p.close();
    }
  });
});
