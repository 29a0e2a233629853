/**
 * CESQL v1, the CloudEvents SQL Expression Language: a parser and evaluator that passes every
 * case of the CESQL TCK (packages/core/test/fixtures/cesql-tck).
 *
 * ```ts
 * const expr = parseCesql("type LIKE 'com.example.%' AND INT(priority) > 3"); // throws CesqlParseError
 * expr.attributes;                 // Set { 'type', 'priority' }
 * expr.evaluate(event);            // { value: true, errors: [] }
 * cesqlMatches(expr, event);       // true only for a Boolean true without errors
 * ```
 *
 * - Types: Boolean, Integer (32-bit signed, arithmetic wraps) and String. Attributes are read from
 *   `MeshEvent.attributes` by lower-case name; booleans and 32-bit integers keep their type, all
 *   else (including values that arrived as header strings) is a String and is cast implicitly
 *   where an operator needs another type (`sequence = 5` compares '5' as an Integer).
 * - Errors: a parse error is thrown at parse time. Math, cast, missing attribute, missing
 *   function and function evaluation errors are returned in `CesqlResult.errors` next to a value
 *   that is always defined (the zero value of the failing operator's type).
 * - Precedence follows spec §3.6 and its reference grammar (as Knative does): AND, OR and XOR
 *   share one level, grouped to the right (`a AND b OR c` is `a AND (b OR c)`); NOT binds
 *   tighter than comparisons (`NOT a = b` is `(NOT a) = b`). Use parentheses.
 * - Built-ins: INT, BOOL, STRING, LENGTH, CONCAT, CONCAT_WS, LOWER, UPPER, TRIM, LEFT, RIGHT,
 *   SUBSTRING (2 and 3 arguments), ABS. Function names and keywords are case-insensitive.
 * - Speed: an expression compiles once into closures; `cesqlMatches` allocates nothing.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md
 */
export type { CesqlValue } from './ast.js';
export { type CesqlErrorKind, CesqlEvaluationError, CesqlParseError } from './errors.js';
export { type CesqlExpression, type CesqlResult, cesqlMatches, parseCesql } from './expression.js';
