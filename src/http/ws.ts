import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AuthService } from '../auth/service.js';
import { cancelInput } from '../commands/execute.js';
import type { AppState } from '../core/app-state.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { errorMessage, isKvmError, KvmError } from '../core/errors.js';
import type { StateStore } from '../core/state.js';
import type { HidApi } from '../hid/api.js';
import { keyNameForCode } from '../hid/browser-codes.js';
import type { MacroService } from '../macros/service.js';
import type { VideoParamsInput } from '../video/params.js';
import { sameOrigin } from './auth.js';
import { parseWsMessage, WS_CONTROL } from './ws-messages.js';

/** Protocol version; documented in docs/websocket.md. */
export const WS_VERSION = 1;
const MAX_MESSAGE = 64 * 1024;
const STATE_PUSH_MS = 100;

export interface WsDeps {
  hid: HidApi;
  macros: MacroService;
  store: StateStore<AppState>;
  auth: AuthService;
  /** Input sessions open at once; one more is closed with 1013 (try again later) and a reason. */
  maxSessions: number;
  /** The configured target layout (`hid.layout`): clients pre-select it for typing. */
  layout: string;
  /** The configured typing profile (`hid.typing`): clients pre-select it in their paste box. */
  typing: string;
  /** Live video settings (`{t: "video", quality?, max_fps?}`). */
  video: { set(p: VideoParamsInput): void };
  /** Paces the state pushes (tests pass a FakeClock); default the system clock. */
  clock?: Clock;
}

/**
 * GET /api/ws: the panel's input channel. Each connection is one HID session: whatever it holds is
 * released when it closes or goes quiet (HidApi.session keepalive). Keys are sent by physical
 * `KeyboardEvent.code`, so the target's layout decides the character.
 */
