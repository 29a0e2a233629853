/**
 * The annotations (and labels) each kind reads, with the schema of their string values. Kinds
 * not listed read none; on every kind an unknown `meshgate.io/` annotation is an error.
 */
import { z } from 'zod';
import { type AnnotationSchemas, booleanText, positiveIntText } from './annotations.js';

/** Knative reads the record-key type from this label (or annotation) of a KafkaSource. */
export const KAFKA_KEY_TYPE_LABEL = 'kafkasources.sources.knative.dev/key-type';

export const kafkaKeyTypeSchema = z.enum(['string', 'int', 'float', 'byte-array'], {
  error: 'must be string, int, float or byte-array',
});

export const BROKER_ANNOTATIONS = {
  'meshgate.io/max-body-bytes': positiveIntText,
  'meshgate.io/buffer-size': positiveIntText,
  'meshgate.io/channel-topic': z.string().min(1),
  'meshgate.io/federated': booleanText,
} satisfies AnnotationSchemas;

export const TRIGGER_ANNOTATIONS = {
  'kafka.eventing.knative.dev/delivery.order': z.enum(['ordered', 'unordered'], {
    error: 'must be "ordered" or "unordered"',
  }),
  'meshgate.io/max-in-flight': positiveIntText,
  'meshgate.io/start-from': z.enum(['latest', 'earliest'], { error: 'must be "latest" or "earliest"' }),
} satisfies AnnotationSchemas;

export const KAFKA_SOURCE_ANNOTATIONS = {
  [KAFKA_KEY_TYPE_LABEL]: kafkaKeyTypeSchema,
  'meshgate.io/max-in-flight': positiveIntText,
} satisfies AnnotationSchemas;

export const KAFKA_SOURCE_LABELS = { [KAFKA_KEY_TYPE_LABEL]: kafkaKeyTypeSchema } satisfies AnnotationSchemas;

export const SOURCE_ANNOTATIONS = {
  'meshgate.io/max-in-flight': positiveIntText,
} satisfies AnnotationSchemas;

/** Annotations and labels read, by kind. */
export const ANNOTATIONS_BY_KIND: Record<
  string,
  { annotations: AnnotationSchemas; labels?: AnnotationSchemas }
> = {
  Broker: { annotations: BROKER_ANNOTATIONS },
  Trigger: { annotations: TRIGGER_ANNOTATIONS },
  KafkaSource: { annotations: KAFKA_SOURCE_ANNOTATIONS, labels: KAFKA_SOURCE_LABELS },
  RabbitmqSource: { annotations: SOURCE_ANNOTATIONS },
  NatsSource: { annotations: SOURCE_ANNOTATIONS },
  PubSubSource: { annotations: SOURCE_ANNOTATIONS },
};
