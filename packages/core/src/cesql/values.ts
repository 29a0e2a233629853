/**
 * CESQL's type system, type casts and the evaluation context that collects errors.
 *
 * Values are plain JS primitives (no boxing): Boolean → boolean, Integer → number (always a
 * 32-bit signed integer), String → string. A failed cast reports a Cast error and yields the
 * target type's zero value (false, 0, ""), as spec §3.3 and §3.7 require.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#31-type-system
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#37-type-casting
 */
import type { AttributeValue } from '../event/mesh-event.js';
import type { CesqlValue } from './ast.js';
import { type CesqlErrorKind, CesqlEvaluationError } from './errors.js';

export type CesqlType = 'Boolean' | 'Integer' | 'String';

export const INT_MIN = -2147483648;
export const INT_MAX = 2147483647;

/**
 * Per-evaluation state. `errorCount` always counts errors (operators compare it before and after
 * evaluating an operand to see whether the operand failed); `errors` collects them with messages
 * only when the caller wants them, so that plain filter matching allocates nothing.
 */
export interface EvalContext {
  errorCount: number;
  errors: CesqlEvaluationError[] | undefined;
}

/** Records an error whose message is a constant (no allocation when messages are not wanted). */
export function report(ctx: EvalContext, kind: Exclude<CesqlErrorKind, 'parse'>, message: string): void {
  ctx.errorCount++;
  ctx.errors?.push(new CesqlEvaluationError(kind, message));
}

export function typeOf(value: CesqlValue): CesqlType {
  return typeof value === 'string' ? 'String' : typeof value === 'number' ? 'Integer' : 'Boolean';
}

export function zeroOf(type: CesqlType): CesqlValue {
  return type === 'String' ? '' : type === 'Integer' ? 0 : false;
}

function castError(ctx: EvalContext, value: CesqlValue, target: CesqlType): void {
  ctx.errorCount++;
  ctx.errors?.push(
    new CesqlEvaluationError('cast', `cannot cast ${typeOf(value)} ${show(value)} to ${target}`),
  );
}

/** A value as it would be written in CESQL, shortened for error messages. */
export function show(value: CesqlValue): string {
  if (typeof value !== 'string') return String(value);
  const text = value.length > 64 ? `${value.slice(0, 61)}...` : value;
  return `'${text}'`;
}

/**
 * String → Integer (spec §3.7): an optional sign and base-10 digits, nothing else, within the
 * 32-bit range. Returns undefined when the string is not such an integer.
 */
export function parseInteger(text: string): number | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === 0x2b || first === 0x2d) i = 1; // + or -
  if (i === n) return undefined;
  // Accumulate digits by hand (no Number() call, no allocation); a JS number holds any value up
  // to 2^53 exactly, so checking the range once per digit is enough.
  let magnitude = 0;
  for (let k = i; k < n; k++) {
    const digit = text.charCodeAt(k) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    magnitude = magnitude * 10 + digit;
    if (magnitude > 2147483648) return undefined;
  }
  const value = first === 0x2d ? -magnitude : magnitude;
  return value > INT_MAX ? undefined : value | 0;
}

/** Implicit or explicit cast to Integer (spec §3.7). */
export function toInteger(value: CesqlValue, ctx: EvalContext): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const parsed = parseInteger(value);
  if (parsed === undefined) {
    castError(ctx, value, 'Integer');
    return 0;
  }
  return parsed;
}

/**
 * Cast to Boolean. Strings cast when their lower case is exactly "true" or "false".
 * Integer → Boolean (0 is false, anything else true) is only done by the explicit `BOOL()`
 * function: as an implicit cast (`NOT 10`, `1 AND x`) it is a Cast error, which is what the CESQL
 * TCK requires (not_operator.yaml, "Invalid int cast").
 */
export function toBoolean(value: CesqlValue, ctx: EvalContext, explicit = false): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (explicit) return value !== 0;
    castError(ctx, value, 'Boolean');
    return false;
  }
  if (value.length === 4 || value.length === 5) {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  castError(ctx, value, 'Boolean');
  return false;
}

/** Cast to String; always succeeds (spec §3.7). */
export function toCesqlString(value: CesqlValue): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : value ? 'true' : 'false';
}

/** Casts `value` to `type`, implicitly (operators and function arguments). */
export function castTo(value: CesqlValue, type: CesqlType, ctx: EvalContext): CesqlValue {
  switch (type) {
    case 'String':
      return toCesqlString(value);
    case 'Integer':
      return toInteger(value, ctx);
    default:
      return toBoolean(value, ctx);
  }
}

/**
 * An event attribute as a CESQL value (spec §3.2): Boolean and 32-bit Integer attributes keep
 * their type; anything else (String, URI, Timestamp, Binary as base64, numbers outside the
 * Integer range) is a String.
 */
export function fromAttribute(value: AttributeValue): CesqlValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? value | 0 : String(value);
    default:
      return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : String(value);
  }
}
