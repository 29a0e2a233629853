/**
 * The CloudEvents Kafka protocol binding, both directions, on meshgate's MeshEvent (attributes
 * plus raw data bytes, so binary-mode data passes through byte-identical whatever its type).
 *
 * Records that are not CloudEvents are wrapped the way Knative's KafkaSource does it, so that
 * plain Kafka producers work out of the box.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 */
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
  NotCloudEventError,
  STRUCTURED_CONTENT_TYPE,
} from '@meshgate/core';
import type { IHeaders } from 'kafkajs';

/** How a record carries the event: attributes in headers, or the whole event in the value. */
export type ContentMode = 'binary' | 'structured';

/** @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#323-metadata-headers */
export const HEADER_PREFIX = 'ce_';
/** @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#321-content-type */
export const CONTENT_TYPE_HEADER = 'content-type';
/** @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/extensions/partitioning.md */
export const PARTITION_KEY = 'partitionkey';
/** The type Knative's KafkaSource gives records that are not CloudEvents. */
export const WRAPPED_EVENT_TYPE = 'dev.knative.kafka.event';

/** A record to write, in the shape producers take. */
export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** A record as read, in the shape consumers give (kafkajs' KafkaMessage plus its place). */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
}

export interface EncodeOptions {
  mode: ContentMode;
  /**
   * Use the `partitionkey` extension as the record key (spec 3.1, opt-in here): records of one
   * key land on one partition and keep their order. Without it the record key is null.
   */
  keyFromPartitionKey?: boolean;
}

/** Names the KafkaSource that wraps plain records, as Knative does in their `source`. */
export interface WrapContext {
  namespace: string;
  /** The KafkaSource's name. */
  name: string;
  /**
   * How the record key is read (Knative's `kafkasources.sources.knative.dev/key-type`):
   * `string` (default), `int` / `float` (4 or 8 bytes, big-endian), `byte-array`.
   */
  keyType?: KeyType;
}

/** Knative KafkaSource key types. */
export type KeyType = 'string' | 'int' | 'float' | 'byte-array';

/** What decoding a record gave: its event, or a wrapper around a record that was not one. */
export type DecodedRecord =
  | { event: MeshEvent; wrapped: false }
  /** `problem` says why a record that claimed to be a CloudEvent was wrapped instead. */
  | { event: MeshEvent; wrapped: true; problem?: InvalidEventError };

/**
 * Encodes an event as a Kafka record. Does not validate (the sink does, once).
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#3-kafka-message-mapping
 */
export function eventToRecord(event: MeshEvent, options: EncodeOptions): OutgoingRecord {
  const key = options.keyFromPartitionKey === true ? recordKey(event) : null;
  if (options.mode === 'structured') {
    // 3.3.1: the content-type header names the event format; 3.3.2: the value is the event.
    return {
      key,
      value: encodeStructured(event),
      headers: { [CONTENT_TYPE_HEADER]: `${STRUCTURED_CONTENT_TYPE}; charset=UTF-8` },
    };
  }
  // 3.2.3: every attribute but datacontenttype as a `ce_` header, UTF-8 string values.
  const headers: Record<string, string | Buffer> = eventToHeaders(event, { prefix: HEADER_PREFIX });
  // 3.2.1: datacontenttype maps to the content-type header.
  const ct = event.attributes.datacontenttype;
  if (typeof ct === 'string') headers[CONTENT_TYPE_HEADER] = ct;
  // 3.2.2: the value is the data, as is.
  const data = event.data;
  const value = data === undefined ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { key, value, headers };
}

/** 3.1 Key Mapping: the `partitionkey` extension, in its canonical string form. */
function recordKey(event: MeshEvent): Buffer | null {
  const pk = event.attributes[PARTITION_KEY];
  if (pk === undefined) return null;
  if (pk instanceof Uint8Array) return Buffer.from(pk);
  return Buffer.from(String(pk), 'utf8');
}

/**
 * Decodes a record: structured when its content-type is a CloudEvents format, binary when it has
 * a `ce_specversion` header, otherwise (or when it claims to be a CloudEvent and is not a valid
 * one) wrapped as Knative's KafkaSource wraps it. A record key sets `partitionkey` when the event
 * has none. Never throws for bad input: nothing is dropped, the problem is returned.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#13-content-modes
 */
export function recordToEvent(record: IncomingRecord, wrap: WrapContext): DecodedRecord {
  const headers = record.headers ?? {};
  const contentType = headerString(headers, CONTENT_TYPE_HEADER);
  try {
    const event = decodeCloudEvent(record, headers, contentType);
    return { event: withKey(event, record.key, wrap.keyType), wrapped: false };
  } catch (err) {
    const event = wrapRecord(record, wrap, contentType);
    if (err instanceof NotCloudEventError) return { event, wrapped: true };
    const problem =
      err instanceof InvalidEventError
        ? err
        : new InvalidEventError(err instanceof Error ? err.message : String(err), { cause: err });
    return { event, wrapped: true, problem };
  }
}

