import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { typeboxSchemaController } from '../../../src/http/validation.js';

describe('route schemas checked by TypeBox', () => {
  it('refuses a plain JSON schema when the routes are built, naming the route', async () => {
    // TypeBox would throw on every request to it; better that the daemon does not start.
    const app = Fastify({ schemaController: typeboxSchemaController });
    app.post('/x', { schema: { body: { type: 'object' } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow('POST /x: the body schema is not a TypeBox schema');
  });

  it('converts query text to numbers but takes a JSON body as sent', async () => {
    const app = Fastify({ schemaController: typeboxSchemaController });
    const n = Type.Object({ n: Type.Integer() });
    app.get('/q', { schema: { querystring: n } }, async (req) => req.query);
    app.post('/b', { schema: { body: n } }, async (req) => req.body);
    expect((await app.inject({ url: '/q?n=42' })).json()).toEqual({ n: 42 });
    const b = await app.inject({ method: 'POST', url: '/b', payload: { n: '42' } });
    expect(b.statusCode).toBe(400);
    expect(b.json().message).toBe('n: expected integer');
    await app.close();
  });
});
