/**
 * The Subscriptions API's `cesql` dialect. Placeholder until the CESQL engine lands in
 * `../cesql`: an expression is refused with a clear configuration issue rather than ignored.
 */
import type { ConfigIssue } from '../errors.js';
import type { FilterNode } from './filter-node.js';

export function compileCesqlFilter(
  _text: string,
  path: string,
  issues: ConfigIssue[],
): FilterNode | undefined {
  issues.push({ path, message: 'CESQL filters are not available in this build yet' });
  return undefined;
}
