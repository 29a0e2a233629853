/**
 * The gateway's HTTP server on bare node:http: the ingress hot path must not pay for a
 * framework (DESIGN.md measured express at about half of bare node:http).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Logger, Router } from '@meshgate/core';
import type { Registry } from 'prom-client';
import type { AddressableLookup, IngressGuard } from './addressables.js';
import { handleAdmin } from './admin.js';
import { handleIngress } from './ingress.js';
import { handleKyma, type KymaTarget } from './kyma.js';
import { sendError, sendJson } from './respond.js';

export interface ServerContext {
  lookup: AddressableLookup;
  router: () => Router;
  registry: Registry;
  logger: Logger;
  /** Readiness with the reasons when not ready (a durable channel down, config not loaded). */
  readiness: () => { ready: boolean; reasons: string[] };
  /** Where Kyma legacy events (`POST /<application>/v1/events`) go, when configured. */
  kyma?: KymaTarget;
  /** Authentication, policies and rate limits for every ingress (brokers, sinks). */
  guard?: IngressGuard;
  /** Tracing is on: events posted with a W3C `traceparent` header (and no extension) join that trace. */
  continueTraces?: boolean;
  /** Extra routes (UI, live tail, ...), tried before the built-in ones for GET and the 404. */
  routes?: readonly ((
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ) => boolean | Promise<boolean>)[];
}

/** https instead of http: the certificate and how client certificates are asked for. */
export type ServerTls = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };

export function createGatewayServer(ctx: ServerContext, tls?: ServerTls): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, ctx).catch((err: unknown) => {
      ctx.logger.error({ err, url: req.url }, 'request handler failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  };
  const options = { keepAliveTimeout: 65_000, requestTimeout: 30_000, headersTimeout: 10_000 };
  let server: Server;
  if (tls) {
    // A handshake must be done as fast as request headers must arrive (slowloris, TLS edition).
    const https = createHttpsServer({ ...options, ...tls, handshakeTimeout: 10_000 }, handler);
    // A failed handshake (no or bad client certificate, plain http, a scanner): debug only.
    https.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      ctx.logger.debug({ code: err.code, from: socket.remoteAddress }, 'TLS handshake failed');
      socket.destroy();
    });
    server = https as unknown as Server;
  } else {
    server = createServer(options, handler);
  }
  // A malformed request line or headers: answer 400 and close, never crash.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return server;
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const parts = path.split('/');
  // parts[0] is '' (leading slash). Broker/sink ingress is exactly /<ns>/<name>.
  if (parts.length === 3 && parts[1] && parts[2] && parts[1] !== 'api') {
    const [namespace, name] = [safeDecode(parts[1]), safeDecode(parts[2])];
    if (namespace === undefined || name === undefined) {
      req.resume();
      return sendError(res, 400, 'EVENT_INVALID', `malformed percent-encoding in the path ${path}`);
    }
    const target = ctx.lookup.addressable(namespace, name);
    return handleIngress(
      req,
      res,
      target,
      `broker or sink ${namespace}/${name}`,
      ctx.logger,
      ctx.guard,
      ctx.continueTraces,
    );
  }
  const bridge = ctx.lookup.addressableAt?.(path);
  if (bridge) return handleIngress(req, res, bridge, bridge.key, ctx.logger, ctx.guard, ctx.continueTraces);
  if (parts.length === 4 && parts[2] === 'v1' && parts[3] === 'events' && parts[1]) {
    const application = safeDecode(parts[1]);
    if (application === undefined) {
      req.resume();
      return sendError(res, 400, 'EVENT_INVALID', `malformed percent-encoding in the path ${path}`);
    }
    // Legacy events pass the same authentication, policies and rate limits as any ingress.
    const refusal = ctx.guard ? await ctx.guard.admit(req, { kind: 'kyma', key: application }) : undefined;
    if (refusal) {
      req.resume();
      return sendError(res, refusal.status, refusal.code, refusal.message, refusal.headers);
    }
    return handleKyma(req, res, application, ctx.kyma, ctx.logger);
  }
  for (const handler of ctx.routes ?? []) {
    if (await handler(req, res, path)) return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume();
    if (!isGetRoute(path)) return notFound(res, path);
    return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`, {
      allow: 'GET',
    });
  }
  switch (path) {
    case '/healthz':
      return sendJson(res, 200, { status: 'ok' });
    case '/readyz': {
      const r = ctx.readiness();
      return sendJson(res, r.ready ? 200 : 503, {
        status: r.ready ? 'ready' : 'not ready',
        reasons: r.reasons,
      });
    }
    case '/metrics': {
      const text = await ctx.registry.metrics();
      res.writeHead(200, { 'content-type': ctx.registry.contentType });
      res.end(text);
      return;
    }
  }
  if (path.startsWith('/api/v1/')) return handleAdmin(path, res, ctx.router());
  notFound(res, path);
}

/** The built-in read-only routes (405 for other methods; 404 elsewhere). */
function isGetRoute(path: string): boolean {
  return path === '/healthz' || path === '/readyz' || path === '/metrics' || path.startsWith('/api/v1/');
}

function notFound(res: ServerResponse, path: string): void {
  sendError(
    res,
    404,
    'NOT_FOUND',
    `nothing at ${path}: brokers and sinks are at /<namespace>/<name>, bridges at their paths`,
  );
}

/** decodeURIComponent that answers undefined instead of throwing on `%zz`. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
