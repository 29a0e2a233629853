/**
 * The Subscriptions API's `cesql` dialect: passes when the expression evaluates to the Boolean
 * `true` without error, fails otherwise (as Knative's CESQL filter does); an empty expression
 * has no opinion. The expression is parsed once, at configuration load, and a parse error is a
 * configuration issue naming line and column.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#12-filters
 */
import { type CesqlExpression, CesqlParseError, cesqlMatches, parseCesql } from '../cesql/index.js';
import { parseToTree } from '../cesql/parser.js';
import type { ConfigIssue } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { cesqlRequirement } from './cesql-requirement.js';
import type { FilterNode } from './filter-node.js';
import type { Requirement } from './requirement.js';
import type { FilterResult } from './types.js';

export class CesqlFilter implements FilterNode {
  constructor(
    readonly expression: CesqlExpression,
    readonly requirement: Requirement,
  ) {}

  evaluate(event: MeshEvent): FilterResult {
    return cesqlMatches(this.expression, event) ? 'pass' : 'fail';
  }
}

/** Compiles a `cesql` filter, or records why it cannot be used and returns undefined. */
export function compileCesqlFilter(
  text: string,
  path: string,
  issues: ConfigIssue[],
): FilterNode | undefined {
  try {
    const expression = parseCesql(text);
    const missing = expression.staticErrors[0];
    if (missing !== undefined) {
      // Such an expression fails every event: certainly not what the author meant.
      issues.push({ path, message: `CESQL expression can never match: ${missing.message}` });
      return undefined;
    }
    return new CesqlFilter(expression, cesqlRequirement(parseToTree(text)));
  } catch (err) {
    if (!(err instanceof CesqlParseError)) throw err;
    issues.push({ path, message: err.message });
    return undefined;
  }
}
