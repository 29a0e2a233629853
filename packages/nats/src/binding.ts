/**
 * The CloudEvents binding for NATS messages (core NATS and JetStream).
 *
 * Binary mode (default; needs NATS 2.2+ headers): each context attribute is a header
 * `ce-<attribute>`, `datacontenttype` is the `content-type` header, the data is the payload,
 * untouched (the mapping of the CloudEvents Go SDK's NATS/JetStream bindings).
 * Structured mode: the event as `application/cloudevents+json` in the payload, with a
 * `content-type` header when headers are available; it works on any server, as the NATS binding
 * specifies. A message that is neither is wrapped into a CloudEvent.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/nats-protocol-binding.md
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  decodeStructured,
  encodeStructured,
  eventFromHeaders,
  eventToHeaders,
  type HeaderInput,
  InvalidEventError,
  type MeshEvent,
  mediaType,
  STRUCTURED_CONTENT_TYPE,
} from '@meshgate/core';

export const NATS_HEADER_PREFIX = 'ce-';
export const CONTENT_TYPE_HEADER = 'content-type';
/** The type of a wrapped NATS message. */
export const WRAPPED_EVENT_TYPE = 'io.meshgate.nats.message';

export type ContentMode = 'binary' | 'structured';

/** Headers as a plain record, whatever the client's header object. */
export type NatsHeaderRecord = Record<string, string>;

export interface NatsOutgoing {
  data: Uint8Array;
  /** Undefined in structured mode without headers (servers before 2.2). */
  headers: NatsHeaderRecord | undefined;
}

export interface NatsIncoming {
  subject: string;
  data: Uint8Array;
  headers: NatsHeaderRecord | undefined;
}

/** Where a wrapped message came from. */
export interface WrapContext {
  namespace?: string;
  sourceName: string;
  /** A stable id for the message (JetStream: `<stream>:<sequence>`), else a new UUID is used. */
  messageId?: string;
  /** Message time (JetStream: the stream timestamp). */
  time?: string;
}

/**
 * Encodes an event. `withHeaders: false` (structured mode only) leaves the content-type header
 * out, for servers without header support.
 */
export function toNatsMessage(
  event: MeshEvent,
  mode: ContentMode = 'binary',
  withHeaders = true,
): NatsOutgoing {
  if (mode === 'structured') {
    return {
      data: encodeStructured(event),
      headers: withHeaders ? { [CONTENT_TYPE_HEADER]: STRUCTURED_CONTENT_TYPE } : undefined,
    };
  }
  const headers = eventToHeaders(event, { prefix: NATS_HEADER_PREFIX });
  const ct = event.attributes.datacontenttype;
  if (typeof ct === 'string') headers[CONTENT_TYPE_HEADER] = ct;
  return { data: event.data ?? new Uint8Array(0), headers };
}

export type DecodedMessage = { kind: 'binary' | 'structured' | 'wrapped'; event: MeshEvent };

/**
 * Reads a message (`ctx` may be a function: it is only needed, and only called, to wrap): binary when it has a `ce-specversion` header, structured when its
 * content-type is `application/cloudevents+json` or, without a content-type, when the payload is
 * a JSON object with a `specversion` member; otherwise wrapped.
 * Throws InvalidEventError when it claims to be a CloudEvent (a `ce-specversion` header or the
 * structured content type) and is not a valid one.
 */
export function fromNatsMessage(msg: NatsIncoming, ctx: WrapContext | (() => WrapContext)): DecodedMessage {
  const headers = lowerCaseKeys(msg.headers);
  const contentType = headers[CONTENT_TYPE_HEADER];
  if (headers[`${NATS_HEADER_PREFIX}specversion`] !== undefined) {
    const data = msg.data.length === 0 ? undefined : msg.data;
    return {
      kind: 'binary',
      event: eventFromHeaders(headers as HeaderInput, { prefix: NATS_HEADER_PREFIX }, data, contentType),
    };
  }
  if (contentType !== undefined && mediaType(contentType) === STRUCTURED_CONTENT_TYPE) {
    return { kind: 'structured', event: decodeStructured(msg.data) };
  }
  if (contentType === undefined && looksStructured(msg.data)) {
    try {
      return { kind: 'structured', event: decodeStructured(msg.data) };
    } catch (err) {
      // Only a guess from the payload: a JSON object that is not a CloudEvent is wrapped.
      if (!(err instanceof InvalidEventError)) throw err;
    }
  }
  return { kind: 'wrapped', event: wrapMessage(msg, typeof ctx === 'function' ? ctx() : ctx) };
}

/** A CloudEvent carrying a message that is not one; its payload becomes the data, unchanged. */
export function wrapMessage(msg: NatsIncoming, ctx: WrapContext): MeshEvent {
  const headers = lowerCaseKeys(msg.headers);
  const id = ctx.messageId ?? randomUUID();
  const attributes: Record<string, AttributeValue> = {
    specversion: '1.0',
    id,
    type: WRAPPED_EVENT_TYPE,
    source: wrappedEventSource(ctx.sourceName, msg.subject, ctx.namespace),
    subject: msg.subject,
  };
  const ct = headers[CONTENT_TYPE_HEADER];
  if (ct !== undefined && /^[^\s/;]+\/[^\s/;]+/.test(ct)) attributes.datacontenttype = ct;
  if (ctx.time !== undefined) attributes.time = ctx.time;
  return { attributes, data: msg.data.length === 0 ? undefined : msg.data };
}

/** `/apis/v1/namespaces/<ns>/natssources/<name>#<subject>`, shaped like Knative's source URIs. */
export function wrappedEventSource(sourceName: string, subject: string, namespace = 'default'): string {
  return `/apis/v1/namespaces/${encodeURIComponent(namespace)}/natssources/${encodeURIComponent(sourceName)}#${encodeURIComponent(subject)}`;
}

/** A cheap test before trying to parse: a JSON object mentioning `specversion`. */
function looksStructured(data: Uint8Array): boolean {
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09))
    i++;
  if (data[i] !== 0x7b) return false;
  return Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 65536)).includes(
    '"specversion"',
  );
}

function lowerCaseKeys(headers: NatsHeaderRecord | undefined): NatsHeaderRecord {
  if (headers === undefined) return {};
  // The common case (meshgate's own headers) is already lower-case: no copy.
  let lower = true;
  for (const k in headers) {
    if (k !== k.toLowerCase()) {
      lower = false;
      break;
    }
  }
  if (lower) return headers;
  const out: NatsHeaderRecord = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
