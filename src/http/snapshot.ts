import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { KvmError } from '../core/errors.js';
import type { StreamHub } from '../video/stream-hub.js';
import { makeThumbnail } from '../video/thumbnail.js';

interface SnapshotQuery {
  fresh?: string;
  width?: number;
  height?: number;
}

/** How long /snapshot.jpg waits for a frame (at start-up, or with ?fresh=1) before a 503. */
const WAIT_MS = 3000;
/** A frame older than this, with nobody watching, is refreshed before it is served. */
const STALE_MS = 2000;

/** GET /snapshot.jpg: the newest frame; `?fresh=1` waits for the next one. */
export function snapshotRoutes(app: FastifyInstance, hub: StreamHub): void {
  app.get<{ Querystring: SnapshotQuery }>(
    '/snapshot.jpg',
    {
      schema: {
        querystring: Type.Object({
          // `?fresh=1`, `?fresh=true` or a bare `?fresh`, as people type it.
          fresh: Type.Optional(
            Type.Union(
              ['', '1', 'true', 'yes', '0', 'false', 'no'].map((v) => Type.Literal(v)),
              { reason: 'must be 1, true, yes, 0, false, no or nothing' },
            ),
          ),
          // A thumbnail that fits inside width × height (for dashboards and MQTT), aspect kept.
          width: Type.Optional(
            Type.Integer({ minimum: 16, maximum: 4096, reason: 'must be a whole number 16..4096' }),
          ),
          height: Type.Optional(
            Type.Integer({ minimum: 16, maximum: 4096, reason: 'must be a whole number 16..4096' }),
          ),
        }),
      },
    },
    async (req, reply) => {
      // A snapshot wants a frame while it waits (an idle source speeds up for it) but is no viewer.
      const current = hub.latest();
      // With no viewers nothing is encoded (idle capture): an old frame is not "the latest".
      const stale = !current || (hub.demand === 0 && performance.now() - current.encodedAt > STALE_MS);
      const fresh =
        stale || (req.query.fresh !== undefined && !['0', 'false', 'no'].includes(req.query.fresh));
      const removeClient = fresh ? hub.wantFrames() : () => {};
      try {
        const f = fresh ? await hub.next(current?.id ?? 0, { timeoutMs: WAIT_MS }) : current;
        if (!f) throw new KvmError('VIDEO_NO_SIGNAL', 'no frame available yet');
        const { width, height } = req.query;
        const body = width || height ? await makeThumbnail(f.jpeg, { width, height, quality: 80 }) : f.jpeg;
        return reply
          .header('Content-Type', 'image/jpeg')
          .header('Cache-Control', 'no-store')
          .header('X-Frame-Id', String(f.id))
          .send(body);
      } finally {
        removeClient();
      }
    },
  );
}
