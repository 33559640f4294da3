import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Daemon, mqttEnv, startDaemon } from '../helpers/daemon.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import { recordFigure } from './figures.js';
import { fdCount, percentile, rssMiB } from './proc.js';

const SECONDS = Number(process.env.KVMR0CK_RATE_SECONDS ?? 30);
const RATE = Number(process.env.KVMR0CK_RATE ?? 1000);
const CLIENTS = 4;
/** dx cycles 1..CYCLE, so a lost, doubled or swapped report breaks a client's sequence. */
const CYCLE = 100;

interface Report {
  fn: string;
  hex: string;
  at: number;
}

/**
 * Sends `total` messages spread evenly over `seconds`, calling send(i) when message i is due. The
 * loop yields every few milliseconds, so sockets are drained while it runs (a burst would test the
 * kernel's buffers, not the daemon).
 */
async function paced(total: number, seconds: number, send: (i: number) => void): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000 / seconds) * total) + 1);
    while (i < due) send(i++);
    await new Promise((r) => setTimeout(r, 2));
  }
  return (performance.now() - t0) / 1000;
}

function readReports(file: string): Report[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Report);
}

/** The relative mouse reports of client `dy` (buttons, dx, dy, wheel; HID boot mouse layout). */
function sequenceOf(reports: Report[], dy: number): { dx: number[]; at: number[] } {
  const dx: number[] = [];
  const at: number[] = [];
  for (const r of reports) {
    if (r.fn !== 'mouse_rel') continue;
    const b = r.hex.split(' ').map((h) => Number.parseInt(h, 16));
    if (b[2] !== dy) continue;
    dx.push(b[1]!);
    at.push(r.at);
  }
  return { dx, at };
}

/** Lost (missing from the end or a gap), duplicated and out-of-order reports of one client. */
function audit(dx: number[], sent: number): { lost: number; duplicated: number; disordered: number } {
  let duplicated = 0;
  let disordered = 0;
  for (let i = 1; i < dx.length; i++) {
    const expected = (dx[i - 1]! % CYCLE) + 1;
    if (dx[i] === expected) continue;
    if (dx[i] === dx[i - 1]) duplicated++;
    else disordered++;
  }
  if (dx.length > 0 && dx[0] !== 1) disordered++;
  return { lost: Math.max(0, sent - dx.length), duplicated, disordered };
}

const dxOf = (seq: number) => (seq % CYCLE) + 1;

/**
 * A steady 1,000 commands/s for 30 s over each remote channel, from several clients at once:
 * every command reaches the USB side exactly once and in the order its client sent it. Relative
 * mouse moves are the probe because each becomes exactly one report the recording sink keeps.
 */
