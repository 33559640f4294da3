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
        params: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 64 } },
          required: ['name'],
        },
        body: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              properties: {
                params: {
                  type: 'object',
                  maxProperties: 32,
                  additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 4096 },
                },
              },
              additionalProperties: false,
            },
          ],
        },
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
