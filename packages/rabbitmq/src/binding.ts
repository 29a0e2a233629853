/**
 * The CloudEvents binding for RabbitMQ (AMQP 0-9-1) messages.
 *
 * Binary mode (default) follows Knative's eventing-rabbitmq: each context attribute is an AMQP
 * message header named `ce-<attribute>`, `datacontenttype` is the `content_type` property, the
 * data is the message body, untouched. The `message_id` property carries the event id.
 * Structured mode puts the whole event in the body as `application/cloudevents+json`.
 * A message that is neither is not a CloudEvent and is wrapped into one, as eventing-rabbitmq's
 * RabbitmqSource does (type `dev.knative.rabbitmq.event`).
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#31-binary-content-mode
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  eventFromHeaders,
  eventToHeaders,
  type HeaderInput,
  type MeshEvent,
  mediaType,
  NotCloudEventError,
  STRUCTURED_CONTENT_TYPE,
  decodeStructured,
  encodeStructured,
} from '@meshgate/core';

/** Header-name prefix of attributes in binary mode (eventing-rabbitmq's). */
export const AMQP_HEADER_PREFIX = 'ce-';

/** The type eventing-rabbitmq gives a message it wraps. */
export const WRAPPED_EVENT_TYPE = 'dev.knative.rabbitmq.event';

export type ContentMode = 'binary' | 'structured';

/** What a publish needs: the body and the AMQP basic properties. */
export interface AmqpMessage {
  content: Buffer;
  properties: {
    contentType?: string;
    messageId?: string;
    headers: Record<string, string>;
    persistent: boolean;
  };
}

/** The part of a received AMQP message the binding reads. */
export interface ReceivedAmqpMessage {
  content: Buffer;
  properties: {
    contentType?: unknown;
    messageId?: unknown;
    timestamp?: unknown;
    headers?: Record<string, unknown> | undefined;
  };
}

/** Where a wrapped message came from, for its `source` attribute. */
export interface WrapContext {
  /** Knative-style namespace of the source; default `default`. */
  namespace?: string;
  /** Name of the RabbitmqSource (or Broker) that read it. */
  sourceName: string;
  queue: string;
}

/** Encodes an event as a persistent AMQP message in the given content mode. */
export function toAmqpMessage(event: MeshEvent, mode: ContentMode = 'binary'): AmqpMessage {
  const id = event.attributes.id;
  const messageId = typeof id === 'string' ? id : undefined;
  if (mode === 'structured') {
    return {
      content: encodeStructured(event),
      properties: { contentType: STRUCTURED_CONTENT_TYPE, messageId, headers: {}, persistent: true },
    };
  }
  const ct = event.attributes.datacontenttype;
  const data = event.data;
  return {
    content:
      data === undefined ? Buffer.alloc(0) : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    properties: {
      contentType: typeof ct === 'string' ? ct : undefined,
      messageId,
      headers: eventToHeaders(event, { prefix: AMQP_HEADER_PREFIX }),
      persistent: true,
    },
  };
}

/** How a received message was read. */
export type DecodedMessage =
  | { kind: 'binary' | 'structured'; event: MeshEvent }
  | { kind: 'wrapped'; event: MeshEvent };

/**
 * Reads a received message: structured when its content type is `application/cloudevents+json`,
 * binary when it has a `ce-specversion` header (or, as eventing-rabbitmq's broker writes them,
 * an unprefixed `specversion` header), otherwise wrapped.
 * Throws InvalidEventError when the message claims to be a CloudEvent and is not a valid one:
 * the caller dead-letters or wraps it (see `wrapMessage`).
 */
export function fromAmqpMessage(msg: ReceivedAmqpMessage, ctx: WrapContext): DecodedMessage {
  const contentType = stringProperty(msg.properties.contentType);
  if (contentType !== undefined && mediaType(contentType) === STRUCTURED_CONTENT_TYPE) {
    return { kind: 'structured', event: decodeStructured(msg.content) };
  }
  const data = msg.content.length === 0 ? undefined : msg.content;
  const headers = stringHeaders(msg.properties.headers);
  try {
    return {
      kind: 'binary',
      event: eventFromHeaders(headers, { prefix: AMQP_HEADER_PREFIX }, data, contentType),
    };
  } catch (err) {
    if (!(err instanceof NotCloudEventError)) throw err;
  }
  if (headers.specversion !== undefined) {
    // eventing-rabbitmq's broker writes attributes without a prefix; x- headers are RabbitMQ's.
    const unprefixed: HeaderInput = {};
    for (const [k, v] of Object.entries(headers)) if (/^[a-z0-9]+$/.test(k)) unprefixed[k] = v;
    return { kind: 'binary', event: eventFromHeaders(unprefixed, { prefix: '' }, data, contentType) };
  }
  return { kind: 'wrapped', event: wrapMessage(msg, ctx) };
}

/**
 * A CloudEvent carrying a message that is not one: the body as data, its content type as
 * `datacontenttype`, `message_id` (or a new UUID) as id. Mirrors eventing-rabbitmq's conversion.
 */
export function wrapMessage(msg: ReceivedAmqpMessage, ctx: WrapContext): MeshEvent {
  const id = stringProperty(msg.properties.messageId) ?? randomUUID();
  const attributes: Record<string, AttributeValue> = {
    specversion: '1.0',
    id,
    type: WRAPPED_EVENT_TYPE,
    source: wrappedEventSource(ctx),
    subject: id,
  };
  const contentType = stringProperty(msg.properties.contentType);
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  const ts = msg.properties.timestamp;
  // AMQP timestamps are seconds since the epoch.
  if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0) {
    // A timestamp beyond what a Date holds (fuzzing found 7e152) is left out, not thrown.
    const date = new Date(ts * 1000);
    if (!Number.isNaN(date.getTime())) attributes.time = date.toISOString();
  }
  return { attributes, data: msg.content.length === 0 ? undefined : msg.content };
}

/** eventing-rabbitmq's source URI: `/apis/v1/namespaces/<ns>/rabbitmqsources/<name>#<queue>`. */
export function wrappedEventSource(ctx: WrapContext): string {
  const ns = encodeURIComponent(ctx.namespace ?? 'default');
  return `/apis/v1/namespaces/${ns}/rabbitmqsources/${encodeURIComponent(ctx.sourceName)}#${encodeURIComponent(ctx.queue)}`;
}

function stringProperty(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (Buffer.isBuffer(v) && v.length > 0) return v.toString('utf8');
  return undefined;
}

/** AMQP header tables hold strings, numbers, booleans, buffers...: attributes are their string form. */
function stringHeaders(headers: Record<string, unknown> | undefined): HeaderInput {
  const out: HeaderInput = {};
  if (headers === undefined) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v === 'string' || Buffer.isBuffer(v)) out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out[k] = String(v);
  }
  return out;
}
