/**
 * meshgate settings that Knative has no field for live in `meshgate.io/` annotations, so a
 * manifest stays valid for Knative. Each kind declares the annotations it reads with a schema
 * that parses the string value; an unknown `meshgate.io/` annotation is an error (a typo would
 * otherwise be silently ignored). Other annotations (Knative's, kubectl's) are left alone.
 */
import { z } from 'zod';

export const MESHGATE_ANNOTATION_PREFIX = 'meshgate.io/';

/** A positive integer written as a string, as annotations are. */
export const positiveIntText = z
  .string()
  .regex(/^[0-9]+$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(Number.MAX_SAFE_INTEGER));

/** `"true"` or `"false"`. */
export const booleanText = z
  .enum(['true', 'false'], { error: 'must be "true" or "false"' })
  .transform((v) => v === 'true');

export type AnnotationSchemas = Record<string, z.ZodType<unknown, string>>;

/** Minimal view of zod's refinement context, enough to report issues at a path. */
export interface IssueSink {
  issues: { push(issue: z.core.$ZodRawIssue): void };
}

/**
 * Parses the annotations (or labels) a kind knows. Issues are reported at `metadata.annotations.<key>`.
 * Returns the parsed values by annotation key (absent annotations are absent).
 */
export function parseAnnotations(
  annotations: Record<string, string> | undefined,
  known: AnnotationSchemas,
  ctx: IssueSink,
  field: 'annotations' | 'labels' = 'annotations',
): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const path = ['metadata', field, key];
    const schema = Object.hasOwn(known, key) ? known[key] : undefined;
    if (schema === undefined) {
      if (field === 'annotations' && key.startsWith(MESHGATE_ANNOTATION_PREFIX)) {
        const names = Object.keys(known).filter((k) => k.startsWith(MESHGATE_ANNOTATION_PREFIX));
        ctx.issues.push({
          code: 'custom',
          input: value,
          path,
          message: `unknown annotation '${key}' (known here: ${names.length > 0 ? names.join(', ') : 'none'})`,
        });
      }
      continue;
    }
    const result = schema.safeParse(value);
    if (result.success) {
      parsed[key] = result.data;
    } else {
      for (const issue of result.error.issues) {
        ctx.issues.push({ code: 'custom', input: value, path, message: issue.message });
      }
    }
  }
  return parsed;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/**
 * A refinement that checks a document's annotations (and labels) even when other fields are
 * wrong, so that all problems are reported in one pass. Use with `{ when: () => true }`.
 */
export function annotationCheck(known: AnnotationSchemas, knownLabels: AnnotationSchemas = {}) {
  return (doc: unknown, ctx: IssueSink): void => {
    const metadata = (doc as { metadata?: { annotations?: unknown; labels?: unknown } } | null)?.metadata;
    if (typeof metadata !== 'object' || metadata === null) return;
    if (isStringRecord(metadata.annotations)) parseAnnotations(metadata.annotations, known, ctx);
    if (isStringRecord(metadata.labels)) parseAnnotations(metadata.labels, knownLabels, ctx, 'labels');
  };
}

/** Always run: also when other fields already failed. */
export const ALWAYS = { when: () => true } as const;
