/** The Kubernetes-style envelope every kind shares: apiVersion, kind, metadata, spec, status. */
import { z } from 'zod';
import { metadataSchema, statusSchema } from './common.js';

/** Where a resource was read from: the file and the 0-based index of its YAML document. */
export interface ResourceOrigin {
  file: string;
  document: number;
}

/** A loaded resource carries its origin, for error messages and the admin API. */
export type Located<T> = T & { readonly origin: ResourceOrigin };

/** The envelope of one kind, strict: unknown top-level fields are errors. */
export function envelope<
  const A extends readonly [string, ...string[]],
  K extends string,
  S extends z.ZodType,
>(apiVersions: A, kind: K, spec: S) {
  return z.strictObject({
    apiVersion: z.enum(apiVersions),
    kind: z.literal(kind),
    metadata: metadataSchema,
    spec,
    status: statusSchema,
  });
}
