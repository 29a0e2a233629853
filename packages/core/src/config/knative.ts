/**
 * Knative kinds, loaded as they are written for Knative: `eventing.knative.dev/v1` Broker and
 * Trigger, `sources.knative.dev/v1` KafkaSource, `eventing.knative.dev/v1alpha1` KafkaSink.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md
 * @see https://knative.dev/docs/eventing/sources/kafka-source/
 * @see https://knative.dev/docs/eventing/sinks/kafka-sink/
 */
import { z } from 'zod';
import {
  BROKER_ANNOTATIONS,
  KAFKA_KEY_TYPE_LABEL,
  KAFKA_SOURCE_ANNOTATIONS,
  KAFKA_SOURCE_LABELS,
  TRIGGER_ANNOTATIONS,
} from './annotation-specs.js';
import { parseAnnotations } from './annotations.js';
import {
  attributesFilterSchema,
  ceOverridesSchema,
  contentModeSchema,
  deliverySpecSchema,
  destinationSchema,
  filtersSchema,
  kReferenceSchema,
} from './common.js';
import { envelope, type Located } from './resource.js';
import { SecretValue, secretKeyRefEnvName, secretSchema } from './secrets.js';

export const EVENTING_V1 = 'eventing.knative.dev/v1';
export const EVENTING_V1ALPHA1 = 'eventing.knative.dev/v1alpha1';
export const SOURCES_V1 = 'sources.knative.dev/v1';
export const SOURCES_V1BETA1 = 'sources.knative.dev/v1beta1';

/** Defaults of the settings read from annotations. */
export const BROKER_DEFAULTS = Object.freeze({ maxBodyBytes: 1_048_576, bufferSize: 10_000 });
export const TRIGGER_DEFAULTS = Object.freeze({ maxInFlight: 100 });
export const KAFKA_SOURCE_DEFAULTS = Object.freeze({ maxInFlight: 100 });

// ---------------------------------------------------------------------------------------------
// Broker

/** A Broker's meshgate settings, parsed from its annotations and `spec.config`. */
export interface BrokerSettings {
  /** `meshgate.io/max-body-bytes`: largest accepted request body (default 1 MiB). */
  maxBodyBytes: number;
  /** `meshgate.io/buffer-size`: events a memory channel holds before ingress answers 429 (default 10,000). */
  bufferSize: number;
  /** `meshgate.io/channel-topic`: topic/exchange/stream/topic name on the Connection (default chosen by the channel). */
  channelTopic?: string;
  /** `meshgate.io/federated`: share this Broker with the peers (default false). */
  federated: boolean;
  /** `spec.config` naming a meshgate Connection: the Broker keeps its events there. Absent: memory. */
  connection?: { namespace: string; name: string };
}

export const brokerSchema = envelope(
  [EVENTING_V1],
  'Broker',
  z
    .strictObject({
      config: kReferenceSchema
        .optional()
        .describe(
          'A meshgate Connection to keep events on (else memory); other kinds (ConfigMap) are ignored.',
        ),
      delivery: deliverySpecSchema.optional().describe('Default delivery of the Triggers on this Broker.'),
    })
    .default({}),
).transform((doc, ctx) => {
  const a = parseAnnotations(doc.metadata.annotations, BROKER_ANNOTATIONS, ctx);
  const config = doc.spec.config;
  const settings: BrokerSettings = {
    maxBodyBytes: (a['meshgate.io/max-body-bytes'] as number | undefined) ?? BROKER_DEFAULTS.maxBodyBytes,
    bufferSize: (a['meshgate.io/buffer-size'] as number | undefined) ?? BROKER_DEFAULTS.bufferSize,
    federated: (a['meshgate.io/federated'] as boolean | undefined) ?? false,
  };
  const topic = a['meshgate.io/channel-topic'] as string | undefined;
  if (topic !== undefined) settings.channelTopic = topic;
  if (config !== undefined && config.kind === 'Connection') {
    settings.connection = { namespace: config.namespace ?? doc.metadata.namespace, name: config.name };
  }
  return { ...doc, settings };
});

// ---------------------------------------------------------------------------------------------
// Trigger

