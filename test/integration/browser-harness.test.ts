import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchedPage } from '../helpers/browser.js';
import { until } from '../helpers/wait.js';

/** The browser tests' harness itself: it must fail a page that a user would see break. */
describe('watchedPage', () => {
  let browser: Browser;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    browser = await launchChromium();
    // A page, a 404, and a port nothing listens on (the server's own, once closed, is not used).
    server = http.createServer((req, res) => {
      if (req.url === '/')
        res.writeHead(200, { 'content-type': 'text/html' }).end('<link rel="icon" href="data:,">ok');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('fails on a page error, a console error, an HTTP error, a refused request and a lost blob', async () => {
    const w = await watchedPage(browser);
    await w.page.goto(url);
    w.assertClean();
    await w.page.evaluate(() => {
      setTimeout(() => {
        throw new Error('boom');
      });
      console.error('broken');
      void fetch('missing').catch(() => undefined);
      void fetch('http://127.0.0.1:1/').catch(() => undefined);
      // A blob URL revoked before it is read: the picture it held is lost.
      const gone = URL.createObjectURL(new Blob(['x']));
      URL.revokeObjectURL(gone);
      void fetch(gone).catch(() => undefined);
    });
    const kinds = [
      /page error: boom/,
      /console error: broken/,
      /HTTP 404: GET .*\/missing/,
      /request failed: GET http:\/\/127\.0\.0\.1:1\/ net::ERR_/,
      /request failed: GET blob:.* net::ERR_FILE_NOT_FOUND/,
    ];
    const text = () => w.problems.join('\n');
    await until(() => kinds.every((k) => k.test(text())), 10_000, 'all five kinds of problem');
    expect(() => w.assertClean()).toThrow(/the page had \d+ problem/);
    await w.page.context().close();
  });

  it('lets a test announce the failures it causes, and reports them back', async () => {
    const w = await watchedPage(browser);
    await w.page.goto(url);
    const announced = w.expect(/missing/);
    await w.page.evaluate(() => fetch('missing'));
    await until(() => w.problems.length >= 1, 10_000, 'the 404');
    expect(announced().some((l) => /HTTP 404/.test(l))).toBe(true);
    await w.close(); // clean: the only problems were announced
  });
});
