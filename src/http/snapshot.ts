import type { FastifyInstance } from 'fastify';
import { KvmError } from '../core/errors.js';
import type { StreamHub } from '../video/stream-hub.js';

interface SnapshotQuery {
  fresh?: string;
}

/** How long /snapshot.jpg waits for a frame (at start-up, or with ?fresh=1) before a 503. */
const WAIT_MS = 3000;

/** GET /snapshot.jpg: the newest frame; `?fresh=1` waits for the next one. */
export function snapshotRoutes(app: FastifyInstance, hub: StreamHub): void {
  app.get<{ Querystring: SnapshotQuery }>(
    '/snapshot.jpg',
    {
      schema: {
        querystring: {
          type: 'object',
          // `?fresh=1`, `?fresh=true` or a bare `?fresh`, as people type it.
          properties: { fresh: { type: 'string', enum: ['', '1', 'true', 'yes', '0', 'false', 'no'] } },
          additionalProperties: true,
        },
      },
    },
    async (req, reply) => {
      // A snapshot counts as a viewer while it waits, so an idle source speeds up for it.
      const fresh = req.query.fresh !== undefined && !['0', 'false', 'no'].includes(req.query.fresh);
      const removeClient = fresh ? hub.addClient() : () => {};
      try {
        const current = hub.latest();
        const f =
          req.query.fresh || !current ? await hub.next(current?.id ?? 0, { timeoutMs: WAIT_MS }) : current;
        if (!f) throw new KvmError('VIDEO_NO_SIGNAL', 'no frame available yet');
        return reply
          .header('Content-Type', 'image/jpeg')
          .header('Cache-Control', 'no-store')
          .header('X-Frame-Id', String(f.id))
          .send(f.jpeg);
      } finally {
        removeClient();
      }
    },
  );
}
