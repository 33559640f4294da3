import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../auth/service.js';
import { publicId } from '../auth/sessions.js';
import { KvmError } from '../core/errors.js';
import type { HostGuard } from './hosts.js';

export const SESSION_COOKIE = 'kvmr0ck_session';
/** Reachable without credentials: the login page and the login call itself, and the card's script. */
const OPEN = new Set(['/login', '/api/login', '/kvmr0ck-card.js', '/favicon.svg']);
/** Methods that change nothing; every other one is refused to viewers and needs the CSRF checks. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request and how they proved it (set by the auth hook; `open` when auth is off). */
    principal: Principal | null;
  }
}

export interface GuardOptions {
  auth: AuthService;
  hosts: HostGuard;
  /** Served over HTTPS: the cookie gets `Secure` and responses HSTS. */
  tls: boolean;
}

/** The cookie's value; a malformed header or encoding is a 400, not a crash. */
export function sessionCookie(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      throw new KvmError('BAD_REQUEST', `malformed ${SESSION_COOKIE} cookie`);
    }
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

/** True when a browser says the request comes from a page of this very origin. */
export function sameOrigin(req: FastifyRequest): boolean {
  if (req.headers['sec-fetch-site'] === 'same-origin') return true;
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // "null" (sandboxed pages, file:) is no page of ours
  }
}

/**
 * Cross-site request forgery: a cookie (or no credential at all, with auth off) is sent by the
 * browser on its own, so a state-changing request must come from our own page (Origin or
 * Sec-Fetch-Site) and carry JSON (which a cross-site form cannot send without a CORS preflight
 * we never answer). Requests with the token itself are not affected: a page elsewhere cannot know it.
 */
function checkForgery(req: FastifyRequest, kind: Principal['kind']): void {
  if (SAFE.has(req.method)) return;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new KvmError('FORBIDDEN', `${req.method} needs a JSON body (Content-Type: application/json)`);
  }
  // Home Assistant's ingress proxy rewrites the request; its own session checks guard that door.
  if (kind !== 'ingress' && !sameOrigin(req)) {
    throw new KvmError('FORBIDDEN', 'this request must come from the panel’s own page (Origin)');
  }
}

/**
 * Every request passes here, on the root instance, so a route added later cannot be forgotten (the
 * reliability suite checks the whole route list). In order: security headers; the Host guard
 * (DNS rebinding, every mode); who it is (ingress proxy on the ingress listener, token, session);
 * forgery checks for cookie-borne requests; viewers may only read.
 */
export function authHook(app: FastifyInstance, o: GuardOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    // Framed only by our own origin (ingress serves us from Home Assistant's own origin through its proxy).
    reply.header('Content-Security-Policy', "frame-ancestors 'self'");
    reply.header('Referrer-Policy', 'same-origin');
    if (o.tls) reply.header('Strict-Transport-Security', 'max-age=31536000');
    const ip = req.socket.remoteAddress ?? '';
    const { auth } = o;

    if (app.viaIngress(req.raw.socket) && auth.isTrustedProxy(ip)) {
      req.principal = { kind: 'ingress', role: auth.effectiveRole('admin') };
      checkForgery(req, 'ingress');
      return;
    }
    const wrongHost = o.hosts.refuse(req.headers.host);
    if (wrongHost !== null) {
      throw new KvmError(
        'FORBIDDEN',
        `'${wrongHost.slice(0, 100)}' is not one of this board's names; add it to server.allowed_hosts`,
      );
    }
    const path = (req.url.split('?')[0] ?? '').replace(/\/+$/, '') || '/';
    if (!auth.enabled) {
      req.principal = { kind: 'open', role: auth.effectiveRole('admin') };
      checkForgery(req, 'open');
    } else if (OPEN.has(path)) {
      return;
    } else {
      const token = presentedToken(req);
      if (token !== undefined) {
        req.principal = { kind: 'token', role: auth.effectiveRole(await auth.verify(token, ip)) };
      } else {
        const cookie = sessionCookie(req);
        const session = cookie ? auth.session(cookie) : null;
        if (!session) {
          // People get the login page; programs get a 401.
          if (req.method === 'GET' && path === '/') return reply.redirect('login');
          throw new KvmError('UNAUTHORIZED', 'log in, or send the access token');
        }
        req.principal = {
          kind: 'session',
          role: auth.effectiveRole(session.role),
          session: publicId(session),
        };
        checkForgery(req, 'session');
      }
    }
    if (req.principal.role !== 'admin' && !SAFE.has(req.method) && path !== '/api/logout') {
      throw new KvmError('FORBIDDEN', 'this credential may watch but not control (viewer or read-only)');
    }
  });
}

export function loginRoutes(app: FastifyInstance, o: GuardOptions): void {
  const { auth } = o;
  const secure = o.tls ? '; Secure' : '';
  app.get('/login', async (_req, reply) =>
    reply.header('Content-Type', 'text/html; charset=utf-8').send(LOGIN_PAGE),
  );

  app.post<{ Body: { token: string } }>(
    '/api/login',
    {
      schema: {
        body: Type.Object(
          {
            token: Type.String({
              minLength: 1,
              maxLength: 256,
              reason: 'must be a token of 1 to 256 characters',
            }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      if (!auth.enabled) return { ok: true };
      // A login posted from another site would log the victim into the attacker's session: a
      // browser names the page's origin, which must be ours (programs send none, and JSON only).
      if (req.headers.origin !== undefined && !sameOrigin(req)) {
        throw new KvmError('FORBIDDEN', 'log in from the panel’s own page');
      }
      const ip = req.socket.remoteAddress ?? '';
      let role: Awaited<ReturnType<AuthService['verify']>>;
      try {
        role = await auth.verify(req.body.token, ip);
      } catch (err) {
        auth.audit.write({ event: 'login', ok: false, address: ip });
        throw err;
      }
      const s = auth.newSession(role, ip);
      return reply
        .header(
          'Set-Cookie',
          `${SESSION_COOKIE}=${s.cookie}; Max-Age=${s.maxAgeS}; Path=/; HttpOnly; SameSite=Strict${secure}`,
        )
        .send({ ok: true, role: auth.effectiveRole(role) });
    },
  );

  app.post('/api/logout', async (req, reply) => {
    const s = sessionCookie(req);
    if (s) auth.endSession(s, req.socket.remoteAddress ?? '');
    return reply
      .header('Set-Cookie', `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${secure}`)
      .send({ ok: true });
  });

  // Open sessions, and ending one (a lost phone): admins only, as every non-GET route.
  app.get('/api/sessions', async (req) => ({
    sessions: auth.listSessions().map((s) => ({ ...s, current: s.id === req.principal?.session })),
  }));
  app.delete<{ Params: { id: string } }>(
    '/api/sessions/:id',
    {
      schema: {
        params: Type.Object({
          id: Type.String({ pattern: '^[0-9a-f]{16}$', reason: 'must be a session id (16 hex digits)' }),
        }),
      },
    },
    async (req) => {
      if (!auth.revokeSession(req.params.id, req.principal?.session ?? req.principal?.kind ?? '')) {
        throw new KvmError('NOT_FOUND', `no session ${req.params.id}`);
      }
      return { ok: true };
    },
  );
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