/** A Trigger's meshgate settings, parsed from its annotations. */
export interface TriggerSettings {
  /** `kafka.eventing.knative.dev/delivery.order: ordered`: one event at a time, in order (default unordered). */
  ordered: boolean;
  /** `meshgate.io/max-in-flight`: deliveries out at once (default 100; 1 when ordered). */
  maxInFlight: number;
  /** `meshgate.io/start-from`: where a new Trigger starts on a durable channel (default latest: "now"). */
  startFrom: 'latest' | 'earliest';
}

export const triggerSchema = envelope(
  [EVENTING_V1],
  'Trigger',
  z.strictObject({
    broker: z.string().min(1).describe('Name of the Broker in the same namespace.'),
    brokerRef: kReferenceSchema
      .optional()
      .describe('Knative cross-namespace Broker reference (experimental).'),
    filter: attributesFilterSchema
      .optional()
      .describe('Exact attribute matches; ignored when `filters` is set.'),
    filters: filtersSchema.optional().describe('Subscriptions API filters (AND of the list).'),
    subscriber: destinationSchema.describe('Where matching events are delivered.'),
    delivery: deliverySpecSchema.optional().describe('Replaces the Broker delivery as a whole.'),
  }),
).transform((doc, ctx) => {
  const a = parseAnnotations(doc.metadata.annotations, TRIGGER_ANNOTATIONS, ctx);
  const ordered = a['kafka.eventing.knative.dev/delivery.order'] === 'ordered';
  const maxInFlight = a['meshgate.io/max-in-flight'] as number | undefined;
  if (ordered && maxInFlight !== undefined && maxInFlight !== 1) {
    ctx.issues.push({
      code: 'custom',
      input: maxInFlight,
      path: ['metadata', 'annotations', 'meshgate.io/max-in-flight'],
      message: 'must be 1 (or absent) when kafka.eventing.knative.dev/delivery.order is ordered',
    });
  }
  const settings: TriggerSettings = {
    ordered,
    maxInFlight: ordered ? 1 : (maxInFlight ?? TRIGGER_DEFAULTS.maxInFlight),
    startFrom: (a['meshgate.io/start-from'] as 'latest' | 'earliest' | undefined) ?? 'latest',
  };
  return { ...doc, settings };
});

// ---------------------------------------------------------------------------------------------
// KafkaSource

/**
 * A Knative SecretValueFromSource. `{}` means "not set": `kubectl get -o yaml` prints empty
 * ones for every unset credential, and such a manifest must load.
 */
const knativeSecretSchema = z
  .union([z.strictObject({}).transform(() => undefined), secretSchema], {
    error: 'expected a secret: {secretKeyRef: {name, key}}, {valueFrom: {env | file}} or a string',
  })
  .optional();

const bootstrapServersSchema = z
  .union([z.array(z.string().min(1)).min(1), z.string().min(1)], {
    error: 'expected a list of host:port',
  })
  .transform((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v))
  .describe('Kafka bootstrap servers, host:port.');

export const kafkaNetSchema = z
  .strictObject({
    sasl: z
      .strictObject({
        enable: z.boolean().default(false),
        user: knativeSecretSchema,
        password: knativeSecretSchema,
        type: knativeSecretSchema.describe('PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default PLAIN).'),
      })
      .optional(),
    tls: z
      .strictObject({
        enable: z.boolean().default(false),
        cert: knativeSecretSchema,
        key: knativeSecretSchema,
        caCert: knativeSecretSchema,
      })
      .optional(),
  })
  .meta({ id: 'KafkaNet' });
export type KafkaNet = z.output<typeof kafkaNetSchema>;

export interface KafkaSourceSettings {
  /** Label or annotation `kafkasources.sources.knative.dev/key-type`: how the record key is read (default string). */
  keyType: 'string' | 'int' | 'float' | 'byte-array';
  /** `meshgate.io/max-in-flight`: unordered window per consumer (default 100). */
  maxInFlight: number;
}

