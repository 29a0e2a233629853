/** `meshgate send`: posts one CloudEvent to a URL in binary or structured mode. */
import { randomUUID } from 'node:crypto';
import { type AttributeValue, makeEvent, validateEvent } from '@meshgate/core';
import { encodeHttpBinary, encodeHttpStructured } from '@meshgate/knative';
import { request } from 'undici';

export interface SendOptions {
  to: string;
  type: string;
  source: string;
  id?: string;
  subject?: string;
  data?: string;
  contentType?: string;
  mode: 'binary' | 'structured';
  extensions?: Record<string, string>;
  headers?: Record<string, string>;
}

export async function sendEvent(options: SendOptions): Promise<{ status: number; body: string }> {
  const attributes: Record<string, AttributeValue> = {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    type: options.type,
    source: options.source,
    time: new Date().toISOString(),
    ...options.extensions,
  };
  if (options.subject) attributes.subject = options.subject;
  if (options.data !== undefined)
    attributes.datacontenttype = options.contentType ?? guessContentType(options.data);
  const event = makeEvent(attributes, options.data);
  validateEvent(event);
  const message = options.mode === 'structured' ? encodeHttpStructured(event) : encodeHttpBinary(event);
  const res = await request(options.to, {
    method: 'POST',
    headers: { ...message.headers, ...options.headers },
    body: message.body,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

function guessContentType(data: string): string {
  try {
    JSON.parse(data);
    return 'application/json';
  } catch {
    return 'text/plain';
  }
}
