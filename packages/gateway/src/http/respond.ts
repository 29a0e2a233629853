/** Small response helpers: every error answer is JSON naming what is wrong. */
import type { ServerResponse } from 'node:http';
import { errorResponse } from '@meshgate/knative';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `{ "code": "<code>", "error": "<what is wrong>" }`, the shape of @meshgate/knative's errorResponse. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { code, error: message }, headers);
}

/** Answers with the status and JSON body a MeshgateError stands for (413, 415, 400, 429, 503, ...). */
export function sendFailure(res: ServerResponse, err: unknown): number {
  const r = errorResponse(err);
  if (r.status === 503 && !r.headers['retry-after']) r.headers['retry-after'] = '5';
  if (r.status === 413) r.headers.connection = 'close'; // the rest of the body is not read
  res.writeHead(r.status, { ...r.headers, 'content-length': r.body?.byteLength ?? 0 });
  res.end(r.body);
  return r.status;
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': 0, ...headers });
  res.end();
}
