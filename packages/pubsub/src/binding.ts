/**
 * The CloudEvents binding for Google Cloud Pub/Sub: a MeshEvent to a Pub/Sub message and back.
 *
 * - Binary mode (default): every context attribute as a `ce-<name>` message attribute in its
 *   canonical string form, `datacontenttype` as the `content-type` attribute, the event data
 *   as the message data, byte for byte.
 * - Structured mode: the JSON event format in the message data, `content-type:
 *   application/cloudevents+json; charset=UTF-8`.
 * - A received message whose `content-type` starts with `application/cloudevents` is
 *   structured, otherwise binary; a message that is neither a valid binary nor a valid
 *   structured CloudEvent is wrapped (see foreign.ts), never dropped.
 *
 * @see https://github.com/googleapis/google-cloudevents/blob/main/docs/spec/pubsub.md
 */
import {
  type MeshEvent,
  MeshgateError,
  NotCloudEventError,
  STRUCTURED_CONTENT_TYPE,
  attributeString,
  decodeStructured,
  encodeStructured,
  eventFromHeaders,
  eventToHeaders,
  mediaType,
} from '@meshgate/core';

export type PubSubContentMode = 'binary' | 'structured';

/** The parts of a Pub/Sub message that the binding fills in. */
export interface OutgoingPubSubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  /** Set only when asked to order by an attribute (e.g. `partitionkey`) that the event has. */
  orderingKey?: string;
}

/** A received Pub/Sub message, as much of it as decoding needs. */
export interface IncomingPubSubMessage {
  id: string;
  data: Buffer;
  attributes: Readonly<Record<string, string>>;
  publishTime?: Date;
  orderingKey?: string;
}

export interface EncodeOptions {
  /** Content mode; default `binary`. */
  mode?: PubSubContentMode;
  /**
   * The attribute whose value becomes the message's ordering key, e.g. `partitionkey`.
   * Default: none (no ordering key).
   */
  orderingKeyAttribute?: string;
}

/** Attribute prefix of binary mode (section 3.1.3.1). */
export const ATTRIBUTE_PREFIX = 'ce-';
/** The Pub/Sub attribute that carries the content type (sections 3.1.1 and 3.2.1). */
export const CONTENT_TYPE_ATTRIBUTE = 'content-type';
const STRUCTURED_CONTENT_TYPE_VALUE = `${STRUCTURED_CONTENT_TYPE}; charset=UTF-8`;

/**
 * Pub/Sub message limits: at most 100 attributes, keys up to 256 bytes, values up to 1024
 * bytes, ordering keys up to 1024 bytes.
 * @see https://cloud.google.com/pubsub/quotas#resource_limits
 */
export const PUBSUB_LIMITS = {
  attributes: 100,
  attributeKeyBytes: 256,
  attributeValueBytes: 1024,
  orderingKeyBytes: 1024,
  messageBytes: 10 * 1024 * 1024,
} as const;

/**
 * Encodes an event as a Pub/Sub message. Binary mode falls back to structured mode when the
 * attributes do not fit Pub/Sub's attribute limits (section 3.1: binary mode "can only be used
 * if the metadata attributes fit within the limits of Pub/Sub messages"). No validation here:
 * the caller validates where it accepts events.
 */
export function encodePubSubMessage(event: MeshEvent, options: EncodeOptions = {}): OutgoingPubSubMessage {
  const message =
    options.mode === 'structured'
      ? encodeStructuredMessage(event)
      : (encodeBinaryMessage(event) ?? encodeStructuredMessage(event));
  if (options.orderingKeyAttribute !== undefined) {
    const key = attributeString(event, options.orderingKeyAttribute);
    if (key !== undefined && key !== '') message.orderingKey = key;
  }
  return message;
}

