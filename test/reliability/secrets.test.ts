import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type App, createApp } from '../../src/main.js';
import { CLI } from '../helpers/daemon.js';
import { type Broker, type Probe, probe, startMosquitto } from '../helpers/mosquitto.js';
import { TEST_SECRETS } from '../helpers/secrets.js';
import { until } from '../helpers/wait.js';
import { recordFigure } from './figures.js';

const S = TEST_SECRETS;

async function readSome(r: Response, limit: number): Promise<string> {
  const reader = r.body?.getReader();
  if (!reader) return '';
  const chunks: Buffer[] = [];
  let n = 0;
  while (n < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    n += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).toString('latin1');
}

function headerText(h: Headers): string {
  const lines: string[] = [];
  h.forEach((v, k) => {
    lines.push(`${k}: ${v}`);
  });
  return lines.join('\n');
}

/**
 * Every kind of secret the daemon holds (access token, MQTT password, a macro's `!secret`, text a
 * user types, a wrong password someone tried) pushed through every path that could echo it: log
 * lines at trace level, every MQTT message, every HTTP answer, WebSocket messages, and the CLI's
 * config errors. None of them may contain any secret.
 */
describe('secrets never leave the daemon', () => {
  let broker: Broker;
  let app: App;
  let p: Probe;
  let logs = '';
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-secrets-'));
  /** Everything the outside world received, by where it was seen. */
  const seen: { where: string; text: string }[] = [];

  beforeAll(async () => {
    broker = await startMosquitto({ users: { kvm: S.mqttPassword, probe: 'probe-password' } });
    mkdirSync(path.join(dir, 'macros'));
    writeFileSync(
      path.join(dir, 'macros', 'unlock.yaml'),
      'unlock:\n  steps:\n    - type: !secret luks\n    - press: [enter]\n',
    );
    writeFileSync(path.join(dir, 'secrets.yaml'), `luks: ${S.macroSecret}\n`, { mode: 0o600 });
    const file = path.join(dir, 'kvmr0ck.yaml');
    writeFileSync(
      file,
      [
        'server: { host: 127.0.0.1, port: 0 }',
        'video: { source: test-pattern, fps: 5, width: 320, height: 240 }',
        'hid: { sink: recording, type_delay_ms: 0 }',
        `auth: { token: ${S.token} }`,
        `mqtt: { url: "${broker.url}", username: kvm, password: ${S.mqttPassword}, node_id: sec, discovery_delay_ms: 0 }`,
        `macros: { dirs: ["${path.join(dir, 'macros')}"], secrets_file: "${path.join(dir, 'secrets.yaml')}" }`,
        `paths: { state: "${path.join(dir, 'state')}" }`,
      ].join('\n'),
    );
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    const { config } = loadConfig({ file });
    app = await createApp({
      config,
      log: createLogger({ level: 'trace', format: 'json', destination: capture }),
      version: 'secrets',
    });
    await app.start();
    p = await probe(broker.url, ['#'], { username: 'probe', password: 'probe-password' });
    await p.wait((t, pl) => t === 'kvmr0ck/sec/availability' && pl.toString() === 'online', 10_000);
  }, 30_000);

  afterAll(async () => {
    await p?.close();
    await app?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds them back from logs, MQTT, HTTP, the WebSocket and config errors', async () => {
    const base = app.urls()[0]!.replace('localhost', '127.0.0.1');
    const auth = { authorization: `Bearer ${S.token}` };
    const http = async (url: string, init: RequestInit = {}) => {
      const r = await fetch(new URL(url, base), { ...init, headers: { ...auth, ...init.headers } });
      // The MJPEG stream never ends: its first 256 KiB are enough to look at.
      const body = await readSome(r, 256 * 1024);
      seen.push({
        where: `HTTP ${init.method ?? 'GET'} ${url}`,
        text: `${headerText(r.headers)}\n${body}`,
      });
      return { status: r.status, body };
    };

    // Logging in: a wrong guess, then the real token (its cookie is a session id, not the token).
    const json = { 'content-type': 'application/json' };
    await http('/api/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ token: S.wrongGuess }),
    });
    expect(
      (
        await http('/api/login', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ token: S.token }),
        })
      ).status,
    ).toBe(200);

    // The macro that types a !secret, over HTTP.
    expect((await http('/api/macros/unlock/run', { method: 'POST' })).status).toBe(200);
    await until(() => app.store.get().macro.last?.name === 'unlock', 10_000, 'the unlock macro');
    expect(app.store.get().macro.last?.result).toBe('finished');

    // Typed text over MQTT: the command topic, HA's text entity, an untypable variant, broken JSON
    // and an unknown key beside the text. (Key names are not secrets: "unknown key 'ctl'" names them.)
    const cmd = 'kvmr0ck/sec/command';
    await p.client.publishAsync(cmd, JSON.stringify({ id: 'sec-1', action: 'type', text: S.typed }), {
      qos: 1,
    });
    await p.client.publishAsync('kvmr0ck/sec/set/type', S.typed, { qos: 1 });
    await p.client.publishAsync(
      cmd,
      JSON.stringify({ id: 'sec-2', action: 'type', text: `${S.typed}\u00e4`, layout: 'us' }),
      { qos: 1 },
    );
    await p.client.publishAsync(
      cmd,
      JSON.stringify({ id: 'sec-3', action: 'type', text: S.typed }).slice(0, -3),
      { qos: 1 },
    );
    await p.client.publishAsync(
      cmd,
      JSON.stringify({ id: 'sec-4', action: 'type', text: S.typed, bogus: 1 }),
      { qos: 1 },
    );
    for (const id of ['sec-1', 'sec-2', 'sec-4']) {
      await p.wait((t, pl) => t === `${cmd}/result` && pl.includes(`"${id}"`), 10_000);
    }
    const results = p.messages
      .filter((m) => m.topic === `${cmd}/result`)
      .map((m) => JSON.parse(m.payload.toString()));
    expect(results.find((r) => r.id === 'sec-1')).toEqual({ id: 'sec-1', ok: true });
    expect(results.filter((r) => r.ok === false).length).toBeGreaterThanOrEqual(3);

    // The panel's WebSocket: typing, and typing something untypable.
    const ws = new WebSocket(`${base.replace('http', 'ws')}api/ws`, { headers: auth });
    ws.on('message', (m) => seen.push({ where: 'WebSocket', text: m.toString() }));
    await once(ws, 'open');
    ws.send(JSON.stringify({ t: 'type', text: S.typed }));
    ws.send(JSON.stringify({ t: 'type', text: `${S.typed}\u00e4`, layout: 'us' }));
    await until(
      () => seen.some((s) => s.where === 'WebSocket' && s.text.includes('type_done')),
      10_000,
      'typing over the WebSocket',
    );
    await until(
      () => seen.filter((s) => s.where === 'WebSocket' && s.text.includes('"error"')).length >= 1,
      10_000,
      'the WebSocket errors',
    );
    ws.close();

    // Every GET route the server has, after all of the above.
    for (const r of app.server.routeList.filter((x) => x.method === 'GET')) {
      await http(r.url.replace(/:[a-z_]+/g, 'unlock'));
    }

    // What was typed really reached the USB side (so the scan below is not vacuous).
    const typed = app.store.get().hid.reportsWritten;
    // At least a report per character of the four typings (the fast profile shares transitions).
    expect(typed).toBeGreaterThan(4 * S.typed.length);

    // Config mistakes around the secrets, as `check-config` shows them.
    const bad = {
      'unterminated string': `mqtt:\n  password: "${S.mqttPassword}\n  url: mqtt://x\n`,
      'wrong type': `mqtt:\n  password: [${S.mqttPassword}]\n`,
      'unknown key': `auth:\n  tokn: ${S.token}\n`,
      'bad indentation': `auth:\n  token: ${S.token}\n   bad: 1\n`,
      'secret in the url': `mqtt:\n  url: "mqtt://kvm:${S.mqttPassword}@"\n`,
    };
    for (const [name, yaml] of Object.entries(bad)) {
      const f = path.join(dir, 'bad.yaml');
      writeFileSync(f, yaml);
      let out = '';
      try {
        out = execFileSync(process.execPath, [CLI, 'check-config', '--config', f], {
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string };
        out = `${x.stdout ?? ''}${x.stderr ?? ''}`;
      }
      expect(out.length, name).toBeGreaterThan(0);
      seen.push({ where: `check-config (${name})`, text: out });
    }

    await new Promise((r) => setTimeout(r, 300));
    seen.push({ where: 'log', text: logs });
    // What the probe itself published (commands, HA's text entity) is input, not output.
    const inbound = (t: string) => t === cmd || t.startsWith('kvmr0ck/sec/set/');
    for (const m of p.messages.filter((x) => !inbound(x.topic)))
      seen.push({ where: `MQTT ${m.topic}`, text: m.payload.toString('latin1') });

    const leaks: string[] = [];
    for (const s of seen) {
      for (const [name, value] of Object.entries(S)) {
        const at = s.text.indexOf(value);
        if (at >= 0)
          leaks.push(`${name} in ${s.where}: ...${s.text.slice(Math.max(0, at - 150), at + 40)}...`);
      }
    }
    const bytes = seen.reduce((n, s) => n + s.text.length, 0);
    recordFigure({
      surface: 'secrets',
      figure: 'places scanned / bytes',
      value: `${seen.length} / ${bytes}`,
    });
    recordFigure({ surface: 'secrets', figure: 'secrets found', value: leaks.length, target: '0' });
    expect(leaks).toEqual([]);
  });
});
