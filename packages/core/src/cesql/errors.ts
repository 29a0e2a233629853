/**
 * CESQL's error kinds: a parse error is thrown (the expression cannot be used at all), every other
 * kind is a value collected during evaluation next to the (always defined) result.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#33-errors
 */
import { MeshgateError } from '../errors.js';

/** The error types every CESQL engine must support (spec §3.3), named as in the CESQL TCK. */
export type CesqlErrorKind =
  | 'parse'
  | 'math'
  | 'cast'
  | 'missingAttribute'
  | 'missingFunction'
  | 'functionEvaluation'
  | 'generic';

/**
 * An expression is not valid CESQL. `line` and `column` are 1-based and point at the offending
 * character of the expression text; the message names what is wrong and where.
 */
export class CesqlParseError extends MeshgateError {
  readonly kind = 'parse' as const;

  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super('CESQL_PARSE', `CESQL parse error at line ${line}, column ${column}: ${reason}`);
  }
}

/**
 * An error that happened while evaluating an expression (math, cast, missing attribute, missing
 * function, function evaluation). Deliberately not an `Error` subclass: these are ordinary results
 * on the routing hot path (an event without an attribute a filter reads is common), and capturing
 * a stack trace for each would cost far more than the evaluation itself.
 */
export class CesqlEvaluationError {
  constructor(
    readonly kind: Exclude<CesqlErrorKind, 'parse'>,
    readonly message: string,
  ) {}

  toString(): string {
    return `${this.kind}: ${this.message}`;
  }
}
