/** A small client of the admin API for the CLI: JSON GETs and the live tail's SSE stream. */
import { MeshgateError, type MeshgateErrorCode } from '@meshgate/core';

/** The gateway could not be reached (NOT_CONNECTED) or refused the request (NOT_FOUND, INTERNAL, ...). */
export class AdminApiError extends MeshgateError {
  constructor(message: string, code: MeshgateErrorCode = 'NOT_CONNECTED') {
    super(code, message, { retriable: code === 'NOT_CONNECTED' });
  }
}

function codeOf(status: number): MeshgateErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 400) return 'CONFIG_INVALID';
  return status === 503 ? 'NOT_CONNECTED' : 'INTERNAL';
}

export interface AdminTarget {
  url: string;
  token?: string | undefined;
}

function headers(target: AdminTarget, accept: string): Record<string, string> {
  return { accept, ...(target.token && { authorization: `Bearer ${target.token}` }) };
}

function endpoint(target: AdminTarget, path: string): string {
  return `${target.url.replace(/\/+$/, '')}${path}`;
}

/** GETs JSON; 503 from readiness is an answer, not an error. */
export async function getJson<T>(target: AdminTarget, path: string, okStatuses = [200]): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoint(target, path), { headers: headers(target, 'application/json') });
  } catch (err) {
    throw new AdminApiError(`cannot reach ${target.url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!okStatuses.includes(res.status))
    throw new AdminApiError(`${path}: ${res.status} ${describe(text)}`, codeOf(res.status));
  return JSON.parse(text) as T;
}

function describe(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: string };
    return body.error ?? text;
  } catch {
    return text.slice(0, 200);
  }
}

export interface SseMessage {
  event: string;
  data: string;
}

/** Reads a server-sent event stream until it ends or `signal` aborts. */
export async function* readSse(
  target: AdminTarget,
  path: string,
  signal?: AbortSignal,
): AsyncGenerator<SseMessage> {
  let res: Response;
  try {
    res = await fetch(endpoint(target, path), {
      headers: headers(target, 'text/event-stream'),
      ...(signal && { signal }),
    });
  } catch (err) {
    throw new AdminApiError(`cannot reach ${target.url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (res.status !== 200 || !res.body)
    throw new AdminApiError(`${path}: ${res.status} ${describe(await res.text())}`, codeOf(res.status));
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = parseBlock(block);
      if (message) yield message;
      end = buffer.indexOf('\n\n');
    }
  }
}

/** One SSE block: `event:` and `data:` lines; comments (`:`) are keep-alives. */
export function parseBlock(block: string): SseMessage | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}
