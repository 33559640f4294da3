import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';
import { recordAttack } from './table.js';

/**
 * Attacks by a web page the owner visits while logged in to the panel: the page lives on another
 * port of the same host (same site, so the browser sends the SameSite=Strict cookie along).
 * Failed requests are the point here, so unlike the panel journeys these pages may show errors.
 */
describe('from a web page in the owner’s browser', () => {
  let d: Daemon;
  let browser: Browser;
  let ctx: BrowserContext;
  let evil: Server;
  let evilUrl: string;
  let evilPage = '';
  const recorded = async () =>
    (
      (await (await fetch(`${d.url}api/hid/recorded`, { headers: d.authHeaders })).json()) as {
        reports: unknown[];
      }
    ).reports.length;

  beforeAll(async () => {
    d = await startDaemon({ command: 'demo' });
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    browser = await launchChromium();
    ctx = await browser.newContext();
    // The owner logs in to the panel in this browser.
    const page = await ctx.newPage();
    await page.goto(`${d.url}login`);
    await page.fill('#t', d.token);
    await Promise.all([page.waitForURL(d.url), page.click('button')]);
    await page.close();
    expect((await ctx.cookies(d.url)).some((c) => c.name === 'kvmr0ck_session')).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await d?.stop('SIGKILL');
  });

  it('cannot type through a WebSocket, with or without a made-up ?token=', async () => {
    const before = await recorded();
    const ws = d.url.replace('http', 'ws');
    evilPage = `<script>
      window.results = [];
      for (const q of ['', '?token=x']) {
        const s = new WebSocket('${ws}api/ws' + q);
        s.onopen = () => s.send(JSON.stringify({ t: 'type', text: 'pwned' }));
        s.onclose = (e) => window.results.push(q + ':' + e.code);
      }
    </script>`;
    const page = await ctx.newPage();
    await page.goto(evilUrl);
    await page.waitForFunction(() => (window as unknown as { results: string[] }).results.length === 2);
    const results = await page.evaluate(() => (window as unknown as { results: string[] }).results);
    await page.close();
    expect(await recorded()).toBe(before);
    // Cookie only: refused by origin (1008). A wrong ?token=: the handshake is refused (1006 in the page).
    expect(results).toContain(':1008');
    expect(results.find((r) => r.startsWith('?token=x'))).not.toBe('?token=x:1000');
    recordAttack({
      attack: 'cross-origin page: WebSocket with cookie (+ ?token=x)',
      before: 'typed on the target (?token=x skipped the Origin check)',
      now: `refused (${results.join(', ')}), 0 reports`,
    });
  });

  it('cannot run a macro, cancel or log out with a form or a no-cors fetch (CSRF)', async () => {
    const before = await recorded();
    evilPage = `<form id=f method=POST enctype=text/plain action="${d.url}api/macros/ctrl_alt_del/run" target=sink>
      <input name='{"a":"' value='"}'></form><iframe name=sink></iframe>
      <script>
        fetch('${d.url}api/macros/ctrl_alt_del/run', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '' });
        fetch('${d.url}api/logout', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' });
        document.getElementById('f').submit();
      </script>`;
    const statuses: number[] = [];
    const page = await ctx.newPage();
    page.on('response', (r) => {
      if (r.url().startsWith(d.url)) statuses.push(r.status());
    });
    await page.goto(evilUrl);
    await until(() => statuses.length >= 3, 10_000);
    await page.close();
    expect(statuses.every((s) => s === 403)).toBe(true);
    expect(await recorded()).toBe(before);
    // Still logged in: the forged logout did nothing.
    const cookie = (await ctx.cookies(d.url)).find((c) => c.name === 'kvmr0ck_session')!;
    const state = await fetch(`${d.url}api/state`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(state.status).toBe(200);
    recordAttack({
      attack: 'CSRF: text/plain form and no-cors POSTs with the cookie',
      before: 'macro ran, cancel, logout',
      now: `${statuses.join(', ')}; 0 reports; session intact`,
    });
  });

  it('cannot reach the daemon through a name of its own (DNS rebinding), even with auth off', async () => {
    const open = await startDaemon({ command: 'demo', env: { KVMR0CK_AUTH__MODE: 'none' } });
    const rebound = await launchChromium({
      args: ['--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1'],
    });
    try {
      const port = new URL(open.url).port;
      const page = await rebound.newPage();
      const res = await page.goto(`http://rebind.attacker.test:${port}/api/state`);
      const status = res?.status();
      const body = await page.evaluate(() => document.body.textContent);
      // The same daemon by its address works: the guard is about names, not about auth.
      const direct = await fetch(`${open.url}api/state`);
      expect(status).toBe(403);
      expect(body).toContain('server.allowed_hosts');
      expect(direct.status).toBe(200);
      recordAttack({
        attack: 'DNS rebinding (auth.mode none)',
        before: 'full control from any web site',
        now: `${status} for the foreign name; ${direct.status} by address`,
      });
    } finally {
      await rebound.close();
      await open.stop('SIGKILL');
    }
  });
});
