/**
 * An Addressable receiver: a node:http request handler that accepts CloudEvents in any HTTP
 * content mode, hands them to `accept`, and answers only once `accept` settled, so a sender
 * (Knative's dispatcher, a KafkaSource, curl) gets `202` only when the events are safe and a
 * retryable status (429, 503, 500) otherwise, which keeps its retries and dead-lettering working.
 *
 * Mount it on any server: `createServer(createCloudEventsReceiver({ accept }))`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeshEvent } from '@meshgate/core';
import { decodeHttpRequest, type HttpContentMode } from './http-binding.js';
import { encodeHttpResponse, errorResponse, type HttpResponseParts, readBody } from './http-response.js';

/** The default body limit, as Knative's broker ingress. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface ReceivedRequest {
  mode: HttpContentMode;
  /** The request path and query, e.g. `/default/my-broker`. */
  url: string;
  headers: IncomingMessage['headers'];
}

export interface CloudEventsReceiverOptions {
  /**
   * Takes the decoded events (one, or a batch) and resolves once they are safe; may resolve with
   * a reply event. Reject with a MeshgateError to choose the answer: OverloadedError → 429 with
   * Retry-After, NotConnectedError → 503, InvalidEventError → 400; anything else → 500.
   */
  accept(events: MeshEvent[], request: ReceivedRequest): Promise<MeshEvent | undefined>;
  /** Largest body accepted; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Content mode of replies. Default binary. */
  replyMode?: 'binary' | 'structured';
  /** Told about every request that was refused or failed (for logs and metrics). */
  onError?(err: unknown, status: number, request: IncomingMessage): void;
}

/** A request handler that never throws and always answers. */
export function createCloudEventsReceiver(
  options: CloudEventsReceiverOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    if (req.method !== 'POST') {
      send(res, {
        status: 405,
        headers: { allow: 'POST', 'content-type': 'application/json; charset=utf-8' },
        body: Buffer.from(
          JSON.stringify({ code: 'METHOD_NOT_ALLOWED', error: `method ${req.method} is not allowed` }),
        ),
      });
      req.resume();
      return;
    }
    let bodyRead = false;
    try {
      const body = await readBody(req, maxBodyBytes);
      bodyRead = true;
      const { mode, events } = decodeHttpRequest(req.headers, body);
      const reply = await options.accept(events, { mode, url: req.url ?? '/', headers: req.headers });
      send(res, encodeHttpResponse(reply, options.replyMode ?? 'binary'));
    } catch (err) {
      const answer = errorResponse(err);
      try {
        options.onError?.(err, answer.status, req);
      } catch {
        // A failing logger must not keep the request from being answered.
      }
      // An unread body (413, client gone) cannot be skipped on a kept-alive connection.
      if (!bodyRead) answer.headers.connection = 'close';
      send(res, answer);
    }
  };
}

function send(res: ServerResponse, answer: HttpResponseParts): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = { ...answer.headers };
  headers['content-length'] = answer.body?.byteLength ?? 0;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
