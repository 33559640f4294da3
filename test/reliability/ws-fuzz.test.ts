import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type App, createApp } from '../../src/main.js';
import { recordFigure } from './figures.js';
import { deeplyNested, SEED } from './generators.js';

const CASES = Number(process.env.KVMR0CK_FUZZ_CASES ?? 10_000);

/**
 * The panel's WebSocket fed generated messages: random bytes, truncated and nested JSON, wrong
 * types, unknown codes and huge texts, mixed with real key events. The server answers bad input
 * with an error message and stays open; when the connection closes nothing is held.
 */
describe(`WebSocket fuzz (${CASES} messages, seed ${SEED})`, () => {
  let app: App;
  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        video: { source: 'test-pattern', fps: 5 },
        hid: { sink: 'recording', type_delay_ms: 0 },
        auth: { mode: 'none' },
      },
    });
    app = await createApp({ config, log: createLogger({ level: 'error', format: 'json' }), version: 'fuzz' });
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers bad messages with errors, never drops the connection, and leaves nothing held', async () => {
    const url = `${app.urls()[0]!.replace('http', 'ws').replace('localhost', '127.0.0.1')}api/ws`;
    const ws = new WebSocket(url);
    const replies: { t: string; code?: string }[] = [];
    ws.on('message', (m) => replies.push(JSON.parse(m.toString()) as { t: string; code?: string }));
    let closedEarly = false;
    ws.on('close', () => {
      closedEarly = true;
    });
    await new Promise<void>((r, j) => {
      ws.once('open', () => r());
      ws.once('error', j);
    });
    const codes = ['KeyA', 'ShiftLeft', 'ControlLeft', 'F13', 'NoSuch', '', 'Digit1', 'IntlRo'];
    const msg = fc.oneof(
      fc
        .record({ t: fc.constant('key'), code: fc.constantFrom(...codes), down: fc.boolean() })
        .map((o) => JSON.stringify(o)),
      fc
        .record({
          t: fc.constantFrom('mouse_abs', 'mouse_rel', 'buttons', 'wheel', 'type', 'macro', 'nope', 'ping'),
          x: fc.oneof(fc.double(), fc.string(), fc.constant(null)),
          y: fc.double(),
          dx: fc.integer(),
          dy: fc.integer(),
          text: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('x'.repeat(5000))),
          name: fc.string({ maxLength: 10 }),
        })
        .map((o) => JSON.stringify(o)),
      fc.string({ maxLength: 100 }),
      fc.constantFrom(deeplyNested(3000), '[]', 'null', '{"t":', 'x'.repeat(70_000)),
    );
    const samples = fc.sample(msg, { seed: SEED, numRuns: CASES });
    for (const m of samples) ws.send(m);
    ws.send(JSON.stringify({ t: 'ping' }));
    // Replies come in any order (a pong can overtake the errors of earlier messages): wait until
    // the pong has come and no reply has arrived for a second.
    const deadline = Date.now() + 60_000;
    let last = -1;
    while (
      Date.now() < deadline &&
      !closedEarly &&
      (last !== replies.length || !replies.some((r) => r.t === 'pong'))
    ) {
      last = replies.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const errors = replies.filter((r) => r.t === 'error');
    const unclear = errors.filter((e) => !e.code).length;
    const open = ws.readyState === WebSocket.OPEN;
    ws.close();
    await new Promise((r) => setTimeout(r, 500));
    const state = await app.server.inject({ method: 'GET', url: '/api/state' });

    recordFigure({ surface: 'ws', figure: 'messages sent', value: samples.length });
    recordFigure({
      surface: 'ws',
      figure: 'error replies / without code',
      value: `${errors.length} / ${unclear}`,
      target: '_ / 0',
    });
    recordFigure({
      surface: 'ws',
      figure: 'connection still open after fuzz',
      value: String(open),
      target: 'true',
    });
    recordFigure({
      surface: 'ws',
      figure: 'keys held after close',
      value: app.store.get().hid.keysHeld,
      target: '0',
    });
    expect(open).toBe(true);
    expect(unclear).toBe(0);
    // About a quarter of the messages are not even JSON: each must have had its error reply.
    expect(errors.length).toBeGreaterThan(CASES / 5);
    expect(state.statusCode).toBe(200);
    expect(app.store.get().hid.keysHeld).toBe(0);
  });
});
