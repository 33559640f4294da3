import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/mosquitto.js';
import { IS_ROOT, type Lan, makeLan } from './netns.js';
import { recordAttack } from './table.js';

/**
 * Source-address attacks from another host on the LAN (a network namespace): the shipped defaults
 * once let 172.30.32.2 in without a token on every install.
 */
describe.skipIf(!IS_ROOT)('from another host on the LAN', () => {
  let lan: Lan;
  let d: Daemon;
  let ingressPort: number;
  beforeAll(async () => {
    lan = makeLan('172.30.32', ['172.30.32.2', '172.30.32.3', '172.30.32.4']);
    ingressPort = await freePort();
    d = await startDaemon({ command: 'demo', env: { KVMR0CK_SERVER__HOST: '0.0.0.0' } });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
    lan?.destroy();
  });
  const port = () => new URL(d.url).port;

  it('a host sending from 172.30.32.2 gets nothing without a token on a standalone board', async () => {
    const state = await lan.request('172.30.32.2', `http://${lan.hostAddress}:${port()}/api/state`);
    const spoofed = await lan.request('172.30.32.3', `http://${lan.hostAddress}:${port()}/api/state`, {
      headers: { 'x-forwarded-for': '172.30.32.2', 'x-real-ip': '172.30.32.2' },
    });
    const run = await lan.request('172.30.32.2', `http://${lan.hostAddress}:${port()}/api/macros/wake/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(state.status).toBe(401);
    expect(spoofed.status).toBe(401);
    expect(run.status).toBe(401);
    recordAttack({
      attack: 'LAN host as 172.30.32.2 (default trusted proxy)',
      before: '200: state, macro run, WS typing',
      now: `${state.status} state, ${run.status} macro run`,
    });
    recordAttack({ attack: 'X-Forwarded-For: 172.30.32.2', before: '401', now: String(spoofed.status) });
  });

  it('with the add-on ingress listener: only the proxy address, only on that listener', async () => {
    const a = await startDaemon({
      command: 'demo',
      env: {
        KVMR0CK_SERVER__HOST: '0.0.0.0',
        KVMR0CK_SERVER__INGRESS_PORT: String(ingressPort),
        KVMR0CK_AUTH__TRUSTED_PROXIES: '["172.30.32.2"]',
      },
    });
    try {
      const main = new URL(a.url).port;
      const proxy = await lan.request('172.30.32.2', `http://${lan.hostAddress}:${ingressPort}/api/state`);
      const otherOnIngress = await lan.request(
        '172.30.32.3',
        `http://${lan.hostAddress}:${ingressPort}/api/state`,
      );
      const proxyOnMain = await lan.request('172.30.32.2', `http://${lan.hostAddress}:${main}/api/state`);
      expect(proxy.status).toBe(200);
      expect(otherOnIngress.status).toBe(401);
      expect(proxyOnMain.status).toBe(401);
      recordAttack({
        attack: 'proxy address on the main port (add-on)',
        before: '200',
        now: `${proxyOnMain.status} (ingress listener: ${proxy.status}; other host there: ${otherOnIngress.status})`,
      });
    } finally {
      await a.stop('SIGKILL');
    }
  });

  it('150 wrong tokens at once from one host: that host is limited, the owner elsewhere is not', async () => {
    const url = `http://${lan.hostAddress}:${port()}/api/state`;
    const flood = Array.from({ length: 150 }, (_, i) => ({
      from: '172.30.32.3',
      url,
      headers: { authorization: `Bearer wrong-guess-${i}` },
    }));
    // The owner, from another address, in the middle of the flood (their token not seen since the start).
    const owner = { from: '172.30.32.4', url, headers: { authorization: `Bearer ${d.token}` } };
    const replies = await lan.batch([...flood.slice(0, 75), owner, ...flood.slice(75)]);
    const mine = replies[75]!;
    const results = replies.filter((_, i) => i !== 75);
    const by = (s: number) => results.filter((r) => r.status === s).length;
    expect(by(200)).toBe(0);
    expect(by(401)).toBeLessThanOrEqual(10);
    expect(by(401) + by(429)).toBe(150);
    expect(mine.status).toBe(200);
    // The event loop was never blocked by hashing: a request with a known token comes back while
    // the guesser is locked out.
    const later = await lan.request('172.30.32.4', url, { headers: { authorization: `Bearer ${d.token}` } });
    expect(later.status).toBe(200);
    recordAttack({
      attack: '150 parallel wrong tokens, one address',
      before: 'all hashed (scryptSync, ~60 ms each); owner waited 6-12 s',
      now: `${by(401)} hashed (401), ${by(429)} refused (429); owner 200 in ${Math.round(mine.ms)} ms, then ${Math.round(later.ms)} ms`,
    });
  });
});
