import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { KvmError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';

/**
 * GET /: the web panel, and the two browser bundles built from src/web/client by `npm run build`
 * (esbuild, into dist/web). Relative URLs only, so it works under HA ingress and reverse proxies.
 * Files are read on first request, so a server built for a test without the bundles still starts.
 */
export function panelRoutes(app: FastifyInstance): void {
  const root = packageRoot();
  const cache = new Map<string, Buffer>();
  const read = (file: string): Buffer => {
    let body = cache.get(file);
    if (!body) {
      try {
        body = readFileSync(path.join(root, file));
      } catch {
        throw new KvmError('NOT_FOUND', `${file} is missing: build the browser client with npm run build`);
      }
      cache.set(file, body);
    }
    return body;
  };
  const js = (reply: FastifyReply, file: string) =>
    reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(read(file));

  app.get('/', async (_req, reply) =>
    reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(read('src/web/index.html')),
  );
  app.get('/panel.js', async (_req, reply) => js(reply, 'dist/web/panel.js'));
  // The Lovelace card is loaded by Home Assistant's frontend as a resource: it holds no secrets, and
  // the browser fetching it has no kvmr0ck credentials, so it is the one open file (see auth.ts).
  app.get('/kvmr0ck-card.js', async (_req, reply) =>
    js(reply.header('Access-Control-Allow-Origin', '*'), 'dist/web/kvmr0ck-card.js'),
  );
}
