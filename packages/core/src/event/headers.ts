/**
 * Binary content mode: context attributes as prefixed message headers (`ce-` for HTTP, `ce_`
 * for Kafka, ...), the data as the message body. Shared by every connector binding; the HTTP
 * binding additionally percent-encodes header values.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#31-binary-content-mode
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#32-binary-content-mode
 */
import { InvalidEventError } from '../errors.js';
import type { AttributeValue, MeshEvent } from './mesh-event.js';
import { eventProblems, invalidEvent } from './validate.js';

/**
 * Headers given to eventFromHeaders: Node HTTP (string or string[]), Kafka (Buffer), AMQP tables
 * (numbers and booleans too, kept as typed attribute values).
 */
export type HeaderInput = Record<
  string,
  string | string[] | undefined | Buffer | Uint8Array | number | boolean
>;

export interface HeaderMappingOptions {
  /** Header-name prefix of attributes, e.g. `ce-` (HTTP) or `ce_` (Kafka); matched case-insensitively. */
  prefix: string;
  /** Percent-encode header values (HTTP binding section 3.1.3.2). */
  percentEncode?: boolean;
}

export interface HeaderParsingOptions {
  prefix: string;
  /** Percent-decode header values (HTTP binding section 3.1.3.2). */
  percentDecode?: boolean;
}

/**
 * A message has no `<prefix>specversion` header: it is not a binary-mode CloudEvent at all
 * (a caller may wrap it, as Knative's KafkaSource does with plain records).
 */
export class NotCloudEventError extends InvalidEventError {}

/**
 * Characters that may go into an HTTP header value unencoded: printable ASCII except space,
 * `"` and `%`.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#3132-http-header-values
 */
const NEEDS_ENCODING = /[^\x21\x23\x24\x26-\x7e]+/g;
const HAS_NEEDS_ENCODING = /[^\x21\x23\x24\x26-\x7e]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The event's context attributes as binary-mode headers, each value in its canonical string
 * form (Integer in decimal, Boolean `true`/`false`, Binary in base64). `datacontenttype` is left
 * out: bindings carry it in their own content-type header.
 */
export function eventToHeaders(event: MeshEvent, opts: HeaderMappingOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const attributes = event.attributes;
  for (const name in attributes) {
    if (name === 'datacontenttype') continue;
    const s = canonicalString(attributes[name] as AttributeValue);
    headers[opts.prefix + name] = opts.percentEncode === true ? percentEncode(s) : s;
  }
  return headers;
}

/** The canonical string encoding of an attribute value (spec "Type System"). */
export function canonicalString(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return String(value);
}

/**
 * Builds and validates an event from binary-mode headers. Header names match the prefix
 * case-insensitively; attribute names are the rest, lower-cased. `contentType` (the binding's
 * content-type header) becomes `datacontenttype`. All attribute values are strings.
 * Throws NotCloudEventError when there is no `<prefix>specversion` header, InvalidEventError
 * when the attributes are invalid.
 */
export function eventFromHeaders(
  headers: HeaderInput,
  opts: HeaderParsingOptions,
  data: Uint8Array | undefined,
  contentType: string | undefined,
): MeshEvent {
  const prefix = opts.prefix.toLowerCase();
  const problems: string[] = [];
  const attributes: Record<string, AttributeValue> = {};
  for (const key of Object.keys(headers)) {
    if (key.length <= prefix.length || key.slice(0, prefix.length).toLowerCase() !== prefix) continue;
    const name = key.slice(prefix.length).toLowerCase();
    const raw = headers[key];
    if (raw === undefined) continue;
    if (name === '__proto__') {
      problems.push(`header '${key}' does not name a valid attribute`);
      continue;
    }
    if (Array.isArray(raw)) {
      problems.push(`header '${key}' is given more than once`);
      continue;
    }
    if (typeof raw === 'number' || typeof raw === 'boolean') {
      attributes[name] = raw;
      continue;
    }
    let value: string;
    if (typeof raw === 'string') value = raw;
    else if (raw instanceof Uint8Array) {
      try {
        value = utf8.decode(raw);
      } catch {
        problems.push(`header '${key}' is not valid UTF-8`);
        continue;
      }
    } else {
      problems.push(`header '${key}' has an unsupported value type ${typeof raw}`);
      continue;
    }
    attributes[name] = opts.percentDecode === true ? percentDecode(value) : value;
  }
  if (attributes.specversion === undefined && problems.length === 0) {
    throw new NotCloudEventError(`not a CloudEvent: no '${opts.prefix}specversion' header`);
  }
  if (contentType !== undefined && contentType !== '') attributes.datacontenttype = contentType;
  const event: MeshEvent = { attributes, data };
  problems.push(...eventProblems(event));
  if (problems.length > 0) throw invalidEvent(problems);
  return event;
}

/** Percent-encodes what the HTTP binding requires: space, `"`, `%` and all but printable ASCII (as UTF-8). */
export function percentEncode(value: string): string {
  if (!HAS_NEEDS_ENCODING.test(value)) return value;
  return value.replace(NEEDS_ENCODING, (run) => {
    let out = '';
    for (const byte of Buffer.from(run, 'utf8'))
      out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
    return out;
  });
}

/**
 * Percent-decodes a header value as UTF-8. Lenient towards senders that did not encode: a `%`
 * not followed by two hex digits stays as it is, and raw non-ASCII bytes (which Node reads as
 * latin1) are re-read as UTF-8 when they form valid UTF-8.
 */
export function percentDecode(value: string): string {
  let s = value;
  if (/[\u0080-\uffff]/.test(s)) {
    const bytes = Buffer.from(s, 'latin1');
    try {
      s = utf8.decode(bytes);
    } catch {
      // Not UTF-8: keep the characters as they came.
    }
  }
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    try {
      return utf8.decode(bytes);
    } catch {
      return run;
    }
  });
}
