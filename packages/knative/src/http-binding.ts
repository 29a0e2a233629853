/**
 * The CloudEvents HTTP protocol binding: binary, structured (JSON) and batch content modes.
 *
 * Binary mode never parses the data: the request body becomes the event's data bytes as they
 * are, and encoding writes them back as they are, so an event that enters and leaves in binary
 * mode is byte-identical whatever its content type.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
 */
import {
  BATCH_CONTENT_TYPE,
  decodeBatch,
  decodeStructured,
  encodeBatch,
  encodeStructured,
  eventFromHeaders,
  eventToHeaders,
  type HeaderInput,
  type MeshEvent,
  mediaType,
  STRUCTURED_CONTENT_TYPE,
} from '@meshgate/core';
import { UnsupportedMediaTypeError } from './errors.js';

/** The HTTP binding's header prefix for context attributes (section 3.1.3). */
export const HTTP_HEADER_PREFIX = 'ce-';

export type HttpContentMode = 'binary' | 'structured' | 'batch';

export interface DecodedHttpRequest {
  mode: HttpContentMode;
  /** One event in binary and structured mode; zero or more in batch mode. */
  events: MeshEvent[];
}

export interface HttpMessage {
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Undefined when there is nothing to send (a binary-mode event without data). */
  body: Uint8Array | undefined;
}

/**
 * Reads the CloudEvents in an HTTP request (or response). The content type picks the mode:
 * `application/cloudevents+json` is structured, `application/cloudevents-batch+json` is a batch,
 * any other event format (`application/cloudevents+xml`, ...) is unsupported, and everything else
 * is binary mode (section 3.1), read from the `ce-` headers with the body as the data.
 *
 * Throws InvalidEventError (400) for an invalid or missing CloudEvent, UnsupportedMediaTypeError
 * (415) for an event format other than JSON.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#3-http-message-mapping
 */
export function decodeHttpRequest(headers: HeaderInput, body: Buffer | Uint8Array): DecodedHttpRequest {
  const contentType = headerString(headers, 'content-type');
  const mt = contentType === undefined ? '' : mediaType(contentType);
  // Section 3.2 / 3.3: a structured or batch message is recognised by its media type alone.
  if (mt === STRUCTURED_CONTENT_TYPE) return { mode: 'structured', events: [decodeStructured(body)] };
  if (mt === BATCH_CONTENT_TYPE) return { mode: 'batch', events: decodeBatch(body) };
  if (mt.startsWith('application/cloudevents+') || mt.startsWith('application/cloudevents-batch+')) {
    throw new UnsupportedMediaTypeError(
      `unsupported CloudEvents event format '${mt}': only ${STRUCTURED_CONTENT_TYPE} and ${BATCH_CONTENT_TYPE}`,
      contentType,
    );
  }
  const data = body.byteLength === 0 ? undefined : body;
  const event = eventFromHeaders(
    headers,
    { prefix: HTTP_HEADER_PREFIX, percentDecode: true },
    data,
    contentType,
  );
  return { mode: 'binary', events: [event] };
}

/**
 * True when the headers look like a CloudEvent (binary `ce-specversion`, or a CloudEvents media
 * type), without decoding anything.
 */
export function isHttpCloudEvent(headers: HeaderInput): boolean {
  const ct = headerString(headers, 'content-type');
  if (ct !== undefined && mediaType(ct).startsWith('application/cloudevents')) return true;
  return headerString(headers, `${HTTP_HEADER_PREFIX}specversion`) !== undefined;
}

/**
 * Binary mode: attributes as percent-encoded `ce-` headers, `datacontenttype` as Content-Type,
 * the data bytes as the body, untouched.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#31-binary-content-mode
 */
export function encodeHttpBinary(event: MeshEvent): HttpMessage {
  const headers = eventToHeaders(event, { prefix: HTTP_HEADER_PREFIX, percentEncode: true });
  const ct = event.attributes.datacontenttype;
  if (typeof ct === 'string') headers['content-type'] = ct;
  return { headers, body: event.data };
}

/**
 * Structured mode: the whole event in the JSON format.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#32-structured-content-mode
 */
export function encodeHttpStructured(event: MeshEvent): HttpMessage {
  return {
    headers: { 'content-type': `${STRUCTURED_CONTENT_TYPE}; charset=utf-8` },
    body: encodeStructured(event),
  };
}

/**
 * Batched mode: a JSON array of events.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#33-batched-content-mode
 */
export function encodeHttpBatch(events: readonly MeshEvent[]): HttpMessage {
  return { headers: { 'content-type': `${BATCH_CONTENT_TYPE}; charset=utf-8` }, body: encodeBatch(events) };
}

/** Encodes an event in the given mode. */
export function encodeHttp(event: MeshEvent, mode: 'binary' | 'structured' = 'binary'): HttpMessage {
  return mode === 'structured' ? encodeHttpStructured(event) : encodeHttpBinary(event);
}

/** One header's value, case-insensitive, whatever shape the headers come in. */
export function headerString(headers: HeaderInput, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.length === name.length && key.toLowerCase() === name) {
        v = headers[key];
        break;
      }
    }
  }
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Buffer.from(v).toString('utf8');
}