describe(`${RATE} commands/s for ${SECONDS} s over MQTT and WebSocket (${CLIENTS} clients each)`, () => {
  let broker: Broker;
  let d: Daemon;
  const node = 'rate';
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-rate-'));
  const reportsFile = path.join(dir, 'reports.jsonl');
  beforeAll(async () => {
    broker = await startMosquitto();
    d = await startDaemon({
      command: 'demo',
      env: {
        ...mqttEnv(broker.url, node),
        KVMR0CK_HID__RECORDING__CAPACITY: '1000',
        KVMR0CK_HID__RECORDING__FILE: reportsFile,
        KVMR0CK_VIDEO__FPS: '5',
      },
    });
  }, 30_000);
  afterAll(async () => {
    await d?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function checkReports(surface: string, dyBase: number, sentAt: number[][], since: number) {
    const reports = readReports(reportsFile).slice(since);
    let lost = 0;
    let duplicated = 0;
    let disordered = 0;
    const latency: number[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const seq = sequenceOf(reports, dyBase + c);
      const a = audit(seq.dx, sentAt[c]!.length);
      lost += a.lost;
      duplicated += a.duplicated;
      disordered += a.disordered;
      for (let i = 0; i < seq.at.length && i < sentAt[c]!.length; i++)
        latency.push(seq.at[i]! - sentAt[c]![i]!);
    }
    recordFigure({
      surface,
      figure: 'commands lost / duplicated / out of order',
      value: `${lost} / ${duplicated} / ${disordered}`,
      target: '0 / 0 / 0',
    });
    recordFigure({
      surface,
      figure: 'send -> USB report ms p50 / p99',
      value: `${percentile(latency, 50)} / ${percentile(latency, 99)}`,
    });
    return { lost, duplicated, disordered };
  }

  it('MQTT: every command runs once, in order per client, and is answered once', async () => {
    const base = `kvmr0ck/${node}`;
    const clients: MqttClient[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      clients.push(await connectAsync(broker.url, { protocolVersion: 5, clientId: `rate-${c}` }));
    }
    // Results come back on one topic; a separate client listens so publishers are not slowed.
    const listener = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'rate-results' });
    await listener.subscribeAsync(`${base}/command/result`, { qos: 1 });
    const answers = new Map<string, { n: number; ok: boolean; at: number }>();
    listener.on('message', (_t, payload) => {
      const r = JSON.parse(payload.toString()) as { id: string | null; ok: boolean };
      if (r.id === null) return;
      const a = answers.get(r.id);
      if (a) a.n++;
      else answers.set(r.id, { n: 1, ok: r.ok, at: Date.now() });
    });
    await until(async () => (await metrics(d)).includes('kvmr0ck_mqtt_connected 1'), 10_000);

    const since = readReports(reportsFile).length;
    const rss0 = rssMiB(d.proc.pid!);
    const fd0 = fdCount(d.proc.pid!);
    const sentAt: number[][] = clients.map(() => []);
    const per = Math.round((RATE * SECONDS) / CLIENTS);
    const took = await paced(per * CLIENTS, SECONDS, (i) => {
      const c = i % CLIENTS;
      const seq = sentAt[c]!.length;
      sentAt[c]!.push(Date.now());
      const cmd = { action: 'mouse', move_rel: { dx: dxOf(seq), dy: 1 + c }, id: `c${c}-${seq}` };
      clients[c]!.publish(`${base}/command`, JSON.stringify(cmd), { qos: 1 });
    });
    const total = per * CLIENTS;
    await until(() => answers.size >= total, 30_000).catch(() => {});
    const rss1 = rssMiB(d.proc.pid!);
    const fd1 = fdCount(d.proc.pid!);
    for (const c of [...clients, listener]) await c.endAsync();

    const twice = [...answers.values()].filter((a) => a.n > 1).length;
    const failed = [...answers.values()].filter((a) => !a.ok).length;
    const rtt: number[] = [];
    for (let c = 0; c < CLIENTS; c++)
      sentAt[c]!.forEach((t, seq) => {
        const a = answers.get(`c${c}-${seq}`);
        if (a) rtt.push(a.at - t);
      });
    recordFigure({
      surface: 'mqtt rate',
      figure: 'commands sent / achieved rate',
      value: `${total} / ${Math.round(total / took)}/s`,
      target: `${RATE}/s`,
    });
    recordFigure({
      surface: 'mqtt rate',
      figure: 'results missing / doubled / failed',
      value: `${total - answers.size} / ${twice} / ${failed}`,
      target: '0 / 0 / 0',
    });
    recordFigure({
      surface: 'mqtt rate',
      figure: 'command -> result ms p50 / p99',
      value: `${percentile(rtt, 50)} / ${percentile(rtt, 99)}`,
    });
    recordFigure({
      surface: 'mqtt rate',
      figure: 'daemon RSS MiB start / end, fd delta',
      value: `${rss0.toFixed(0)} / ${rss1.toFixed(0)}, ${fd1 - fd0}`,
    });
    const a = checkReports('mqtt rate', 1, sentAt, since);
    expect(a).toEqual({ lost: 0, duplicated: 0, disordered: 0 });
    expect(answers.size).toBe(total);
    expect(twice).toBe(0);
    expect(failed).toBe(0);
  });

  it('WebSocket: every message runs once and in order per connection', async () => {
    const url = `${d.url.replace('http', 'ws')}api/ws`;
    const sockets: WebSocket[] = [];
    const errors: string[] = [];
    let statePushes = 0;
    for (let c = 0; c < CLIENTS; c++) {
      const ws = new WebSocket(url, { headers: d.authHeaders });
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString()) as { t: string; code?: string };
        if (msg.t === 'error') errors.push(msg.code ?? '?');
        if (msg.t === 'state') statePushes++;
      });
      await once(ws, 'open');
      sockets.push(ws);
    }
    const since = readReports(reportsFile).length;
    const rss0 = rssMiB(d.proc.pid!);
    const sentAt: number[][] = sockets.map(() => []);
    const per = Math.round((RATE * SECONDS) / CLIENTS);
    const took = await paced(per * CLIENTS, SECONDS, (i) => {
      const c = i % CLIENTS;
      const seq = sentAt[c]!.length;
      sentAt[c]!.push(Date.now());
      sockets[c]!.send(JSON.stringify({ t: 'mouse_rel', dx: dxOf(seq), dy: 11 + c }));
    });
    const total = per * CLIENTS;
    const count = () =>
      readReports(reportsFile)
        .slice(since)
        .filter((r) => r.fn === 'mouse_rel').length;
    await until(() => count() >= total, 30_000).catch(() => {});
    const rss1 = rssMiB(d.proc.pid!);
    for (const ws of sockets) ws.close();
    recordFigure({
      surface: 'ws rate',
      figure: 'messages sent / achieved rate',
      value: `${total} / ${Math.round(total / took)}/s`,
      target: `${RATE}/s`,
    });
    recordFigure({ surface: 'ws rate', figure: 'error answers', value: errors.length, target: '0' });
    // Every report changes the HID counter; panels get the newest state at most 10 times/s per slice.
    const pushesPerSecond = statePushes / CLIENTS / took;
    recordFigure({
      surface: 'ws rate',
      figure: 'state pushes per client per second',
      value: pushesPerSecond.toFixed(1),
      target: '<= 10 per changing slice',
    });
    expect(pushesPerSecond).toBeLessThan(40);
    recordFigure({
      surface: 'ws rate',
      figure: 'daemon RSS MiB start / end',
      value: `${rss0.toFixed(0)} / ${rss1.toFixed(0)}`,
    });
    const a = checkReports('ws rate', 11, sentAt, since);
    expect(errors).toEqual([]);
    expect(a).toEqual({ lost: 0, duplicated: 0, disordered: 0 });
  });
});

async function metrics(d: Daemon): Promise<string> {
  const r = await fetch(`${d.url}metrics`, { headers: d.authHeaders });
  return r.text();
}
