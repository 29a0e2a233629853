/**
 * Shapes shared by several kinds: Kubernetes ObjectMeta, Knative KReference, Destination and
 * DeliverySpec, the Trigger filter dialects, ISO-8601 durations.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md
 */
import { z } from 'zod';
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
export const metadataSchema = z.strictObject({
  name: resourceNameSchema.describe('Name, unique per kind and namespace.'),
  namespace: namespaceSchema.default(DEFAULT_NAMESPACE).describe('Namespace; "default" when absent.'),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z
    .record(z.string(), z.string())
    .optional()
    .describe('Annotations; meshgate reads the `meshgate.io/` ones it documents and refuses unknown ones.'),
  generateName: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.unknown().optional(),
  deletionTimestamp: z.unknown().optional(),
  deletionGracePeriodSeconds: z.number().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.unknown()).optional(),
  managedFields: z.array(z.unknown()).optional(),
  selfLink: z.string().optional(),
});
export type ResourceMetadata = z.output<typeof metadataSchema>;

/** ISO-8601 duration such as `PT0.2S`, `PT1M`, `P1D`. */
const ISO_DURATION =
  /^P(?!$)(\d+(?:\.\d+)?Y)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?W)?(\d+(?:\.\d+)?D)?(T(?=\d)(\d+(?:\.\d+)?H)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?S)?)?$/;

export const isoDurationSchema = z
  .string()
  .regex(ISO_DURATION, 'must be an ISO-8601 duration such as PT0.2S, PT10S or PT1M');

/**
 * Milliseconds in an ISO-8601 duration (`PT0.5S` is 500). Years and months count as 365 and 30
 * days, as Knative's parser does. Returns undefined when the text is not a duration.
 */
export function parseIsoDurationMs(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m) return undefined;
  const n = (part: string | undefined) => (part === undefined ? 0 : Number.parseFloat(part));
  const day = 86_400_000;
  return (
    n(m[1]) * 365 * day +
    n(m[2]) * 30 * day +
    n(m[3]) * 7 * day +
    n(m[4]) * day +
    n(m[6]) * 3_600_000 +
    n(m[7]) * 60_000 +
    n(m[8]) * 1000
  );
}

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
  });
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
  });
export type Destination = z.output<typeof destinationSchema>;

/**
 * Knative DeliverySpec. Trigger `delivery` replaces Broker `delivery` as a whole.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md#deliveryspec
 */
export const deliverySpecSchema = z.strictObject({
  deadLetterSink: destinationSchema.optional().describe('Where an event goes after the last retry failed.'),
  retry: z.int().min(0).optional().describe('Retries after the first attempt (default 0: no retry).'),
  backoffPolicy: z.enum(['linear', 'exponential']).optional().describe('Default exponential.'),
  backoffDelay: isoDurationSchema.optional().describe('Base delay between retries, e.g. PT0.2S.'),
  timeout: isoDurationSchema.optional().describe('Per-attempt timeout, e.g. PT10S.'),
  retryAfterMax: isoDurationSchema.optional().describe('Cap on a subscriber Retry-After; absent: ignored.'),
  format: z
    .enum(['json', 'binary'])
    .optional()
    .describe('Wire format: binary (default) or json (structured).'),
});
export type DeliverySpec = z.output<typeof deliverySpecSchema>;

/** CloudEvents attribute name: lower-case letters and digits. */
export const attributeNameSchema = z
  .string()
  .regex(/^[a-z0-9]+$/, 'must be a CloudEvents attribute name (lower-case a-z and 0-9)');

/** Knative `spec.filter`: exact, case-sensitive attribute matches (empty value: present). */
export const attributesFilterSchema = z.strictObject({
  attributes: z.record(attributeNameSchema, z.string()).optional(),
});
export type AttributesFilter = z.output<typeof attributesFilterSchema>;

/** One Subscriptions API filter (Knative `spec.filters[]`); its type lives with the filter compiler. */
export type { SubscriptionsApiFilter };

const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

const singleAttributeSchema = z
  .record(attributeNameSchema, z.string())
  .refine((m) => Object.keys(m).length === 1, 'must name exactly one attribute');

export const subscriptionsApiFilterSchema: z.ZodType<SubscriptionsApiFilter> = z.lazy(() =>
  z
    .strictObject({
      exact: singleAttributeSchema.optional(),
      prefix: singleAttributeSchema.optional(),
      suffix: singleAttributeSchema.optional(),
      all: z.array(subscriptionsApiFilterSchema).optional(),
      any: z.array(subscriptionsApiFilterSchema).optional(),
      not: subscriptionsApiFilterSchema.optional(),
      cesql: z.string().min(1).optional(),
    })
    .superRefine((filter, ctx) => {
      const set = DIALECTS.filter((d) => filter[d] !== undefined);
      if (set.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            set.length === 0
              ? `a filter needs exactly one dialect (${DIALECTS.join(', ')})`
              : `a filter has exactly one dialect; found ${set.join(', ')}`,
          path: [],
        });
      }
    }),
);

export const filtersSchema = z.array(subscriptionsApiFilterSchema);

/** CloudEvents overrides a source applies to every event (Knative `ceOverrides`). */
export const ceOverridesSchema = z.strictObject({
  extensions: z.record(attributeNameSchema, z.string()).optional(),
});

/** Content mode on the wire. */
export const contentModeSchema = z.enum(['binary', 'structured']);

/** `status` of a manifest exported from a cluster: accepted, ignored. */
export const statusSchema = z.unknown().optional().describe('Ignored (written by a cluster).');
