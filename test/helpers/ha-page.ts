import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { Daemon } from './daemon.js';

/** The short-lived token HA puts in a camera entity's `access_token` attribute. */
export const CAMERA_TOKEN = 'ha-camera-token-1234';

/**
 * A stand-in for Home Assistant's frontend origin: the dashboard page (loading the card from the
 * daemon, as a Lovelace resource does) and `/api/camera_proxy_stream/<entity>`, which relays the
 * daemon's MJPEG like HA's MJPEG IP Camera integration, for the camera's current access token only.
 */
export async function fakeHomeAssistant(
  d: Daemon,
  tls?: { cert: Buffer; key: Buffer },
): Promise<{ url: string; close(): void }> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><style>${THEME_CSS}</style></head>` +
          `<body><div id="host" style="max-width:720px;margin:16px"></div><script src="${d.url}kvmr0ck-card.js"></script></body></html>`,
      );
      return;
    }
    if (u.pathname === '/api/camera_proxy_stream/camera.kvm') {
      if (u.searchParams.get('token') !== CAMERA_TOKEN) {
        res.writeHead(401).end();
        return;
      }
      const get = d.url.startsWith('https:') ? https.get : http.get;
      // The board's test certificate is self-signed: trust it for the relay, as HA would be told to.
      const up = get(`${d.url}stream`, { headers: d.authHeaders, rejectUnauthorized: false }, (r) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? '' });
        r.pipe(res);
      });
      res.on('close', () => up.destroy());
      return;
    }
    res.writeHead(404).end();
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    close: () => server.close(),
  };
}

/** HA's theme variables, light and dark, as the frontend sets them on the page. */
const THEME_CSS = `
body { font-family: Roboto, system-ui, sans-serif; --primary-color: #03a9f4; --primary-text-color: #212121;
  --secondary-text-color: #727272; --card-background-color: #fff; --secondary-background-color: #f0f0f0;
  --divider-color: #e0e0e0; --error-color: #db4437; background: #fafafa; }
@media (prefers-color-scheme: dark) { body { --primary-text-color: #e1e1e1; --secondary-text-color: #9b9b9b;
  --card-background-color: #1c1c1c; --secondary-background-color: #282828; --divider-color: #3a3a3a; background: #111; } }`;

/** The card's picture decoded a frame of the demo's 1280×720 test pattern. */
export async function untilCardLive(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      (document.querySelector('kvmr0ck-card')!.shadowRoot!.querySelector('img') as HTMLImageElement)
        .naturalWidth === 1280,
    null,
    { timeout: 15_000 },
  );
}
