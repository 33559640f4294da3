import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppState } from '../core/app-state.js';
import { KvmError } from '../core/errors.js';
import type { StateStore } from '../core/state.js';
import type { RecordingSink } from '../hid/sinks/recording.js';
import type { VideoParamsInput } from '../video/params.js';

export interface ApiDeps {
  store: StateStore<AppState>;
  version: string;
  /** Present when the HID sink is the recording one. */
  recording: RecordingSink | null;
  /** Live video settings. */
  video: { set(p: VideoParamsInput): void };
}

export function apiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/state', async () => ({ version: deps.version, ...deps.store.get() }));

  app.get('/api/health', async () => ({ ok: true }));

  /** Live JPEG quality and max fps (the same controller MQTT and the panel use); the state shows them. */
  app.post<{ Body: { quality?: number; max_fps?: number } }>(
    '/api/video',
    {
      schema: {
        body: Type.Object(
          {
            quality: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 100, reason: 'must be a whole number 1..100' }),
            ),
            max_fps: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 120, reason: 'must be a whole number 1..120' }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      deps.video.set({ quality: req.body.quality, maxFps: req.body.max_fps });
      const v = deps.store.get().video;
      return { quality: v.quality, max_fps: v.maxFps };
    },
  );

  /** The recording sink's reports, newest last; for the demo and for tests of a daemon process. */
  app.get<{ Querystring: { since?: number } }>(
    '/api/hid/recorded',
    {
      schema: {
        querystring: Type.Object(
          { since: Type.Optional(Type.Number({ reason: 'must be a number (ms since start)' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      if (!deps.recording) throw new KvmError('NOT_FOUND', 'the HID sink is not the recording sink');
      const since = req.query.since ?? 0;
      return {
        total: deps.recording.totalWritten(),
        reports: deps.recording.records().filter((r) => r.at >= since),
      };
    },
  );
}
