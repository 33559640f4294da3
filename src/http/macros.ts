import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditEvent } from '../auth/audit.js';
import type { MacroService } from '../macros/service.js';

/**
 * Macro triggers over HTTP. A run answers as soon as it started or was queued (the ticket says
 * which); progress is in /api/state (`macro`). Nothing here ever returns a macro's steps, which may
 * hold secrets.
 */
export function macroRoutes(
  app: FastifyInstance,
  macros: MacroService,
  audit: { write(e: AuditEvent): void },
): void {
  app.get('/api/macros', async () => ({
    macros: macros.list(),
    problems: macros.loadProblems(),
  }));

  app.post<{ Params: { name: string }; Body: { params?: Record<string, unknown> } | null }>(
    '/api/macros/:name/run',
    {
      schema: {
        params: Type.Object({
          name: Type.String({ maxLength: 64, reason: 'must be a macro name of at most 64 characters' }),
        }),
        body: Type.Union([
          Type.Null(),
          Type.Object(
            {
              params: Type.Optional(
                Type.Record(
                  Type.String(),
                  Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()], {
                    reason: 'must be text of at most 4096 characters, a number or true/false',
                  }),
                  { maxProperties: 32, reason: 'must be an object of at most 32 parameters' },
                ),
              ),
            },
            { additionalProperties: false, reason: 'must be {"params": {...}} or empty' },
          ),
        ]),
      },
    },
    async (req) => {
      const ticket = await macros.run(req.params.name, req.body?.params ?? {}, { origin: `http:${req.ip}` });
      audit.write({ event: 'macro', name: ticket.name, origin: `http:${req.ip}` });
      return { name: ticket.name, status: ticket.status };
    },
  );

  app.post('/api/macros/cancel', async () => ({ cancelled: await macros.cancel() }));
}
