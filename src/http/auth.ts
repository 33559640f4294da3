import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/service.js';
import { KvmError } from '../core/errors.js';

export const SESSION_COOKIE = 'kvmr0ck_session';
/** Reachable without credentials: the login page and the login call itself. */
const OPEN = new Set(['/login', '/api/login', '/kvmr0ck-card.js']);

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function presentedToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  // ?token= for clients that cannot send headers (HA's MJPEG IP Camera, <img> tags elsewhere).
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

/**
 * Every route needs credentials unless auth is off: a hook on the root instance, so a route added
 * later cannot be forgotten (the reliability suite checks the whole route list).
 */
export function authHook(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!auth.enabled) return;
    const path = (req.url.split('?')[0] ?? '').replace(/\/+$/, '') || '/';
    if (OPEN.has(path)) return;
    if (auth.isTrusted(req.socket.remoteAddress ?? '')) return;
    const token = presentedToken(req);
    if (token !== undefined && auth.checkToken(token)) return;
    const session = cookie(req, SESSION_COOKIE);
    if (session && auth.checkSession(session)) return;
    if (req.method === 'GET' && path === '/') {
      // People get the login page; programs get a 401.
      return reply.redirect('login');
    }
    throw new KvmError(
      'UNAUTHORIZED',
      token !== undefined ? 'the access token is wrong' : 'log in, or send the access token',
    );
  });
}

export function loginRoutes(app: FastifyInstance, auth: AuthService): void {
  app.get('/login', async (_req, reply) =>
    reply.header('Content-Type', 'text/html; charset=utf-8').send(LOGIN_PAGE),
  );

  app.post<{ Body: { token: string } }>(
    '/api/login',
    {
      schema: {
        body: {
          type: 'object',
          properties: { token: { type: 'string', minLength: 1, maxLength: 256 } },
          required: ['token'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      if (!auth.allowAttempt(req.socket.remoteAddress ?? '')) {
        throw new KvmError('RATE_LIMITED', 'too many login attempts; wait a minute');
      }
      if (!auth.checkToken(req.body.token)) throw new KvmError('UNAUTHORIZED', 'the access token is wrong');
      const s = auth.newSession();
      return reply
        .header(
          'Set-Cookie',
          `${SESSION_COOKIE}=${s.id}; Max-Age=${s.maxAgeS}; Path=/; HttpOnly; SameSite=Strict`,
        )
        .send({ ok: true });
    },
  );

  app.post('/api/logout', async (req, reply) => {
    const s = cookie(req, SESSION_COOKIE);
    if (s) auth.endSession(s);
    return reply
      .header('Set-Cookie', `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`)
      .send({ ok: true });
  });
}

// Relative URLs only: the page may live under a path prefix (ingress, reverse proxy).
const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kvmr0ck: log in</title><link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect x='1' y='2' width='14' height='10' rx='1.5' fill='%232b8a9e'/%3E%3C/svg%3E">
<style>body{font:15px system-ui,sans-serif;background:#111;color:#ddd;display:grid;place-items:center;height:100vh;margin:0}
form{background:#1c1c1c;padding:24px;border-radius:8px;display:grid;gap:12px;min-width:300px}
input,button{font:inherit;padding:8px;border-radius:4px;border:1px solid #444;background:#222;color:#eee}
button{background:#2b8a9e;border:0;color:#fff}#err{color:#e66;min-height:1.2em}</style></head>
<body><form id="f"><b>kvmr0ck</b><label>Access token <input id="t" type="password" autocomplete="current-password" autofocus></label>
<button>Log in</button><div id="err"></div></form>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: document.getElementById('t').value }) });
  if (r.ok) location.href = './';
  else document.getElementById('err').textContent = (await r.json()).error.message;
});
</script></body></html>`;