function decodeCloudEvent(
  record: IncomingRecord,
  headers: IHeaders,
  contentType: string | undefined,
): MeshEvent {
  if (contentType !== undefined && mediaType(contentType).startsWith('application/cloudevents')) {
    // 3.3: structured mode; only the JSON event format is supported.
    if (mediaType(contentType) !== STRUCTURED_CONTENT_TYPE) {
      throw new InvalidEventError(`unsupported CloudEvents format '${contentType}'`);
    }
    if (record.value === null) throw new InvalidEventError('structured-mode record has no value');
    return decodeStructured(record.value);
  }
  // 3.2: binary mode; NotCloudEventError when there is no ce_specversion header.
  return eventFromHeaders(
    toHeaderInput(headers),
    { prefix: HEADER_PREFIX },
    record.value ?? undefined,
    contentType,
  );
}

/** Sets `partitionkey` from the record key (spec 3.1) unless the event carries its own. */
function withKey(event: MeshEvent, key: Buffer | null, keyType: KeyType | undefined): MeshEvent {
  if (key === null || event.attributes[PARTITION_KEY] !== undefined) return event;
  return { attributes: { ...event.attributes, [PARTITION_KEY]: keyValue(key, keyType) }, data: event.data };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * A record key as an attribute value, read as Knative reads it for its key type. A string key
 * that is not UTF-8, and an int/float key that is not 4 or 8 bytes, falls back to Binary.
 * CloudEvents Integers are 32-bit, so a 64-bit integer outside that range and any float are
 * given in their decimal string form.
 */
export function keyValue(key: Buffer, keyType: KeyType = 'string'): AttributeValue {
  if (keyType === 'int' && (key.length === 4 || key.length === 8)) {
    const n = key.length === 4 ? BigInt(key.readInt32BE(0)) : key.readBigInt64BE(0);
    return n >= INT32_MIN && n <= INT32_MAX ? Number(n) : n.toString();
  }
  if (keyType === 'float' && (key.length === 4 || key.length === 8)) {
    return String(key.length === 4 ? key.readFloatBE(0) : key.readDoubleBE(0));
  }
  if (keyType === 'string') {
    try {
      return utf8.decode(key);
    } catch {
      // Not text: keep the bytes.
    }
  }
  return new Uint8Array(key);
}

/**
 * Wraps a record that is not a CloudEvent, matching Knative's KafkaSource: type
 * `dev.knative.kafka.event`, source `/apis/v1/namespaces/<ns>/kafkasources/<name>#<topic>`,
 * subject `partition:<p>#<offset>`, id `partition:<p>/offset:<offset>`, time from the record
 * timestamp, the key as `partitionkey` and `key`, every header as a `kafkaheader<name>` extension,
 * the value as data byte for byte, and the content-type header as datacontenttype.
 */
export function wrapRecord(record: IncomingRecord, wrap: WrapContext, contentType?: string): MeshEvent {
  const attributes: Record<string, AttributeValue> = {
    specversion: '1.0',
    id: `partition:${record.partition}/offset:${record.offset}`,
    source: `/apis/v1/namespaces/${wrap.namespace}/kafkasources/${wrap.name}#${record.topic}`,
    type: WRAPPED_EVENT_TYPE,
    subject: `partition:${record.partition}#${record.offset}`,
  };
  const ms = Number(record.timestamp);
  if (Number.isFinite(ms) && ms >= 0) attributes.time = new Date(ms).toISOString();
  if (contentType !== undefined && contentType !== '') attributes.datacontenttype = contentType;
  for (const [name, raw] of Object.entries(record.headers ?? {})) {
    const value = headerValue(raw);
    // Extension names are lower-case letters and digits only (spec "Attribute Naming Convention").
    const ext = `kafkaheader${name.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    if (value !== undefined && attributes[ext] === undefined) attributes[ext] = value;
  }
  if (record.key !== null) {
    const key = keyValue(record.key, wrap.keyType);
    attributes[PARTITION_KEY] = key;
    attributes.key = key;
  }
  return { attributes, data: record.value ?? undefined };
}

/** The first value of a header as a string (case-insensitive name). */
function headerString(headers: IHeaders, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return headerValue(direct);
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return headerValue(v);
  }
  return undefined;
}

function headerValue(raw: IHeaders[string]): string | undefined {
  if (raw === undefined) return undefined;
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** kafkajs gives repeated headers as arrays of Buffers; core's parser wants strings for those. */
function toHeaderInput(headers: IHeaders): HeaderInput {
  const out: HeaderInput = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : x.toString('utf8'))) : v;
  }
  return out;
}

/** True when a record carries a CloudEvent in either mode (it may still be an invalid one). */
export function isCloudEventRecord(record: Pick<IncomingRecord, 'headers'>): boolean {
  const headers = record.headers ?? {};
  const ct = headerString(headers, CONTENT_TYPE_HEADER);
  if (ct !== undefined && mediaType(ct).startsWith('application/cloudevents')) return true;
  return Object.keys(headers).some((k) => k.toLowerCase() === `${HEADER_PREFIX}specversion`);
}

/** The binding as one object, in the shape of the CloudEvents SDK's bindings. */
export const kafkaBinding = {
  binary: (event: MeshEvent, keyFromPartitionKey = false): OutgoingRecord =>
    eventToRecord(event, { mode: 'binary', keyFromPartitionKey }),
  structured: (event: MeshEvent, keyFromPartitionKey = false): OutgoingRecord =>
    eventToRecord(event, { mode: 'structured', keyFromPartitionKey }),
  toEvent: recordToEvent,
  isEvent: isCloudEventRecord,
} as const;
