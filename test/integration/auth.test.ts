import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type App, createApp } from '../../src/main.js';
import { type Daemon, startDaemon } from '../helpers/daemon.js';

/** Every route, from the route list itself: a route added later cannot be forgotten. */
describe('authentication (on by default)', () => {
  let app: App;
  const token = 'test-token-for-the-route-table';
  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        video: { source: 'test-pattern', fps: 5 },
        hid: { sink: 'recording' },
        auth: { token },
      },
    });
    app = await createApp({
      config,
      log: createLogger({ level: 'silent', format: 'json' }),
      version: 'auth',
    });
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses every route without credentials and with a wrong token', async () => {
    // The open set is deliberate and small: the login page and call, and the HA card's script (no secrets).
    const open = new Set(['/login', '/api/login', '/kvmr0ck-card.js']);
    const routes = app.server.routeList.filter((r) => !open.has(r.url));
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const r of routes) {
      const url = r.url.replace(/:[a-z_]+/g, 'x');
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        // Each wrong token from its own address: one address is limited to 10 a minute (tested below).
        const remoteAddress = `10.1.${routes.indexOf(r) >> 8}.${routes.indexOf(r) & 255}`;
        const res = await app.server.inject({ method: r.method as 'GET', url, headers, remoteAddress });
        // People without credentials get the login page; a wrong token is a program's mistake.
        if (r.method === 'GET' && url === '/' && !('authorization' in headers))
          expect(res.statusCode, url).toBe(302);
        else {
          expect(res.statusCode, `${r.method} ${url}`).toBe(401);
          expect(res.json().error.code).toBe('UNAUTHORIZED');
        }
      }
    }
  });

  it('accepts the token as a bearer header and as ?token= on every GET route', async () => {
    for (const r of app.server.routeList.filter(
      (x) => x.method === 'GET' && !x.url.includes(':') && x.url !== '/stream',
    )) {
      const a = await app.server.inject({
        method: 'GET',
        url: r.url,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(a.statusCode, r.url).not.toBe(401);
      const b = await app.server.inject({ method: 'GET', url: `${r.url}?token=${token}` });
      expect(b.statusCode, r.url).not.toBe(401);
    }
  });

  it('logs in with the token into a session cookie, and rate-limits guessing', async () => {
    const bad = await app.server.inject({
      method: 'POST',
      url: '/api/login',
      payload: { token: 'nope' },
      remoteAddress: '10.0.0.9',
    });
    expect(bad.statusCode).toBe(401);
    const ok = await app.server.inject({
      method: 'POST',
      url: '/api/login',
      payload: { token },
      remoteAddress: '10.0.0.8',
    });
    expect(ok.statusCode).toBe(200);
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^kvmr0ck_session=/);
    expect(String(ok.headers['set-cookie'])).toContain('HttpOnly');
    const state = await app.server.inject({ method: 'GET', url: '/api/state', headers: { cookie } });
    expect(state.statusCode).toBe(200);
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = (
        await app.server.inject({
          method: 'POST',
          url: '/api/login',
          payload: { token: `guess${i}` },
          remoteAddress: '10.0.0.7',
        })
      ).statusCode;
    }
    expect(last).toBe(429);
  });
});

describe('Home Assistant ingress listener', () => {
  let app: App;
  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        // The trusted proxy is this machine here: what matters is the listener a request comes to.
        server: { host: '127.0.0.1', port: 0, ingress_port: await freePort() },
        video: { source: 'test-pattern', fps: 5 },
        hid: { sink: 'recording' },
        auth: { token: 'test-token-for-the-ingress-test', trusted_proxies: ['127.0.0.1'] },
      },
    });
    app = await createApp({
      config,
      log: createLogger({ level: 'silent', format: 'json' }),
      version: 'ingress',
    });
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lets the trusted proxy in on the ingress listener only, and believes no X-Forwarded-For', async () => {
    const ingress = `http://127.0.0.1:${app.config.server.ingress_port}/`;
    const main = app.urls()[0]!.replace('localhost', '127.0.0.1');
    expect((await fetch(`${ingress}api/state`)).status).toBe(200);
    expect((await fetch(`${main}api/state`)).status).toBe(401);
    const spoofed = await fetch(`${main}api/state`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(spoofed.status).toBe(401);
    // Ingress requests still cannot be forged from a page: state changes need JSON.
    const form = await fetch(`${ingress}api/macros/cancel`, { method: 'POST', body: 'x=1' });
    expect(form.status).toBe(403);
    const json = await fetch(`${ingress}api/macros/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(200);
  });
});

describe('first start without a configured token', () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ command: 'demo', env: { KVMR0CK_AUTH__TOKEN: '' } });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('generates a token into a 0600 file, never the log, keeps only its hash, and removes the file once used', async () => {
    const stateDir = path.join(d.dir, 'state');
    const initial = path.join(stateDir, 'initial-token');
    const token = readFileSync(initial, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(20);
    expect(statSync(initial).mode & 0o777).toBe(0o600);
    const file = path.join(stateDir, 'auth.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    // The log says where the token is and how to make a new one, but never shows it (stdout is no TTY).
    expect(d.output()).not.toContain(token);
    expect(
      d.logs.some((l) => String(l.msg).includes(initial) && String(l.msg).includes('kvmr0ck passwd')),
    ).toBe(true);
    expect((await fetch(`${d.url}api/state`)).status).toBe(401);
    expect((await fetch(`${d.url}api/state`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(existsSync(initial)).toBe(false);
  });
});

describe('TLS', () => {
  it('serves the panel and API over HTTPS with the configured certificate', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const https = await import('node:https');
    const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
    execFileSync(
      'openssl',
      [
        ...[
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        ...['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const d = await startDaemon({
      command: 'demo',
      env: {
        KVMR0CK_SERVER__TLS_CERT: path.join(dir, 'cert.pem'),
        KVMR0CK_SERVER__TLS_KEY: path.join(dir, 'key.pem'),
      },
    });
    try {
      expect(d.url).toMatch(/^https:\/\//);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(
            `${d.url}api/state`,
            { headers: d.authHeaders, ca: readFileSync(path.join(dir, 'cert.pem')) },
            (res) => {
              let b = '';
              res.on('data', (c: Buffer) => {
                b += c.toString();
              });
              res.on('end', () => resolve(b));
            },
          )
          .on('error', reject);
      });
      expect(JSON.parse(body)).toHaveProperty('video');
    } finally {
      await d.stop('SIGKILL');
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
