/**
 * `POST /<namespace>/<name>` (or a Bridge's path): CloudEvents in binary, structured or batch mode
 * into a Broker, Sink or Bridge. Answers 202 once the events are safe; 400/404/405/413/415/429/503 otherwise, each with a
 * JSON body naming what is wrong. Binary-mode data is never parsed on the way through.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@meshgate/core';
import { decodeHttpRequest } from '@meshgate/knative';
import type { Addressable, IngressGuard, IngressRefusal } from './addressables.js';
import { adoptTraceHeaders } from '../ops/tracing.js';
import { readBody } from './body.js';
import { sendEmpty, sendError, sendFailure } from './respond.js';

export async function handleIngress(
  req: IncomingMessage,
  res: ServerResponse,
  target: Addressable | undefined,
  /** What was looked for, for the 404 (`broker or sink <ns>/<name>`). */
  wanted: string,
  logger: Logger,
  guard?: IngressGuard,
  continueTraces = false,
): Promise<void> {
  if (!target) {
    // Drain so keep-alive survives, then answer.
    req.resume();
    sendError(res, 404, 'NOT_FOUND', `no ${wanted}`);
    return;
  }
  if (req.method === 'OPTIONS') {
    // CloudEvents HTTP webhook validation handshake (abuse protection).
    // @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/http-webhook.md#4-abuse-protection
    const origin = req.headers['webhook-request-origin'];
    sendEmpty(res, 200, {
      allow: 'POST, OPTIONS',
      ...(typeof origin === 'string' ? { 'webhook-allowed-origin': origin } : {}),
    });
    return;
  }
  if (req.method !== 'POST') {
    req.resume();
    sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.url}; use POST`, {
      allow: 'POST, OPTIONS',
    });
    return;
  }
  const who = { kind: target.kind, key: target.key };
  const refusal = guard ? await guard.admit(req, who) : undefined;
  if (refusal) return refuse(req, res, refusal, target.reject);
  try {
    const body = await readBody(req, target.maxBodyBytes);
    const decoded = decodeHttpRequest(req.headers, body).events;
    const events = continueTraces ? adoptTraceHeaders(decoded, req.headers) : decoded;
    const denied = guard?.checkEvents?.(req, who, events);
    if (denied) return refuse(req, res, denied, target.reject);
    await target.accept(events, req);
    sendEmpty(res, 202);
  } catch (err) {
    const status = sendFailure(res, err);
    target.reject?.(reasonOf(status));
    if (status >= 500) logger.error({ err, target: target.key }, 'ingress failed');
    else logger.debug({ target: target.key, status, message: (err as Error).message }, 'ingress refused');
  }
}

function reasonOf(status: number): string {
  switch (status) {
    case 400:
      return 'invalid';
    case 413:
      return 'too-large';
    case 415:
      return 'unsupported-media-type';
    case 429:
      return 'overloaded';
    case 503:
      return 'unavailable';
    default:
      return `status-${status}`;
  }
}

function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  r: IngressRefusal,
  count?: (reason: string) => void,
): void {
  req.resume();
  count?.(r.status === 401 ? 'unauthenticated' : r.status === 403 ? 'forbidden' : reasonOf(r.status));
  sendError(res, r.status, r.code, r.message, r.headers);
}
