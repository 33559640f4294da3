import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type App, createApp } from '../../src/main.js';

/**
 * Every route that takes input, through the daemon's own server (src/http/validation.ts: TypeBox,
 * not Ajv): a mistake answers 400 naming the field and what was wanted, in the same words the
 * WebSocket and MQTT doors use, and good input gets through, query numbers converted from text.
 */
describe('HTTP input checks', () => {
  let app: App;
  const token = 'test-token-for-input-checks';
  const auth = { authorization: `Bearer ${token}` };
  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        video: { source: 'test-pattern', fps: 5, width: 640, height: 360 },
        hid: { sink: 'recording' },
        auth: { token },
      },
    });
    app = await createApp({ config, log: createLogger({ level: 'silent', format: 'json' }), version: 'v' });
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const send = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
    app.server.inject({
      method,
      url,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  it.each([
    ['POST', '/api/video', { quality: 150 }, 'quality', 'must be a whole number 1..100'],
    ['POST', '/api/video', { quality: '80' }, 'quality', 'must be a whole number 1..100'],
    ['POST', '/api/video', { max_fps: 0 }, 'max_fps', 'must be a whole number 1..120'],
    // Ajv (fastify's default set-up) dropped unknown fields without a word; a typo is now named.
    ['POST', '/api/video', { qualty: 70 }, 'qualty', 'unexpected property'],
    ['POST', '/api/video', [70], 'body', 'expected object'],
    ['GET', '/api/hid/recorded?since=soon', undefined, 'since', 'must be a number (ms since start)'],
    ['GET', '/snapshot.jpg?width=abc', undefined, 'width', 'must be a whole number 16..4096'],
    ['GET', '/snapshot.jpg?height=8', undefined, 'height', 'must be a whole number 16..4096'],
    ['GET', '/snapshot.jpg?fresh=maybe', undefined, 'fresh', 'must be 1, true, yes, 0, false, no or nothing'],
    ['GET', '/stream?fps=500', undefined, 'fps', 'must be a number 0.1..120'],
    ['DELETE', '/api/sessions/nope', {}, 'id', 'must be a session id (16 hex digits)'],
    ['POST', '/api/login', {}, 'token', 'must be a token of 1 to 256 characters'],
    ['POST', '/api/login', { token: 'x'.repeat(257) }, 'token', 'must be a token of 1 to 256 characters'],
    [
      'POST',
      '/api/macros/unlock/run',
      { params: { who: { nested: 1 } } },
      'params.who',
      'must be text of at most 4096 characters, a number or true/false',
    ],
    [
      'POST',
      '/api/macros/unlock/run',
      { params: { who: 'x'.repeat(4097) } },
      'params.who',
      'must be text of at most 4096 characters, a number or true/false',
    ],
    [
      'POST',
      '/api/macros/unlock/run',
      { params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, i])) },
      'params',
      'must be an object of at most 32 parameters',
    ],
    ['POST', '/api/macros/unlock/run', 5, 'body', 'must be {"params": {...}} or empty'],
  ] as const)('%s %s: a mistake answers 400 naming it', async (method, url, body, field, reason) => {
    const r = await send(method, url, body);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error).toEqual({
      code: 'BAD_REQUEST',
      message: `${field}: ${reason}`,
      details: { field, reason },
    });
  });

  it('lets good input through, numbers in a query converted from text', async () => {
    const v = await send('POST', '/api/video', { quality: 70, max_fps: 20 });
    expect(v.json()).toEqual({ quality: 70, max_fps: 20 });
    const shot = await send('GET', '/snapshot.jpg?width=320&fresh');
    expect(shot.statusCode).toBe(200);
    expect(shot.headers['content-type']).toBe('image/jpeg');
    // Other query parameters (a cache buster, ?token=) are no mistake on these two.
    expect((await send('GET', `/snapshot.jpg?t=${Date.now()}`)).statusCode).toBe(200);
    const rec = await send('GET', '/api/hid/recorded?since=0');
    expect(rec.statusCode).toBe(200);
    expect(rec.json()).toHaveProperty('reports');
    // A macro run with no body, and with parameters: past the checks (no such macro here).
    for (const body of [undefined, null, { params: { who: 'me', n: 2, on: true } }]) {
      const r = await send('POST', '/api/macros/unlock/run', body);
      expect(r.json().error?.code, r.body).toBe('MACRO_NOT_FOUND');
    }
  });
});
