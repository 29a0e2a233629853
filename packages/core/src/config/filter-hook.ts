/**
 * Validation of Trigger and Bridge filters beyond their shape (CESQL syntax, attribute rules),
 * delegated to the filter compiler so config load and routing agree on what is valid.
 *
 * HOOK: wired to `compileFilter` from ../filter/index.js once H2's filter module lands. Until then
 * only the shape is checked (by the zod schemas).
 */
import type { ConfigIssue } from '../errors.js';
import type { ParsedResource } from './parse-documents.js';

export function checkFilters(_parsed: readonly ParsedResource[]): ConfigIssue[] {
  return [];
}
