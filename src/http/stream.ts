import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/service.js';
import { KvmError } from '../core/errors.js';
import type { StreamHub } from '../video/stream-hub.js';

/** Multipart boundary for /stream; any token works, clients read it from Content-Type. */
export const BOUNDARY = 'kvmr0ckframe';

interface StreamQuery {
  fps?: number;
}

/**
 * GET /stream: MJPEG over multipart/x-mixed-replace. Each client loops "wait for a frame newer than
 * the one I sent, write it, wait for the socket to drain": a slow client skips frames instead of
 * queueing them, and a fast one gets every frame.
 */
export interface StreamLimits {
  auth: AuthService;
  /** Streams open at once; one more gets a 503 saying so (each 1080p stream can be 100+ Mbit/s). */
  maxClients: number;
}

export function streamRoutes(app: FastifyInstance, hub: StreamHub, limits: StreamLimits): void {
  let open = 0;
  app.get<{ Querystring: StreamQuery }>(
    '/stream',
    {
      schema: {
        querystring: Type.Object({
          fps: Type.Optional(
            Type.Number({ minimum: 0.1, maximum: 120, reason: 'must be a number 0.1..120' }),
          ),
        }),
      },
    },
    async (req, reply) => {
      if (open >= limits.maxClients) {
        throw new KvmError(
          'BUSY',
          `${open} streams are open, the most allowed (server.max_stream_clients); close one or use /snapshot.jpg`,
        );
      }
      const minGap = req.query.fps ? 1000 / req.query.fps : 0;
      const res = reply.raw;
      reply.hijack();
      open++;
      res.writeHead(200, {
        'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
        'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
        Pragma: 'no-cache',
        Connection: 'close',
        // Tell nginx-style proxies not to buffer a live stream.
        'X-Accel-Buffering': 'no',
      });
      res.socket?.setNoDelay(true);
      const ac = new AbortController();
      const close = () => ac.abort();
      res.on('close', close);
      res.on('error', close);
      const removeClient = hub.addViewer();
      // A new token (kvmr0ck passwd) or a revoked session ends the stream it opened.
      const untrack = req.principal ? limits.auth.track(req.principal, close) : () => {};
      let lastId = 0;
      let lastSentAt = 0;
      try {
        while (!ac.signal.aborted) {
          const f = await hub.next(lastId, { signal: ac.signal });
          if (!f) break;
          if (minGap > 0) {
            const wait = lastSentAt + minGap - performance.now();
            if (wait > 0) {
              await sleep(wait, ac.signal);
              continue; // a newer frame may have arrived while waiting
            }
          }
          lastId = f.id;
          lastSentAt = performance.now();
          const head = `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.jpeg.length}\r\nX-Frame-Id: ${f.id}\r\nX-Timestamp: ${captureTime(f.capturedAt)}\r\n\r\n`;
          res.write(head);
          res.write(f.jpeg);
          const ok = res.write('\r\n');
          hub.markSent();
          if (!ok) await drained(res, ac.signal);
        }
      } finally {
        open--;
        untrack();
        removeClient();
        res.off('close', close);
        if (!res.destroyed) res.end();
      }
    },
  );
}

/**
 * When a frame was captured, as seconds since the epoch on the board's wall clock (the form
 * ustreamer's parts carry): `capturedAt` is monotonic (performance.now(), see Frame), so it is
 * placed on the wall clock the WebSocket's pong reports, and a browser that knows its offset to
 * that clock can tell how old the frame is when it paints it.
 */
export function captureTime(capturedAt: number): string {
  return ((Date.now() - (performance.now() - capturedAt)) / 1000).toFixed(4);
}

function drained(res: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
