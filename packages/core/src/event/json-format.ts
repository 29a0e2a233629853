/**
 * The CloudEvents JSON event format (structured mode) and its batch format.
 *
 * Data is kept as bytes in a MeshEvent, so encoding decides how to put bytes into JSON:
 * JSON data (a JSON `datacontenttype`, or none) that parses goes in `data` as JSON, verbatim;
 * text goes in `data` as a string; anything else goes in `data_base64`, so non-JSON data
 * survives a round trip byte for byte.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
import { isUtf8 } from 'node:buffer';
import { InvalidEventError } from '../errors.js';
import type { AttributeValue, MeshEvent } from './mesh-event.js';
import { topLevelElementSpans, topLevelMemberSpan } from './json-member.js';
import { eventProblems, invalidEvent } from './validate.js';

/** @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md#3-envelope */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
/** @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md#4-json-batch-format */
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The media type of a Content-Type value, lower-case, without parameters. */
export function mediaType(ct: string): string {
  const semi = ct.indexOf(';');
  return (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

/**
 * True for `application/json`, `text/json` and any `+json` suffix type.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md#31-handling-of-data
 */
export function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  const mt = mediaType(ct);
  return mt === 'application/json' || mt === 'text/json' || mt.endsWith('+json');
}

/** Text media types whose data the JSON format carries as a JSON string. */
function isTextContentType(ct: string): boolean {
  const mt = mediaType(ct);
  return mt.startsWith('text/') || mt === 'application/xml' || mt.endsWith('+xml');
}

/** Encodes one event in the JSON format (`application/cloudevents+json`). No validation. */
export function encodeStructured(event: MeshEvent): Buffer {
  return Buffer.from(structuredJson(event), 'utf8');
}

/** Encodes events as a JSON batch (`application/cloudevents-batch+json`). */
export function encodeBatch(events: readonly MeshEvent[]): Buffer {
  return Buffer.from(`[${events.map(structuredJson).join(',')}]`, 'utf8');
}

function structuredJson(event: MeshEvent): string {
  const members: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(event.attributes)) {
    // Binary attributes are base64 strings in JSON (section 2.2).
    members[name] = value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  }
  const head = JSON.stringify(members);
  const data = event.data;
  if (data === undefined) return head;
  const ct = event.attributes.datacontenttype;
  const contentType = typeof ct === 'string' ? ct : undefined;
  const text = decodeUtf8(data);
  let member: string;
  if (text !== undefined && (contentType === undefined || isJsonContentType(contentType)) && isJson(text)) {
    // Section 3.1: JSON data is the `data` member's JSON value, spliced in as received.
    member = `"data":${text}`;
  } else if (text !== undefined && contentType !== undefined && isTextContentType(contentType)) {
    member = `"data":${JSON.stringify(text)}`;
  } else {
    member = `"data_base64":"${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}"`;
  }
  return head === '{}' ? `{${member}}` : `${head.slice(0, -1)},${member}}`;
}

/**
 * Decodes one event in the JSON format and validates it. `data` becomes bytes: JSON data is kept
 * as the exact JSON text the producer sent (no re-serialisation, no precision lost), string data
 * of a non-JSON type is UTF-8 encoded, `data_base64` is decoded.
 * Throws InvalidEventError for malformed JSON, a non-object, or bad attributes.
 */
export function decodeStructured(body: Uint8Array | string): MeshEvent {
  const text = bodyText(body, 'structured event');
  return eventFromJson(parseJson(text, 'structured event'), '', text);
}

/** Decodes a JSON batch (an array of JSON-format events); errors name the bad element's index. */
export function decodeBatch(body: Uint8Array | string): MeshEvent[] {
  const text = bodyText(body, 'batch');
  const value = parseJson(text, 'batch');
  if (!Array.isArray(value)) {
    throw new InvalidEventError(
      `invalid CloudEvents batch: expected a JSON array, got ${jsonTypeName(value)}`,
    );
  }
  const spans = topLevelElementSpans(text);
  return value.map((item, i) => {
    const span = spans[i];
    return eventFromJson(
      item,
      `batch[${i}]: `,
      span === undefined ? undefined : text.slice(span[0], span[1]),
    );
  });
}

function bodyText(body: Uint8Array | string, what: string): string {
  if (typeof body === 'string') return body;
  const decoded = decodeUtf8(body);
  if (decoded === undefined)
    throw new InvalidEventError(`invalid CloudEvents ${what}: body is not valid UTF-8`);
  return decoded;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidEventError(`invalid CloudEvents ${what}: malformed JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/**
 * Builds and validates a MeshEvent from a parsed JSON-format object. `text`, the object's own
 * JSON text when known, lets JSON data keep its exact bytes.
 */
export function eventFromJson(value: unknown, where: string, text?: string): MeshEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(
      `${where}invalid CloudEvent: expected a JSON object, got ${jsonTypeName(value)}`,
    );
  }
  const problems: string[] = [];
  const attributes: Record<string, AttributeValue> = {};
  let data: unknown;
  let dataBase64: unknown;
  for (const [name, v] of Object.entries(value)) {
    // A JSON null is the same as an absent member, for attributes and for data alike.
    if (v === null) continue;
    if (name === 'data') data = v;
    else if (name === 'data_base64') dataBase64 = v;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      if (name === '__proto__') problems.push(`attribute name '__proto__' is invalid`);
      else attributes[name] = v;
    } else problems.push(`attribute '${name}' must be a string, number or boolean, got ${jsonTypeName(v)}`);
  }
  let bytes: Uint8Array | undefined;
  if (data !== undefined && dataBase64 !== undefined) {
    problems.push(`'data' and 'data_base64' are both present`);
  } else if (dataBase64 !== undefined) {
    if (typeof dataBase64 !== 'string' || !BASE64.test(dataBase64))
      problems.push(`'data_base64' is not a base64 string`);
    else bytes = Buffer.from(dataBase64, 'base64');
  } else if (data !== undefined) {
    const ct = attributes.datacontenttype;
    const jsonData = typeof ct !== 'string' || isJsonContentType(ct) || typeof data !== 'string';
    if (!jsonData) bytes = Buffer.from(data as string, 'utf8');
    else {
      const span = text === undefined ? undefined : topLevelMemberSpan(text, 'data');
      const raw = span === undefined ? JSON.stringify(data) : text?.slice(span[0], span[1]);
      bytes = Buffer.from(raw ?? JSON.stringify(data), 'utf8');
    }
  }
  const event: MeshEvent = { attributes, data: bytes };
  problems.push(...eventProblems(event));
  if (problems.length > 0) {
    const err = invalidEvent(problems);
    if (where === '') throw err;
    throw new InvalidEventError(`${where}${err.message}`);
  }
  return event;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  // isUtf8 + toString is several times faster than a fatal TextDecoder on small inputs.
  if (!isUtf8(bytes)) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