export const kafkaSourceSchema = envelope(
  [SOURCES_V1, SOURCES_V1BETA1],
  'KafkaSource',
  z.strictObject({
    bootstrapServers: bootstrapServersSchema,
    topics: z
      .union([z.array(z.string().min(1)).min(1), z.string().min(1)], { error: 'expected a list of topics' })
      .transform((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v)),
    consumerGroup: z
      .string()
      .min(1)
      .optional()
      .describe('Consumer group id (default meshgate-kafkasource-<namespace>-<name>).'),
    initialOffset: z.enum(['earliest', 'latest']).default('latest'),
    ordering: z.enum(['ordered', 'unordered']).default('ordered'),
    consumers: z.int().min(1).default(1),
    net: kafkaNetSchema.optional(),
    sink: destinationSchema,
    delivery: deliverySpecSchema.optional(),
    ceOverrides: ceOverridesSchema.optional(),
    serviceAccountName: z.string().optional().describe('Ignored (Kubernetes only).'),
  }),
).transform((doc, ctx) => {
  const a = parseAnnotations(doc.metadata.annotations, KAFKA_SOURCE_ANNOTATIONS, ctx);
  const labels = parseAnnotations(doc.metadata.labels, KAFKA_SOURCE_LABELS, ctx, 'labels');
  const keyType = (a[KAFKA_KEY_TYPE_LABEL] ?? labels[KAFKA_KEY_TYPE_LABEL]) as
    | KafkaSourceSettings['keyType']
    | undefined;
  const settings: KafkaSourceSettings = {
    keyType: keyType ?? 'string',
    maxInFlight: (a['meshgate.io/max-in-flight'] as number | undefined) ?? KAFKA_SOURCE_DEFAULTS.maxInFlight,
  };
  const consumerGroup =
    doc.spec.consumerGroup ?? `meshgate-kafkasource-${doc.metadata.namespace}-${doc.metadata.name}`;
  return { ...doc, spec: { ...doc.spec, consumerGroup }, settings };
});

// ---------------------------------------------------------------------------------------------
// KafkaSink

/** Keys of the Kubernetes Secret a KafkaSink's `auth.secret.ref` names (Knative's convention). */
export const KAFKA_SINK_SECRET_KEYS = Object.freeze({
  protocol: 'protocol',
  saslMechanism: 'sasl.mechanism',
  user: 'user',
  password: 'password',
  caCert: 'ca.crt',
  userCert: 'user.crt',
  userKey: 'user.key',
});

/**
 * KafkaSink credentials, read from env `<SECRET>_<KEY>` for each key of Knative's secret
 * (`MY_SECRET_PROTOCOL`, `MY_SECRET_SASL_MECHANISM`, `MY_SECRET_USER`, ...). Absent variables are absent fields.
 */
export type KafkaSinkCredentials = { -readonly [K in keyof typeof KAFKA_SINK_SECRET_KEYS]?: SecretValue };

export const kafkaSinkSchema = envelope(
  [EVENTING_V1ALPHA1],
  'KafkaSink',
  z.strictObject({
    topic: z.string().min(1),
    bootstrapServers: bootstrapServersSchema,
    contentMode: contentModeSchema.default('binary'),
    numPartitions: z.int().min(1).optional().describe('Partitions when meshgate creates the topic.'),
    replicationFactor: z
      .int()
      .min(1)
      .optional()
      .describe('Replication factor when meshgate creates the topic.'),
    auth: z
      .strictObject({
        secret: z.strictObject({ ref: z.strictObject({ name: z.string().min(1) }) }),
      })
      .optional(),
  }),
).transform((doc) => {
  const secretName = doc.spec.auth?.secret.ref.name;
  if (secretName === undefined) return { ...doc, credentials: undefined };
  const credentials: KafkaSinkCredentials = {};
  for (const [field, key] of Object.entries(KAFKA_SINK_SECRET_KEYS)) {
    credentials[field as keyof KafkaSinkCredentials] = new SecretValue({
      kind: 'secretKeyRef',
      secret: secretName,
      key,
      env: secretKeyRefEnvName(secretName, key),
      optional: true,
    });
  }
  return { ...doc, credentials };
});

export type BrokerResource = Located<z.output<typeof brokerSchema>>;
export type TriggerResource = Located<z.output<typeof triggerSchema>>;
export type KafkaSourceResource = Located<z.output<typeof kafkaSourceSchema>>;
export type KafkaSinkResource = Located<z.output<typeof kafkaSinkSchema>>;
