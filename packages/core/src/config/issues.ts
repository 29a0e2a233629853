/** Turning zod issues into ConfigIssues with readable paths and messages. */
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { knownFieldsAt, unknownFieldMessage } from './known-fields.js';

/** `spec.filters[0].cesql`, `metadata.annotations["meshgate.io/buffer-size"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** The inverse of {@link formatPath}: `a.b[0]["x/y"]` → ['a', 'b', 0, 'x/y']. */
export function parsePath(text: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  const re = /([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

export interface PathedMessage {
  path: PropertyKey[];
  message: string;
}

/**
 * Flattens zod issues. A union's failure reports the branch that got furthest (the one whose
 * first problem is deepest), so `{valueFrom: {env: 1}}` says what is wrong with env instead of
 * "invalid input".
 */
export function flattenZodIssues(
  issues: readonly z.core.$ZodIssue[],
  base: PropertyKey[] = [],
  root?: z.ZodType,
): PathedMessage[] {
  const out: PathedMessage[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const known = root ? knownFieldsAt(root, path) : [];
          out.push({ path: [...path, key], message: unknownFieldMessage(key, known) });
        }
        break;
      case 'invalid_union': {
        const best = bestUnionBranch(issue.errors);
        if (best === undefined) out.push({ path, message: issue.message });
        else out.push(...flattenZodIssues(best, path, root));
        break;
      }
      case 'invalid_type':
        out.push({
          path,
          message: /received undefined$/.test(issue.message)
            ? `is required (expected ${issue.expected})`
            : issue.message.replace(/^Invalid input: /, ''),
        });
        break;
      case 'invalid_key': {
        const inner = issue.issues[0]?.message ?? issue.message;
        out.push({ path, message: `invalid key: ${inner.replace(/^Invalid input: /, '')}` });
        break;
      }
      default:
        out.push({ path, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  let d = -1;
  for (const i of issues) {
    const own = i.code === 'invalid_type' && i.path.length === 0 ? -1 : i.path.length;
    d = Math.max(d, own);
  }
  return d;
}

function bestUnionBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  let best: readonly z.core.$ZodIssue[] | undefined;
  let bestDepth = -1;
  for (const branch of branches) {
    const d = depth(branch);
    // A branch whose only complaint is the wrong type at its root says nothing useful.
    if (d > bestDepth) {
      best = branch;
      bestDepth = d;
    }
  }
  return best;
}

/** `file:doc: path: message`, one per line. */
export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.document === undefined ? undefined : String(issue.document)]
    .filter((p) => p !== undefined)
    .join(':');
  const parts = [where, issue.path].filter((p) => p !== undefined && p !== '');
  return `${parts.join(': ')}${parts.length > 0 ? ': ' : ''}${issue.message}`;
}

/** A ConfigError listing every issue. */
export function configErrorFrom(issues: readonly ConfigIssue[]): ConfigError {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.slice(0, 50).map((i) => `  ${formatIssue(i)}`);
  if (issues.length > 50) lines.push(`  ... and ${issues.length - 50} more`);
  return new ConfigError(`invalid configuration (${count}):\n${lines.join('\n')}`, issues);
}
