import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../core/paths.js';

/** GET /: the web panel. Relative URLs only, so it works under HA ingress and reverse proxies. */
export function panelRoutes(app: FastifyInstance): void {
  const html = readFileSync(path.join(packageRoot(), 'src/web/index.html'), 'utf8');
  const js = readFileSync(path.join(packageRoot(), 'src/web/panel.js'), 'utf8');
  app.get('/', async (_req, reply) => reply.header('Content-Type', 'text/html; charset=utf-8').send(html));
  const card = readFileSync(path.join(packageRoot(), 'src/web/card/kvmr0ck-card.js'), 'utf8');
  // The Lovelace card is loaded by Home Assistant's frontend as a resource: it holds no secrets, and
  // the browser fetching it has no kvmr0ck credentials, so it is the one open file (see auth.ts).
  app.get('/kvmr0ck-card.js', async (_req, reply) =>
    reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Access-Control-Allow-Origin', '*')
      .send(card),
  );
  app.get('/panel.js', async (_req, reply) =>
    reply.header('Content-Type', 'text/javascript; charset=utf-8').send(js),
  );
}
