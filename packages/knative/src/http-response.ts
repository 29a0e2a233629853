/**
 * Helpers for the gateway's HTTP answers: the status for a meshgate error, a JSON error body
 * that names the problem, an event as a reply, and a size-limited body reader.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type MeshEvent, MeshgateError, OverloadedError } from '@meshgate/core';
import { PayloadTooLargeError } from './errors.js';
import { encodeHttp, type HttpMessage } from './http-binding.js';

export interface HttpResponseParts {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

/** The HTTP status that a meshgate error stands for (an unknown error is a 500). */
export function statusForError(err: unknown): number {
  if (!(err instanceof MeshgateError)) return 500;
  switch (err.code) {
    case 'EVENT_INVALID':
    case 'CESQL_PARSE':
    case 'CONFIG_INVALID':
      return 400;
    case 'NOT_FOUND':
      return 404;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'BINDING_UNSUPPORTED':
      return 415;
    case 'OVERLOADED':
      return 429;
    case 'NOT_CONNECTED':
    case 'DELIVERY_FAILED':
      return 503;
    default:
      return 500;
  }
}

/**
 * A JSON error answer `{ "code": ..., "error": ... }` with the right status; 429 carries
 * `Retry-After`. Internal errors do not leak their message.
 */
export function errorResponse(err: unknown): HttpResponseParts {
  const status = statusForError(err);
  const code = err instanceof MeshgateError ? err.code : 'INTERNAL';
  const message = status === 500 ? 'internal error' : err instanceof Error ? err.message : String(err);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (err instanceof OverloadedError)
    headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  return { status, headers, body: Buffer.from(JSON.stringify({ code, error: message }), 'utf8') };
}

/**
 * An Addressable's answer: `200` with the reply event (binary mode unless asked otherwise), or
 * `202` without a body when there is no reply.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md#event-reply-contract
 */
export function encodeHttpResponse(
  reply: MeshEvent | undefined,
  mode: 'binary' | 'structured' = 'binary',
): HttpResponseParts {
  if (reply === undefined) return { status: 202, headers: {}, body: undefined };
  const message: HttpMessage = encodeHttp(reply, mode);
  return { status: 200, headers: message.headers, body: message.body };
}

/**
 * Reads a request body up to `maxBytes`, refusing early on a larger Content-Length and
 * stopping as soon as the limit is passed (the caller answers 413 and closes the connection).
 */
export async function readBody(
  request: AsyncIterable<Uint8Array> & { headers?: IncomingHttpHeaders },
  maxBytes: number,
): Promise<Buffer> {
  const declared = request.headers?.['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new PayloadTooLargeError(
      `body of ${declared} bytes is over the limit of ${maxBytes} bytes`,
      maxBytes,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new PayloadTooLargeError(`body is over the limit of ${maxBytes} bytes`, maxBytes);
    chunks.push(chunk);
  }
  const only = chunks[0];
  if (chunks.length === 1 && only instanceof Buffer) return only;
  return Buffer.concat(chunks);
}
