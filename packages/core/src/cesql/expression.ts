/**
 * The public face of the CESQL engine: parse once, evaluate many times.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md
 */
import type { MeshEvent } from '../event/mesh-event.js';
import type { CesqlValue } from './ast.js';
import { type Evaluator, compileTree } from './compile.js';
import { CesqlEvaluationError } from './errors.js';
import { parseToTree } from './parser.js';
import type { EvalContext } from './values.js';

/** The outcome of evaluating an expression: always a value, plus the errors met on the way. */
export interface CesqlResult {
  readonly value: boolean | number | string;
  readonly errors: CesqlEvaluationError[];
}

/** A parsed and compiled CESQL expression; immutable, safe to share and reuse. */
export interface CesqlExpression {
  /** The expression text as given to parseCesql. */
  readonly text: string;
  /** The context attribute names (lower case) the expression reads, for indexing. */
  readonly attributes: ReadonlySet<string>;
  /**
   * Errors that every evaluation will report, known at parse time: calls to functions that do
   * not exist (or not with that many arguments). Configuration loading may refuse them.
   */
  readonly staticErrors: readonly CesqlEvaluationError[];
  /** Evaluates the expression against an event's attributes. Never throws. */
  evaluate(event: MeshEvent): CesqlResult;
}

class CompiledExpression implements CesqlExpression {
  constructor(
    readonly text: string,
    readonly attributes: ReadonlySet<string>,
    readonly staticErrors: readonly CesqlEvaluationError[],
    private readonly run: Evaluator,
  ) {}

  evaluate(event: MeshEvent): CesqlResult {
    const errors: CesqlEvaluationError[] = [];
    const ctx: EvalContext = { errorCount: 0, errors };
    let value: CesqlValue;
    try {
      value = this.run(event.attributes, ctx);
    } catch (err) {
      // Not expected (every operator is total); reported rather than thrown, as promised.
      errors.push(new CesqlEvaluationError('generic', `evaluation failed: ${String(err)}`));
      value = false;
    }
    return { value, errors };
  }

  /** Filter use without allocating: true only for a Boolean true with no error. */
  matches(event: MeshEvent): boolean {
    const ctx = MATCH_CONTEXT;
    ctx.errorCount = 0;
    try {
      return this.run(event.attributes, ctx) === true && ctx.errorCount === 0;
    } catch {
      return false;
    }
  }
}

// Shared by every `matches` call: evaluation is synchronous and never re-entrant, and counting
// errors without messages is all a filter needs.
const MATCH_CONTEXT: EvalContext = { errorCount: 0, errors: undefined };

/**
 * Parses and compiles a CESQL expression. Throws CesqlParseError (with line and column) when the
 * text is not valid CESQL v1.
 */
export function parseCesql(text: string): CesqlExpression {
  const tree = parseToTree(text);
  const { evaluate, attributes, staticErrors } = compileTree(tree);
  return new CompiledExpression(text, attributes, staticErrors, evaluate);
}

/**
 * Whether an event passes `expr` used as a filter (spec §1.2): only when the result is the
 * Boolean `true` and no error occurred. Never throws.
 */
export function cesqlMatches(expr: CesqlExpression, event: MeshEvent): boolean {
  if (expr instanceof CompiledExpression) return expr.matches(event);
  const result = expr.evaluate(event);
  return result.value === true && result.errors.length === 0;
}
