/**
 * The operability routes: `/api/v1/deadletters`, `/api/v1/{brokers,triggers}/<ns>/<name>/events`
 * (live tail, SSE), `/api/v1/topology`, `/api/v1/readiness`, `/api/v1/openapi.yaml`, and the page
 * at `/ui`. When a token is configured every `/api/v1/` path (the built-in ones too) needs it.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CompiledFilter, compileFilter, ConfigError, type TriggerFilterSpec } from '@meshgate/core';
import type { Gateway, RouteHandler } from '../gateway.js';
import { sendError, sendJson } from '../http/respond.js';
import type { DeadLetterLog } from './dead-letters.js';
import type { TailHub } from './live-tail.js';
import { RateTracker } from './rates.js';
import { OPENAPI_FILE, StaticFiles } from './static-files.js';
import { buildTopology, type ConnectorsView } from './topology.js';

export interface OpsRouteContext {
  gateway: Gateway;
  deadLetters: DeadLetterLog;
  tails: TailHub;
  /** Answers true when the request carries the admin token; absent: the API is open. */
  authorized?: (req: IncomingMessage, query: URLSearchParams) => boolean;
  rateWindowMs?: number;
  /** The connectors' Sources and Sinks, for the topology. */
  connectors?: ConnectorsView | undefined;
}

function selfUrl(gateway: Gateway): string | undefined {
  try {
    return gateway.url;
  } catch {
    return undefined; // not listening
  }
}

export function opsRoutes(ctx: OpsRouteContext): RouteHandler {
  const rates = new RateTracker(ctx.rateWindowMs);
  const files = new StaticFiles();
  let openapi: Promise<Buffer> | undefined;

  return async (req, res, path) => {
    const isApi = path.startsWith('/api/v1/') || path === '/api/v1';
    const isUi = path === '/ui' || path.startsWith('/ui/');
    if (!isApi && !isUi) return false;
    const query = new URLSearchParams(req.url?.slice(path.length + 1) ?? '');
    if (isApi && ctx.authorized && !ctx.authorized(req, query)) {
      req.resume();
      sendError(res, 401, 'UNAUTHORIZED', 'the admin API needs "Authorization: Bearer <token>"', {
        'www-authenticate': 'Bearer realm="meshgate"',
      });
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return false; // the server answers 405
    if (isUi) return serveFile(res, await files.get(path));

    let parts: string[]; // api v1 ...
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      sendError(res, 400, 'BAD_REQUEST', `malformed percent-encoding in ${path}`);
      return true;
    }
    const router = ctx.gateway.routerForTests;
    switch (parts[2]) {
      case 'deadletters': {
        if (parts.length !== 3) return false;
        const trigger = query.get('trigger') ?? undefined;
        if (trigger && !router.trigger(trigger)) {
          sendError(res, 404, 'NOT_FOUND', `no trigger ${trigger}`);
          return true;
        }
        sendJson(res, 200, { items: ctx.deadLetters.toJson(trigger, wantsData(query)) });
        return true;
      }
      case 'topology':
        if (parts.length !== 3) return false;
        sendJson(
          res,
          200,
          buildTopology({
            router,
            model: ctx.gateway.currentModel,
            deadLetters: ctx.deadLetters,
            rates,
            windowSeconds: (ctx.rateWindowMs ?? 5000) / 1000,
            peers: ctx.gateway.federationState?.peers() ?? [],
            connectors: ctx.connectors,
            selfUrl: selfUrl(ctx.gateway),
          }),
        );
        return true;
      case 'readiness': {
        if (parts.length !== 3) return false;
        const r = readiness(ctx.gateway);
        sendJson(res, r.ready ? 200 : 503, r);
        return true;
      }
      case 'openapi.yaml':
        openapi ??= readFile(OPENAPI_FILE);
        serveFile(res, { body: await openapi, type: 'application/yaml; charset=utf-8' });
        return true;
      case 'brokers':
      case 'triggers':
        if (parts.length === 6 && parts[5] === 'events') return openTail(ctx, req, res, parts, query);
        if (parts.length > 5) {
          // Only `<ns>/<name>` and `<ns>/<name>/events` exist below a Broker or Trigger.
          sendError(res, 404, 'NOT_FOUND', `nothing at ${path}`);
          return true;
        }
        return false;
      default:
        return false;
    }
  };
}

function openTail(
  ctx: OpsRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
  query: URLSearchParams,
): true {
  const [, , resource, namespace, name] = parts as [string, string, string, string, string];
  const router = ctx.gateway.routerForTests;
  const filters: CompiledFilter[] = [];
  let broker: string;
  if (resource === 'brokers') {
    if (!router.broker(namespace, name)) {
      sendError(res, 404, 'NOT_FOUND', `no broker ${namespace}/${name}`);
      return true;
    }
    broker = `${namespace}/${name}`;
  } else {
    const trigger = router.trigger(`${namespace}/${name}`);
    if (!trigger) {
      sendError(res, 404, 'NOT_FOUND', `no trigger ${namespace}/${name}`);
      return true;
    }
    // A Trigger's tail: its Broker's events that pass the Trigger's own filter.
    broker = `${namespace}/${trigger.definition.broker}`;
    filters.push(trigger.filter);
  }
  try {
    filters.push(...filtersFromQuery(query));
  } catch (err) {
    sendError(res, 400, 'FILTER_INVALID', err instanceof Error ? err.message : String(err));
    return true;
  }
  req.socket.setTimeout(0); // a tail stays open as long as the client wants
  ctx.tails.open(res, { broker, filters, withData: wantsData(query) });
  return true;
}

/** `?filter=<TriggerFilterSpec JSON>` and/or `?cesql=<expression>` (both: AND-ed). Throws ConfigError. */
export function filtersFromQuery(query: URLSearchParams): CompiledFilter[] {
  const out: CompiledFilter[] = [];
  const json = query.get('filter');
  if (json) {
    let spec: unknown;
    try {
      spec = JSON.parse(json);
    } catch (err) {
      throw new ConfigError(`filter is not JSON: ${(err as Error).message}`, [
        { path: 'filter', message: 'expected JSON of a Trigger filter spec' },
      ]);
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      throw new ConfigError('filter must be a JSON object like {"filters":[{"exact":{"type":"x"}}]}', [
        { path: 'filter', message: 'expected an object' },
      ]);
    out.push(compileFilter(spec as TriggerFilterSpec, 'filter'));
  }
  const cesql = query.get('cesql');
  if (cesql) out.push(compileFilter({ filters: [{ cesql }] }, 'cesql'));
  return out;
}

function wantsData(query: URLSearchParams): boolean {
  const v = query.get('data');
  return v === 'true' || v === '1';
}

export function readiness(gateway: Gateway): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (!gateway.currentModel) reasons.push('configuration not loaded');
  for (const b of gateway.routerForTests.listBrokers()) {
    const s = b.channel.status();
    if (s.state !== 'ready')
      reasons.push(
        `broker ${b.key}: channel ${b.channel.kind} is ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
      );
  }
  return { ready: reasons.length === 0, reasons };
}

function serveFile(res: ServerResponse, file: { body: Buffer; type: string } | undefined): boolean {
  if (!file) return false;
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.byteLength,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(file.body);
  return true;
}
