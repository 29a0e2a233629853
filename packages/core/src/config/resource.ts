/** The Kubernetes-style envelope every kind shares: apiVersion, kind, metadata, spec, status. */
import { z } from 'zod';
import { ANNOTATIONS_BY_KIND } from './annotation-specs.js';
import { ALWAYS, annotationCheck } from './annotations.js';
import { metadataSchema, statusSchema } from './common.js';

/** Where a resource was read from: the file and the 0-based index of its YAML document. */
export interface ResourceOrigin {
  file: string;
  document: number;
  /** Where in the document, when it is one of the `items` of a `kind: List` (e.g. `items[2]`). */
  path?: string;
}

/** A field path of a resource, as seen from its document (prefixed inside a List). */
export function pathInDocument(origin: ResourceOrigin, path: string): string {
  if (origin.path === undefined) return path;
  if (path === '') return origin.path;
  return path.startsWith('[') ? `${origin.path}${path}` : `${origin.path}.${path}`;
}

/** A loaded resource carries its origin, for error messages and the admin API. */
export type Located<T> = T & { readonly origin: ResourceOrigin };

/**
 * The envelope of one kind, strict: unknown top-level fields are errors. The kind's annotations
 * are checked even when other fields fail, so one pass reports every problem.
 */
export function envelope<
  const A extends readonly [string, ...string[]],
  K extends string,
  S extends z.ZodType,
>(apiVersions: A, kind: K, spec: S) {
  const known = ANNOTATIONS_BY_KIND[kind] ?? { annotations: {} };
  return z
    .strictObject({
      apiVersion: z.enum(apiVersions),
      kind: z.literal(kind),
      metadata: metadataSchema,
      spec,
      status: statusSchema,
    })
    .superRefine(annotationCheck(known.annotations, known.labels), ALWAYS)
    .transform(({ status: _ignored, ...resource }) => resource);
}
