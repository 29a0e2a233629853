/**
 * Shapes shared by several kinds: Kubernetes ObjectMeta, Knative KReference, Destination and
 * DeliverySpec, the Trigger filter dialects, ISO-8601 durations.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md
 */
import { z } from 'zod';
import { parseIsoDuration } from '../delivery/duration.js';
import type { SubscriptionsApiFilter } from '../filter/index.js';

/** Kubernetes object name (DNS-1123 subdomain, lower case). */
export const resourceNameSchema = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'must be a lower-case DNS-1123 name: a-z, 0-9, "-" and ".", starting and ending with a letter or digit',
  );

/** Kubernetes namespace name (DNS-1123 label). */
export const namespaceSchema = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a lower-case DNS-1123 label: a-z, 0-9 and "-", starting and ending with a letter or digit',
  );

export const DEFAULT_NAMESPACE = 'default';

/**
 * ObjectMeta. Fields a cluster fills in (uid, resourceVersion, managedFields, ...) are accepted and
 * ignored, so a manifest exported with `kubectl get -o yaml` loads as it is.
 */
export const metadataSchema = z
  .strictObject({
    name: resourceNameSchema.describe('Name, unique per kind and namespace.'),
    namespace: namespaceSchema.default(DEFAULT_NAMESPACE).describe('Namespace; "default" when absent.'),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z
      .record(z.string(), z.string())
      .optional()
      .describe('Annotations; meshgate reads the `meshgate.io/` ones it documents and refuses unknown ones.'),
    generateName: z.unknown().optional(),
    uid: z.unknown().optional(),
    resourceVersion: z.unknown().optional(),
    generation: z.unknown().optional(),
    creationTimestamp: z.unknown().optional(),
    deletionTimestamp: z.unknown().optional(),
    deletionGracePeriodSeconds: z.unknown().optional(),
    finalizers: z.unknown().optional(),
    ownerReferences: z.unknown().optional(),
    managedFields: z.unknown().optional(),
    selfLink: z.unknown().optional(),
  })
  // What a cluster wrote is dropped: the loaded config holds only what meshgate reads.
  .transform(({ name, namespace, labels, annotations }) => ({
    name,
    namespace,
    ...(labels !== undefined && { labels }),
    ...(annotations !== undefined && { annotations }),
  }))
  .meta({ id: 'ObjectMeta' });
export type ResourceMetadata = z.output<typeof metadataSchema>;

/**
 * ISO-8601 duration such as `PT0.2S`, `PT1M`, `P1D`, checked by the delivery engine's own parser
 * so that config and delivery accept exactly the same texts.
 */
export const isoDurationSchema = z
  .string()
  .describe('ISO-8601 duration, e.g. PT0.2S, PT10S, PT1M')
  .superRefine((text, ctx) => {
    try {
      parseIsoDuration(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [] });
    }
  });

/** Knative KReference: a pointer to another resource. */
export const kReferenceSchema = z
  .strictObject({
    apiVersion: z.string().min(1).optional(),
    kind: z.string().min(1),
    name: resourceNameSchema,
    namespace: namespaceSchema.optional().describe('Defaults to the namespace of the referring resource.'),
    group: z.string().optional(),
    address: z.string().optional(),
  })
  .refine((ref) => ref.apiVersion !== undefined || ref.group !== undefined, {
    message: 'apiVersion is required',
    path: ['apiVersion'],
  })
  .meta({ id: 'KReference' });
export type KReference = z.output<typeof kReferenceSchema>;

function isAbsoluteHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Knative Destination: `uri`, `ref`, or both (then `uri` is a path relative to the ref's address).
 * @see https://github.com/knative/specs/blob/main/specs/eventing/overview.md#destination
 */
export const destinationSchema = z
  .strictObject({
    ref: kReferenceSchema.optional(),
    uri: z.string().min(1).optional(),
    CACerts: z.string().optional().describe('PEM CA certificates to trust for an https uri.'),
    audience: z.string().optional(),
  })
  .superRefine((dest, ctx) => {
    if (dest.ref === undefined && dest.uri === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs a uri or a ref (or both)', path: [] });
      return;
    }
    if (dest.uri === undefined) return;
    if (dest.ref === undefined && !isAbsoluteHttpUrl(dest.uri)) {
      ctx.addIssue({
        code: 'custom',
        message: `uri '${dest.uri}' must be an absolute http(s) URL when there is no ref`,
        path: ['uri'],
      });
    }
    if (dest.ref !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(dest.uri)) {
      ctx.addIssue({
        code: 'custom',
        message: `uri '${dest.uri}' must be a relative path when a ref is given`,
        path: ['uri'],
      });
    }
  })
  .meta({ id: 'Destination' });
export type Destination = z.output<typeof destinationSchema>;

/**
 * Knative DeliverySpec. Trigger `delivery` replaces Broker `delivery` as a whole.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md#deliveryspec
 */
export const deliverySpecSchema = z
  .strictObject({
    deadLetterSink: destinationSchema.optional().describe('Where an event goes after the last retry failed.'),
    retry: z.int().min(0).optional().describe('Retries after the first attempt (default 0: no retry).'),
    backoffPolicy: z.enum(['linear', 'exponential']).optional().describe('Default exponential.'),
    backoffDelay: isoDurationSchema.optional().describe('Base delay between retries, e.g. PT0.2S.'),
    timeout: isoDurationSchema
      .refine((t) => {
        try {
          return parseIsoDuration(t) > 0;
        } catch {
          return true; // already reported as not a duration
        }
      }, 'must be greater than zero')
      .optional()
      .describe('Per-attempt timeout, e.g. PT10S.'),
    retryAfterMax: isoDurationSchema.optional().describe('Cap on a subscriber Retry-After; absent: ignored.'),
    backoffMax: isoDurationSchema
      .optional()
      .describe('Cap on the computed backoff (Knative 1.24 delivery-backoff-max).'),
    format: z
      .enum(['json', 'binary'])
      .optional()
      .describe('Wire format: binary (default) or json (structured).'),
  })
  .meta({ id: 'DeliverySpec' });
export type DeliverySpec = z.output<typeof deliverySpecSchema>;

/** CloudEvents attribute name: lower-case letters and digits. */
export const attributeNameSchema = z
  .string()
  .regex(/^[a-z0-9]+$/, 'must be a CloudEvents attribute name (lower-case a-z and 0-9)');

// Filters: the schema checks the shape only. What makes a filter valid (one dialect, one
// attribute per exact/prefix/suffix, attribute names, CESQL syntax) is decided by compileFilter
// (../filter), called by the loader, so config load and routing never disagree.
const attributeMapSchema = z.record(z.string(), z.string());

/** Knative `spec.filter`: exact, case-sensitive attribute matches (empty value: present). */
export const attributesFilterSchema = z.strictObject({
  attributes: attributeMapSchema.optional(),
});

/** One Subscriptions API filter (Knative `spec.filters[]`); its type lives with the filter compiler. */
export type { SubscriptionsApiFilter };

export const subscriptionsApiFilterSchema: z.ZodType<SubscriptionsApiFilter> = z
  .lazy(() =>
    z.strictObject({
      exact: attributeMapSchema.optional().describe('{attribute: value}: the value equals.'),
      prefix: attributeMapSchema.optional().describe('{attribute: value}: the value starts with.'),
      suffix: attributeMapSchema.optional().describe('{attribute: value}: the value ends with.'),
      all: z.array(subscriptionsApiFilterSchema).optional().describe('Every filter passes.'),
      any: z.array(subscriptionsApiFilterSchema).optional().describe('One filter passes.'),
      not: subscriptionsApiFilterSchema.optional().describe('The filter does not pass.'),
      cesql: z.string().optional().describe('A CloudEvents SQL v1 boolean expression.'),
    }),
  )
  .meta({ id: 'SubscriptionsApiFilter' });

export const filtersSchema = z.array(subscriptionsApiFilterSchema);

/** CloudEvents overrides a source applies to every event (Knative `ceOverrides`). */
export const ceOverridesSchema = z
  .strictObject({
    extensions: z.record(attributeNameSchema, z.string()).optional(),
  })
  .meta({ id: 'CloudEventOverrides' });

/** Content mode on the wire. */
export const contentModeSchema = z.enum(['binary', 'structured']);

/** `status` of a manifest exported from a cluster: accepted, ignored. */
export const statusSchema = z.unknown().optional().describe('Ignored (written by a cluster).');
