import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';
import { openPanelSocket } from '../helpers/ws.js';

interface Report {
  fn: string;
  hex: string;
  at: number;
}

/** The panel's WebSocket, driven by a real client against the built daemon. */
describe('WebSocket input', () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ command: 'demo', env: { KVMR0CK_HID__TYPE_DELAY_MS: '0' } });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  const wsUrl = () => `${d.url.replace('http', 'ws')}api/ws`;
  const open = (headers?: Record<string, string>) => openPanelSocket(d, headers);
  async function reportsSince(at: number): Promise<Report[]> {
    const r = (await (
      await fetch(`${d.url}api/hid/recorded?since=${at}`, { headers: d.authHeaders })
    ).json()) as { reports: Report[] };
    return r.reports.filter((x) => x.fn === 'keyboard');
  }

  it('greets with the protocol version and state, types keys by physical code', async () => {
    const c = await open();
    expect(await c.wait((m) => m.t === 'hello')).toMatchObject({ v: 1 });
    await c.wait((m) => m.t === 'state');
    const t0 = Date.now();
    c.ws.send(JSON.stringify({ t: 'key', code: 'ShiftLeft', down: true }));
    c.ws.send(JSON.stringify({ t: 'key', code: 'KeyA', down: true }));
    c.ws.send(JSON.stringify({ t: 'key', code: 'KeyA', down: false }));
    c.ws.send(JSON.stringify({ t: 'key', code: 'ShiftLeft', down: false }));
    c.ws.send(JSON.stringify({ t: 'ping' }));
    await c.wait((m) => m.t === 'pong');
    await until(async () => (await reportsSince(t0)).length >= 4, 10_000, 'four reports');
    expect((await reportsSince(t0)).map((r) => r.hex)).toEqual([
      '02 00 00 00 00 00 00 00',
      '02 00 04 00 00 00 00 00',
      '02 00 00 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);
    c.ws.close();
  });

  it('releases what a client held when its connection closes', async () => {
    const c = await open();
    await c.wait((m) => m.t === 'hello');
    const t0 = Date.now();
    c.ws.send(JSON.stringify({ t: 'key', code: 'ControlLeft', down: true }));
    c.ws.send(JSON.stringify({ t: 'ping' }));
    await c.wait((m) => m.t === 'pong');
    c.ws.terminate();
    await until(
      async () => (await reportsSince(t0)).at(-1)?.hex === '00 00 00 00 00 00 00 00',
      10_000,
      'the release after the connection closed',
    );
    const hex = (await reportsSince(t0)).map((r) => r.hex);
    expect(hex[0]).toBe('01 00 00 00 00 00 00 00');
    expect(hex.at(-1)).toBe('00 00 00 00 00 00 00 00');
  });

  it('types pasted text with progress, and answers bad messages with an error, staying open', async () => {
    const c = await open();
    c.ws.send(JSON.stringify({ t: 'type', text: 'hi!', layout: 'us' }));
    await c.wait((m) => m.t === 'type_done');
    expect(c.messages.some((m) => m.t === 'type_progress' && m.done === 3 && m.total === 3)).toBe(true);
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ t: 'key', code: 'NoSuchKey', down: true }),
      JSON.stringify({ t: 'nope' }),
      JSON.stringify({ t: 'mouse_abs', x: 7, y: 0 }),
    ]) {
      c.ws.send(bad);
    }
    await until(() => c.messages.filter((m) => m.t === 'error').length >= 5, 10_000, 'five error replies');
    const errors = c.messages.filter((m) => m.t === 'error');
    expect(errors.map((e) => e.code)).toEqual([
      'BAD_REQUEST',
      'BAD_REQUEST',
      'UNKNOWN_KEY',
      'BAD_REQUEST',
      'BAD_REQUEST',
    ]);
    c.ws.send(JSON.stringify({ t: 'ping' }));
    await c.wait((m) => m.t === 'pong');
    c.ws.close();
  });

  it('refuses a connection without credentials, and a cookie session from another site', async () => {
    await expect(open({})).rejects.toThrow(/401/);
    const login = await fetch(`${d.url}api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: d.token }),
    });
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
    const c = new WebSocket(wsUrl(), { headers: { cookie, origin: 'https://evil.example' } });
    const code = await new Promise<number>((r) => c.on('close', (cd) => r(cd)));
    expect(code).toBe(1008);
  });
});