/** Binary mode (section 3.1), or undefined when the attributes do not fit. */
function encodeBinaryMessage(event: MeshEvent): OutgoingPubSubMessage | undefined {
  // @see section 3.1.3: each attribute as `ce-<name>`, canonical string values.
  const attributes = eventToHeaders(event, { prefix: ATTRIBUTE_PREFIX });
  // @see section 3.1.1: datacontenttype travels as the `content-type` attribute.
  const contentType = attributeString(event, 'datacontenttype');
  if (contentType !== undefined) attributes[CONTENT_TYPE_ATTRIBUTE] = contentType;
  if (!fitsAttributeLimits(attributes)) return undefined;
  // @see section 3.1.2: the data byte-sequence is the message data.
  const data = event.data === undefined ? Buffer.alloc(0) : toBuffer(event.data);
  return { data, attributes };
}

/** Structured mode with the JSON event format (section 3.2). */
function encodeStructuredMessage(event: MeshEvent): OutgoingPubSubMessage {
  return {
    data: encodeStructured(event),
    attributes: { [CONTENT_TYPE_ATTRIBUTE]: STRUCTURED_CONTENT_TYPE_VALUE },
  };
}

function fitsAttributeLimits(attributes: Record<string, string>): boolean {
  const entries = Object.entries(attributes);
  if (entries.length > PUBSUB_LIMITS.attributes) return false;
  return entries.every(
    ([k, v]) =>
      Buffer.byteLength(k) <= PUBSUB_LIMITS.attributeKeyBytes &&
      Buffer.byteLength(v) <= PUBSUB_LIMITS.attributeValueBytes,
  );
}

/** How a received message is to be read (section 3: the `content-type` attribute decides). */
export function contentModeOf(attributes: Readonly<Record<string, string>>): PubSubContentMode | 'foreign' {
  const contentType = contentTypeOf(attributes);
  if (contentType !== undefined && mediaType(contentType).startsWith('application/cloudevents'))
    return 'structured';
  return Object.keys(attributes).some((k) => k.toLowerCase() === `${ATTRIBUTE_PREFIX}specversion`)
    ? 'binary'
    : 'foreign';
}

/**
 * Decodes a received message into a CloudEvent. Throws NotCloudEventError when the message does
 * not claim to be one (no `ce-specversion`, not structured), InvalidEventError when it claims
 * to be one but is not valid (bad JSON, missing attributes), and a BINDING_UNSUPPORTED
 * MeshgateError for an event format other than JSON (section 3: `application/cloudevents+avro`).
 */
export function decodePubSubMessage(message: IncomingPubSubMessage): MeshEvent {
  const mode = contentModeOf(message.attributes);
  if (mode === 'structured') {
    const contentType = contentTypeOf(message.attributes) ?? '';
    if (mediaType(contentType) !== STRUCTURED_CONTENT_TYPE) {
      throw new MeshgateError(
        'BINDING_UNSUPPORTED',
        `event format "${mediaType(contentType)}" is not supported (only ${STRUCTURED_CONTENT_TYPE})`,
      );
    }
    return decodeStructured(message.data);
  }
  if (mode === 'foreign')
    throw new NotCloudEventError(`not a CloudEvent: no '${ATTRIBUTE_PREFIX}specversion' attribute`);
  // An empty payload is an event without data: Pub/Sub has no other way to say "no data".
  const data = message.data.length === 0 ? undefined : message.data;
  // @see section 3.1.1: `content-type`, if present, is the datacontenttype; `ce-datacontenttype`
  // is accepted too, as the spec's own example shows it.
  const contentType =
    contentTypeOf(message.attributes) ?? message.attributes[`${ATTRIBUTE_PREFIX}datacontenttype`];
  const ceAttributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.attributes)) {
    if (k.toLowerCase() !== `${ATTRIBUTE_PREFIX}datacontenttype`) ceAttributes[k] = v;
  }
  return eventFromHeaders(ceAttributes, { prefix: ATTRIBUTE_PREFIX }, data, contentType);
}

function contentTypeOf(attributes: Readonly<Record<string, string>>): string | undefined {
  const direct = attributes[CONTENT_TYPE_ATTRIBUTE];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(attributes)) if (k.toLowerCase() === CONTENT_TYPE_ATTRIBUTE) return v;
  return undefined;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
