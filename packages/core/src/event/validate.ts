/**
 * CloudEvents 1.0 context-attribute validation: every problem is collected and reported at
 * once, so a producer sees all of what is wrong in one 400 answer.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#context-attributes
 */
import { InvalidEventError } from '../errors.js';
import type { MeshEvent } from './mesh-event.js';

/**
 * Attribute names are lower-case ASCII letters and digits. The spec only RECOMMENDS at most 20
 * characters, so longer names are accepted.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#attribute-naming-convention
 */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** `data` is reserved by the JSON format (and `data_base64` already fails ATTRIBUTE_NAME). */
const RESERVED_NAMES = new Set(['data']);

/** The attributes whose type is String, URI, URI-reference or Timestamp in the spec. */
const STRING_ATTRIBUTES = new Set([
  'id',
  'source',
  'specversion',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
]);

/** RFC 3339 `date-time` (section 5.6); ranges are checked separately. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3986 URI-reference characters: unreserved, reserved and percent-encoded octets. */
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Throws an InvalidEventError naming every problem when the event is not a valid CloudEvent 1.0. */
export function validateEvent(event: MeshEvent): void {
  const problems = eventProblems(event);
  if (problems.length > 0) throw invalidEvent(problems);
}

/** The InvalidEventError for a list of problems, with a stable message shape. */
export function invalidEvent(problems: readonly string[]): InvalidEventError {
  return new InvalidEventError(`invalid CloudEvent: ${problems.join('; ')}`);
}

/** Every problem with the event's attributes, empty when it is a valid CloudEvent 1.0. */
export function eventProblems(event: MeshEvent): string[] {
  const problems: string[] = [];
  const attrs = event.attributes;
  for (const name of ['id', 'source', 'specversion', 'type'] as const) {
    const v = attrs[name];
    if (v === undefined) problems.push(`required attribute '${name}' is missing`);
    else if (v === '') problems.push(`required attribute '${name}' is empty`);
  }
  const specversion = attrs.specversion;
  if (typeof specversion === 'string' && specversion !== '' && specversion !== '1.0') {
    problems.push(`specversion '${specversion}' is not supported (only '1.0')`);
  }
  for (const name of Object.keys(attrs)) {
    const problem = attributeProblem(name, attrs[name]);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

function attributeProblem(name: string, value: unknown): string | undefined {
  if (!ATTRIBUTE_NAME.test(name)) {
    return `attribute name '${printable(name)}' is invalid (only lower-case letters a-z and digits 0-9)`;
  }
  if (RESERVED_NAMES.has(name)) return `attribute name '${name}' is reserved`;
  if (STRING_ATTRIBUTES.has(name)) {
    if (typeof value !== 'string') return `attribute '${name}' must be a string, got ${typeName(value)}`;
    return knownAttributeProblem(name, value);
  }
  // Extension attributes: any CloudEvents type (spec "Type System").
  switch (typeof value) {
    case 'string':
      return hasDisallowedChar(value) ? `attribute '${name}' contains a disallowed character` : undefined;
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
        ? undefined
        : `attribute '${name}' is ${value}, not a 32-bit signed integer`;
    default:
      return value instanceof Uint8Array
        ? undefined
        : `attribute '${name}' has unsupported type ${typeName(value)} (string, integer, boolean or binary)`;
  }
}

function knownAttributeProblem(name: string, value: string): string | undefined {
  if (value === '') {
    // Required attributes already reported as empty; optional ones must be non-empty if present.
    return name === 'id' || name === 'source' || name === 'specversion' || name === 'type'
      ? undefined
      : `attribute '${name}' is empty`;
  }
  if (hasDisallowedChar(value)) return `attribute '${name}' contains a disallowed character`;
  switch (name) {
    case 'source':
      return isUriReference(value)
        ? undefined
        : `source '${printable(value)}' is not a URI-reference (RFC 3986)`;
    case 'dataschema':
      // dataschema is of type URI, i.e. absolute (with a scheme), unlike source.
      return isUriReference(value) && hasScheme(value)
        ? undefined
        : `dataschema '${printable(value)}' is not an absolute URI (RFC 3986)`;
    case 'time':
      return isRfc3339(value) ? undefined : `time '${printable(value)}' is not an RFC 3339 timestamp`;
    case 'datacontenttype':
      return /^[^\s/;]+\/[^\s/;]+/.test(value)
        ? undefined
        : `datacontenttype '${printable(value)}' is not a media type (RFC 2046)`;
    default:
      return undefined;
  }
}

/** RFC 3986 section 4.1 URI-reference: a URI or a relative reference. */
export function isUriReference(value: string): boolean {
  if (!URI_CHARS.test(value)) return false;
  // A ':' before any '/', '?' or '#' means the part before it is a scheme, which must be valid.
  const end = value.search(/[/?#]/);
  const colon = value.indexOf(':');
  if (colon !== -1 && (end === -1 || colon < end)) return SCHEME.test(value.slice(0, colon));
  return true;
}

function hasScheme(value: string): boolean {
  const colon = value.indexOf(':');
  return colon > 0 && SCHEME.test(value.slice(0, colon));
}

/** RFC 3339 section 5.6 `date-time`, with range checks on every field. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (m === null) return false;
  const n = (i: number) => Number(m[i] ?? 0);
  const year = n(1);
  const month = n(2);
  const day = n(3);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day > days) return false;
  // Seconds may be 60 for a leap second (RFC 3339 section 5.7).
  return n(4) <= 23 && n(5) <= 59 && n(6) <= 60 && n(7) <= 23 && n(8) <= 59;
}

/**
 * True when the string has a character the String type disallows: a control character, a BMP
 * noncharacter or an unpaired surrogate. A loop, not a regex: this runs for every attribute of
 * every event.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#type-system
 */
export function hasDisallowedChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || c <= 0x9f) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
      continue;
    }
    if ((c >= 0xdc00 && c <= 0xdfff) || (c >= 0xfdd0 && c <= 0xfdef) || c >= 0xfffe) return true;
  }
  return false;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Keeps error messages on one line and short, whatever the input. */
function printable(value: string): string {
  const shown = value.length > 100 ? `${value.slice(0, 100)}...` : value;
  return JSON.stringify(shown).slice(1, -1);
}
