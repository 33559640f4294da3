import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import { isKvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { typeboxSchemaController } from './validation.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNKNOWN_KEY: 400,
  UNMAPPABLE_CHAR: 400,
  MACRO_INVALID: 400,
  COMMAND_REFUSED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MACRO_NOT_FOUND: 404,
  MACRO_BUSY: 409,
  MACRO_CANCELLED: 409,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  BUSY: 503,
  HID_OFFLINE: 503,
  VIDEO_NO_SIGNAL: 503,
  TIMEOUT: 504,
};

export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, for tables generated from the route list (auth, fuzzing). */
    routeList: RouteEntry[];
    /** The second, plain-HTTP listener for Home Assistant ingress (listened on only when configured). */
    ingress: http.Server;
    /** True when the request came in on the ingress listener. */
    viaIngress(socket: Socket): boolean;
  }
}

export interface ServerOptions {
  log: Logger;
  /** Largest request body accepted, bytes. */
  bodyLimit?: number;
  /** Serve HTTPS; the certificate is set before listening (`server.server.setSecureContext`). */
  tls?: boolean;
  /** Headers and body of a request must arrive within this (a slow-body client is cut off). */
  requestTimeoutMs?: number;
}

/**
 * Builds the Fastify instance without listening, so tests drive it with `inject`. Every error
 * leaves as `{error: {code, message}}` with a status that matches the code.
 */
export function createServer(opts: ServerOptions): FastifyInstance {
  const requestTimeout = opts.requestTimeoutMs ?? 15_000;
  const nodeOpts: http.ServerOptions = {
    requestTimeout,
    headersTimeout: Math.min(10_000, requestTimeout),
    // Node checks the two timeouts above only this often (default 30 s).
    connectionsCheckingInterval: 1000,
  };
  const ingressSockets = new WeakSet<Socket>();
  let ingress: http.Server | null = null;
  const app = Fastify({
    // Our own servers: Node's request timeouts, and a second listener for ingress that shares the
    // routes (its WebSocket upgrades are handed to the main server, where @fastify/websocket listens).
    serverFactory: (handler) => {
      const main = opts.tls
        ? https.createServer({ ...nodeOpts }, handler)
        : http.createServer(nodeOpts, handler);
      ingress = http.createServer(nodeOpts, handler);
      ingress.on('connection', (s: Socket) => ingressSockets.add(s));
      ingress.on('upgrade', (req, socket, head) => main.emit('upgrade', req, socket, head));
      return main;
    },
    // pino's Logger is a FastifyBaseLogger; the cast only widens the generic so routes see the base type.
    loggerInstance: opts.log.child({ component: 'http' }) as FastifyBaseLogger,
    // One line per request would drown the log: stream clients and state polling are constant.
    logController: new LogController({ disableRequestLogging: true }),
    // Stream clients hold their sockets forever; stopping must not wait for them.
    forceCloseConnections: true,
    // Route schemas are TypeBox's, checked by TypeBox (validation.ts): Ajv is never loaded.
    schemaController: typeboxSchemaController,
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    // X-Forwarded-For is never believed: anyone can send it, and trust follows the address that
    // actually connected (and, for ingress, the listener it came to), so a spoofed header gets nothing.
    trustProxy: false,
    // Errors fastify raises before routing (bad URL encoding, a path parameter over the length
    // limit) answer in the same {error: {code, message}} shape as everything else.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const body = { error: { code: status === 414 ? 'TOO_LARGE' : 'BAD_REQUEST', message: err.message } };
      // The reply's generic types are those of an unknown route here; raw status and JSON are what we send.
      (reply as unknown as { status(n: number): { send(b: unknown): void } }).status(status).send(body);
    },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allowUnionTypes: true } },
  });
  const routeList: RouteEntry[] = [];
  app.decorate('routeList', routeList);
  app.decorate('ingress', ingress!);
  app.decorate('viaIngress', (socket: Socket) => ingressSockets.has(socket));
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
      if (method !== 'HEAD') routeList.push({ method, url: r.url });
    }
  });
  app.setErrorHandler((err, _req, reply) => {
    if (isKvmError(err)) {
      return reply.status(STATUS[err.code] ?? 500).send({ error: err.toJSON() });
    }
    const e = err as { validation?: unknown; statusCode?: number; code?: string; message: string };
    if (e.validation) {
      return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: e.message } });
    }
    if (e.statusCode && e.statusCode < 500) {
      const code = e.statusCode === 413 ? 'TOO_LARGE' : 'BAD_REQUEST';
      return reply.status(e.statusCode).send({ error: { code, message: e.message } });
    }
    opts.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  return app;
}