export function wsRoutes(app: FastifyInstance, deps: WsDeps): void {
  let open = 0;
  app.route({
    method: 'GET',
    url: '/api/ws',
    // A plain HTTP request here (no Upgrade) gets an answer in the API's error shape.
    handler: async (_req, reply) =>
      reply
        .status(426)
        .header('Upgrade', 'websocket')
        .send({
          error: {
            code: 'BAD_REQUEST',
            message: 'this is a WebSocket endpoint: connect with Upgrade: websocket',
          },
        }),
    wsHandler: (socket: WebSocket, req) => {
      // A page on another site must not drive the keyboard with our session cookie (cross-site
      // WebSocket hijacking): browsers send the cookie with any WebSocket to our host, so unless the
      // connection proved itself with a valid token (the HA card in direct mode, from Home
      // Assistant's origin), it must come from our own page. With auth off, the same holds.
      const principal = req.principal ?? { kind: 'open' as const, role: 'viewer' as const };
      const cross = req.headers.origin !== undefined && !sameOrigin(req);
      if (cross && principal.kind !== 'token' && principal.kind !== 'ingress') {
        socket.close(1008, 'origin not allowed');
        return;
      }
      if (open >= deps.maxSessions) {
        socket.close(1013, `${open} panels are connected, the most allowed (server.max_ws_sessions)`);
        return;
      }
      open++;
      const address = req.socket.remoteAddress ?? '';
      const counts = { keys: 0, mouse: 0, typed_chars: 0 };
      const audit = (phase: 'start' | 'end') =>
        deps.auth.audit.write({
          event: 'input_session',
          phase,
          address,
          via: principal.kind,
          role: principal.role,
          session: principal.session,
          ...(phase === 'end' ? counts : {}),
        });
      audit('start');
      // A new token or a revoked session ends the connection it opened (4001: log in again).
      const untrack = deps.auth.track(principal, (why) => socket.close(4001, why));
      const session = deps.hid.session(`ws-${randomBytes(6).toString('hex')}`);
      let typing: AbortController | null = null;
      const send = (m: object) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
      };
      // The macro list rides along so a client on another origin (the HA card) needs no CORS request.
      send({
        t: 'hello',
        v: WS_VERSION,
        layouts: deps.hid.layouts(),
        layout: deps.layout,
        typing: deps.typing,
        macros: deps.macros.list(),
        role: principal.role,
      });
      send({ t: 'state', state: deps.store.get() });
      // State goes out per slice, at most every STATE_PUSH_MS with the newest value: typing at
      // 1,000 reports/s would otherwise push the HID counter to every panel 1,000 times a second.
      // A change after a quiet spell goes out at once, so an LED or signal change shows without delay.
      const pending = new Map<string, unknown>();
      const clock = deps.clock ?? systemClock;
      let pushTimer: TimerHandle | null = null;
      let lastPush = 0;
      const flush = () => {
        pushTimer = null;
        lastPush = clock.monotonic();
        for (const [slice, value] of pending) send({ t: 'state', slice, value });
        pending.clear();
      };
      const unsubscribe = deps.store.subscribe((slice, value) => {
        pending.set(slice as string, value);
        if (!pushTimer)
          pushTimer = clock.setTimeout(flush, Math.max(0, lastPush + STATE_PUSH_MS - clock.monotonic()));
      });

      socket.on('message', (raw: Buffer, isBinary: boolean) => {
        void handle(raw, isBinary).catch((err) => {
          send({ t: 'error', code: isKvmError(err) ? err.code : 'BAD_REQUEST', message: errorMessage(err) });
        });
      });
      socket.on('close', () => {
        open--;
        untrack();
        audit('end');
        unsubscribe();
        pushTimer?.cancel();
        typing?.abort();
        void session.close();
      });

      async function handle(data: Buffer, isBinary: boolean): Promise<void> {
        if (isBinary || data.length > MAX_MESSAGE)
          throw new KvmError('TOO_LARGE', `messages are JSON text up to ${MAX_MESSAGE} bytes`);
        let raw: unknown;
        try {
          raw = JSON.parse(data.toString('utf8'));
        } catch {
          throw new KvmError('BAD_REQUEST', 'not JSON');
        }
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
          throw new KvmError('BAD_REQUEST', 'a message is a JSON object');
        session.keepalive();
        deps.auth.touch(principal);
        const t = (raw as { t?: unknown }).t;
        if (typeof t === 'string' && WS_CONTROL.has(t as never) && principal.role !== 'admin') {
          throw new KvmError('FORBIDDEN', 'this credential may watch but not control (viewer or read-only)');
        }
        const m = parseWsMessage(raw as Record<string, unknown>);
        switch (m.t) {
          case 'ping':
            // The board's wall clock (ms) lets a client relate the stream's X-Timestamp to its own.
            return send({ t: 'pong', ts: Date.now() });
          case 'video':
            return deps.video.set({ quality: m.quality, maxFps: m.max_fps });
          case 'key': {
            const key = keyNameForCode(m.code);
            if (!key) throw new KvmError('UNKNOWN_KEY', `unknown key code ${JSON.stringify(m.code)}`);
            if (m.down === true) counts.keys++;
            return m.down === true ? session.keyDown(key) : session.keyUp(key);
          }
          case 'mouse_abs':
            counts.mouse++;
            return session.mouseMoveAbs(m.x, m.y);
          case 'mouse_rel':
            counts.mouse++;
            return session.mouseMoveRel(m.dx, m.dy);
          case 'buttons':
            return session.mouseButtons({
              left: m.left === true,
              right: m.right === true,
              middle: m.middle === true,
              back: m.back === true,
              forward: m.forward === true,
            });
          case 'wheel':
            return session.mouseWheel(m.v ?? 0, m.h ?? 0);
          case 'type': {
            deps.hid.checkText(m.text, m.layout);
            counts.typed_chars += [...m.text].length;
            typing?.abort();
            const ac = new AbortController();
            typing = ac;
            try {
              await deps.hid.type(m.text, {
                layout: m.layout,
                profile: m.typing,
                signal: ac.signal,
                onProgress: (done, total) => send({ t: 'type_progress', done, total }),
              });
              send({ t: 'type_done' });
            } finally {
              if (typing === ac) typing = null;
            }
            return;
          }
          case 'cancel':
            return cancelInput(deps.hid, deps.macros, typing ? [typing] : []);
          case 'macro': {
            const ticket = await deps.macros.run(m.name, m.params ?? {}, { origin: `web:${req.ip}` });
            deps.auth.audit.write({ event: 'macro', name: ticket.name, origin: `web:${address}` });
            return send({ t: 'macro', name: ticket.name, status: ticket.status });
          }
        }
      }
    },
  });
}
